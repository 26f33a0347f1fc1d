#!/usr/bin/python3
"""Evaluates the default voice: pocketsphinx word error rate of every shipped speaker on the
held-out sentences (models/eval/sentences.txt), side by side with the teacher that speaker learnt
from on the same sentences, and the real-time factor on one thread.

  /usr/bin/python3 models/eval/evaluate.py [--voice models/voices/ttsd-en] [--jobs 2]

Synthesis goes through the exported TorchScript package, chunked as the C++ engine does. Teachers'
results are cached in models/work/eval/teachers.json. Writes models/eval/results.json.
"""
import argparse
import json
import os
import re
import sys
import tempfile
import time
import zlib
from multiprocessing import Pool

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "corpus"))
sys.path.insert(0, os.path.join(HERE, "..", "train"))
MODEL_DIR = "/usr/share/pocketsphinx/model/en-us"
_decoder = None


def sentences(path=os.path.join(HERE, "sentences.txt")):
    out, group = [], "everyday"
    for line in open(path):
        line = line.strip()
        if line.startswith("#"):
            if line[1:].strip() in ("everyday", "harder"):
                group = line[1:].strip()
            continue
        if line:
            out.append((group, line))
    return out


def recognize(audio):
    """audio: float32 16 kHz mono -> recognized text."""
    global _decoder
    if _decoder is None:
        from pocketsphinx import Decoder
        c = Decoder.default_config()
        c.set_string("-hmm", os.path.join(MODEL_DIR, "en-us"))
        c.set_string("-lm", os.path.join(MODEL_DIR, "en-us.lm.bin"))
        c.set_string("-dict", os.path.join(MODEL_DIR, "cmudict-en-us.dict"))
        c.set_string("-logfn", "/dev/null")
        _decoder = Decoder(c)
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    _decoder.start_utt()
    _decoder.process_raw(pcm, False, True)
    _decoder.end_utt()
    hyp = _decoder.hyp()
    return hyp.hypstr if hyp else ""


def words(s):
    return re.findall(r"[a-z']+", s.lower())


def edits(ref, hyp):
    d = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(hyp) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (ref[i - 1] != hyp[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(hyp)]


def score(items):
    """items: [(ref, hyp)] -> (WER %, per-sentence list)."""
    errs = sum(edits(words(r), words(h)) for r, h in items)
    n = sum(len(words(r)) for r, _ in items)
    return 100.0 * errs / max(n, 1)


def teacher_audio(spk_name, text):
    import make_corpus as mc
    spk = [s for s in mc.SPEAKERS if s[0] == spk_name][0]
    _, engine, voice, settings = spk
    with tempfile.TemporaryDirectory() as tmp:
        if engine == "flite":
            wav = os.path.join(tmp, "t.wav")
            mc.synth_flite(voice, settings, text, wav)
        elif engine == "festival":
            wav = mc.synth_festival_batch(voice, settings, [("t", text)], tmp)["t"][0]
        else:
            mc.synth_festival_batch(voice, {}, [("t", text)], tmp)
            wav = os.path.join(tmp, "t.wav")
            mc.synth_hts(settings, os.path.join(tmp, "t.lab"), wav)
        return mc.read_wav16k(wav)


def eval_teacher(spk_name):
    sents = sentences()
    rows = [(g, t, recognize(teacher_audio(spk_name, t))) for g, t in sents]
    return spk_name, rows


def eval_model(args):
    voice, spk_name, wav_dir = args
    import torch
    torch.set_num_threads(1)
    from package import Package
    pk = Package(voice)
    for t in ("Warming up the voice.", "A second, somewhat longer sentence warms the executor up."):
        pk.synthesize(t, spk_name)  # TorchScript's profiling executor optimizes on the first calls
    rows, synth_s, audio_s = [], 0.0, 0.0
    for k, (g, t) in enumerate(sentences()):
        t0 = time.time()
        audio = pk.synthesize(t, spk_name)
        synth_s += time.time() - t0
        audio_s += len(audio) / 16000.0
        if wav_dir and k < 3:
            from scipy.io import wavfile
            os.makedirs(wav_dir, exist_ok=True)
            wavfile.write(os.path.join(wav_dir, "%s-%d.wav" % (spk_name, k)), 16000,
                          (np.clip(audio, -1, 1) * 32767).astype(np.int16))
        rows.append((g, t, recognize(audio)))
    return spk_name, rows, synth_s / max(audio_s, 1e-9)


def summarize(rows):
    out = {"wer": round(score([(t, h) for _, t, h in rows]), 2)}
    for g in ("everyday", "harder"):
        sub = [(t, h) for gg, t, h in rows if gg == g]
        if sub:
            out["wer_" + g] = round(score(sub), 2)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--voice", default=os.path.join(HERE, "..", "voices", "ttsd-en"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--speakers", default="", help="comma list (default: all in the package)")
    ap.add_argument("--no-teachers", action="store_true")
    ap.add_argument("--teachers-only", action="store_true")
    ap.add_argument("--rtf-only", action="store_true", help="only time synthesis (default speaker, one thread)")
    ap.add_argument("--out", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--work", default=os.path.join(HERE, "..", "work", "eval"))
    args = ap.parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    os.makedirs(args.work, exist_ok=True)
    voice = os.path.abspath(args.voice)
    manifest = json.load(open(os.path.join(voice, "voice.json")))
    speakers = args.speakers.split(",") if args.speakers else manifest["speakers"]
    t0 = time.time()
    if args.rtf_only:
        import torch
        torch.set_num_threads(1)
        from package import Package
        pk = Package(voice)
        for t in ("Warming up the voice.", "A second, somewhat longer sentence warms the executor up."):
            pk.synthesize(t)
        synth, audio = 0.0, 0.0
        for _, t in sentences():
            t1 = time.time()
            audio += len(pk.synthesize(t)) / 16000.0
            synth += time.time() - t1
        print("RTF (one thread, %s, %d sentences, %.1f s of audio): %.4f" % (speakers[0], len(sentences()),
                                                                           audio, synth / audio))
        return
    tcache_path = os.path.join(args.work, "teachers.json")
    tcache = json.load(open(tcache_path)) if os.path.exists(tcache_path) else {}
    key = "%08x" % zlib.crc32("\n".join(t for _, t in sentences()).encode())
    with Pool(args.jobs) as pool:
        if not args.no_teachers:
            todo = [s for s in speakers if (s + "|" + key) not in tcache]
            for name, rows in pool.imap_unordered(eval_teacher, todo):
                tcache[name + "|" + key] = rows
                json.dump(tcache, open(tcache_path, "w"))
                print("teacher %-12s WER %5.1f%%  (%.0f s)" % (name, score([(t, h) for _, t, h in rows]),
                                                             time.time() - t0), flush=True)
        model = {}
        if not args.teachers_only:
            jobs = [(voice, s, os.path.join(args.work, "wav")) for s in speakers]
            for name, rows, rtf in pool.imap_unordered(eval_model, jobs):
                model[name] = (rows, rtf)
                print("model   %-12s WER %5.1f%%  RTF %.4f  (%.0f s)" % (
                    name, score([(t, h) for _, t, h in rows]), rtf, time.time() - t0), flush=True)
    result = {"voice": manifest["name"], "sentences": len(sentences()), "speakers": {}}
    print("\n%-12s %10s %10s %10s %8s" % ("speaker", "model WER", "(harder)", "teacher", "RTF"))
    for s in speakers:
        r = {}
        if s in model:
            r["model"] = summarize(model[s][0])
            r["rtf_1_thread"] = round(model[s][1], 4)
            r["model_hyps"] = [h for _, _, h in model[s][0]]
        if (s + "|" + key) in tcache:
            r["teacher"] = summarize(tcache[s + "|" + key])
        result["speakers"][s] = r
        print("%-12s %9s%% %9s%% %9s%% %8s" % (s, r.get("model", {}).get("wer", "-"),
                                              r.get("model", {}).get("wer_harder", "-"),
                                              r.get("teacher", {}).get("wer", "-"), r.get("rtf_1_thread", "-")))
    mw = [r["model"]["wer"] for r in result["speakers"].values() if "model" in r]
    tw = [r["teacher"]["wer"] for r in result["speakers"].values() if "teacher" in r]
    if mw:
        result["mean_model_wer"] = round(float(np.mean(mw)), 2)
        result["default_speaker"] = speakers[0]
        result["default_model_wer"] = result["speakers"][speakers[0]]["model"]["wer"]
        result["rtf_1_thread"] = round(float(np.mean([r["rtf_1_thread"] for r in result["speakers"].values()
                                                      if "rtf_1_thread" in r])), 4)
    if tw:
        result["mean_teacher_wer"] = round(float(np.mean(tw)), 2)
    size = sum(os.path.getsize(os.path.join(voice, f)) for f in os.listdir(voice))
    result["package_mb"] = round(size / 1e6, 1)
    print("mean model WER %s%%, mean teacher WER %s%%, RTF %s, package %.1f MB, %.0f s" % (
        result.get("mean_model_wer", "-"), result.get("mean_teacher_wer", "-"), result.get("rtf_1_thread", "-"),
        size / 1e6, time.time() - t0))
    if not args.teachers_only:
        json.dump(result, open(args.out, "w"), indent=1)


if __name__ == "__main__":
    main()
