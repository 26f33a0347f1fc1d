#!/usr/bin/python3
"""Plots a soak-bench JSON file: ttsd's RSS, TTFA (p50, p95) and open descriptors over the run.

    /usr/bin/python3 bench/plot-soak.py bench/results/soak-30min.json -o bench/results/soak-30min.png
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", help="soak-bench --json output")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    args = ap.parse_args()
    with open(args.json) as f:
        run = json.load(f)
    w = run["windows"]
    t = [x["t_s"] / 60 for x in w]
    fig, (ax_rss, ax_ttfa, ax_fds) = plt.subplots(1, 3, figsize=(14, 4))
    s = run["summary"]
    ax_rss.plot(t, [x["rss_mb"] for x in w], "o-")
    ax_rss.set(xlabel="minutes", ylabel="ttsd RSS (MB)", title=f"RSS (drift {s['rss_slope_mb_per_h']:+.1f} MB/h)")
    ax_rss.set_ylim(bottom=0)
    ax_ttfa.plot(t, [x["ttfa_ms"]["p50"] for x in w], "o-", label="p50")
    ax_ttfa.plot(t, [x["ttfa_ms"]["p95"] for x in w], "s--", label="p95")
    ax_ttfa.set(xlabel="minutes", ylabel="TTFA (ms)", title=f"time to first audio ({run['listeners']} listeners)")
    ax_ttfa.set_ylim(bottom=0)
    ax_ttfa.legend()
    ax_fds.plot(t, [x["fds"] for x in w], "o-", label="descriptors")
    ax_fds.plot(t, [x["threads"] for x in w], "s--", label="threads")
    ax_fds.set(xlabel="minutes", title=f"errors: {s['errors']}")
    ax_fds.set_ylim(bottom=0)
    ax_fds.legend()
    for ax in (ax_rss, ax_ttfa, ax_fds):
        ax.grid(alpha=0.3)
    fig.suptitle("soak-bench: " + " ".join(run["command"][1:]), fontsize=9)
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
