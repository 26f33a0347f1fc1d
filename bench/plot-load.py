#!/usr/bin/python3
"""Plots load-bench JSON files: TTFA (p50, p95) and RTF (p50) against concurrent streams.

One series per label: runs that share one (a sweep continued in a second run) are merged.

    /usr/bin/python3 bench/plot-load.py bench/results/load-cpu-batch8.json bench/results/load-cpu-batch1.json \
        -o bench/results/load-cpu.png
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", nargs="+", help="load-bench --json outputs")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    args = ap.parse_args()
    fig, (ax_ttfa, ax_rtf) = plt.subplots(1, 2, figsize=(11, 4.2))
    series: dict[str, list] = {}
    for path in args.json:
        with open(path) as f:
            run = json.load(f)
        series.setdefault(run.get("label", path), []).extend(run["levels"])
    for label, levels in series.items():
        levels = sorted(levels, key=lambda l: l["streams"])
        n = [l["streams"] for l in levels]
        line, = ax_ttfa.plot(n, [l["ttfa_ms"]["p50"] for l in levels], "o-", label=f"{label} p50")
        ax_ttfa.plot(n, [l["ttfa_ms"]["p95"] for l in levels], "s--", color=line.get_color(), label=f"{label} p95")
        ax_rtf.plot(n, [l["rtf"]["p50"] for l in levels], "o-", color=line.get_color(), label=label)
    ax_ttfa.axhline(60, color="grey", lw=0.8, ls=":")
    ax_ttfa.set(xlabel="concurrent streams", ylabel="time to first audio (ms)", yscale="log",
                title="TTFA, client-measured")
    ax_rtf.axhline(1.0, color="grey", lw=0.8, ls=":")
    ax_rtf.set(xlabel="concurrent streams", ylabel="RTF p50 (wall / audio)", title="Per-stream real-time factor")
    for ax in (ax_ttfa, ax_rtf):
        ax.set_xscale("log", base=2)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
