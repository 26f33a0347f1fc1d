#!/usr/bin/python3
"""Trains the acoustic model (encoder + duration predictor + causal decoder) on the packed corpus.

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_acoustic.py --minutes 80

Resumes from <dir>/acoustic.pt; the time budget counts training time across runs.
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


def batches(cache, ids, batch_frames, rng):
    """Length-bucketed batches of utterance ids, shuffled."""
    ids = sorted(ids, key=lambda i: cache.utts[i]["frames"])
    out, cur, longest = [], [], 0
    for i in ids:
        f = cache.utts[i]["frames"]
        if cur and max(longest, f) * (len(cur) + 1) > batch_frames:
            out.append(cur)
            cur, longest = [], 0
        cur.append(i)
        longest = max(longest, f)
    if cur:
        out.append(cur)
    rng.shuffle(out)
    return out


def collate(cache, ids):
    items = [cache.utt(i) for i in ids]
    T = max(len(p) for p, _, _, _ in items)
    N = max(len(m) for _, _, m, _ in items)
    B = len(items)
    phones = torch.zeros(B, T, dtype=torch.long)
    durs = torch.zeros(B, T, dtype=torch.long)
    mels = torch.full((B, N, 80), -11.5)
    fmask = torch.zeros(B, N)
    pmask = torch.zeros(B, T)
    spk = torch.zeros(B, dtype=torch.long)
    for b, (p, d, m, s) in enumerate(items):
        phones[b, :len(p)] = torch.from_numpy(p)
        durs[b, :len(d)] = torch.from_numpy(d)
        mels[b, :len(m)] = torch.from_numpy(m)
        fmask[b, :len(m)] = 1
        pmask[b, :len(p)] = 1
        spk[b] = s
    return phones, durs, mels, fmask, pmask, spk


def losses(model, batch):
    phones, durs, mels, fmask, pmask, spk = batch
    pred, logd = model(phones, spk, durs, mels.shape[1])
    l_mel = ((pred - mels).abs().mean(-1) * fmask).sum() / fmask.sum()
    l_dur = (((logd - torch.log1p(durs.float())) ** 2) * pmask).sum() / pmask.sum()
    return l_mel, l_dur


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=os.path.join(WORK, "cache"))
    ap.add_argument("--dir", default=os.path.join(WORK, "acoustic"))
    ap.add_argument("--minutes", type=float, default=80)
    ap.add_argument("--max-steps", type=int, default=10 ** 9)
    ap.add_argument("--stop-minutes", type=float, default=0, help="stop early (schedule still spans --minutes)")
    ap.add_argument("--batch-frames", type=int, default=2400)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--every", type=int, default=50)
    ap.add_argument("--save-every", type=int, default=250)
    ap.add_argument("--small", action="store_true", help="tiny model for the CI pipeline")
    args = ap.parse_args()
    setup_threads()
    torch.manual_seed(0)
    os.makedirs(args.dir, exist_ok=True)
    cache = Cache(args.cache)
    train, val = cache.split()
    if not val:
        val = train[:2]
    print("acoustic: %d train / %d val utterances, %d speakers" % (len(train), len(val), len(cache.speakers)))
    kw = dict(hid=32, spk_dim=16, dec_dim=32, enc_layers=2, dec_layers=2) if args.small else {}
    model = AcousticModel(len(cache.phonemes), len(cache.speakers), **kw)
    with torch.no_grad():
        model.decoder.out.bias.fill_(-5.0)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), weight_decay=0.01)
    ckpt_path = os.path.join(args.dir, "acoustic.pt")
    step, history, before = 0, [], 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, history, before = ck["step"], ck["history"], ck["train_seconds"]
        print("resumed at step %d, %.1f min trained" % (step, before / 60), flush=True)
    print("params: %.2f M" % (sum(p.numel() for p in model.parameters()) / 1e6), flush=True)
    clock = Clock(before)
    budget = args.minutes * 60
    stop = args.stop_minutes * 60 if args.stop_minutes else budget
    rng = random.Random(step)
    val_batches = batches(cache, val, args.batch_frames, random.Random(0))[:8]

    def save():
        save_ckpt(ckpt_path, model=model.state_dict(), opt=opt.state_dict(), step=step, history=history,
                  train_seconds=clock.elapsed(), config=model.config, speakers=cache.speakers,
                  phonemes=cache.phonemes)
        plot_losses(history, os.path.join(args.dir, "loss.png"), "acoustic model")

    acc, n_acc, t_last = np.zeros(2), 0, time.time()
    while clock.elapsed() < stop and step < args.max_steps:
        for ids in batches(cache, train, args.batch_frames, rng):
            frac = min(clock.elapsed() / budget, 1.0)
            lr = args.lr * min(1.0, (step + 1) / 300) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
            for g in opt.param_groups:
                g["lr"] = lr
            model.train()
            l_mel, l_dur = losses(model, collate(cache, ids))
            opt.zero_grad()
            (l_mel + l_dur).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            acc += [l_mel.item(), l_dur.item()]
            n_acc += 1
            if step % args.every == 0:
                a = acc / n_acc
                print("step %d  mel %.4f  dur %.4f  lr %.2e  %.2f s/step  %.1f/%.0f min" % (
                    step, a[0], a[1], lr, (time.time() - t_last) / n_acc, clock.elapsed() / 60,
                    args.minutes), flush=True)
                history.append({"step": step, "train_mel": a[0], "train_dur": a[1]})
                acc, n_acc, t_last = np.zeros(2), 0, time.time()
            if step % args.save_every == 0:
                model.eval()
                with torch.no_grad():
                    v = np.mean([[t.item() for t in losses(model, collate(cache, b))] for b in val_batches], 0)
                history.append({"step": step, "val_mel": float(v[0]), "val_dur": float(v[1])})
                print("step %d  VAL mel %.4f dur %.4f" % (step, v[0], v[1]), flush=True)
                save()
                t_last = time.time()
            if clock.elapsed() >= stop or step >= args.max_steps:
                break
    save()
    print("acoustic: done at step %d, %.1f min" % (step, clock.elapsed() / 60), flush=True)


if __name__ == "__main__":
    main()
