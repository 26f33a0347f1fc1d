#!/usr/bin/python3
"""Measures how well ttsd's word marks match the audio: an independent forced aligner (pocketsphinx)
against `ttsc say --marks`, and the silence that `[pause:N]` tags leave in the audio.

  /usr/bin/python3 models/eval/mark_accuracy.py [--quick] [--voice models/voices/ttsd-en]
                                                [--audio-delay-samples N] [--out FILE.json]

1. Copies ttsd and ttsc (build/ by default) to a private temporary directory and starts the copy with
   the voice (--http off), then synthesizes the held-out sentences of sentences.txt for several speakers at
   speeds 0.8, 1.0 and 1.3 with `--marks --phones`, and sentence pairs joined by [pause:N] tags.
2. Forced-aligns every WAV to its word sequence with pocketsphinx. Debian's python3-pocketsphinx is the
   old 0.1.x API (no set_align_text), so the aligner is an FSG search over a JSGF grammar that holds
   exactly the sentence's words in order; optional silence between words is free (-silprob 1.0) and
   seg() gives each word's frames (10 ms). Words missing from pocketsphinx's dictionary are added with
   the pronunciation ttsd used (its phone marks, stress removed), so their neighbours still align; they
   are left out of the statistics and counted.
3. Calibrates the aligner on the teachers: each speaker's teacher (flite, festival, hts_engine) speaks
   the same sentences, and its own phone timings, which the voice learnt its durations from, are compared
   with the aligner's words just like the marks are. That is the aligner's bias and its error floor.
   An aligner-free cross-check of the lag compares each sentence's energy onset with its first word's
   start, in ttsd's audio and in the teacher's.
4. Pauses: the marks' gap between the words around each tag, the aligner's, and the silence an energy
   detector hears there (and how much of it the tag adds beyond the shortest pause of the same text).
5. Writes models/eval/mark-accuracy.json and mark-accuracy.png (--quick: models/work/eval/...) and
   prints the audio_delay_samples that would cancel the measured lag. --audio-delay-samples N measures
   a temporary copy of the voice with that setting instead (the package is not touched).
About 2-3 min on 2 cores (--quick: 15 s).
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pool

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "corpus"))
sys.path.insert(0, os.path.join(HERE, "..", "train"))
MODEL_DIR = "/usr/share/pocketsphinx/model/en-us"
SR = 16000
FRAME_S = 0.01  # pocketsphinx frame shift
PAD_S = 0.3  # silence appended before aligning, so a final fricative is not forced to be the file's end

SPEAKERS = ("hts-deep", "rms", "kal16", "kal")  # default speaker first; four different teacher engines
SPEEDS = (0.8, 1.0, 1.3)
PAUSES_MS = (100, 300, 700, 1500)
# The first sentence ends in a sound with a clear end, the second starts with one that is heard at once
# (no stop closure), so the silence between them is what the tag asked for plus the edges' own shape.
PAUSE_PAIRS = (
    ("She bought a new dress.", "Nobody noticed it at first."),
    ("We sat down by the sea.", "Seagulls flew over the water."),
    ("My brother lives in a small house.", "Every morning he walks to the harbor."),
)
TARGET = {"median_ms": 30, "p95_ms": 80, "pause_ms": 5}


# ---------------------------------------------------------------- text

def sentences(path=os.path.join(HERE, "sentences.txt")):
    return [ln.strip() for ln in open(path) if ln.strip() and not ln.startswith("#")]


def norm(word):
    return re.sub(r"[^a-z']", "", word.lower()).strip("'")


def cmu_pron(phones):
    """flite phone names (stress digits) -> a pocketsphinx dictionary pronunciation."""
    out = []
    for p in phones:
        p = re.sub(r"\d", "", p)
        if p == "pau":
            continue
        out.append({"ax": "AH", "axr": "ER"}.get(p, p.upper()))
    return " ".join(out)


_dict_words = None


def in_dictionary(word):
    global _dict_words
    if _dict_words is None:  # called once from main before any thread
        _dict_words = set()
        for line in open(os.path.join(MODEL_DIR, "cmudict-en-us.dict"), encoding="utf-8", errors="replace"):
            _dict_words.add(re.sub(r"\(\d+\)$", "", line.split(" ", 1)[0]))
    return word in _dict_words


# ---------------------------------------------------------------- ttsd

class Daemon:
    """A private copy of ttsd on its own socket; say() runs a private copy of ttsc."""

    def __init__(self, voice, tmp, ttsd, ttsc):
        bindir = os.path.join(tmp, "bin")
        os.makedirs(bindir)
        self.ttsd = shutil.copy2(ttsd, bindir)  # the build directory may be rebuilt while we run
        self.ttsc = shutil.copy2(ttsc, bindir)
        self.sock = os.path.join(tmp, "ttsd.sock")
        self.log = open(os.path.join(tmp, "ttsd.log"), "w")
        self.proc = subprocess.Popen([self.ttsd, "--socket", self.sock, "--voices", voice, "--voice-store",
                                      os.path.join(tmp, "voice-store"), "--http", "off"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        t0 = time.time()
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("ttsd exited (%s): see %s" % (self.proc.returncode, self.log.name))
            if os.path.exists(self.sock) and subprocess.run([self.ttsc, "--socket", self.sock, "voices"],
                                                            capture_output=True).returncode == 0:
                break
            if time.time() - t0 > 120:
                raise RuntimeError("ttsd did not come up in 120 s")
            time.sleep(0.2)

    def say(self, text, wav, marks, speaker, speed):
        r = subprocess.run([self.ttsc, "--socket", self.sock, "say", "--speaker", speaker, "--speed", str(speed),
                            "-o", wav, "--marks", marks, "--phones", "--", text], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("ttsc failed (%d): %s" % (r.returncode, r.stderr.strip()))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def read_marks(path):
    """-> [{"word", "text", "start", "end", "phones"}] in order (seconds)."""
    words = []
    for line in open(path):
        m = json.loads(line)
        if m["kind"] == "word":
            words.append({"word": norm(m["text"]), "text": m["text"], "start": m["start"], "end": m["end"],
                          "span": (m["text_begin"], m["text_end"]), "phones": []})
        elif m["kind"] == "phone" and words and (m["text_begin"], m["text_end"]) == words[-1]["span"]:
            words[-1]["phones"].append(m["text"])
    return words


# ---------------------------------------------------------------- teachers

def teacher_job(args):
    """(speaker name, [(uid, text)], tmp) -> {uid: (wav path, [(phone, dur_s)])}; 16 kHz int16 WAVs."""
    name, items, tmp = args
    import make_corpus as mc
    from scipy.io import wavfile
    _, engine, voice, settings = [s for s in mc.SPEAKERS if s[0] == name][0]
    out = {}
    wd = os.path.join(tmp, "teacher-" + name)
    os.makedirs(wd, exist_ok=True)
    if engine == "flite":
        got = {}
        for uid, text in items:
            wav = os.path.join(wd, uid + ".raw.wav")
            got[uid] = (wav, mc.synth_flite(voice, settings, text, wav))
    else:
        got = mc.synth_festival_batch(voice, settings if engine == "festival" else {}, items, wd)
        if engine == "hts":
            for uid, _ in items:
                wav = os.path.join(wd, uid + ".wav")
                got[uid] = (wav, mc.synth_hts(settings, os.path.join(wd, uid + ".lab"), wav))
    for uid, (wav, phones) in got.items():
        x = mc.read_wav16k(wav)
        dst = os.path.join(wd, uid + ".16k.wav")
        wavfile.write(dst, SR, (np.clip(x, -1, 1) * 32767).astype(np.int16))
        out[uid] = (dst, phones)
    return name, out


def teacher_words(text, phones):
    """Word start/end from a teacher's phone timings: its non-pause phones matched one to one against
    the lexicon phones of the words (substitutions within vowels or within consonants allowed).
    -> [{"word", "start", "end", "phones"}] or None when the sequences differ in length or class."""
    import phones as ph
    seq, t = [], 0.0
    for name, dur in phones:
        parts = ph.TEACHER_MAP.get(name.lower(), name.lower()).split()
        for k, p in enumerate(parts):
            seq.append((re.sub(r"\d", "", p), t + dur * k / len(parts), t + dur * (k + 1) / len(parts)))
        t += dur
    seq = [s for s in seq if s[0] != "pau"]
    ws = [norm(w) for w in text.split() if norm(w)]
    lex = [[re.sub(r"\d", "", p) for p in ph.word_phones(w)] for w in ws]
    flat = [p for ps in lex for p in ps]
    if len(flat) != len(seq) or any((a in ph.VOWELS) != (b in ph.VOWELS) for a, (b, _, _) in zip(flat, seq)):
        return None
    out, i = [], 0
    for w, ps in zip(ws, lex):
        out.append({"word": w, "start": seq[i][1], "end": seq[i + len(ps) - 1][2], "phones": ph.word_phones(w)})
        i += len(ps)
    return out


# ---------------------------------------------------------------- aligner and energy (worker processes)



def level_db(x, win=80, hop=40):
    """5 ms RMS level in dB every 2.5 ms; frame k is centred at k*hop + win/2 samples."""
    n = max(0, (len(x) - win) // hop + 1)
    idx = np.arange(win)[None, :] + hop * np.arange(n)[:, None]
    return 10 * np.log10(np.mean(x[idx] ** 2, axis=1) + 1e-10), hop, win


def align_job(job):
    """job: {wav, words, prons, [pause: (lo_s, hi_s) window]} -> job + aligned words, energy measures."""
    from pocketsphinx import Decoder
    from scipy.io import wavfile
    c = Decoder.default_config()
    c.set_string("-hmm", os.path.join(MODEL_DIR, "en-us"))
    c.set_string("-dict", os.path.join(MODEL_DIR, "cmudict-en-us.dict"))
    c.set_string("-logfn", "/dev/null")
    c.set_float("-silprob", 1.0)  # optional silence before, between and after words costs nothing
    # No voice-activity trimming: it drops leading silence from the frame count once its noise estimate has
    # settled, which shifts every time. The noise estimate itself is kept (without it a vocoder's quiet floor
    # does not look like silence, and a sentence-initial stop swallows the leading silence), but it carries
    # over between utterances, so every utterance gets a fresh decoder (0.1 s): results do not depend on order.
    c.set_boolean("-remove_silence", False)
    c.set_string("-cmn", "batch")
    d = Decoder(c)
    words = job["words"]
    if not all(words):  # a mark with no letters (a symbol read out): nothing to put in the grammar
        return dict(job, aligned=None, onset=None, leading_sound_s=0.0)
    for w in set(words):
        if d.lookup_word(w) is None:
            d.add_word(w, job["prons"][w], True)
    d.set_jsgf_string("s", "#JSGF V1.0;\ngrammar s;\npublic <s> = %s;\n" % " ".join(words))
    d.set_search("s")
    rate, pcm = wavfile.read(job["wav"])
    assert rate == SR and pcm.dtype == np.int16, job["wav"]
    padded = np.concatenate([pcm, np.zeros(int(PAD_S * SR), np.int16)])
    d.start_utt()
    d.process_raw(padded.tobytes(), False, True)
    d.end_utt()
    segs = [(re.sub(r"\(\d+\)$", "", s.word), s.start_frame * FRAME_S, (s.end_frame + 1) * FRAME_S)
            for s in d.seg() if not s.word.startswith(("<", "[", "+"))]
    res = dict(job)
    if [w for w, _, _ in segs] != words:
        res["aligned"] = None
    else:
        res["aligned"] = [(a, b) for _, a, b in segs]
    # Energy: threshold 30 dB under the loud frames (95th percentile) of the marked speech (of the first
    # sentence for a pause pair: the same audio whatever pause follows, so the threshold is too).
    x = pcm.astype(np.float64) / 32768.0
    lev, hop, win = level_db(x)
    m0, m1 = job["marks"][0]["start"], job["marks"][job["req"].get("n_first", len(job["marks"])) - 1]["end"]
    speech = lev[int(m0 * SR / hop):max(int(m1 * SR / hop), int(m0 * SR / hop) + 1)]
    thr = np.percentile(speech if len(speech) else lev, 95) - 30.0
    # Onset of the first word: the first frame from 50 ms before its mark (label) on that starts 15 ms above
    # the threshold. Sound before that (the run of loud frames in the leading pause) is reported apart.
    above = lev > thr
    k_pre = max(0, int((job["marks"][0]["start"] - 0.05) * SR / hop))
    held = np.convolve(above.astype(int), np.ones(6, int), "valid") == 6  # held[k]: frames k..k+5 all above
    loud = np.nonzero(held[k_pre:])[0]
    res["onset"] = float(((k_pre + loud[0]) * hop + win / 2) / SR) if len(loud) else None
    best, run = 0, 0
    for q in above[:k_pre]:
        run = run + 1 if q else 0
        best = max(best, run)
    res["leading_sound_s"] = best * hop / SR
    if "pause" in job:
        lo, hi = job["pause"]
        k0, k1 = max(0, int(lo * SR / hop)), min(len(lev), int(hi * SR / hop))
        best, run, end = 0, 0, k0
        for k, q in enumerate(lev[k0:k1] < thr):
            run = run + 1 if q else 0
            if run > best:
                best, end = run, k0 + k + 1
        # The silent run covers frames [end - best, end); its edges in seconds are frame centres.
        res["energy_gap"] = best * hop / SR
        res["energy_silence"] = ((end - best) * hop + win / 2) / SR, (end * hop + win / 2) / SR
    return res


# ---------------------------------------------------------------- statistics

def stats(errs_s):
    e = np.asarray(errs_s, np.float64) * 1000.0
    if len(e) == 0:
        return {"n": 0}
    return {"n": int(len(e)), "median_abs_ms": round(float(np.median(np.abs(e))), 1),
            "p95_abs_ms": round(float(np.percentile(np.abs(e), 95)), 1),
            "bias_ms": round(float(np.median(e)), 1), "mean_ms": round(float(np.mean(e)), 1)}


def word_errors(items, shift_s=None):
    """items: aligned results with "marks" -> dict of error lists (seconds). shift_s ({speaker: seconds})
    is added to the aligner's times of that speaker: minus the aligner's offset on the speaker's teacher."""
    out = {"start": [], "end": [], "start_first": [], "start_inner": [], "end_last": [], "end_inner": []}
    for it in items:
        shift = (shift_s or {}).get(it["req"]["speaker"], 0.0)
        for k, (m, (a0, a1)) in enumerate(zip(it["marks"], it["aligned"])):
            if not m["scored"]:
                continue
            es, ee = m["start"] - (a0 + shift), m["end"] - (a1 + shift)
            out["start"].append(es)
            out["end"].append(ee)
            out["start_first" if k == 0 else "start_inner"].append(es)
            out["end_last" if k == len(it["marks"]) - 1 else "end_inner"].append(ee)
    return out


def summary(items, shift_s=None):
    e = word_errors(items, shift_s)
    return {"start": stats(e["start"]), "end": stats(e["end"]),
            "start_sentence_first_word": stats(e["start_first"]), "start_other_words": stats(e["start_inner"]),
            "end_sentence_last_word": stats(e["end_last"]), "end_other_words": stats(e["end_inner"])}


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--voice", default=os.path.join(HERE, "..", "voices", "ttsd-en"))
    ap.add_argument("--ttsd", default=os.path.join(ROOT, "build", "daemon", "ttsd"))
    ap.add_argument("--ttsc", default=os.path.join(ROOT, "build", "client", "ttsc"))
    ap.add_argument("--speakers", default=",".join(SPEAKERS), help="comma list; the first is reported first")
    ap.add_argument("--jobs", type=int, default=2, help="aligner processes (and concurrent requests)")
    ap.add_argument("--quick", action="store_true", help="8 sentences, 2 speakers, one pause pair: ~1 min")
    ap.add_argument("--out", default=None, help="JSON (default models/eval/mark-accuracy.json; "
                                                "--quick: models/work/eval/mark-accuracy-quick.json)")
    ap.add_argument("--plot", default=None, help="PNG (default next to the JSON)")
    ap.add_argument("--keep", default=None, help="keep the WAVs and marks in this directory")
    ap.add_argument("--audio-delay-samples", type=int, default=None,
                    help="run a temporary copy of the voice with this audio_delay_samples (the package is untouched)")
    args = ap.parse_args()
    t_start = time.time()
    voice = os.path.abspath(args.voice)
    manifest = json.load(open(os.path.join(voice, "voice.json")))
    speakers = args.speakers.split(",")
    for s in speakers:
        if s not in manifest["speakers"]:
            sys.exit("speaker %r is not in %s" % (s, voice))
    tmp = tempfile.mkdtemp(prefix="mark-accuracy-")
    if args.audio_delay_samples is not None:
        copy = os.path.join(tmp, "voice", os.path.basename(voice))
        os.makedirs(copy)
        for f in os.listdir(voice):
            if f != "voice.json":
                os.symlink(os.path.join(voice, f), os.path.join(copy, f))
        manifest["audio_delay_samples"] = args.audio_delay_samples
        with open(os.path.join(copy, "voice.json"), "w") as f:
            json.dump(manifest, f, indent=2)
        voice = copy
    delay = int(manifest.get("audio_delay_samples", 0))
    sents = sentences()
    pairs = PAUSE_PAIRS
    if args.quick:
        sents, speakers, pairs = sents[::5][:8], speakers[:2], pairs[:1]
    if args.out is None:
        args.out = (os.path.join(ROOT, "models", "work", "eval", "mark-accuracy-quick.json") if args.quick
                    else os.path.join(HERE, "mark-accuracy.json"))
    if args.plot is None:
        args.plot = os.path.splitext(args.out)[0] + ".png"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)

    def log(msg):
        print("[%5.0f s] %s" % (time.time() - t_start, msg), flush=True)

    in_dictionary("the")
    work = args.keep or os.path.join(tmp, "out")
    os.makedirs(work, exist_ok=True)
    log("voice %s (audio_delay_samples %d), speakers %s, speeds %s, %d sentences, %d pause pairs x %s ms"
        % (manifest["name"], delay, ",".join(speakers), SPEEDS, len(sents), len(pairs), PAUSES_MS))
    daemon = None
    pool = Pool(args.jobs)
    try:
        # Teachers first (in the pool), while ttsd starts.
        teacher_async = [pool.apply_async(teacher_job, ((s, [("s%02d" % i, t) for i, t in enumerate(sents)], tmp),))
                         for s in speakers]
        daemon = Daemon(voice, tmp, args.ttsd, args.ttsc)
        log("ttsd is up")
        requests = []
        for spk in speakers:
            for speed in SPEEDS:
                for i, t in enumerate(sents):
                    requests.append({"kind": "word", "speaker": spk, "speed": speed, "sid": i, "text": t})
                for pi, (a, b) in enumerate(pairs):
                    for n in PAUSES_MS:
                        requests.append({"kind": "pause", "speaker": spk, "speed": speed, "sid": pi, "pause_ms": n,
                                         "text": "%s [pause:%dms] %s" % (a, n, b), "n_first": len(a.split())})
        for r in requests:
            r["wav"] = os.path.join(work, "%s-%s-x%s-%02d%s.wav" % (r["kind"], r["speaker"], r["speed"], r["sid"],
                                                                     "-%dms" % r["pause_ms"] if "pause_ms" in r else ""))
            r["marks_path"] = r["wav"][:-4] + ".jsonl"
        lock = threading.Lock()
        pending, done_synth = [], [0]

        def synth(r):
            daemon.say(r["text"], r["wav"], r["marks_path"], r["speaker"], r["speed"])
            marks = read_marks(r["marks_path"])
            for m in marks:
                m["oov"] = not in_dictionary(m["word"])
                m["scored"] = bool(m["word"]) and not m["oov"]
            job = {"wav": r["wav"], "words": [m["word"] for m in marks],
                   "prons": {m["word"]: cmu_pron(m["phones"]) for m in marks}, "req": r, "marks": marks}
            if r["kind"] == "pause":
                la, fb = marks[r["n_first"] - 1], marks[r["n_first"]]
                job["pause"] = (la["end"] - 0.15, fb["start"] + 0.15)
            with lock:
                pending.append(pool.apply_async(align_job, (job,)))
                done_synth[0] += 1
                if done_synth[0] % 50 == 0 or done_synth[0] == len(requests):
                    log("synthesized %d/%d" % (done_synth[0], len(requests)))

        with ThreadPoolExecutor(args.jobs) as ex:
            for f in [ex.submit(synth, r) for r in requests]:
                f.result()
        daemon.stop()
        daemon = None

        teachers = {}
        for ta in teacher_async:
            name, got = ta.get()
            teachers[name] = got
        log("teachers synthesized")
        tjobs = []
        for spk in speakers:
            for i, t in enumerate(sents):
                wav, phones = teachers[spk]["s%02d" % i]
                tw = teacher_words(t, phones)
                if tw is None:
                    continue
                for m in tw:
                    m["oov"] = not in_dictionary(m["word"])
                    m["scored"] = not m["oov"]
                tjobs.append(pool.apply_async(align_job, ({"wav": wav, "words": [m["word"] for m in tw],
                                                           "prons": {m["word"]: cmu_pron(m["phones"]) for m in tw},
                                                           "req": {"kind": "teacher", "speaker": spk, "sid": i},
                                                           "marks": tw},)))
        results = []
        for k, p in enumerate(pending):
            results.append(p.get())
            if (k + 1) % 100 == 0 or k + 1 == len(pending):
                log("aligned %d/%d" % (k + 1, len(pending)))
        tresults = [p.get() for p in tjobs]
        log("aligned %d teacher utterances (%d of %d sentences had a usable phone match)"
            % (len(tresults), len(tjobs), len(speakers) * len(sents)))
    finally:
        if daemon is not None:
            daemon.stop()
        pool.terminate()
        pool.join()
        shutil.rmtree(tmp, ignore_errors=True)

    # ------------------------------------------------------------ analysis
    failed = [r for r in results + tresults if r["aligned"] is None]
    words = [r for r in results if r["req"]["kind"] == "word" and r["aligned"] is not None]
    pauses = [r for r in results if r["req"]["kind"] == "pause" and r["aligned"] is not None]
    tgood = [r for r in tresults if r["aligned"] is not None]
    oov = sorted({m["word"] for r in results + tresults for m in r["marks"] if m["oov"]})
    n_oov = sum(1 for r in words for m in r["marks"] if m["oov"])

    # The aligner against the teachers' own timings: its offset (aligner - label) and its error floor.
    teacher = {}
    for spk in speakers:
        sub = [r for r in tgood if r["req"]["speaker"] == spk]
        teacher[spk] = summary(sub)
    tall = summary(tgood)
    # The aligner's offset on each teacher: minus the median of (label - aligner) over its word starts. A
    # speaker learnt its durations from its teacher, so its marks are calibrated with its teacher's offset.
    shift = {s: teacher[s]["start"]["bias_ms"] / 1000.0 for s in speakers if teacher[s]["start"]["n"]}
    aligner_offset = -tall["start"]["bias_ms"] / 1000.0 if tall["start"]["n"] else 0.0

    out = {"voice": manifest["name"], "audio_delay_samples": delay, "speakers": speakers, "speeds": list(SPEEDS),
           "sentences": len(sents), "utterances": len(words), "failed_alignments": len(failed),
           "words_missing_from_aligner_dictionary": {"count": n_oov, "words": oov},
           "aligner": "pocketsphinx 0.1.x (Debian python3-pocketsphinx), FSG search over a JSGF grammar of the "
                      "sentence's words, optional free silence (-silprob 1.0), 10 ms frames; start = start_frame "
                      "* 10 ms, end = (end_frame + 1) * 10 ms",
           "sign": "error = mark - aligner (negative: the mark comes before the aligner's boundary)",
           "target": TARGET}
    out["aligner_vs_teacher_labels"] = {"overall": tall, "per_teacher": teacher,
                                        "note": "error = teacher's own phone timing - aligner, same words"}
    out["aligner_offset_ms"] = {"all_teachers": round(aligner_offset * 1000, 1),
                                **{s: round(-v * 1000, 1) for s, v in shift.items()}}
    out["overall"] = summary(words)
    out["overall_aligner_calibrated"] = summary(words, shift)
    out["per_speed"] = {str(s): summary([r for r in words if r["req"]["speed"] == s]) for s in SPEEDS}
    out["per_speaker"] = {s: summary([r for r in words if r["req"]["speaker"] == s]) for s in speakers}
    out["per_condition"] = {"%s@%s" % (spk, s): summary([r for r in words if r["req"]["speaker"] == spk
                                                          and r["req"]["speed"] == s])
                            for spk in speakers for s in SPEEDS}
    out["per_speed_aligner_calibrated"] = {str(s): summary([r for r in words if r["req"]["speed"] == s], shift)
                                           for s in SPEEDS}
    out["per_speaker_aligner_calibrated"] = {s: summary([r for r in words if r["req"]["speaker"] == s], shift)
                                             for s in speakers}

    # Aligner-free lag: (energy onset - first word start) in ttsd's audio minus the same in the teacher's.
    tonset = {(r["req"]["speaker"], r["req"]["sid"]): r["onset"] - r["marks"][0]["start"]
              for r in tresults if r["onset"] is not None}
    lag = []
    for r in words:
        key = (r["req"]["speaker"], r["req"]["sid"])
        if r["req"]["speed"] == 1.0 and r["onset"] is not None and key in tonset:
            lag.append((r["onset"] - r["marks"][0]["start"]) - tonset[key])
    out["onset_lag"] = {"n": len(lag), "median_ms": round(float(np.median(lag)) * 1000, 1) if lag else None,
                        "note": "median over sentences at speed 1.0 of (energy onset - first word mark) in ttsd's "
                                "audio minus (energy onset - first word label) in the teacher's: the audio's lag "
                                "behind the marks that the aligner does not see"}

    # Sound in the leading pause, 10 ms or more above the threshold, over 50 ms before the first word.
    out["leading_pause_sound"] = {
        "note": "utterances whose leading pause holds 10 ms or more of sound (5 ms frames within 30 dB of the "
                "speech) ending over 50 ms before the first word's mark (ttsd) or label (teacher)",
        "ttsd": {s: "%d of %d" % (sum(r["leading_sound_s"] >= 0.01 for r in words if r["req"]["speaker"] == s),
                                  sum(1 for r in words if r["req"]["speaker"] == s)) for s in speakers},
        "teacher": {s: "%d of %d" % (sum(r["leading_sound_s"] >= 0.01 for r in tgood if r["req"]["speaker"] == s),
                                     sum(1 for r in tgood if r["req"]["speaker"] == s)) for s in speakers}}
    out["first_word_start_over_50ms_off"] = {
        s: "%d of %d" % (sum(abs(r["marks"][0]["start"] - r["aligned"][0][0]) > 0.05 for r in words
                             if r["req"]["speaker"] == s and r["marks"][0]["scored"]),
                         sum(1 for r in words if r["req"]["speaker"] == s and r["marks"][0]["scored"]))
        for s in speakers}

    # Pauses.
    pause = {}
    for n in PAUSES_MS:
        sub = [r for r in pauses if r["req"]["pause_ms"] == n]
        mg, ag, eg = [], [], []
        for r in sub:
            k = r["req"]["n_first"]
            mg.append(r["marks"][k]["start"] - r["marks"][k - 1]["end"] - n / 1000.0)
            ag.append(r["aligned"][k][0] - r["aligned"][k - 1][1] - n / 1000.0)
            eg.append(r["energy_gap"] - n / 1000.0)
        f = lambda v: {"n": len(v), "median_ms": round(float(np.median(v)) * 1000, 1),
                       "min_ms": round(float(np.min(v)) * 1000, 1), "max_ms": round(float(np.max(v)) * 1000, 1),
                       "median_abs_ms": round(float(np.median(np.abs(v))) * 1000, 1)} if v else {"n": 0}
        # What the tag adds beyond the shortest pause of the same text, speaker and speed: the edges of the
        # two sentences are the same in both, so this is the inserted silence alone.
        inc_a, inc_e = [], []
        for r in sub:
            k = r["req"]["n_first"]
            base = [b for b in pauses if b["req"]["pause_ms"] == PAUSES_MS[0] and all(
                b["req"][q] == r["req"][q] for q in ("speaker", "speed", "sid"))]
            if n == PAUSES_MS[0] or not base:
                continue
            b = base[0]
            added = (n - PAUSES_MS[0]) / 1000.0
            inc_a.append((r["aligned"][k][0] - r["aligned"][k - 1][1]) - (b["aligned"][k][0] - b["aligned"][k - 1][1])
                         - added)
            inc_e.append(r["energy_gap"] - b["energy_gap"] - added)
        # Where the heard silence begins after the first sentence's last mark and ends after the next
        # sentence's first mark (both include the audio's lag behind the marks, which cancels in the gap).
        ea = [r["energy_silence"][0] - r["marks"][r["req"]["n_first"] - 1]["end"] for r in sub]
        eb = [r["energy_silence"][1] - r["marks"][r["req"]["n_first"]]["start"] for r in sub]
        pause[str(n)] = {"marks_gap_minus_asked": f(mg), "aligner_gap_minus_asked": f(ag),
                         "energy_gap_minus_asked": f(eg), "energy_silence_start_minus_last_word_end": f(ea),
                         "energy_silence_end_minus_next_word_start": f(eb),
                         "aligner_added_minus_asked_vs_%dms" % PAUSES_MS[0]: f(inc_a),
                         "energy_added_minus_asked_vs_%dms" % PAUSES_MS[0]: f(inc_e)}
    out["pauses"] = pause
    out["pause_note"] = ("gap = next sentence's first word start - previous sentence's last word end; energy gap = "
                         "longest run of 5 ms frames 30 dB under the utterance's loud frames between the two words")

    # Lag to cancel: the calibrated bias (mark - truth), start of words, every speaker and speed. Within
    # half an aligner frame (5 ms) it is not told apart from zero, and the setting is left as it is.
    cal_bias = out["overall_aligner_calibrated"]["start"]["bias_ms"]
    zeroing = int(max(0, min(1600, delay - round(cal_bias / 1000.0 * SR))))
    out["audio_delay_samples_zeroing_calibrated_bias"] = zeroing
    out["suggested_audio_delay_samples"] = delay if abs(cal_bias) <= 5.0 else zeroing
    out["elapsed_s"] = round(time.time() - t_start, 1)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    plot(args.plot, words, tgood, pauses, out)

    # ------------------------------------------------------------ report
    def row(name, s):
        st, en = s["start"], s["end"]
        return "%-22s %6d %9.1f %9.1f %8.1f %9.1f %9.1f %8.1f" % (
            name, st["n"], st["median_abs_ms"], st["p95_abs_ms"], st["bias_ms"], en["median_abs_ms"],
            en["p95_abs_ms"], en["bias_ms"])
    print("\nword marks - aligner (ms; negative bias = mark early)")
    print("%-22s %6s %9s %9s %8s %9s %9s %8s" % ("", "words", "start med", "start p95", "bias", "end med",
                                                 "end p95", "bias"))
    for s in SPEEDS:
        print(row("speed %s" % s, out["per_speed"][str(s)]))
    for s in speakers:
        print(row(s, out["per_speaker"][s]))
    for s in SPEEDS:
        print(row("speed %s, calibr." % s, out["per_speed_aligner_calibrated"][str(s)]))
    for s in speakers:
        print(row(s + ", calibr.", out["per_speaker_aligner_calibrated"][s]))
    print(row("all", out["overall"]))
    print(row("all, calibrated", out["overall_aligner_calibrated"]))
    for s in speakers:
        print(row("teacher " + s, teacher[s]))
    print(row("teacher labels", tall))
    print("aligner offset (aligner - teacher label, starts): %+.1f ms over all teachers (%s); onset lag "
          "(aligner-free): %s ms" % (aligner_offset * 1000, ", ".join("%s %+.1f" % (s, -v * 1000)
                                                                      for s, v in shift.items()),
                                     out["onset_lag"]["median_ms"]))
    print("first word's start over 50 ms from the aligner: %s" % ", ".join(
        "%s %s" % kv for kv in out["first_word_start_over_50ms_off"].items()))
    print("sound in the leading pause: ttsd %s; teachers %s" % (
        ", ".join("%s %s" % kv for kv in out["leading_pause_sound"]["ttsd"].items()),
        ", ".join("%s %s" % kv for kv in out["leading_pause_sound"]["teacher"].items())))
    print("\npauses (ms, median [min, max] of measured - asked)")
    for n in PAUSES_MS:
        p = pause[str(n)]
        print("%5d ms  marks %s  aligner %s  energy %s" % (n, *(
            "%+.1f [%+.1f, %+.1f]" % (p[k]["median_ms"], p[k]["min_ms"], p[k]["max_ms"]) if p[k]["n"] else "-"
            for k in ("marks_gap_minus_asked", "aligner_gap_minus_asked", "energy_gap_minus_asked"))))
    print("heard silence starts after the last word's mark / ends after the next word's mark (median ms):")
    for n in PAUSES_MS:
        p = pause[str(n)]
        print("%5d ms  %+.1f / %+.1f" % (n, p["energy_silence_start_minus_last_word_end"]["median_ms"],
                                         p["energy_silence_end_minus_next_word_start"]["median_ms"]))
    print("silence added beyond the %d ms pause of the same text - what was added (median [min, max]):" % PAUSES_MS[0])
    for n in PAUSES_MS[1:]:
        p = pause[str(n)]
        print("%5d ms  aligner %s  energy %s" % (n, *(
            "%+.1f [%+.1f, %+.1f]" % (p[k]["median_ms"], p[k]["min_ms"], p[k]["max_ms"]) if p[k]["n"] else "-"
            for k in ("aligner_added_minus_asked_vs_%dms" % PAUSES_MS[0], "energy_added_minus_asked_vs_%dms" % PAUSES_MS[0]))))
    print("\nwords missing from the aligner's dictionary (aligned with ttsd's pronunciation, not scored): %d (%s)"
          % (n_oov, ", ".join(oov) or "none"))
    print("failed alignments: %d" % len(failed))
    print("audio_delay_samples now %d; calibrated start bias %+.1f ms (%d would zero it): %s"
          % (delay, cal_bias, zeroing, "within half an aligner frame, keep %d" % delay if abs(cal_bias) <= 5.0
             else "set it to %d" % zeroing))
    log("wrote %s and %s" % (args.out, args.plot))


def plot(path, words, tgood, pauses, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.4))
    bins = np.arange(-151.25, 152, 5)  # errors lie on a 2.5 ms grid (12.5 ms frames, 10 ms aligner): 2 per bin
    for s in SPEEDS:
        e = np.array(word_errors([r for r in words if r["req"]["speed"] == s])["start"]) * 1000
        ax[0].hist(e, bins=bins, histtype="step", lw=1.5, density=True, label="ttsd, speed %s (n=%d)" % (s, len(e)))
        a = np.sort(np.abs(e))
        ax[1].plot(a, np.arange(1, len(a) + 1) / len(a), lw=1.5, label="speed %s" % s)
    te = np.array(word_errors(tgood)["start"]) * 1000
    ax[0].hist(te, bins=bins, histtype="stepfilled", color="0.8", density=True, zorder=0,
               label="teacher labels (n=%d)" % len(te))
    a = np.sort(np.abs(te))
    ax[1].plot(a, np.arange(1, len(a) + 1) / len(a), color="0.6", ls="--", label="teacher labels")
    ax[0].axvline(0, color="k", lw=0.5)
    ax[0].set_xlabel("word start: mark - aligner (ms)")
    ax[0].set_title("signed start error (audio_delay_samples %d)" % out["audio_delay_samples"])
    ax[0].legend(fontsize=7)
    for x, lab in ((30, "median target"), (80, "p95 target")):
        ax[1].axvline(x, color="r", ls=":", lw=1)
        ax[1].text(x + 2, 0.05, lab, color="r", fontsize=7, rotation=90)
    ax[1].axhline(0.5, color="0.7", lw=0.5)
    ax[1].axhline(0.95, color="0.7", lw=0.5)
    ax[1].set_xlim(0, 150)
    ax[1].set_xlabel("|word start error| (ms)")
    ax[1].set_ylabel("fraction of words")
    ax[1].set_title("CDF of |start error| against the aligner")
    ax[1].legend(fontsize=7, loc="lower right")
    for j, n in enumerate(PAUSES_MS):
        sub = [r for r in pauses if r["req"]["pause_ms"] == n]
        k = [r["req"]["n_first"] for r in sub]
        ag = [(r["aligned"][i][0] - r["aligned"][i - 1][1]) * 1000 - n for r, i in zip(sub, k)]
        eg = [r["energy_gap"] * 1000 - n for r in sub]
        ax[2].scatter(np.full(len(ag), j - 0.1) + np.random.RandomState(j).uniform(-0.05, 0.05, len(ag)), ag, s=8,
                      color="C0", label="aligner" if j == 0 else None)
        ax[2].scatter(np.full(len(eg), j + 0.1) + np.random.RandomState(j + 9).uniform(-0.05, 0.05, len(eg)), eg, s=8,
                      color="C1", label="energy" if j == 0 else None)
    ax[2].axhline(0, color="k", lw=0.5, label="marks (exact)")
    ax[2].set_xticks(range(len(PAUSES_MS)))
    ax[2].set_xticklabels(["%d ms" % n for n in PAUSES_MS])
    ax[2].set_ylabel("silence in the audio - asked (ms)")
    ax[2].set_title("[pause:N]: silence heard vs asked")
    ax[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


if __name__ == "__main__":
    main()
