#!/usr/bin/env python3
"""Checks t2s_logits.py on a package made from upstream's export: ttsd's loop on the wrapper's logits
(t2s_logits.decode, which engine/src follows step for step) against upstream's own loop, whose sampling
is baked into pre_infer and decode_next_token, with the same seed.

    V check_logits.py --pkg PKG --ref REF [--seeds 5] [--tokens N]

PKG: a package written by package.py (t2s.pt wrapped); REF: make_ref.py's folder (each case's prompts,
ref_seq and text_seq are taken from there). For each case: greedy (top_k 1) and sampled (top_k 15) with
upstream's top_p 1, temperature 1 and penalty 1.35, seeds 0..N-1; upstream's loop draws from the global
generator seeded with the seed, ttsd's from a generator of its own seeded alike. --tokens N compares the
first N tokens only (for a package whose GPT never ends: the README's "noeos" copy). Prints one line per
run and exits 1 if any differ.
"""

import argparse
import glob
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import t2s_logits  # noqa: E402


def upstream_loop(t2s, prompts, ref_seq, text_seq, top_k, seed, cap):
    """stream_v2pro.py's loop: pre_infer, then forward(idx) until it returns the end token (or cap)."""
    zeros = lambda n: torch.zeros(n, 1024)
    torch.manual_seed(seed)
    y_len, y, xy_pos, k, v = t2s.pre_infer(prompts, ref_seq, text_seq, zeros(ref_seq.size(1)),
                                           zeros(text_seq.size(1)), top_k)
    for idx in range(1, t2s_logits.MAX_TOKENS + 1):
        if idx >= cap:
            return y[0, y_len:].tolist(), idx
        y, xy_pos, last, k, v = t2s.decode_next_token(idx, top_k, y_len, y, xy_pos, k, v)
        if last == t2s_logits.EOS:
            return y[0, y_len:].tolist(), idx
    raise RuntimeError("no end token")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pkg", required=True)
    ap.add_argument("--ref", required=True)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=t2s_logits.MAX_TOKENS)
    args = ap.parse_args()
    t2s = torch.jit.load(os.path.join(args.pkg, "t2s.pt"), map_location="cpu")
    if not hasattr(t2s, "prefill_logits"):
        sys.exit("%s/t2s.pt has no prefill_logits: run t2s_logits.py on it" % args.pkg)
    bad = 0
    with torch.no_grad():
        for path in sorted(glob.glob(os.path.join(args.ref, "case-*.json"))):
            case = json.load(open(path))
            prompts = torch.tensor([case["prompts"]], dtype=torch.int64)
            ref_seq = torch.tensor([case["ref_seq"]], dtype=torch.int64)
            text_seq = torch.tensor([case["text_seq"]], dtype=torch.int64)
            for top_k in (1, 15):
                for seed in range(args.seeds if top_k > 1 else 1):
                    want, want_idx = upstream_loop(t2s, prompts, ref_seq, text_seq, top_k, seed, args.tokens)
                    sampling = {"top_k": top_k, "top_p": 1.0, "temperature": 1.0, "repetition_penalty": 1.35}
                    got, got_idx = t2s_logits.decode(t2s, prompts, ref_seq, text_seq, sampling,
                                                     torch.Generator().manual_seed(seed), cap=args.tokens)
                    same = got == want and got_idx == want_idx
                    bad += not same
                    print("%-28s top_k %2d seed %d: %s (%d tokens)%s" % (
                        os.path.basename(path), top_k, seed, "same" if same else "DIFFERENT", len(want),
                        "" if same else "\n  upstream %s\n  ttsd     %s" % (want, got)))
                    if top_k == 1 and args.tokens == t2s_logits.MAX_TOKENS and want != case["greedy"]["tokens"]:
                        print("  (upstream's greedy tokens differ from %s's)" % path)
                        bad += 1
    print("%s" % ("all the same" if not bad else "%d differ" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
