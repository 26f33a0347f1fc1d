#!/usr/bin/python3
"""Fine-tunes the acoustic model into a zero-shot, emotion-conditioned one, training alongside it a
speaker encoder (reference audio -> speaker vector) and an emotion encoder (audio -> 8 axes).

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_style.py --minutes 45

Starts from models/work/acoustic/acoustic.pt (the default voice's acoustic model) and trains on the
default corpus plus the style corpus (models/corpus/make_style_corpus.py). Every target utterance is
spoken with the speaker vector the speaker encoder makes from OTHER utterances of that speaker (any
emotion), so the acoustic model learns to follow references; a gradient-reversal emotion classifier
on that vector keeps emotion out of it (as IndexTTS2 does); emotion reaches the acoustic model only
through its label vector. Resumes from <dir>/style.pt.
"""
import argparse
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from acoustic import AcousticModel
from common import WORK, Cache, Clock, plot_losses, save_ckpt, setup_threads
from style import GradReverse, RefEncoder
from train_acoustic import batches, collate

AXES = 8


class Data:
    """Both caches, with speakers unified by name and utterances grouped per speaker."""

    def __init__(self, paths):
        self.caches = [Cache(p) for p in paths]
        self.speakers = []
        for c in self.caches:
            for s in c.speakers:
                if s not in self.speakers:
                    self.speakers.append(s)
        self.by_speaker = {}
        self.train, self.val = [], []
        for ci, c in enumerate(self.caches):
            tr, va = c.split()
            self.train.append(tr)
            self.val.append(va)
            for i in tr:
                gid = self.speakers.index(c.speakers[c.utts[i]["speaker_id"]])
                self.by_speaker.setdefault(gid, []).append((ci, i))

    def gid(self, ci, i):
        c = self.caches[ci]
        return self.speakers.index(c.speakers[c.utts[i]["speaker_id"]])

    def emotion(self, ci, i):
        return self.caches[ci].utts[i].get("emotion") or [0.0] * AXES

    def mel(self, ci, i):
        c = self.caches[ci]
        u = c.utts[i]
        return np.asarray(c.mels[u["frame"]:u["frame"] + u["frames"]], dtype=np.float32)


def reference(data, gid, avoid, frames, rng):
    """Log-mel of `frames` frames from other utterances of the speaker, and the first one's emotion."""
    pool = data.by_speaker[gid]
    parts, n, emo = [], 0, None
    while n < frames:
        ci, i = rng.choice(pool)
        if (ci, i) == avoid and len(pool) > 1:
            continue
        m = data.mel(ci, i)
        if emo is None:
            emo = data.emotion(ci, i)
        parts.append(m)
        n += len(m)
    m = np.concatenate(parts)
    start = rng.randrange(0, len(m) - frames + 1)
    return m[start:start + frames], emo


def emotion_class(vec):
    """0 neutral, 1..8 the strongest axis."""
    return 0 if max(vec) <= 0 else 1 + int(np.argmax(vec))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--caches", default=os.path.join(WORK, "cache") + "," + os.path.join(WORK, "cache-style"))
    ap.add_argument("--init", default=os.path.join(WORK, "acoustic", "acoustic.pt"))
    ap.add_argument("--dir", default=os.path.join(WORK, "style"))
    ap.add_argument("--minutes", type=float, default=45)
    ap.add_argument("--max-steps", type=int, default=10 ** 9)
    ap.add_argument("--batch-frames", type=int, default=2400)
    ap.add_argument("--lr", type=float, default=6e-4)
    ap.add_argument("--style-weight", type=float, default=2.0, help="how often style-corpus batches come")
    ap.add_argument("--every", type=int, default=25)
    ap.add_argument("--save-every", type=int, default=200)
    ap.add_argument("--small", action="store_true", help="tiny encoders for the CI pipeline")
    args = ap.parse_args()
    setup_threads()
    torch.manual_seed(0)
    os.makedirs(args.dir, exist_ok=True)
    data = Data([p for p in args.caches.split(",") if os.path.exists(os.path.join(p, "index.json"))])
    init = torch.load(args.init)
    config = dict(init["config"], n_speakers=len(data.speakers), emo_dim=AXES)
    model = AcousticModel(**config)
    old_table = None
    if "speakers" in init:  # the acoustic model we start from: keep its weights, grow its table
        state = {k: v for k, v in init["model"].items()
                 if k != "encoder.speakers.weight" and not k.startswith("encoder.emo_")}
        model.load_state_dict(state, strict=False)
        old_table = init["model"]["encoder.speakers.weight"]
        old_names = list(init["speakers"])
    ch = 48 if args.small else 192
    spk_enc = RefEncoder(config["spk_dim"], ch=ch)
    emo_enc = RefEncoder(AXES, ch=ch // 2 if not args.small else 32, layers=3)
    emo_cls = torch.nn.Sequential(torch.nn.Linear(config["spk_dim"], 64), torch.nn.ReLU(), torch.nn.Linear(64, AXES + 1))
    modules = {"model": model, "spk_enc": spk_enc, "emo_enc": emo_enc, "emo_cls": emo_cls}
    new_params = list(spk_enc.parameters()) + list(emo_enc.parameters()) + list(emo_cls.parameters()) + \
        list(model.encoder.emo_in.parameters()) + list(model.encoder.emo_out.parameters())
    new_ids = {id(p) for p in new_params}
    old_params = [p for p in model.parameters() if id(p) not in new_ids]
    opt = torch.optim.AdamW([{"params": old_params, "base": args.lr},
                             {"params": new_params, "base": args.lr * 2.5}], betas=(0.9, 0.98), weight_decay=0.01)
    ckpt_path = os.path.join(args.dir, "style.pt")
    step, history, before = 0, [], 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        for k, m in modules.items():
            m.load_state_dict(ck[k])
        opt.load_state_dict(ck["opt"])
        step, history, before = ck["step"], ck["history"], ck["train_seconds"]
        print("resumed at step %d, %.1f min trained" % (step, before / 60), flush=True)
    print("style: %s train utterances per cache, %d speakers; params acoustic %.2f M, speaker encoder %.2f M, "
          "emotion encoder %.2f M" % ([len(t) for t in data.train], len(data.speakers),
                                      sum(p.numel() for p in model.parameters()) / 1e6,
                                      sum(p.numel() for p in spk_enc.parameters()) / 1e6,
                                      sum(p.numel() for p in emo_enc.parameters()) / 1e6), flush=True)
    anchor = {}
    if old_table is not None:
        for j, name in enumerate(old_names):
            if name in data.speakers:
                anchor[data.speakers.index(name)] = old_table[j]
    clock = Clock(before)
    budget = args.minutes * 60
    rng = random.Random(step)

    def epoch():
        out = []
        for ci, c in enumerate(data.caches):
            bs = batches(c, data.train[ci], args.batch_frames, rng)
            reps = args.style_weight if ci > 0 else 1.0
            out += [(ci, b) for b in bs * int(reps)] + [(ci, b) for b in rng.sample(bs, int(len(bs) * (reps % 1)))]
        rng.shuffle(out)
        return out

    def run(ci, ids, r, train):
        c = data.caches[ci]
        phones, durs, mels, fmask, pmask, _ = collate(c, ids)
        gids = [data.gid(ci, i) for i in ids]
        emo = torch.tensor([data.emotion(ci, i) for i in ids], dtype=torch.float32)
        rf = r.randint(150, 350)
        refs, ref_emos = zip(*[reference(data, g, (ci, i), rf, r) for g, i in zip(gids, ids)])
        spk = spk_enc(torch.from_numpy(np.stack(refs)))
        pred, logd = model(phones, None, durs, mels.shape[1], speaker=spk, emotion=emo)
        l_mel = ((pred - mels).abs().mean(-1) * fmask).sum() / fmask.sum()
        l_dur = (((logd - torch.log1p(durs.float())) ** 2) * pmask).sum() / pmask.sum()
        rows = [k for k, g in enumerate(gids) if g in anchor]
        l_anchor = F.mse_loss(spk[rows], torch.stack([anchor[gids[k]] for k in rows])) if rows else spk.sum() * 0
        labels = torch.tensor([emotion_class(e) for e in ref_emos])
        l_adv = F.cross_entropy(emo_cls(GradReverse.apply(spk, 0.5)), labels)
        # Emotion encoder on a crop of each target utterance (its label is known).
        ef = min(r.randint(120, 300), int(fmask.sum(1).min()))
        crops = []
        for b in range(len(ids)):
            n = int(fmask[b].sum())
            s0 = r.randrange(0, n - ef + 1)
            crops.append(mels[b, s0:s0 + ef])
        l_emo = F.binary_cross_entropy_with_logits(emo_enc(torch.stack(crops)), emo)
        return l_mel, l_dur, l_anchor, l_adv, l_emo

    val_sets = [(ci, b) for ci, c in enumerate(data.caches)
                for b in batches(c, data.val[ci] or data.train[ci][:2], args.batch_frames, random.Random(0))[:4]]

    def save():
        save_ckpt(ckpt_path, opt=opt.state_dict(), step=step, history=history, train_seconds=clock.elapsed(),
                  config=config, speakers=data.speakers, phonemes=data.caches[0].phonemes,
                  spk_ch=ch, emo_ch=emo_enc.out.in_features // 2, **{k: m.state_dict() for k, m in modules.items()})
        plot_losses(history, os.path.join(args.dir, "loss.png"), "style fine-tuning")

    names = ["mel", "dur", "anchor", "adv", "emo"]
    acc, n_acc, t_last = np.zeros(5), 0, time.time()
    while clock.elapsed() < budget and step < args.max_steps:
        for ci, ids in epoch():
            frac = min(clock.elapsed() / budget, 1.0)
            for g in opt.param_groups:
                g["lr"] = g["base"] * min(1.0, (step + 1) / 100) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
            for m in modules.values():
                m.train()
            ls = run(ci, ids, rng, True)
            loss = ls[0] + ls[1] + 0.3 * ls[2] + 0.2 * ls[3] + 0.3 * ls[4]
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for m in modules.values() for p in m.parameters()], 1.0)
            opt.step()
            step += 1
            acc += [x.item() for x in ls]
            n_acc += 1
            if step % args.every == 0:
                a = acc / n_acc
                print("step %d  %s  %.2f s/step  %.1f/%.0f min" % (
                    step, "  ".join("%s %.4f" % (k, v) for k, v in zip(names, a)),
                    (time.time() - t_last) / n_acc, clock.elapsed() / 60, args.minutes), flush=True)
                history.append(dict(step=step, **{"train_" + k: float(v) for k, v in zip(names, a)}))
                acc, n_acc, t_last = np.zeros(5), 0, time.time()
            if step % args.save_every == 0:
                for m in modules.values():
                    m.eval()
                with torch.no_grad():
                    v = np.mean([[x.item() for x in run(ci2, b, random.Random(1), False)] for ci2, b in val_sets], 0)
                history.append(dict(step=step, **{"val_" + k: float(x) for k, x in zip(names, v)}))
                print("step %d  VAL %s" % (step, "  ".join("%s %.4f" % (k, x) for k, x in zip(names, v))), flush=True)
                save()
                t_last = time.time()
            if clock.elapsed() >= budget or step >= args.max_steps:
                break
    save()
    print("style: done at step %d, %.1f min" % (step, clock.elapsed() / 60), flush=True)


if __name__ == "__main__":
    main()
