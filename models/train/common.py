"""Shared training helpers: the packed corpus cache, checkpoints, loss plots, thread setup."""
import json
import os
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.abspath(os.path.join(HERE, "..", "work"))


def setup_threads():
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    torch.set_num_threads(1)
    link = os.path.realpath("/etc/alternatives/libblas.so.3-x86_64-linux-gnu")
    print("BLAS: %s; torch %s, %d thread(s)" % (link, torch.__version__, torch.get_num_threads()), flush=True)


class Cache:
    """The packed corpus (models/corpus/make_corpus.py pack()), memory-mapped."""

    def __init__(self, path):
        self.path = path
        meta = json.load(open(os.path.join(path, "index.json")))
        self.speakers = meta["speakers"]
        self.phonemes = meta["phonemes"]
        self.utts = meta["utts"]
        self.mels = np.load(os.path.join(path, "mels.npy"), mmap_mode="r")
        self.audio = np.load(os.path.join(path, "audio.npy"), mmap_mode="r")
        self.phones = np.load(os.path.join(path, "phones.npy"))
        self.durs = np.load(os.path.join(path, "durs.npy"))

    def split(self, max_frames=800):
        """Deterministic train/validation split (every 150th utterance is validation)."""
        train, val = [], []
        for i, u in enumerate(self.utts):
            if u["lexicon_distance"] > max(3, 0.25 * u["phones"]) or u["frames"] > max_frames:
                continue
            (val if i % 150 == 7 else train).append(i)
        return train, val

    def utt(self, i):
        u = self.utts[i]
        p = self.phones[u["phone"]:u["phone"] + u["phones"]].astype(np.int64)
        d = self.durs[u["phone"]:u["phone"] + u["phones"]].astype(np.int64)
        m = np.asarray(self.mels[u["frame"]:u["frame"] + u["frames"]], dtype=np.float32)
        return p, d, m, u["speaker_id"]


def save_ckpt(path, **state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def plot_losses(history, path, title):
    """history: list of dicts with 'step' and loss names."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    if not history:
        return
    keys = sorted({k for h in history for k in h if k not in ("step", "time")})
    fig, ax = plt.subplots(figsize=(7, 4))
    for k in keys:
        pts = [(h["step"], h[k]) for h in history if k in h]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], label=k)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


class Clock:
    """Training time that accumulates across resumed runs."""

    def __init__(self, before=0.0):
        self.before = before
        self.t0 = time.time()

    def elapsed(self):
        return self.before + time.time() - self.t0
