#!/usr/bin/python3
"""Trains the emotion encoder on loudness-normalized audio, the way the exported stage hears it.

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_emotion_encoder.py --minutes 8

A user's reference has an arbitrary level, so the exported stage (style.MelFront) normalizes it; the
encoder must then read emotion from pitch, rate, tilt and tremolo rather than loudness. Starts from
the emotion encoder of train_style.py (<style dir>/style.pt) and writes <style dir>/emotion.pt,
which export_style.py prefers. Batches are drawn from the style corpus only (emotional and neutral).
"""
import argparse
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from audio import HOP
from common import WORK, Cache, Clock, plot_losses, save_ckpt, setup_threads
from style import MelFront, RefEncoder

AXES = 8


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=os.path.join(WORK, "cache-style"))
    ap.add_argument("--dir", default=os.path.join(WORK, "style"))
    ap.add_argument("--minutes", type=float, default=8)
    ap.add_argument("--max-steps", type=int, default=10 ** 9)
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    setup_threads()
    torch.manual_seed(0)
    cache = Cache(args.cache)
    train, val = cache.split()
    ck = torch.load(os.path.join(args.dir, "style.pt"))
    enc = RefEncoder(AXES, ch=ck["emo_ch"], layers=3)
    enc.load_state_dict(ck["emo_enc"])
    front = MelFront()
    opt = torch.optim.AdamW(enc.parameters(), lr=1e-3, weight_decay=0.01)
    rng = random.Random(0)

    def batch(ids, r):
        mels, ys = [], []
        frames = r.randint(120, 320)
        for i in r.sample(ids, args.batch):
            u = cache.utts[i]
            n = min(frames, u["frames"])
            s0 = u["frame"] + r.randrange(0, u["frames"] - n + 1)
            x = np.asarray(cache.audio[s0 * HOP:(s0 + frames) * HOP], dtype=np.float32) / 32768.0
            x = x * 10 ** (r.uniform(-20, 10) / 20)  # any recording level
            if len(x) < frames * HOP:
                x = np.pad(x, (0, frames * HOP - len(x)))
            mels.append(front(torch.from_numpy(x)[None])[0])
            ys.append(u.get("emotion") or [0.0] * AXES)
        return torch.stack(mels), torch.tensor(ys)

    clock, step, history = Clock(), 0, []
    vb = [batch(val or train, random.Random(k)) for k in range(6)]
    while clock.elapsed() < args.minutes * 60 and step < args.max_steps:
        enc.train()
        m, y = batch(train, rng)
        loss = F.binary_cross_entropy_with_logits(enc(m), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 50 == 0:
            enc.eval()
            with torch.no_grad():
                v = np.mean([F.binary_cross_entropy_with_logits(enc(m2), y2).item() for m2, y2 in vb])
            history.append({"step": step, "train_bce": loss.item(), "val_bce": float(v)})
            print("step %d  bce %.4f  val %.4f  %.1f/%.0f min" % (step, loss.item(), v, clock.elapsed() / 60,
                                                                 args.minutes), flush=True)
    save_ckpt(os.path.join(args.dir, "emotion.pt"), emo_enc=enc.state_dict(), emo_ch=ck["emo_ch"], step=step,
              history=history, train_seconds=clock.elapsed())
    plot_losses(history, os.path.join(args.dir, "loss-emotion.png"), "emotion encoder (level-normalized)")
    print("emotion encoder: done at step %d" % step, flush=True)


if __name__ == "__main__":
    main()
