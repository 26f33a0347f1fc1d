#!/usr/bin/python3
"""Trains the causal vocoder on (mel, audio) segments of the packed corpus; with --pred it also
uses the acoustic model's teacher-forced mels (cache/pred_mels.npy, see predict_mels.py).

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_vocoder.py --minutes 80

Losses: multi-resolution STFT (spectral convergence + log magnitude) and log-mel L1; no GAN.
"""
import argparse
import json
import math
import os
import random
import time

import numpy as np
import torch

from audio import HOP, log_mel
from common import WORK, Cache, Clock, plot_losses, save_ckpt, setup_threads
from vocoder import DELAY, MEL_SILENCE, Vocoder

RESOLUTIONS = [(256, 64), (512, 128), (1024, 256)]
_WINS = {}


def stft_mag(x, n_fft, hop):
    if n_fft not in _WINS:
        _WINS[n_fft] = torch.hann_window(n_fft)
    s = torch.stft(x, n_fft, hop, n_fft, _WINS[n_fft], return_complex=True)
    return torch.sqrt(s.real ** 2 + s.imag ** 2 + 1e-7)


def vocoder_loss(y, x):
    sc, lm = 0.0, 0.0
    for n_fft, hop in RESOLUTIONS:
        a, b = stft_mag(y, n_fft, hop), stft_mag(x, n_fft, hop)
        sc = sc + torch.norm(b - a) / torch.norm(b)
        lm = lm + (torch.log(a) - torch.log(b)).abs().mean()
    mel = (log_mel(y) - log_mel(x)).abs().mean()
    return sc / len(RESOLUTIONS), lm / len(RESOLUTIONS), mel


class Segments:
    def __init__(self, cache, ids, frames, warm, pred=None, pred_ids=None):
        self.c, self.ids, self.K, self.W = cache, ids, frames, warm
        self.w = np.array([cache.utts[i]["frames"] for i in ids], dtype=np.float64)
        self.w /= self.w.sum()
        self.pred, self.pred_ids = pred, pred_ids or []

    def sample(self, rng, B, p_pred):
        mels, auds = [], []
        K, W = self.K, self.W
        for _ in range(B):
            use_pred = self.pred is not None and self.pred_ids and rng.random() < p_pred
            i = rng.choice(self.pred_ids) if use_pred else self.ids[int(np.searchsorted(np.cumsum(self.w), rng.random()))]
            u = self.c.utts[min(i, len(self.c.utts) - 1)]
            F = u["frames"]
            s = rng.randint(0, max(F - K, 0))
            src = self.pred if use_pred else self.c.mels
            m = np.full((W + K, 80), MEL_SILENCE, np.float32)
            lo, hi = max(s - W, 0), min(s + K, F)
            m[lo - (s - W):hi - (s - W)] = src[u["frame"] + lo:u["frame"] + hi]
            a = np.zeros(K * HOP, np.float32)  # real audio [s*HOP - DELAY, (s+K)*HOP - DELAY)
            a0 = s * HOP - DELAY
            lo, hi = max(a0, 0), min(a0 + K * HOP, F * HOP)
            if hi > lo:
                a[lo - a0:hi - a0] = self.c.audio[u["frame"] * HOP + lo:u["frame"] * HOP + hi] / 32768.0
            mels.append(m)
            auds.append(a)
        return torch.from_numpy(np.stack(mels)), torch.from_numpy(np.stack(auds))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=os.path.join(WORK, "cache"))
    ap.add_argument("--dir", default=os.path.join(WORK, "vocoder"))
    ap.add_argument("--minutes", type=float, default=80)
    ap.add_argument("--max-steps", type=int, default=10 ** 9)
    ap.add_argument("--stop-minutes", type=float, default=0, help="stop early (schedule still spans --minutes)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--warm", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--pred", action="store_true", help="mix in predicted mels (fine-tuning)")
    ap.add_argument("--p-pred", type=float, default=0.6)
    ap.add_argument("--every", type=int, default=50)
    ap.add_argument("--save-every", type=int, default=250)
    ap.add_argument("--small", action="store_true", help="tiny model for the CI pipeline")
    args = ap.parse_args()
    setup_threads()
    torch.manual_seed(0)
    os.makedirs(args.dir, exist_ok=True)
    cache = Cache(args.cache)
    train, val = cache.split(max_frames=10 ** 9)
    pred, pred_ids = None, None
    if args.pred and os.path.exists(os.path.join(args.cache, "pred_mels.npy")):
        pred = np.load(os.path.join(args.cache, "pred_mels.npy"), mmap_mode="r")
        pred_ids = json.load(open(os.path.join(args.cache, "pred_ids.json")))
        print("fine-tuning with predicted mels of %d utterances (p=%.2f)" % (len(pred_ids), args.p_pred))
    data = Segments(cache, train, args.frames, args.warm, pred, pred_ids)
    model = Vocoder(**(dict(dim=32, layers=2) if args.small else {}))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.8, 0.99), weight_decay=0.01)
    ckpt_path = os.path.join(args.dir, "vocoder.pt")
    step, history, before = 0, [], 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, history, before = ck["step"], ck["history"], ck["train_seconds"]
        print("resumed at step %d, %.1f min trained" % (step, before / 60), flush=True)
    print("vocoder: %d train utterances, params %.2f M" % (len(train), sum(p.numel() for p in model.parameters()) / 1e6), flush=True)
    clock = Clock(before)
    budget = args.minutes * 60
    stop = args.stop_minutes * 60 if args.stop_minutes else budget
    rng = random.Random(1000 + step)
    vdata = Segments(cache, val or train[:2], args.frames, args.warm)
    vbatch = vdata.sample(random.Random(0), 32, 0.0)
    acc, n_acc, t_last = np.zeros(3), 0, time.time()
    W = args.warm * HOP

    def save():
        save_ckpt(ckpt_path, model=model.state_dict(), opt=opt.state_dict(), step=step, history=history,
                  train_seconds=clock.elapsed(), config=model.config)
        plot_losses(history, os.path.join(args.dir, "loss.png"), "vocoder")

    while clock.elapsed() < stop and step < args.max_steps:
        frac = min(clock.elapsed() / budget, 1.0)
        lr = args.lr * min(1.0, (step + 1) / 200) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        mel, aud = data.sample(rng, args.batch, args.p_pred)
        model.train()
        y, _ = model(mel, model.initial_state(mel.shape[0]))
        sc, lm, lmel = vocoder_loss(y[:, W:], aud)
        loss = sc + lm + 2.0 * lmel
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        acc += [sc.item(), lm.item(), lmel.item()]
        n_acc += 1
        if step % args.every == 0:
            a = acc / n_acc
            print("step %d  sc %.4f  logmag %.4f  mel %.4f  lr %.2e  %.2f s/step  %.1f/%.0f min" % (
                step, a[0], a[1], a[2], lr, (time.time() - t_last) / n_acc, clock.elapsed() / 60,
                args.minutes), flush=True)
            history.append({"step": step, "train_sc": a[0], "train_logmag": a[1], "train_mel": a[2]})
            acc, n_acc, t_last = np.zeros(3), 0, time.time()
        if step % args.save_every == 0:
            model.eval()
            with torch.no_grad():
                y, _ = model(vbatch[0], model.initial_state(32))
                v = [t.item() for t in vocoder_loss(y[:, W:], vbatch[1])]
            history.append({"step": step, "val_sc": v[0], "val_logmag": v[1], "val_mel": v[2]})
            print("step %d  VAL sc %.4f logmag %.4f mel %.4f" % (step, *v), flush=True)
            save()
            t_last = time.time()
    save()
    print("vocoder: done at step %d, %.1f min" % (step, clock.elapsed() / 60), flush=True)


if __name__ == "__main__":
    main()
