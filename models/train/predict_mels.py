#!/usr/bin/python3
"""Writes the acoustic model's teacher-forced mels for a subset of the corpus (same frame layout
as cache/mels.npy), so the vocoder can be fine-tuned on what it will hear at inference.

  /usr/bin/python3 models/train/predict_mels.py --count 1500
"""
import argparse
import json
import os
import random
import time

import numpy as np
import torch

from acoustic import AcousticModel
from common import WORK, Cache, setup_threads


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=os.path.join(WORK, "cache"))
    ap.add_argument("--ckpt", default=os.path.join(WORK, "acoustic", "acoustic.pt"))
    ap.add_argument("--count", type=int, default=1500)
    args = ap.parse_args()
    setup_threads()
    cache = Cache(args.cache)
    ck = torch.load(args.ckpt)
    model = AcousticModel(**ck["config"])
    model.load_state_dict(ck["model"])
    model.eval()
    train, _ = cache.split(max_frames=10 ** 9)
    ids = sorted(random.Random(5).sample(train, min(args.count, len(train))))
    path = os.path.join(args.cache, "pred_mels.npy")
    out = np.lib.format.open_memmap(path + ".tmp", "w+", np.float16, cache.mels.shape)
    t0 = time.time()
    with torch.no_grad():
        for k, i in enumerate(ids):
            p, d, m, s = cache.utt(i)
            mel, _ = model(torch.from_numpy(p)[None], torch.tensor([s]), torch.from_numpy(d)[None], len(m))
            u = cache.utts[i]
            out[u["frame"]:u["frame"] + u["frames"]] = mel[0].numpy().astype(np.float16)
            if (k + 1) % 200 == 0:
                print("predicted %d/%d (%.0f s)" % (k + 1, len(ids), time.time() - t0), flush=True)
    out.flush()
    del out
    os.replace(path + ".tmp", path)
    json.dump(ids, open(os.path.join(args.cache, "pred_ids.json"), "w"))
    print("wrote %s for %d utterances" % (path, len(ids)))


if __name__ == "__main__":
    main()
