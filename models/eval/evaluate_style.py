#!/usr/bin/python3
"""Measures the style controls through the real daemon and client (ttsd + ttsc), against the
targets of issue 5, and writes models/eval/style-results.json and models/eval/style.png.

  /usr/bin/python3 models/eval/evaluate_style.py [--build build] [--voices models/voices]

  cloning   two teacher references an octave apart (hts_engine -fm, flite F0 targets; settings not
            in the training corpus): output median F0 difference in semitones (target >= 8) and
            whether output F0 and spectral tilt move toward each reference's
  emotion   the same sentences neutral / angry / sad (--emotion), and angry through --emotion-text
            and --emotion-ref: energy, F0 median and range, length
  duration  20 targets from 0.7x to 1.5x the natural length (--duration): error in percent (target <= 3)
  WER       pocketsphinx word error rate of the plain voice and under each control (target: within
            2 points of plain)
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.io import wavfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "corpus"))
import make_corpus as mc  # noqa: E402
from evaluate import recognize, score, sentences  # noqa: E402
from prosody import measure  # noqa: E402

REF_TEXT = ("The quick brown fox jumps over the lazy dog, while the children watch from the kitchen window "
            "and their grandmother tells them a story about the old days.")
EMOTION_TEXTS = [
    "I cannot believe you did that again.",
    "Please remember to bring your umbrella tomorrow morning.",
    "The train leaves at seven, so we should hurry.",
    "Nobody told me that the meeting had been cancelled.",
    "We waited for hours, and still nobody came.",
    "This is the last time I am going to ask you.",
]
DURATION_TEXTS = [
    "The museum opens at nine and closes late on Fridays.",
    "Turn left at the bakery, then walk two more blocks.",
    "Our neighbours planted a row of tall sunflowers along the fence.",
    "Could you send me the report before the end of the week?",
]
FACTORS = [0.7, 0.9, 1.1, 1.3, 1.5]


def teacher(engine, voice, settings, text, tmp, name):
    if engine == "flite":
        wav = os.path.join(tmp, name + ".wav")
        mc.synth_flite(voice, settings, text, wav)
    else:
        mc.synth_festival_batch(voice, {}, [(name, text)], tmp)
        wav = os.path.join(tmp, name + ".wav")
        mc.synth_hts(settings, os.path.join(tmp, name + ".lab"), wav)
    x = mc.read_wav16k(wav)
    x = x * 0.06 / (np.sqrt(np.mean(x ** 2)) + 1e-9)
    path = os.path.join(tmp, name + "-16k.wav")
    wavfile.write(path, 16000, (np.clip(x, -1, 1) * 32767).astype(np.int16))
    return path, x


class Daemon:
    def __init__(self, build, voices, tmp):
        self.sock = os.path.join(tmp, "ttsd.sock")
        self.ttsc = os.path.join(build, "client", "ttsc")
        env = dict(os.environ, XDG_DATA_HOME=os.path.join(tmp, "data"), XDG_CONFIG_HOME=os.path.join(tmp, "config"))
        self.proc = subprocess.Popen([os.path.join(build, "daemon", "ttsd"), "--voices", voices, "--socket", self.sock],
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "ttsd.log"), "w"), env=env)
        for _ in range(600):
            if os.path.exists(self.sock) and subprocess.run([self.ttsc, "--socket", self.sock, "ping"],
                                                            capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("ttsd did not start; see " + os.path.join(tmp, "ttsd.log"))

    def say(self, text, out, *flags):
        r = subprocess.run([self.ttsc, "--socket", self.sock, "say", "-o", out] + list(flags) + ["--", text],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("ttsc say %s failed: %s" % (" ".join(flags), r.stderr.strip()))
        rate, x = wavfile.read(out)
        return x.astype(np.float32) / 32768.0

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def st(a, b):
    return 12 * np.log2(a / b) if a > 0 and b > 0 else float("nan")


def cloning(d, tmp):
    pairs = [
        ("hts_engine -fm -8 / +4", ("hts", "slt_hts", {"fm": -8, "a": 0.5}), ("hts", "slt_hts", {"fm": 4, "a": 0.5})),
        ("flite slt F0 110 / 220 Hz", ("flite", "slt", {"int_f0_target_mean": 110, "int_f0_target_stddev": 14}),
         ("flite", "slt", {"int_f0_target_mean": 220, "int_f0_target_stddev": 28})),
    ]
    out = []
    for label, lo, hi in pairs:
        row = {"pair": label}
        for tag, (engine, voice, settings) in (("low", lo), ("high", hi)):
            path, x = teacher(engine, voice, settings, REF_TEXT, tmp, "ref-" + tag)
            ref = measure(x, 16000)
            f0s, tilts = [], []
            for k, text in enumerate(EMOTION_TEXTS[:4]):
                y = d.say(text, os.path.join(tmp, "clone-%s-%d.wav" % (tag, k)), "--ref", path)
                m = measure(y, 16000)
                f0s.append(m["f0_median"])
                tilts.append(m["tilt_db"])
            row[tag] = {"ref_f0": ref["f0_median"], "ref_tilt_db": ref["tilt_db"],
                        "out_f0": float(np.median(f0s)), "out_tilt_db": float(np.mean(tilts))}
        row["ref_semitones"] = st(row["high"]["ref_f0"], row["low"]["ref_f0"])
        row["out_semitones"] = st(row["high"]["out_f0"], row["low"]["out_f0"])
        row["tilt_follows"] = bool(np.sign(row["high"]["out_tilt_db"] - row["low"]["out_tilt_db"]) ==
                                   np.sign(row["high"]["ref_tilt_db"] - row["low"]["ref_tilt_db"]))
        out.append(row)
        print("cloning %-28s refs %5.1f st apart -> outputs %5.1f st apart (target >= 8); F0 %3.0f/%3.0f Hz; "
              "tilt follows: %s" % (label, row["ref_semitones"], row["out_semitones"], row["low"]["out_f0"],
                                    row["high"]["out_f0"], row["tilt_follows"]), flush=True)
    return out


def emotion(d, tmp, refs):
    modes = {
        "neutral": [],
        "angry": ["--emotion", "angry=1"],
        "sad": ["--emotion", "sad=1"],
        "angry (text)": ["--emotion-text", "angrily, shouting"],
        "angry (ref)": ["--emotion-ref", refs["angry"]],
        "sad (ref)": ["--emotion-ref", refs["sad"]],
        "happy": ["--emotion", "happy=1"],
        "calm": ["--emotion", "calm=1"],
    }
    res = {}
    for name, flags in modes.items():
        ms = [measure(d.say(t, os.path.join(tmp, "emo.wav"), *flags), 16000) for t in EMOTION_TEXTS]
        res[name] = {k: float(np.mean([m[k] for m in ms])) for k in ("energy_db", "f0_median", "f0_range_st", "seconds")}
        r = res[name]
        print("emotion %-13s energy %6.1f dB  F0 %5.1f Hz  range %4.1f st  length %.2f s" %
              (name, r["energy_db"], r["f0_median"], r["f0_range_st"], r["seconds"]), flush=True)
    a, s = res["angry"], res["sad"]
    res["checks"] = {
        "angry louder than sad": a["energy_db"] > s["energy_db"],
        "angry wider F0 range than sad": a["f0_range_st"] > s["f0_range_st"],
        "angry faster than sad": a["seconds"] < s["seconds"],
        "sad lower F0 than neutral": s["f0_median"] < res["neutral"]["f0_median"],
        "sad slower than neutral": s["seconds"] > res["neutral"]["seconds"],
    }
    for k, v in res["checks"].items():
        print("  %-32s %s" % (k, "yes" if v else "NO"))
    return res


def duration(d, tmp):
    errors = []
    for k, text in enumerate(DURATION_TEXTS):
        natural = len(d.say(text, os.path.join(tmp, "dur.wav"))) / 16000
        for f in FACTORS:
            target = natural * f
            got = len(d.say(text, os.path.join(tmp, "dur.wav"), "--duration", "%.3f" % target)) / 16000
            errors.append({"text": k, "factor": f, "target_s": target, "got_s": got,
                           "error_pct": 100 * abs(got - target) / target})
    e = [x["error_pct"] for x in errors]
    print("duration: %d targets 0.7x-1.5x: mean error %.2f %%, max %.2f %% (target <= 3 %%)" %
          (len(e), np.mean(e), np.max(e)), flush=True)
    return {"targets": errors, "mean_error_pct": float(np.mean(e)), "max_error_pct": float(np.max(e))}


def wer(d, tmp, low_ref, n):
    sents = [t for _, t in sentences()][:n]
    conds = {"plain": [], "angry": ["--emotion", "angry=1"], "sad": ["--emotion", "sad=1"],
             "emotion text": ["--emotion-text", "happily"], "cloned (ref)": ["--ref", low_ref],
             "speed 1.2": ["--speed", "1.2"]}
    res = {}
    for name, flags in conds.items():
        rows = [(t, recognize(d.say(t, os.path.join(tmp, "wer.wav"), *flags))) for t in sents]
        res[name] = score(rows)
    # Duration: 1.25x the natural length of each sentence.
    rows = []
    for t in sents:
        natural = len(d.say(t, os.path.join(tmp, "wer.wav"))) / 16000
        rows.append((t, recognize(d.say(t, os.path.join(tmp, "wer.wav"), "--duration", "%.3f" % (natural * 1.25)))))
    res["duration 1.25x"] = score(rows)
    for k, v in res.items():
        print("WER %-15s %5.1f %%  (%+.1f vs plain)" % (k, v, v - res["plain"]), flush=True)
    return res


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    emo = {k: v for k, v in results["emotion"].items() if k != "checks"}
    names = list(emo)
    for i, (key, label) in enumerate((("energy_db", "energy (dB)"), ("f0_range_st", "F0 range (st)"),
                                      ("seconds", "length (s)"))):
        ax[i].bar(range(len(names)), [emo[n][key] for n in names], color="#5a8")
        ax[i].set_xticks(range(len(names)))
        ax[i].set_xticklabels(names, rotation=40, ha="right", fontsize=8)
        ax[i].set_title(label)
        if key == "energy_db":
            ax[i].set_ylim(min(emo[n][key] for n in names) - 3, max(emo[n][key] for n in names) + 2)
    fig.suptitle("ttsd-en emotion control: six sentences per setting (models/eval/evaluate_style.py)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--voices", default=os.path.join(ROOT, "models", "voices"))
    ap.add_argument("--wer-sentences", type=int, default=38, help="held-out sentences for WER (38: all)")
    ap.add_argument("--out", default=os.path.join(HERE, "style-results.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Daemon(args.build, args.voices, tmp)
        try:
            low_ref, _ = teacher("hts", "slt_hts", {"fm": -8, "a": 0.5}, REF_TEXT, tmp, "wer-ref")
            s = mc.SPEAKERS[[x[0] for x in mc.SPEAKERS].index("kal16")]
            sys.path.insert(0, os.path.join(HERE, "..", "corpus"))
            import make_style_corpus as msc
            emo_refs = {}
            for axis in ("angry", "sad"):  # a teacher speaking with the emotion's prosody profile
                spk, shape = msc.emotional(s, axis, 1.0)
                path, _ = teacher("flite", "kal16", spk[3], REF_TEXT, tmp, axis + "-ref")
                rate, x = wavfile.read(path)
                wavfile.write(path, rate, (np.clip(shape(x.astype(np.float32) / 32768), -1, 1) * 32767).astype(np.int16))
                emo_refs[axis] = path
            results = {"cloning": cloning(d, tmp), "emotion": emotion(d, tmp, emo_refs), "duration": duration(d, tmp),
                       "wer": wer(d, tmp, low_ref, args.wer_sentences)}
        finally:
            d.stop()
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
    plot(results, os.path.join(HERE, "style.png"))
    print("wrote %s and style.png" % args.out)


if __name__ == "__main__":
    main()
