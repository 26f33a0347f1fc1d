#!/usr/bin/python3
"""Generates the style corpus: more speakers (a pitch and timbre continuum, for the speaker encoder)
and emotional speech on IndexTTS2's eight axes, made with the teachers' prosody controls.

  /usr/bin/python3 models/corpus/make_style_corpus.py [--neutral 60] [--per-emotion 10]

The teachers have no emotions; each emotion here is a prosody profile (pitch level, pitch range,
rate, energy, spectral tilt, tremolo) applied at an intensity k in 0.4..1, and the utterance is
labelled with the vector k * one-hot. Same file layout as make_corpus.py (wav/ mel/ meta/,
manifest.jsonl, a packed cache); every meta line also has "emotion" (8 numbers).
Deterministic and resumable like make_corpus.py.
"""
import argparse
import os
import random
import sys
import tempfile
import time
from multiprocessing import Pool

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_corpus as mc  # noqa: E402
import text_sources  # noqa: E402

AXES = ["happy", "angry", "sad", "afraid", "disgusted", "melancholic", "surprised", "calm"]
# axis: (pitch semitones, F0 range factor, rate factor, energy dB, tilt, tremolo depth) at intensity 1.
PROFILES = {
    "happy": (3.0, 1.5, 1.08, 2.0, 0.3, 0.0),
    "angry": (1.5, 1.7, 1.15, 6.0, 0.6, 0.0),
    "sad": (-3.0, 0.55, 0.78, -5.0, -0.4, 0.0),
    "afraid": (4.0, 1.3, 1.2, -2.0, 0.0, 0.22),
    "disgusted": (-1.5, 1.2, 0.88, 1.0, -0.1, 0.0),
    "melancholic": (-2.0, 0.6, 0.85, -4.0, -0.3, 0.0),
    "surprised": (5.0, 2.0, 1.0, 3.0, 0.3, 0.0),
    "calm": (-1.0, 0.7, 0.9, -2.0, -0.2, 0.0),
}
# New speakers beyond the 22 of the default corpus: a pitch / spectral-warp continuum.
NEW_SPEAKERS = [
    ("hts-f12", "hts", "slt_hts", {"fm": -12, "a": 0.55}),
    ("hts-f10", "hts", "slt_hts", {"fm": -10, "a": 0.47}),
    ("hts-f7", "hts", "slt_hts", {"fm": -7, "a": 0.50}),
    ("hts-f5", "hts", "slt_hts", {"fm": -5, "a": 0.54}),
    ("hts-f3", "hts", "slt_hts", {"fm": -3, "a": 0.46}),
    ("hts-f1", "hts", "slt_hts", {"fm": -1, "a": 0.52}),
    ("hts-r1", "hts", "slt_hts", {"fm": 1, "a": 0.49}),
    ("hts-r2", "hts", "slt_hts", {"fm": 2, "a": 0.55}),
    ("hts-r4", "hts", "slt_hts", {"fm": 4, "a": 0.47}),
    ("hts-r6", "hts", "slt_hts", {"fm": 6, "a": 0.45}),
    ("slt-120", "flite", "slt", {"int_f0_target_mean": 120, "int_f0_target_stddev": 15}),
    ("slt-170", "flite", "slt", {"int_f0_target_mean": 170, "int_f0_target_stddev": 24}),
    ("slt-240", "flite", "slt", {"int_f0_target_mean": 240, "int_f0_target_stddev": 34}),
    ("awb-75", "flite", "awb", {"int_f0_target_mean": 75, "int_f0_target_stddev": 9}),
    ("awb-160", "flite", "awb", {"int_f0_target_mean": 160, "int_f0_target_stddev": 25}),
    ("kal16-70", "flite", "kal16", {"int_f0_target_mean": 70, "int_f0_target_stddev": 8}),
    ("kal16-170", "flite", "kal16", {"int_f0_target_mean": 170, "int_f0_target_stddev": 28}),
    ("kal-75", "festival", "kal_diphone", {"target_f0_mean": 75, "target_f0_std": 9}),
    ("kal-160", "festival", "kal_diphone", {"target_f0_mean": 160, "target_f0_std": 26}),
    ("ked-150", "festival", "ked_diphone", {"target_f0_mean": 150, "target_f0_std": 24}),
]
DEFAULT_F0 = {"slt": (170, 20), "awb": (105, 15), "kal16": (105, 15), "kal_diphone": (105, 15),
              "ked_diphone": (105, 15)}
SPEAKERS = mc.SPEAKERS + NEW_SPEAKERS
SENTENCE_OFFSET = 20000  # past the sentences of the default corpus


def emotional(spk, axis, k):
    """The speaker with the emotion's prosody controls at intensity k; shape() for the audio."""
    name, engine, voice, settings = spk
    pitch, rng, rate, db, tilt, trem = PROFILES[axis]
    pitch, rng, rate, db, tilt, trem = pitch * k, rng ** k, rate ** k, db * k, tilt * k, trem * k
    s = dict(settings)
    if engine == "hts":
        s.update(fm=s["fm"] + round(pitch, 2), jf=round(rng, 3), r=round(rate, 3))
    elif engine == "flite":
        mean, std = DEFAULT_F0[voice]
        mean, std = s.get("int_f0_target_mean", mean), s.get("int_f0_target_stddev", std)
        s.update(int_f0_target_mean=round(mean * 2 ** (pitch / 12), 1), int_f0_target_stddev=round(std * rng, 1),
                 duration_stretch=round(1 / rate, 3))
    else:
        mean, std = DEFAULT_F0[voice]
        mean, std = s.get("target_f0_mean", mean), s.get("target_f0_std", std)
        s.update(target_f0_mean=round(mean * 2 ** (pitch / 12), 1), target_f0_std=round(std * rng, 1),
                 duration_stretch=round(1 / rate, 3))

    def shape(x):
        y = x * 10 ** (db / 20)
        if tilt:  # first-order tilt: + brightens (more effort), - darkens
            y = y + tilt * np.concatenate([[0.0], np.diff(y)]).astype(np.float32)
        if trem:  # a 6 Hz tremble in amplitude
            t = np.arange(len(y)) / mc.SR
            y = y * (1 + trem * np.sin(2 * np.pi * 6.0 * t)).astype(np.float32)
        return y.astype(np.float32)

    return (name, engine, voice, s), shape


def run_job(job):
    out, spk_id, items = job  # items: (uid, src, text, axis or "", k)
    base = SPEAKERS[spk_id]
    seconds, failed = 0.0, 0
    work = []
    for uid, src, text, axis, k in items:
        vec = [0.0] * len(AXES)
        spk, shape = emotional(base, axis, k) if axis else (base, None)
        if axis:
            vec[AXES.index(axis)] = k
        work.append((uid, src, text, spk, shape, vec))
    with tempfile.TemporaryDirectory() as tmp:
        got = {}
        engine, voice = base[1], base[2]
        if engine == "hts":  # festival only writes the labels; hts_engine applies the settings
            got = mc.synth_festival_batch(voice, {}, [(w[0], w[2]) for w in work], tmp)
        elif engine == "festival":  # one festival run per distinct setting
            groups = {}
            for w in work:
                groups.setdefault(repr(sorted(w[3][3].items())), []).append(w)
            for ws in groups.values():
                got.update(mc.synth_festival_batch(voice, ws[0][3][3], [(w[0], w[2]) for w in ws], tmp))
        for uid, src, text, spk, shape, vec in work:
            try:
                wav = os.path.join(tmp, uid + ".wav")
                if engine == "flite":
                    t = mc.synth_flite(voice, spk[3], text, wav)
                elif engine == "hts":
                    t = mc.synth_hts(spk[3], os.path.join(tmp, uid + ".lab"), wav)
                else:
                    wav, t = got[uid]
                seconds += mc.finish_utt(out, spk_id, spk, uid, src, text, wav, t, shape,
                                         {"emotion": vec, "speaker": base[0]}) or 0
            except Exception as e:  # noqa
                failed += 1
                print("skip %s: %s" % (uid, e), file=sys.stderr)
    return len(items), seconds, failed


def plan(neutral, per_emotion, heldout):
    sents = text_sources.corpus_sentences(heldout)[SENTENCE_OFFSET:]
    rng = random.Random(5)
    jobs, i = [], 0
    for spk_id, spk in enumerate(SPEAKERS):
        name = spk[0]
        items = []
        n_neutral = neutral if spk_id >= len(SPEAKERS) - len(NEW_SPEAKERS) else 0
        for j in range(n_neutral):
            src, text = sents[i]
            i += 1
            items.append(("%s-n%04d" % (name, j), src, text, "", 0.0))
        if name != "rms":  # flite rms ignores the pitch controls
            for axis in AXES:
                for j in range(per_emotion):
                    src, text = sents[i]
                    i += 1
                    k = round(rng.uniform(0.4, 1.0), 2) if j % 2 else 1.0
                    items.append(("%s-%s%03d" % (name, axis[:3], j), src, text, axis, k))
        jobs.append((spk_id, items))
    return jobs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "work", "corpus-style"))
    ap.add_argument("--cache", default=None, help="packed cache dir (default OUT/../cache-style)")
    ap.add_argument("--neutral", type=int, default=60, help="neutral utterances per new speaker")
    ap.add_argument("--per-emotion", type=int, default=10, help="utterances per speaker and emotion")
    ap.add_argument("--speakers", default="", help="comma list of speaker names (default all)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=12)
    args = ap.parse_args()
    mc.SPEAKERS[:] = SPEAKERS  # write_manifest and pack walk this list
    out = os.path.abspath(args.out)
    cache = args.cache or os.path.join(os.path.dirname(out), "cache-style")
    keep = set(args.speakers.split(",")) if args.speakers else None
    heldout = os.path.join(HERE, "..", "eval", "sentences.txt")
    t0 = time.time()
    todo, total = [], 0
    for spk_id, items in plan(args.neutral, args.per_emotion, heldout):
        name = SPEAKERS[spk_id][0]
        if keep is not None and name not in keep:
            continue
        total += len(items)
        left = [it for it in items if not os.path.exists(os.path.join(out, "meta", name, it[0] + ".json"))]
        for i in range(0, len(left), args.chunk):
            todo.append((out, spk_id, left[i:i + args.chunk]))
    random.Random(1).shuffle(todo)
    done = total - sum(len(j[2]) for j in todo)
    start_done = done
    print("style corpus: %d utterances, %d to do, %d jobs, out %s" % (total, total - done, len(todo), out), flush=True)
    secs, failed = 0.0, 0
    with Pool(args.jobs) as pool:
        for n, s, fl in pool.imap_unordered(run_job, todo):
            done, secs, failed = done + n, secs + s, failed + fl
            el = time.time() - t0
            eta = (total - done) / max((done - start_done) / max(el, 1e-6), 1e-6)
            print("[%-30s] %d/%d utts, +%.0f s audio, %d failed, %.0f s elapsed, eta %.0f s" %
                  ("#" * int(30 * done / max(total, 1)), done, total, secs, failed, el, eta), flush=True)
    n, secs = mc.write_manifest(out)
    print("manifest: %d utterances, %.2f hours" % (n, secs / 3600), flush=True)
    F = mc.pack(out, cache)
    print("packed %d frames into %s (%.0f s total)" % (F, cache, time.time() - t0), flush=True)


if __name__ == "__main__":
    main()
