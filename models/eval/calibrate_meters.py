#!/usr/bin/env python3
"""Calibrates the meters (meters.py) on real and synthetic speech and measures zero-shot cloning:
the Asterisk speaker (Debian's asterisk-core-sounds-en-g722, Allison Smith), a second real speaker
(asterisk-core-sounds-fr-g722, June, Canadian French), every classic teacher, Piper's joe voice
(when PIPER names its program), ttsd-en's speakers, and ttsd-en's --ref clones of both real speakers.

  .venv/meters/bin/python models/eval/calibrate_meters.py --socket S [--n 24] [--work models/work/meters]

A running ttsd (ttsd --socket S --voices models/voices) speaks the ttsd sets through ttsc (TTSC, default
build/client/ttsc). Each set says the same N prompts of Allison's; similarity is measured by halves: the
centroid of a set's first N/2 recordings against each recording of another set's second half, so
"same speaker" (a set against itself) never compares a recording with itself. WER and DNSMOS are
measured on the second half (CPU is scarce). Clones get REFS prompts of
the speaker that are in neither half. Writes models/eval/meters-calibration.json and meters-similarity.png.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import meters  # noqa: E402

EN = "/usr/share/asterisk/sounds/en_US_f_Allison"
FR = "/usr/share/asterisk/sounds/fr_CA_f_June"
EN_TEXT = "/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"
TEACHERS = ["rms", "slt", "awb", "kal16", "hts", "kal", "ked"]  # the base voices of models/corpus (no pitch variants)
TTSD_SPEAKERS = ["hts-deep", "slt", "awb", "kal", "ked", "rms"]  # the default first


def prompts(n, refs):
    """n + refs of Allison's prompts: spoken text only, 4-14 words, spread over the alphabet."""
    texts = meters.read_texts(EN_TEXT)
    ok = sorted(s for s, t in texts.items() if "[" not in t and "/" not in s and 4 <= len(meters.normalise(t)) <= 14
                and os.path.exists(os.path.join(EN, s + ".g722")) and os.path.exists(os.path.join(FR, s + ".g722")))
    pick = [ok[int(i)] for i in np.linspace(0, len(ok) - 1, n + refs)]
    return [(s, texts[s]) for s in pick[:n]], [s for s in pick[n:]], texts


def to_wav(src, dst):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "g722", "-i", src, "-ar", "16000", dst], check=True)


def make_set(d, items, speak):
    os.makedirs(d, exist_ok=True)
    for s, t in items:
        out = os.path.join(d, s + ".wav")
        if not os.path.exists(out):
            speak(s, t, out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True, help="a running ttsd's socket, serving ttsd-en")
    ap.add_argument("--ttsc", default=os.path.join(HERE, "..", "..", "build", "client", "ttsc"))
    ap.add_argument("--piper", default=os.environ.get("PIPER", ""), help="Piper's program (optional)")
    ap.add_argument("--piper-model", default=os.environ.get("PIPER_MODEL", ""))
    ap.add_argument("--n", type=int, default=24, help="prompts per set")
    ap.add_argument("--refs", type=int, default=3, help="prompts given to --ref for a clone")
    ap.add_argument("--work", default=os.path.join(HERE, "..", "work", "meters"))
    ap.add_argument("--out", default=os.path.join(HERE, "meters-calibration.json"))
    ap.add_argument("--plot", default=os.path.join(HERE, "meters-similarity.png"))
    args = ap.parse_args()
    items, ref_stems, texts = prompts(args.n, args.refs)
    sets = {}

    def real(name, root):
        sets[name] = os.path.join(args.work, name)
        make_set(sets[name], items, lambda s, t, out: to_wav(os.path.join(root, s + ".g722"), out))

    real("allison", EN)
    real("june-fr", FR)
    import evaluate
    for tname in TEACHERS:
        sets["teacher-" + tname] = os.path.join(args.work, "teacher-" + tname)
        make_set(sets["teacher-" + tname], items, lambda s, t, out, tname=tname: make_corpus_write(
            evaluate.teacher_audio(tname, t), out))
    if args.piper:
        sets["piper-joe"] = os.path.join(args.work, "piper-joe")
        make_set(sets["piper-joe"], items, lambda s, t, out: subprocess.run(
            [args.piper, "-m", args.piper_model, "-f", out, "--", t], check=True, capture_output=True))
    ttsc = [args.ttsc, "--socket", args.socket, "say"]
    for spk in TTSD_SPEAKERS:
        sets["ttsd-" + spk] = os.path.join(args.work, "ttsd-" + spk)
        make_set(sets["ttsd-" + spk], items, lambda s, t, out, spk=spk: subprocess.run(
            ttsc + ["--speaker", spk, "-o", out, t], check=True))
    for who, root in (("allison", EN), ("june-fr", FR)):
        refs = []
        for s in ref_stems:
            refs += ["--ref", os.path.join(args.work, "refs-" + who, s + ".wav")]
            os.makedirs(os.path.dirname(refs[-1]), exist_ok=True)
            to_wav(os.path.join(root, s + ".g722"), refs[-1])
        sets["clone-" + who] = os.path.join(args.work, "clone-" + who)
        make_set(sets["clone-" + who], items, lambda s, t, out, refs=refs: subprocess.run(
            ttsc + refs + ["-o", out, t], check=True))

    tx = {s: t for s, t in items}
    half = args.n // 2
    summaries, emb, files = {}, {}, {}
    t0 = time.time()
    for name, d in sets.items():
        paths = [os.path.join(d, s + ".wav") for s, _ in items]
        ms = ("mos",) if name == "june-fr" else ("whisper", "sphinx", "mos")  # no WER on French
        summaries[name], rows = meters.measure(paths[half:], tx, None, ms, label=name)  # WER, MOS: 2nd half
        files[name] = rows
        emb[name] = np.array([meters.embed(meters.load(p)) for p in paths])
        print("%-16s %s  (%.0f s)" % (name, summaries[name], time.time() - t0), flush=True)
    names = list(sets)
    cent = {n: meters.centroid(emb[n][:half]) for n in names}
    sim = {a: {b: [round(float(x), 4) for x in emb[a][half:] @ cent[b]] for b in names} for a in names}
    for n in names:
        summaries[n]["similarity_same_halves"] = round(float(np.mean(sim[n][n])), 3)
    for who in ("allison", "june-fr"):
        summaries["clone-" + who]["similarity_to_target"] = round(float(np.mean(sim["clone-" + who][who])), 3)
        summaries["ttsd-hts-deep"]["similarity_to_" + who] = round(float(np.mean(sim["ttsd-hts-deep"][who])), 3)
    groups = group_pairs(names, sim)
    result = {"prompts": [s for s, _ in items], "ref_prompts": ref_stems, "sets": summaries,
              "similarity": {a: {b: round(float(np.mean(v)), 3) for b, v in r.items()} for a, r in sim.items()},
              "groups": {g: {"n": len(v), "mean": round(float(np.mean(v)), 3), "sd": round(float(np.std(v)), 3),
                             "min": round(float(np.min(v)), 3), "max": round(float(np.max(v)), 3)}
                         for g, v in groups.items() if v}, "files": files}
    json.dump(result, open(args.out, "w"), indent=1)
    print(meters.table([(n, summaries[n]) for n in names]))
    for g, s in result["groups"].items():
        print("%-44s %s" % (g, s))
    plot(groups, args.plot)
    print("calibrate: wrote %s and %s (%.0f s)" % (args.out, args.plot, time.time() - t0))


def make_corpus_write(audio, out):
    from scipy.io import wavfile
    wavfile.write(out, 16000, (np.clip(audio, -1, 1) * 32767).astype(np.int16))


def kind(n):
    return "real" if n in ("allison", "june-fr") else n.split("-")[0]


def group_pairs(names, sim):
    """Per-recording cosines, grouped by what is compared with what."""
    g = {"same speaker, real (halves)": [], "same speaker, synthetic (halves)": [],
         "different real speakers (Allison vs June)": [], "real vs teacher": [], "teacher vs teacher": [],
         "ttsd speaker vs ttsd speaker": [], "clone vs its target (real)": [], "ttsd default vs real": []}
    for a in names:
        for b in names:
            v = sim[a][b]
            ka, kb = kind(a), kind(b)
            if a == b:
                g["same speaker, real (halves)" if ka == "real" else "same speaker, synthetic (halves)"] += v
            elif ka == kb == "real":
                g["different real speakers (Allison vs June)"] += v
            elif {ka, kb} <= {"real", "teacher", "piper"} and "real" in (ka, kb):
                g["real vs teacher"] += v
            elif {ka, kb} <= {"teacher", "piper"}:
                g["teacher vs teacher"] += v
            elif ka == kb == "ttsd":
                g["ttsd speaker vs ttsd speaker"] += v
            elif ka == "clone" and b == a[len("clone-"):]:
                g["clone vs its target (real)"] += v
            elif a == "ttsd-hts-deep" and kb == "real":
                g["ttsd default vs real"] += v
    return g


def plot(groups, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    keys = [k for k, v in groups.items() if v]
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(keys) + 1.2))
    ax.boxplot([groups[k] for k in keys], vert=False, labels=keys, whis=(0, 100))
    for i, k in enumerate(keys):
        ax.scatter(groups[k], np.full(len(groups[k]), i + 1) + np.random.default_rng(i).uniform(-0.15, 0.15, len(groups[k])),
                   s=6, alpha=0.4)
    ax.set_xlabel("GE2E cosine (Resemblyzer): a recording against the centroid of another half")
    ax.set_title("Speaker similarity, calibrated (models/eval/calibrate_meters.py)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


if __name__ == "__main__":
    main()
