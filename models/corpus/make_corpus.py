#!/usr/bin/python3
"""Generates the training corpus for the default voice from Debian's synthesizers.

  /usr/bin/python3 models/corpus/make_corpus.py [--per-speaker 500] [--out models/work/corpus]

Deterministic (fixed sentence shuffle and assignment) and resumable (an utterance whose meta file
exists is skipped). Writes per utterance: wav/<speaker>/<id>.wav (16 kHz mono), mel/<speaker>/<id>.npy
(log-mel, float16) and meta/<speaker>/<id>.json; then manifest.jsonl (one line per utterance:
source, text, speaker, engine, voice, settings, phones with durations) and a packed training cache
(see pack()).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "train"))
import phones as ph  # noqa: E402
import text_sources  # noqa: E402

HTS_VOICE = "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"

# name, engine, voice, settings. The order is the speaker id order of the corpus.
SPEAKERS = [
    ("rms", "flite", "rms", {}),
    ("slt", "flite", "slt", {}),
    ("slt-low", "flite", "slt", {"int_f0_target_mean": 140, "int_f0_target_stddev": 18}),
    ("slt-high", "flite", "slt", {"int_f0_target_mean": 205, "int_f0_target_stddev": 30}),
    ("awb", "flite", "awb", {}),
    ("awb-low", "flite", "awb", {"int_f0_target_mean": 88, "int_f0_target_stddev": 10}),
    ("awb-high", "flite", "awb", {"int_f0_target_mean": 135, "int_f0_target_stddev": 22}),
    ("kal16", "flite", "kal16", {}),
    ("kal16-low", "flite", "kal16", {"int_f0_target_mean": 85, "int_f0_target_stddev": 10}),
    ("kal16-high", "flite", "kal16", {"int_f0_target_mean": 140, "int_f0_target_stddev": 25}),
    ("hts", "hts", "slt_hts", {"fm": 0, "a": 0.45}),
    ("hts-low", "hts", "slt_hts", {"fm": -4, "a": 0.50}),
    ("hts-deep", "hts", "slt_hts", {"fm": -9, "a": 0.53}),
    ("hts-bright", "hts", "slt_hts", {"fm": 3, "a": 0.45}),
    ("hts-warm", "hts", "slt_hts", {"fm": -2, "a": 0.56}),
    ("hts-mid", "hts", "slt_hts", {"fm": -6, "a": 0.47}),
    ("kal", "festival", "kal_diphone", {}),
    ("kal-low", "festival", "kal_diphone", {"target_f0_mean": 88, "target_f0_std": 10}),
    ("kal-high", "festival", "kal_diphone", {"target_f0_mean": 135, "target_f0_std": 22}),
    ("ked", "festival", "ked_diphone", {}),
    ("ked-low", "festival", "ked_diphone", {"target_f0_mean": 90, "target_f0_std": 11}),
    ("ked-high", "festival", "ked_diphone", {"target_f0_mean": 132, "target_f0_std": 22}),
]
SR, HOP = 16000, 200


def read_wav16k(path):
    from scipy.io import wavfile
    from scipy.signal import resample_poly
    rate, x = wavfile.read(path)
    x = x.astype(np.float32) / 32768.0
    if x.ndim > 1:
        x = x.mean(axis=1)
    if rate != SR:
        g = np.gcd(rate, SR)
        x = resample_poly(x, SR // g, rate // g).astype(np.float32)
    return x


def synth_flite(voice, settings, text, wav):
    cmd = ["flite", "-voice", voice, "-psdur"]
    for k, v in settings.items():
        cmd += ["--setf", "%s=%s" % (k, v)]
    out = subprocess.run(cmd + ["-t", text, "-o", wav], capture_output=True, text=True, check=True).stdout
    res, prev = [], 0.0
    for tok in out.split():
        if ":" in tok:
            name, end = tok.rsplit(":", 1)
            res.append((name, float(end) - prev))
            prev = float(end)
    return res


def _scheme_str(s):
    return '"' + s.replace("\\", " ").replace('"', " ") + '"'


def synth_festival_batch(voice, settings, items, tmp):
    """items: [(uid, text)] -> {uid: (wav path, [(phone, dur)])}; one festival process per batch."""
    lines = ["(voice_%s)" % voice]
    if "target_f0_mean" in settings:
        lines.append("(set! int_lr_params '((target_f0_mean %s) (target_f0_std %s) (model_f0_mean 170) "
                     "(model_f0_std 34)))" % (settings["target_f0_mean"], settings["target_f0_std"]))
    seg = ("(let ((fd (fopen %s \"w\"))) (mapcar (lambda (s) (format fd \"%%s %%f\\n\" (item.name s) "
           "(item.feat s 'end))) (utt.relation.items utt 'Segment)) (fclose fd))")
    if "duration_stretch" in settings:
        lines.append("(Parameter.set 'Duration_Stretch %s)" % settings["duration_stretch"])
    hts = voice == "slt_hts"
    if hts:
        lines = ["(voice_cmu_us_slt_arctic_hts)"]
    for uid, text in items:
        base = os.path.join(tmp, uid)
        if hts:
            lines.append("(set! utt (Utterance Text %s))" % _scheme_str(text))
            lines.append("(Initialize utt) (Text utt) (Token_POS utt) (Token utt) (POS utt) (Phrasify utt) "
                         "(Word utt) (Pauses utt) (Intonation utt) (PostLex utt) (Duration utt) (Int_Targets utt)"
                         " (apply_hooks hts_synth_pre_hooks utt)")
            lines.append('(hts_dump_feats utt hts_feats_list "%s.lab")' % base)
        else:
            lines.append("(set! utt (SynthText %s))" % _scheme_str(text))
            lines.append("(utt.save.wave utt \"%s.wav\" 'riff)" % base)
            lines.append(seg % _scheme_str(base + ".seg"))
    script = os.path.join(tmp, "batch.scm")
    with open(script, "w") as f:
        f.write("\n".join(lines) + "\n")
    subprocess.run(["festival", "-b", script], capture_output=True, check=True)
    out = {}
    for uid, _ in items:
        base = os.path.join(tmp, uid)
        if hts:
            continue
        res, prev = [], 0.0
        if not os.path.exists(base + ".seg"):
            continue
        for line in open(base + ".seg"):
            name, end = line.split()
            res.append((name, float(end) - prev))
            prev = float(end)
        out[uid] = (base + ".wav", res)
    return out


def synth_hts(settings, lab, wav):
    dur = wav[:-4] + ".dur"
    extra = []
    for key in ("r", "jf"):  # speech rate, intonation (log F0 variance) weight
        if key in settings:
            extra += ["-" + key, str(settings[key])]
    subprocess.run(["hts_engine", "-m", HTS_VOICE, "-fm", str(settings["fm"]), "-a", str(settings["a"])] + extra +
                   ["-ow", wav, "-od", dur, lab], capture_output=True, check=True)
    res = []
    for line in open(dur):
        s, e, label = line.split(None, 2)
        name = label.split("-", 1)[1].split("+", 1)[0]
        res.append((name, (int(e) - int(s)) * 1e-7))
    return res


def finish_utt(out, spk_id, spk, uid, src, text, wav_in, teacher, shape=None, extra=None):
    """Normalizes loudness, maps phones, computes frames and mels, writes the three files.
    shape(x) -> x reshapes the normalized audio (emotion: gain, tilt, tremolo); extra goes into meta."""
    import torch
    from scipy.io import wavfile
    from audio import log_mel
    name, engine, voice, settings = spk
    x = read_wav16k(wav_in)
    n = len(x) // HOP
    if n < 8:
        return None
    x = x[: n * HOP]
    rms = float(np.sqrt(np.mean(x ** 2)) + 1e-9)
    x = x * min(0.06 / rms, 0.95 / (np.abs(x).max() + 1e-9))
    if shape is not None:
        x = shape(x)
        x = x * min(1.0, 0.95 / (np.abs(x).max() + 1e-9))
    mapped, dist = ph.map_teacher(text, teacher)
    ends = np.cumsum([d for _, d in mapped])
    bounds = np.minimum(np.round(ends * SR / HOP).astype(np.int64), n)
    bounds[-1] = n
    durs = np.diff(np.concatenate([[0], bounds])).clip(min=0)
    mel = log_mel(torch.from_numpy(x)[None])[0].numpy().astype(np.float16)
    for d in ("wav", "mel", "meta"):
        os.makedirs(os.path.join(out, d, name), exist_ok=True)
    wavfile.write(os.path.join(out, "wav", name, uid + ".wav"), SR, (x * 32767).astype(np.int16))
    np.save(os.path.join(out, "mel", name, uid + ".npy"), mel)
    meta = {"id": uid, "speaker": name, "speaker_id": spk_id, "engine": engine, "voice": voice,
            "settings": settings, "source": src, "text": text, "frames": int(n),
            "phones": [p for p, _ in mapped], "durations": [int(d) for d in durs],
            "phone_seconds": [round(d, 4) for _, d in mapped], "lexicon_distance": dist}
    meta.update(extra or {})
    tmp = os.path.join(out, "meta", name, uid + ".json.tmp")
    with open(tmp, "w") as f:
        json.dump(meta, f)
    os.replace(tmp, os.path.join(out, "meta", name, uid + ".json"))
    return n * HOP / SR


def run_job(job):
    out, spk_id, items = job
    spk = SPEAKERS[spk_id]
    name, engine, voice, settings = spk
    seconds, failed = 0.0, 0
    with tempfile.TemporaryDirectory() as tmp:
        if engine == "flite":
            for uid, src, text in items:
                wav = os.path.join(tmp, uid + ".wav")
                try:
                    t = synth_flite(voice, settings, text, wav)
                    seconds += finish_utt(out, spk_id, spk, uid, src, text, wav, t) or 0
                except Exception as e:  # noqa
                    failed += 1
                    print("skip %s/%s: %s" % (name, uid, e), file=sys.stderr)
        else:
            got = synth_festival_batch(voice, settings if engine == "festival" else {},
                                       [(u, t) for u, _, t in items], tmp)
            for uid, src, text in items:
                try:
                    if engine == "hts":
                        wav = os.path.join(tmp, uid + ".wav")
                        t = synth_hts(settings, os.path.join(tmp, uid + ".lab"), wav)
                    else:
                        wav, t = got[uid]
                    seconds += finish_utt(out, spk_id, spk, uid, src, text, wav, t) or 0
                except Exception as e:  # noqa
                    failed += 1
                    print("skip %s/%s: %s" % (name, uid, e), file=sys.stderr)
    return len(items), seconds, failed


def plan(per_speaker, speakers, heldout):
    sents = text_sources.corpus_sentences(heldout)
    jobs = []
    for k, spk_id in enumerate(speakers):
        chunk = sents[k * per_speaker:(k + 1) * per_speaker]
        items = [("%s-%05d" % (SPEAKERS[spk_id][0], i), src, text) for i, (src, text) in enumerate(chunk)]
        jobs.append((spk_id, items))
    return jobs


def write_manifest(out):
    n, secs = 0, 0.0
    with open(os.path.join(out, "manifest.jsonl.tmp"), "w") as f:
        for name, *_ in SPEAKERS:
            d = os.path.join(out, "meta", name)
            if not os.path.isdir(d):
                continue
            for fn in sorted(os.listdir(d)):
                if fn.endswith(".json"):
                    m = json.load(open(os.path.join(d, fn)))
                    f.write(json.dumps(m) + "\n")
                    n += 1
                    secs += m["frames"] * HOP / SR
    os.replace(os.path.join(out, "manifest.jsonl.tmp"), os.path.join(out, "manifest.jsonl"))
    return n, secs


def pack(out, cache):
    """Packs the corpus for training: mels.npy [F,80] f16, audio.npy [F*HOP] i16, phones.npy and
    durs.npy (int16, concatenated) and index.json (per utterance offsets, speaker, text)."""
    from scipy.io import wavfile
    os.makedirs(cache, exist_ok=True)
    metas = [json.loads(l) for l in open(os.path.join(out, "manifest.jsonl"))]
    F = sum(m["frames"] for m in metas)
    P = sum(len(m["phones"]) for m in metas)
    mels = np.lib.format.open_memmap(os.path.join(cache, "mels.npy.tmp"), "w+", np.float16, (F, 80))
    aud = np.lib.format.open_memmap(os.path.join(cache, "audio.npy.tmp"), "w+", np.int16, (F * HOP,))
    phs = np.zeros(P, np.int16)
    durs = np.zeros(P, np.int16)
    index, f0, p0 = [], 0, 0
    for m in metas:
        n, k = m["frames"], len(m["phones"])
        mels[f0:f0 + n] = np.load(os.path.join(out, "mel", m["speaker"], m["id"] + ".npy"))
        aud[f0 * HOP:(f0 + n) * HOP] = wavfile.read(os.path.join(out, "wav", m["speaker"], m["id"] + ".wav"))[1]
        phs[p0:p0 + k] = [ph.PHONE_ID[p] for p in m["phones"]]
        durs[p0:p0 + k] = m["durations"]
        index.append({"id": m["id"], "speaker": m["speaker"], "speaker_id": m["speaker_id"], "frame": f0,
                      "frames": n, "phone": p0, "phones": k, "lexicon_distance": m["lexicon_distance"]})
        if "emotion" in m:
            index[-1]["emotion"] = m["emotion"]
        f0, p0 = f0 + n, p0 + k
    mels.flush()
    aud.flush()
    del mels, aud
    for name in ("mels", "audio"):
        os.replace(os.path.join(cache, name + ".npy.tmp"), os.path.join(cache, name + ".npy"))
    np.save(os.path.join(cache, "phones.npy"), phs)
    np.save(os.path.join(cache, "durs.npy"), durs)
    json.dump({"speakers": [s[0] for s in SPEAKERS], "phonemes": ph.INVENTORY, "utts": index},
              open(os.path.join(cache, "index.json"), "w"))
    return F


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "work", "corpus"))
    ap.add_argument("--cache", default=None, help="packed cache dir (default OUT/../cache)")
    ap.add_argument("--per-speaker", type=int, default=500)
    ap.add_argument("--speakers", default="", help="comma list of speaker names (default all)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=40)
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    cache = args.cache or os.path.join(os.path.dirname(out), "cache")
    names = [s[0] for s in SPEAKERS]
    spk_ids = [names.index(s) for s in args.speakers.split(",")] if args.speakers else list(range(len(SPEAKERS)))
    heldout = os.path.join(HERE, "..", "eval", "sentences.txt")
    t0 = time.time()
    todo, total = [], 0
    for spk_id, items in plan(args.per_speaker, spk_ids, heldout):
        name = SPEAKERS[spk_id][0]
        total += len(items)
        left = [it for it in items if not os.path.exists(os.path.join(out, "meta", name, it[0] + ".json"))]
        for i in range(0, len(left), args.chunk):
            todo.append((out, spk_id, left[i:i + args.chunk]))
    # Interleave speakers so both workers stay busy with a mix of fast and slow engines.
    todo.sort(key=lambda j: (int(j[2][0][0].rsplit("-", 1)[1]), j[1]))
    done = total - sum(len(j[2]) for j in todo)
    print("corpus: %d speakers, %d utterances, %d to do, %d jobs, out %s" % (len(spk_ids), total,
          total - done, len(todo), out), flush=True)
    secs, failed = 0.0, 0
    with Pool(args.jobs) as pool:
        for n, s, fl in pool.imap_unordered(run_job, todo):
            done += n
            secs += s
            failed += fl
            el = time.time() - t0
            rate = (done - (total - sum(len(j[2]) for j in todo))) / max(el, 1e-6)
            eta = (total - done) / max(rate, 1e-6)
            bar = "#" * int(30 * done / max(total, 1))
            print("[%-30s] %d/%d utts, +%.0f s audio, %d failed, %.0f s elapsed, eta %.0f s" %
                  (bar, done, total, secs, failed, el, eta), flush=True)
    n, hours = write_manifest(out)
    print("manifest: %d utterances, %.2f hours" % (n, hours / 3600), flush=True)
    F = pack(out, cache)
    print("packed %d frames into %s (%.0f s total)" % (F, cache, time.time() - t0), flush=True)


if __name__ == "__main__":
    main()
