#!/usr/bin/python3
"""Exports the style-trained voice (train_style.py) as the ttsd package: the encoder with emotion
input, the acoustic and vocoder stages, and the optional stages speaker_encoder, emotion_encoder
and emotion_text. Named speakers are the speaker encoder's mean vector over their neutral
utterances, so named and cloned voices live in one space.

  /usr/bin/python3 models/train/export_style.py [--out models/voices/ttsd-en] [--default hts-deep]
"""
import argparse
import json
import os
import random
import sys

import numpy as np
import torch

from acoustic import AcousticModel
from audio import HOP, N_MELS, SR
from common import WORK, setup_threads
from emotion_text import AXES
from emotion_text import train as train_emotion_text
from export import ExportAcoustic, ExportRefEncoder, ExportStyleEncoder, ExportVocoder, calibrate, check
from style import RefEncoder
from train_style import Data
from vocoder import DELAY, Vocoder

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus"))
import phones as ph  # noqa: E402


def speaker_table(data, spk_enc, per_speaker=16, frames=400):
    """Mean speaker-encoder vector per speaker over neutral utterances, [n_speakers, S]."""
    rng = random.Random(3)
    rows = []
    with torch.no_grad():
        for gid, _ in enumerate(data.speakers):
            if gid not in data.by_speaker:  # not in the corpus: not shipped
                rows.append(torch.zeros(spk_enc.out.out_features))
                continue
            pool = [(ci, i) for ci, i in data.by_speaker[gid] if max(data.emotion(ci, i)) == 0] or data.by_speaker[gid]
            vecs = []
            for ci, i in rng.sample(pool, min(per_speaker, len(pool))):
                vecs.append(spk_enc(torch.from_numpy(data.mel(ci, i))[None])[0])
            rows.append(torch.stack(vecs).mean(0))
    return torch.stack(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--caches", default=os.path.join(WORK, "cache") + "," + os.path.join(WORK, "cache-style"))
    ap.add_argument("--style", default=os.path.join(WORK, "style", "style.pt"))
    ap.add_argument("--vocoder", default=os.path.join(WORK, "vocoder", "vocoder.pt"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "voices", "ttsd-en"))
    ap.add_argument("--name", default="ttsd-en")
    ap.add_argument("--default", default="hts-deep", help="speaker listed first (the default)")
    args = ap.parse_args()
    setup_threads()
    ck = torch.load(args.style)
    cv = torch.load(args.vocoder)
    am = AcousticModel(**ck["config"])
    am.load_state_dict(ck["model"])
    spk_enc = RefEncoder(ck["config"]["spk_dim"], ch=ck["spk_ch"])
    spk_enc.load_state_dict(ck["spk_enc"])
    emo_enc = RefEncoder(len(AXES), ch=ck["emo_ch"], layers=3)
    emo_path = os.path.join(os.path.dirname(args.style), "emotion.pt")  # train_emotion_encoder.py
    emo_enc.load_state_dict(torch.load(emo_path)["emo_enc"] if os.path.exists(emo_path) else ck["emo_enc"])
    voc = Vocoder(**cv["config"])
    voc.load_state_dict(cv["model"])
    for m in (am, spk_enc, emo_enc, voc):
        m.eval()
    data = Data([p for p in args.caches.split(",") if os.path.exists(os.path.join(p, "index.json"))])
    names = list(ck["speakers"])
    assert names == data.speakers, "checkpoint and caches disagree on speakers"
    table = speaker_table(data, spk_enc)
    present = sorted(data.by_speaker)
    ship = [names[i] for i in present]
    if args.default in ship:
        ship = [args.default] + [n for n in ship if n != args.default]
    order = [names.index(n) for n in ship]
    cache = data.caches[0]
    _, val = cache.split()
    scale = calibrate(am, cache, val[:80] or list(range(min(4, len(cache.utts)))),
                      lambda s: table[data.speakers.index(cache.speakers[s])][None])
    print("duration scale %.4f; %d speakers" % (scale, len(ship)))
    os.makedirs(args.out, exist_ok=True)
    for f in os.listdir(args.out):  # stale stages of an earlier export
        if f.endswith((".ts", ".pt")) or f == "voice.json":
            os.remove(os.path.join(args.out, f))
    stages = {
        "encoder": torch.jit.script(ExportStyleEncoder(am.encoder, order, scale, table[order])),
        "acoustic": torch.jit.script(ExportAcoustic(am.decoder)),
        "vocoder": torch.jit.script(ExportVocoder(voc)),
        "speaker_encoder": torch.jit.script(ExportRefEncoder(spk_enc, False)),
        "emotion_encoder": torch.jit.script(ExportRefEncoder(emo_enc, True)),
        "emotion_text": torch.jit.script(train_emotion_text().eval()),
    }
    files = {}
    for stage, mod in stages.items():
        files[stage] = {"file": stage.replace("_", "-") + ".ts"}
        mod.save(os.path.join(args.out, files[stage]["file"]))
    manifest = {
        "format_version": 1, "name": args.name,
        "description": "ttsd default English voice: %d speakers learnt from flite, festival and hts_engine voices, "
                       "zero-shot voices from reference audio, emotion on IndexTTS2's eight axes; causal conv "
                       "acoustic model + causal Vocos-style vocoder, 16 kHz." % len(ship),
        "languages": ["en-us"], "sample_rate": SR, "hop_samples": HOP, "audio_delay_samples": DELAY,
        "mel_bins": N_MELS,
        "speakers": ship, "phonemes": ph.INVENTORY, "acoustic_type": "streaming", "batching": True,
        "emotion_axes": AXES, "stages": files,
        "training": {"acoustic_steps": ck["step"], "style_minutes": round(ck["train_seconds"] / 60, 1),
                     "vocoder_steps": cv["step"], "vocoder_minutes": round(cv["train_seconds"] / 60, 1),
                     "duration_scale": round(scale, 4)},
    }
    with open(os.path.join(args.out, "voice.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    check(args.out)


if __name__ == "__main__":
    main()
