#!/usr/bin/env python3
"""Writes random-weight GPT-SoVITS v2Pro checkpoints in upstream's own formats (not committed anywhere).

Run from the upstream checkout root with PYTHONPATH=.:GPT_SoVITS, e.g.
    (README.md next to this script has the command line)

Uses upstream's classes and savers (imported, not copied):
  s1 GPT      : Text2SemanticLightningModule(config of configs/s1longer-v2.yaml), saved as s1_train.py's
                callback does: {"weight": state_dict().half(), "config": config, "info": ...} via process_ckpt.my_save
  s2 SoVITS   : module.models.SynthesizerTrn(**configs/s2v2Pro.json model, version v2Pro), saved with
                process_ckpt.savee(..., model_version="v2Pro") exactly as s2_train.py does (head bytes b"05",
                half weights, enc_q dropped, config = utils.HParams)
  HuBERT      : transformers HubertModel from a hand-written chinese-hubert-base config, save_pretrained
  BERT        : transformers BertForMaskedLM from a hand-written chinese-roberta-wwm-ext-large config, with a
                made-up 21128-entry vocab.txt (not the real one), save_pretrained
  sv          : eres2net ERes2NetV2(baseWidth=24, scale=4, expansion=4).state_dict() -> torch.save
"""
import os
import sys

import torch

ROOT = os.getcwd()
assert os.path.isfile(os.path.join(ROOT, "GPT_SoVITS", "stream_v2pro.py")), "run from the GPT-SoVITS checkout root"
sys.path.insert(0, os.path.join(ROOT, "GPT_SoVITS"))
sys.path.insert(0, ROOT)
OUT = os.environ["RANDOM_WEIGHTS_OUT"]  # where the checkpoints go (README.md)
PM = os.path.join(ROOT, "GPT_SoVITS", "pretrained_models")
torch.manual_seed(1234)


def s1():
    from AR.utils.io import load_yaml_config
    from AR.models.t2s_lightning_module import Text2SemanticLightningModule
    from process_ckpt import my_save
    from collections import OrderedDict

    config = load_yaml_config("GPT_SoVITS/configs/s1longer-v2.yaml")
    m = Text2SemanticLightningModule(config, "****", is_train=False)
    od = OrderedDict()
    od["weight"] = OrderedDict((k, v.half()) for k, v in m.state_dict().items())
    od["config"] = config
    od["info"] = "GPT-e1"
    os.makedirs(OUT, exist_ok=True)
    my_save(od, os.path.join(OUT, "random-v2pro-e1.ckpt"))
    print("s1 params", sum(p.numel() for p in m.parameters()))


def s1eos():
    """random-v2pro-eos-e1.ckpt: the random GPT above with ONE hand-set direction so that greedy decoding ends:
    the last block's norm2.bias gets 3*u and the EOS row of ar_predict_layer becomes 10*u (u a random unit
    vector), so the EOS logit is about 30 +- 10 against about +-2 for the others. EOS is still masked by
    upstream for idx < 11, so every utterance ends at idx 11 (11 tokens, 0.44 s). Without this a random GPT
    never ends (1500 tokens, which ttsd treats as an error)."""
    from process_ckpt import my_save

    d = torch.load(os.path.join(OUT, "random-v2pro-e1.ckpt"), map_location="cpu", weights_only=False)
    w = d["weight"]
    n = d["config"]["model"]["n_layer"]
    g = torch.Generator().manual_seed(4321)
    u = torch.randn(512, generator=g)
    u = u / u.norm()
    kb = "model.h.layers.%d.norm2.bias" % (n - 1)
    kp = "model.ar_predict_layer.weight"
    assert kb in w and kp in w and w[kp].shape == (1025, 512), (kb in w, kp in w)
    w[kb] = (w[kb].float() + 3 * u).half()
    w[kp][1024] = (10 * u).half()
    d["info"] = "GPT-e1 random, EOS direction set by hand (make_random_weights.py s1eos)"
    my_save(d, os.path.join(OUT, "random-v2pro-eos-e1.ckpt"))


def s2():
    import utils
    from module.models import SynthesizerTrn
    from process_ckpt import savee

    hps = utils.get_hparams_from_file("GPT_SoVITS/configs/s2v2Pro.json")
    hps.model.version = "v2Pro"
    hps.name = "random-v2pro"
    hps.save_weight_dir = OUT
    net_g = SynthesizerTrn(
        hps.data.filter_length // 2 + 1,
        hps.train.segment_size // hps.data.hop_length,
        n_speakers=hps.data.n_speakers,
        **hps.model,
    )
    print("s2 params", sum(p.numel() for p in net_g.parameters()))
    # upstream's quantizer is built with kmeans_init=True: codebook zeros and inited=False until the first
    # training batch runs k-means (a trained or pretrained checkpoint always has inited=1). Do the same
    # by hand: a random codebook, marked initialised.
    with torch.no_grad():
        for layer in net_g.quantizer.vq.layers:
            cb = layer._codebook
            cb.embed.copy_(torch.randn_like(cb.embed))
            cb.embed_avg.copy_(cb.embed)
            cb.cluster_size.fill_(1.0)
            cb.inited.fill_(1)
    r = savee(net_g.state_dict(), "random-v2pro_e1_s1", 1, 1, hps, model_version="v2Pro")
    assert r == "Success.", r


def hubert():
    from transformers import HubertConfig, HubertModel, Wav2Vec2FeatureExtractor

    cfg = HubertConfig(
        vocab_size=32, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
        hidden_act="gelu", hidden_dropout=0.1, activation_dropout=0.1, attention_dropout=0.1,
        feat_proj_layer_norm=True, feat_proj_dropout=0.0, final_dropout=0.1, layerdrop=0.1,
        initializer_range=0.02, layer_norm_eps=1e-5, feat_extract_norm="group", feat_extract_activation="gelu",
        conv_dim=(512,) * 7, conv_stride=(5, 2, 2, 2, 2, 2, 2), conv_kernel=(10, 3, 3, 3, 3, 2, 2),
        conv_bias=False, num_conv_pos_embeddings=128, num_conv_pos_embedding_groups=16,
        do_stable_layer_norm=False, apply_spec_augment=True, mask_time_prob=0.05, mask_time_length=10,
        mask_feature_prob=0.0, mask_feature_length=10, ctc_loss_reduction="sum", ctc_zero_infinity=False,
        use_weighted_layer_sum=False, classifier_proj_size=256, pad_token_id=0, bos_token_id=1, eos_token_id=2,
        architectures=["HubertModel"],
    )
    m = HubertModel(cfg).eval()
    d = os.path.join(PM, "chinese-hubert-base")
    m.save_pretrained(d)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                             return_attention_mask=False).save_pretrained(d)
    print("hubert params", sum(p.numel() for p in m.parameters()))


def bert():
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    d = os.path.join(PM, "chinese-roberta-wwm-ext-large")
    os.makedirs(d, exist_ok=True)
    # A made-up vocab of the right size (21128): specials as bert-base-chinese numbers them, then ASCII
    # and CJK characters. Not the real vocabulary; BERT is never used for English text.
    vocab = ["[PAD]"] + ["[unused%d]" % i for i in range(1, 100)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]", "<S>", "<T>"]
    seen = set(vocab)
    chars = [chr(c) for c in range(33, 127)] + [chr(c) for c in range(0x3000, 0x3040)] + \
            [chr(c) for c in range(0xFF01, 0xFF5F)] + [chr(c) for c in range(0x4E00, 0x9FA6)]
    for ch in chars:
        if len(vocab) >= 21128:
            break
        if ch not in seen:
            vocab.append(ch.lower() if ch.isascii() else ch)
            seen.add(vocab[-1])
    i = 0
    while len(vocab) < 21128:
        vocab.append("[fill%d]" % i)
        i += 1
    with open(os.path.join(d, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=os.path.join(d, "vocab.txt"), do_lower_case=True,
                      tokenize_chinese_chars=True).save_pretrained(d)
    cfg = BertConfig(
        vocab_size=21128, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
        hidden_act="gelu", hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, max_position_embeddings=512,
        type_vocab_size=2, initializer_range=0.02, layer_norm_eps=1e-12, pad_token_id=0,
        architectures=["BertForMaskedLM"], directionality="bidi", pooler_fc_size=768, pooler_num_attention_heads=12,
        pooler_num_fc_layers=3, pooler_size_per_head=128, pooler_type="first_token_transform",
    )
    m = BertForMaskedLM(cfg).eval()
    m.save_pretrained(d)
    print("bert params", sum(p.numel() for p in m.parameters()))


def sv():
    sys.path.append(os.path.join(ROOT, "GPT_SoVITS", "eres2net"))
    from ERes2NetV2 import ERes2NetV2

    m = ERes2NetV2(baseWidth=24, scale=4, expansion=4)
    d = os.path.join(PM, "sv")
    os.makedirs(d, exist_ok=True)
    torch.save(m.state_dict(), os.path.join(d, "pretrained_eres2netv2w24s4ep4.ckpt"))
    print("sv params", sum(p.numel() for p in m.parameters()))


if __name__ == "__main__":
    which = sys.argv[1:] or ["s1", "s2", "hubert", "bert", "sv"]
    for w in which:
        globals()[w]()
