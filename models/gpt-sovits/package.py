#!/usr/bin/env python3
"""Turns a GPT-SoVITS checkout and a trained voice into a ttsd voice package (family "gpt-sovits").

    python models/gpt-sovits/package.py \\
        --gpt-sovits ~/GPT-SoVITS --python ~/GPT-SoVITS/.venv/bin/python \\
        --gpt-weights GPT_weights_v2Pro/anna-e15.ckpt --sovits-weights SoVITS_weights_v2Pro/anna_e8_s200.pth \\
        --reference anna.wav --reference-text "What anna.wav says." \\
        --version v2Pro --name anna --out ~/voices/anna [--device cpu|cuda] [--half]

It runs GPT-SoVITS's OWN exporters from the checkout, as separate processes with the checkout's Python
(--python; default: the Python running this script), then writes the package:

  1. GPT_SoVITS/stream_v2pro.py          -> t2s.pt, vits.pt          (the streaming export)
  2. GPT_SoVITS/export_torch_script.py --export_common_model
                                         -> ssl_model.pt, bert_model.pt (the Chinese BERT, kept with the
                                                                      checkout's chinese-roberta vocab.txt; also the
                                                                      one-shot gpt_sovits_model.pt, which ttsd does
                                                                      not use)
  3. t2s_logits.py (ttsd's, next to this) -> t2s.pt inside a wrapper   (adds prefill_logits and step_logits:
                                                                      ttsd samples in C++ from the logits)
  4. GPT_SoVITS/text/symbols2.py          -> symbols.json             (upstream's v2 symbol table, index = id)
  5. the reference recording              -> reference.wav
  6. voice.json                            (models/README.md, "GPT-SoVITS voices")

Nothing of GPT-SoVITS is copied into ttsd; the exporters run as they are. They must be able to run in the
checkout: pretrained_models/chinese-hubert-base, chinese-roberta-wwm-ext-large (upstream's inference_webui
loads it at import, and the exporters trace it) and sv/pretrained_eres2netv2w24s4ep4.ckpt, NLTK's data for
g2p_en, and what the exporters' own example sentences need (they phonemise Chinese text). The subprocesses get
upstream's module path (what webui.py writes to users.pth), gpt_path/sovits_path set to the given weights
(inference_webui loads a default model at import), and the environment otherwise as it is (entries of a
PYTHONPATH you set come first, e.g. a sitecustomize with local shims; see README.md).

Checked before anything runs: the checkout's files, the weights (upstream's own version detection,
process_ckpt.get_sovits_version_from_path_fast, must agree with --version), the reference (a PCM WAV of
3-10 s: upstream refuses a reference outside 48000-160000 samples at 16 kHz), the name, the output folder.
Checked after: the three TorchScript files load and have the methods ttsd calls, and t2s's attributes agree
with symbols.json.

--version v2 (non-Pro) is refused: upstream's stream_v2pro.py exports the v2Pro/v2ProPlus StepVitsModel,
whose ref_handle always runs the ERes2NetV2 speaker encoder and whose forward hands sv_emb to the model;
nothing upstream shows it used for a v2 model (stream_v2pro.py calls itself experimental and defaults to
v2Pro), it was not tried here, and ttsd's runtime was only tested against v2Pro exports. See README.md.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
SUPPORTED_VERSIONS = ("v2Pro", "v2ProPlus")
REFUSED_VERSIONS = {
    "v2": "v2 (non-Pro) is not supported: upstream's streaming exporter GPT_SoVITS/stream_v2pro.py is written "
          "for v2Pro/v2ProPlus (its vits.pt always carries the ERes2NetV2 speaker encoder and passes sv_emb to "
          "the model); nothing shows it working for v2, and ttsd was not tested with such a file. Fine-tune from the v2Pro "
          "or v2ProPlus base model instead.",
    "v1": "v1 is not supported (different symbol table, no streaming export).",
    "v3": "v3 is not supported (CFM/BigVGAN decoder; upstream has no streaming TorchScript export for it).",
    "v4": "v4 is not supported (CFM/HiFiGAN decoder; upstream has no streaming TorchScript export for it).",
}
NAME_RE = re.compile(r"^[a-z0-9._-]{1,64}$")
MIN_REF_S, MAX_REF_S = 3.0, 10.0
SYMBOLS_V2_LEN = 732

# The checkout files the exporters need, relative to the checkout root.
NEEDED_FILES = [
    "GPT_SoVITS/stream_v2pro.py",
    "GPT_SoVITS/export_torch_script.py",
    "GPT_SoVITS/inference_webui.py",
    "GPT_SoVITS/process_ckpt.py",
    "GPT_SoVITS/text/symbols2.py",
    "tools/my_utils.py",
    "config.py",
]
NEEDED_PRETRAINED = [
    ("GPT_SoVITS/pretrained_models/chinese-hubert-base/config.json",
     "HuBERT (chinese-hubert-base): exported as ssl_model.pt"),
    ("GPT_SoVITS/pretrained_models/chinese-roberta-wwm-ext-large/config.json",
     "BERT (chinese-roberta-wwm-ext-large): upstream's inference_webui loads it at import and "
     "export_torch_script.py exports it"),
    ("GPT_SoVITS/pretrained_models/sv/pretrained_eres2netv2w24s4ep4.ckpt",
     "ERes2NetV2 speaker encoder: stream_v2pro.py puts it into vits.pt"),
]
# What GPT-SoVITS's webui.py puts on sys.path (it writes them to site-packages/users.pth).
UPSTREAM_PATHS = ["", "GPT_SoVITS/BigVGAN", "tools", "tools/asr", "GPT_SoVITS", "tools/uvr5"]


class PackageError(Exception):
    pass


def log(msg):
    sys.stderr.write("package.py: %s\n" % msg)
    sys.stderr.flush()


# ---------------------------------------------------------------------------------------------- checks


def check_checkout(root):
    if not os.path.isdir(root):
        raise PackageError("--gpt-sovits %s: not a directory" % root)
    missing = [f for f in NEEDED_FILES if not os.path.isfile(os.path.join(root, f))]
    if missing:
        raise PackageError("--gpt-sovits %s does not look like a GPT-SoVITS checkout with the streaming exporter "
                           "(missing: %s). stream_v2pro.py appeared upstream in Nov 2025 (PR #2469); update the "
                           "checkout." % (root, ", ".join(missing)))
    missing = [(f, why) for f, why in NEEDED_PRETRAINED if not os.path.isfile(os.path.join(root, f))]
    if missing:
        raise PackageError("the checkout lacks pretrained models the exporters load (download them as "
                           "GPT-SoVITS's README says):\n" +
                           "\n".join("  %s  -- %s" % (f, why) for f, why in missing))


def check_reference(path):
    """Returns (duration_s, sample_rate, channels). Refuses anything but a 3-10 s PCM WAV."""
    if not os.path.isfile(path):
        raise PackageError("--reference %s: no such file" % path)
    try:
        with wave.open(path, "rb") as w:
            rate, frames, channels, width = w.getframerate(), w.getnframes(), w.getnchannels(), w.getsampwidth()
    except (wave.Error, EOFError) as e:
        raise PackageError("--reference %s: not a PCM WAV file (%s); convert it first, e.g. "
                           "ffmpeg -i IN -ac 1 -ar 32000 -c:a pcm_s16le ref.wav" % (path, e))
    if rate <= 0 or frames <= 0:
        raise PackageError("--reference %s: empty" % path)
    dur = frames / float(rate)
    # upstream: 48000 <= len(wav16k) <= 160000, i.e. 3 to 10 s
    if dur < MIN_REF_S or dur > MAX_REF_S:
        raise PackageError("--reference %s is %.2f s long; GPT-SoVITS needs 3-10 s of reference audio "
                           "(upstream refuses others)" % (path, dur))
    if width not in (1, 2, 3, 4):
        raise PackageError("--reference %s: unsupported sample width %d" % (path, width))
    return dur, rate, channels


# ttsd's user-lexicon words: letters and digits, inner apostrophes and hyphens (frontend/user-lexicon.h).
LEXICON_WORD = re.compile(r"^[a-z0-9]+(?:['-][a-z0-9]+)*$")


def write_lexicon(root, path):
    """The words upstream's English frontend (GPT_SoVITS/text/english.py) spells from its dictionaries, in
    its order: cmudict.rep from line 57, then cmudict-fast.rep for words not in it, then engdict-hot.rep over
    both; written in ttsd's user-lexicon format. Words ttsd's lexicon cannot hold are left out (counted)."""
    text = os.path.join(root, "GPT_SoVITS", "text")
    words = {}
    with open(os.path.join(text, "cmudict.rep"), encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            if number < 57 or "  " not in line.strip():
                continue
            word, phones = line.strip().split("  ", 1)
            words[word.lower()] = phones.replace(" - ", " ").split()
    with open(os.path.join(text, "cmudict-fast.rep"), encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.strip().split(" ")
            if len(parts) > 1:
                words.setdefault(parts[0].lower(), parts[1:])
    with open(os.path.join(text, "engdict-hot.rep"), encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.strip().split(" ")
            if len(parts) > 1:
                words[parts[0].lower()] = parts[1:]
    kept = skipped = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write("# Upstream GPT-SoVITS's English dictionaries (CMUdict and its additions), written by package.py\n")
        for word in sorted(words):
            phones = [p for p in words[word] if p]
            if not LEXICON_WORD.match(word) or not phones or not all(re.match(r"^[A-Z]+[0-2]?$", p) for p in phones):
                skipped += 1
                continue
            out.write("%s  %s\n" % (word, " ".join(phones)))
            kept += 1
    log("lexicon.txt: %d words (%d that ttsd's lexicon format cannot hold left out)" % (kept, skipped))


def run_probe(python, root, code, env):
    """Runs a snippet with the checkout's Python in the checkout; returns its last stdout line as JSON."""
    p = subprocess.run([python, "-c", code], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if p.returncode != 0:
        raise PackageError("probe with %s failed (exit %d):\n%s" % (python, p.returncode, p.stderr[-4000:]))
    lines = [l for l in p.stdout.splitlines() if l.startswith("{") or l.startswith("[")]
    if not lines:
        raise PackageError("probe with %s printed no result:\n%s" % (python, p.stdout[-2000:]))
    return json.loads(lines[-1])


PROBE_VERSIONS = r"""
import json, sys, torch
from process_ckpt import get_sovits_version_from_path_fast
sym, model_version, lora = get_sovits_version_from_path_fast(%r)
try:
    d = torch.load(%r, map_location="cpu", weights_only=False)
    err = None
except Exception as e:
    d, err = {}, "%%s: %%s" %% (type(e).__name__, e)
cfg = d.get("config", {}) if isinstance(d, dict) else {}
ok = isinstance(d, dict) and "weight" in d and isinstance(cfg, dict) and "model" in cfg
n_layer = cfg.get("model", {}).get("n_layer") if ok else None
print(json.dumps({"sovits": [sym, model_version, bool(lora)], "gpt_ok": ok, "gpt_error": err, "gpt_n_layer": n_layer,
                  "gpt_phoneme_vocab": cfg.get("model", {}).get("phoneme_vocab_size") if ok else None,
                  "torch": torch.__version__}))
"""

PROBE_SYMBOLS = r"""
import json, runpy
s = runpy.run_path("GPT_SoVITS/text/symbols2.py")["symbols"]
print(json.dumps(list(s), ensure_ascii=True))
"""

PROBE_EXPORTS = r"""
import json, sys, torch
t2s = torch.jit.load(sys.argv[1], map_location="cpu")
vits = torch.jit.load(sys.argv[2], map_location="cpu")
ssl = torch.jit.load(sys.argv[3], map_location="cpu")
need = {"t2s": (t2s, ["pre_infer", "decode_next_token", "forward", "prefill_logits", "step_logits"]),
        "vits": (vits, ["ref_handle", "extract_latent", "forward"]),
        "ssl": (ssl, ["forward", "resample"])}
missing = [k + "." + m for k, (mod, ms) in need.items() for m in ms if not hasattr(mod, m)]
inner = t2s.stream.t2s
attrs = {a: int(getattr(inner, a)) for a in ["EOS", "num_layers", "model_dim", "num_head", "vocab_size",
                                             "phoneme_vocab_size"]}
dtype = str(next(iter(vits.parameters())).dtype)
print(json.dumps({"missing": missing, "t2s_attrs": attrs, "vits_dtype": dtype}))
"""


def subprocess_env(root, args):
    env = dict(os.environ)
    paths = [os.path.join(root, p) if p else root for p in UPSTREAM_PATHS]
    if env.get("PYTHONPATH"):
        # keep the caller's entries first (e.g. a sitecustomize with site-specific shims)
        paths = env["PYTHONPATH"].split(os.pathsep) + paths
    env["PYTHONPATH"] = os.pathsep.join(paths)
    # inference_webui (imported by both exporters) loads a default GPT and SoVITS at import time; point it
    # at the voice's own weights so no pretrained s1/s2 base model is needed.
    env["gpt_path"] = os.path.abspath(args.gpt_weights)
    env["sovits_path"] = os.path.abspath(args.sovits_weights)
    env["is_half"] = "True" if args.half else "False"
    env.setdefault("MPLBACKEND", "Agg")  # stream_v2pro.py imports matplotlib.pyplot
    if args.device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
        env.pop("_CUDA_VISIBLE_DEVICES", None)
    return env


def run_exporter(python, root, argv, env, log_path, what):
    log("%s: %s" % (what, " ".join(argv)))
    t0 = time.time()
    with open(log_path, "w") as f:
        p = subprocess.run([python] + argv, cwd=root, env=env, stdout=f, stderr=subprocess.STDOUT)
    log("%s: exit %d after %.0f s (log: %s)" % (what, p.returncode, time.time() - t0, log_path))
    if p.returncode != 0:
        with open(log_path, errors="replace") as f:
            tail = f.read()[-3000:]
        raise PackageError("%s failed (exit %d); the end of its log %s:\n%s" % (what, p.returncode, log_path, tail))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gpt-sovits", required=True, metavar="CHECKOUT", help="GPT-SoVITS checkout (its root)")
    ap.add_argument("--gpt-weights", required=True, metavar="X.ckpt", help="trained GPT (s1) weights")
    ap.add_argument("--sovits-weights", required=True, metavar="Y.pth", help="trained SoVITS (s2) weights")
    ap.add_argument("--reference", required=True, metavar="REF.wav", help="3-10 s of the voice, PCM WAV")
    ap.add_argument("--reference-text", required=True, help="what the reference says")
    ap.add_argument("--reference-lang", default="en",
                    help="language of the reference text for the exporters (upstream's codes: en, all_zh, "
                         "auto, ...; default en). Only the exporters' example run uses it.")
    ap.add_argument("--version", required=True, help="v2Pro or v2ProPlus (v2 is refused, see README.md)")
    ap.add_argument("--name", required=True, help="voice name: 1-64 of a-z 0-9 . _ -")
    ap.add_argument("--out", required=True, metavar="DIR", help="package folder to write")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                    help="export device = the device ttsd will run the voice on (default cpu)")
    ap.add_argument("--half", action="store_true", help="fp16 export (for CUDA); default fp32")
    ap.add_argument("--python", default=sys.executable,
                    help="the checkout's Python, with GPT-SoVITS's requirements (default: this Python)")
    ap.add_argument("--description", default=None, help="voice.json description")
    ap.add_argument("--top-k", type=int, default=15, help="voice.json top_k (default 15, upstream's)")
    ap.add_argument("--top-p", type=float, default=1.0, help="voice.json top_p (default 1: off, upstream's)")
    ap.add_argument("--temperature", type=float, default=1.0, help="voice.json temperature (default 1, upstream's)")
    ap.add_argument("--repetition-penalty", type=float, default=1.35,
                    help="voice.json repetition_penalty (default 1.35, upstream's)")
    ap.add_argument("--ssl-model", metavar="ssl_model.pt",
                    help="reuse an ssl_model.pt exported before (it depends only on the checkout's "
                         "chinese-hubert-base) and skip export_torch_script.py, which is slow: it also traces "
                         "the one-shot model, running a whole utterance; a bert_model.pt beside it is kept "
                         "too, else the voice speaks English only")
    ap.add_argument("--work-dir", help="where the exporters write (default: a temporary folder, removed "
                                       "unless something fails)")
    ap.add_argument("--force", action="store_true", help="write into --out even if it is not empty")
    args = ap.parse_args(argv)

    try:
        return build(args)
    except PackageError as e:
        log("error: %s" % e)
        return 2


def build(args):
    root = os.path.abspath(args.gpt_sovits)
    # ---- the arguments
    if args.version in REFUSED_VERSIONS:
        raise PackageError(REFUSED_VERSIONS[args.version])
    if args.version not in SUPPORTED_VERSIONS:
        raise PackageError("--version %s: unknown; supported: %s" % (args.version, ", ".join(SUPPORTED_VERSIONS)))
    if not NAME_RE.match(args.name):
        raise PackageError("--name %r: use 1-64 characters of a-z 0-9 . _ -" % args.name)
    if not args.reference_text.strip():
        raise PackageError("--reference-text is empty")
    if args.half and args.device == "cpu":
        raise PackageError("--half needs --device cuda (fp16 on CPU is not what ttsd runs; export fp32)")
    if not 1 <= args.top_k <= 1024:
        raise PackageError("--top-k must be 1-1024")
    if not 0 < args.top_p <= 1:
        raise PackageError("--top-p must be above 0 and at most 1")
    if not 0.01 <= args.temperature <= 2:
        raise PackageError("--temperature must be 0.01-2")
    if not 1 <= args.repetition_penalty <= 2:
        raise PackageError("--repetition-penalty must be 1-2")
    for opt, path in (("--gpt-weights", args.gpt_weights), ("--sovits-weights", args.sovits_weights)):
        if not os.path.isfile(path):
            raise PackageError("%s %s: no such file" % (opt, path))
    if args.ssl_model and not os.path.isfile(args.ssl_model):
        raise PackageError("--ssl-model %s: no such file" % args.ssl_model)
    if not (os.path.isfile(args.python) or shutil.which(args.python)):
        raise PackageError("--python %s: not found" % args.python)
    out = os.path.abspath(args.out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise PackageError("--out %s exists and is not a directory" % out)
    if os.path.isdir(out) and os.listdir(out) and not args.force:
        raise PackageError("--out %s is not empty (use --force to write into it)" % out)
    check_checkout(root)
    ref_s, ref_rate, ref_ch = check_reference(args.reference)
    log("reference %s: %.2f s, %d Hz, %d channel(s)" % (args.reference, ref_s, ref_rate, ref_ch))

    env = subprocess_env(root, args)
    # the subprocesses run in the checkout: resolve a relative --python here
    python = os.path.abspath(args.python) if os.sep in args.python else shutil.which(args.python)

    # ---- the weights, by upstream's own version detection
    info = run_probe(python, root, PROBE_VERSIONS % (os.path.abspath(args.sovits_weights),
                                                     os.path.abspath(args.gpt_weights)), env)
    sym_v, model_v, lora = info["sovits"]
    log("SoVITS weights: upstream says symbols %s, model %s%s; torch %s" %
        (sym_v, model_v, " (LoRA)" if lora else "", info["torch"]))
    if model_v != args.version:
        raise PackageError("--sovits-weights %s is a %s model by upstream's detection "
                           "(process_ckpt.get_sovits_version_from_path_fast), not %s; the exporters load "
                           "with strict=False, so a wrong --version would silently leave layers random"
                           % (args.sovits_weights, model_v, args.version))
    if not info["gpt_ok"]:
        raise PackageError("--gpt-weights %s is not a GPT-SoVITS s1 checkpoint (a dict with 'weight' and "
                           "'config')%s" % (args.gpt_weights, ": " + info["gpt_error"] if info["gpt_error"] else ""))
    if info["gpt_phoneme_vocab"] != SYMBOLS_V2_LEN:
        raise PackageError("--gpt-weights %s has phoneme_vocab_size %s, not %d (v2 symbols); is it a v1 GPT?"
                           % (args.gpt_weights, info["gpt_phoneme_vocab"], SYMBOLS_V2_LEN))
    torch_mm = ".".join(info["torch"].split("+")[0].split(".")[:2])

    # ---- symbols.json from the checkout
    symbols = run_probe(python, root, PROBE_SYMBOLS, env)
    if len(symbols) != SYMBOLS_V2_LEN or len(set(symbols)) != SYMBOLS_V2_LEN:
        raise PackageError("GPT_SoVITS/text/symbols2.py gave %d symbols, expected %d distinct"
                           % (len(symbols), SYMBOLS_V2_LEN))

    # ---- the exporters
    work = os.path.abspath(args.work_dir) if args.work_dir else tempfile.mkdtemp(prefix="gsv-export-")
    os.makedirs(work, exist_ok=True)
    try:
        common = [
            "--gpt_model", os.path.abspath(args.gpt_weights),
            "--sovits_model", os.path.abspath(args.sovits_weights),
            "--ref_audio", os.path.abspath(args.reference),
            "--ref_text", args.reference_text,
            "--device", args.device,
            "--version", args.version,
        ] + ([] if args.half else ["--no-half"])
        stream_dir = os.path.join(work, "stream")
        run_exporter(python, root, ["GPT_SoVITS/stream_v2pro.py"] + common +
                     ["--output_path", stream_dir, "--lang", args.reference_lang],
                     env, os.path.join(work, "stream_v2pro.log"), "stream_v2pro.py")
        if args.ssl_model:
            ssl_path = os.path.abspath(args.ssl_model)
        else:
            common_dir = os.path.join(work, "common")
            run_exporter(python, root, ["GPT_SoVITS/export_torch_script.py"] + common +
                         ["--output_path", common_dir, "--export_common_model"],
                         env, os.path.join(work, "export_torch_script.log"), "export_torch_script.py")
            ssl_path = os.path.join(common_dir, "ssl_model.pt")
        # export_torch_script.py --export_common_model also writes the Chinese BERT (bert_model.pt);
        # with --ssl-model it is taken from beside that file when there. Its vocabulary is the
        # checkout's. Without both the voice speaks English only (ttsd refuses Chinese text).
        bert_path = os.path.join(os.path.dirname(ssl_path), "bert_model.pt")
        vocab_path = os.path.join(root, "GPT_SoVITS", "pretrained_models", "chinese-roberta-wwm-ext-large", "vocab.txt")
        chinese = os.path.isfile(bert_path) and os.path.isfile(vocab_path)
        if not chinese:
            log("no bert_model.pt or vocab.txt (%s, %s): the voice will speak English only" % (bert_path, vocab_path))
        t2s_path, vits_path = os.path.join(stream_dir, "t2s.pt"), os.path.join(stream_dir, "vits.pt")
        for p in (t2s_path, vits_path, ssl_path):
            if not os.path.isfile(p):
                raise PackageError("the exporters did not write %s" % p)
        # ttsd draws the tokens itself: upstream's t2s.pt inside a wrapper that also gives the logits
        wrapped = os.path.join(work, "t2s-logits.pt")
        run_exporter(python, root, [os.path.join(HERE, "t2s_logits.py"), t2s_path, wrapped],
                     env, os.path.join(work, "t2s_logits.log"), "t2s_logits.py")
        t2s_path = wrapped

        # ---- check what they wrote
        chk = run_probe(python, root, PROBE_EXPORTS.replace("sys.argv[1]", repr(t2s_path))
                        .replace("sys.argv[2]", repr(vits_path)).replace("sys.argv[3]", repr(ssl_path)), env)
        if chk["missing"]:
            raise PackageError("the exported files lack methods ttsd calls: %s" % ", ".join(chk["missing"]))
        a = chk["t2s_attrs"]
        if a["EOS"] != 1024 or a["vocab_size"] != 1025 or a["phoneme_vocab_size"] != len(symbols):
            raise PackageError("t2s.pt attributes %s do not match upstream's v2 layout / symbols.json" % a)
        want_dtype = "torch.float16" if args.half else "torch.float32"
        if chk["vits_dtype"] != want_dtype:
            raise PackageError("vits.pt holds %s weights, expected %s" % (chk["vits_dtype"], want_dtype))
        log("t2s.pt: %s" % a)

        # ---- the package
        os.makedirs(out, exist_ok=True)
        for src, dst in ((t2s_path, "t2s.pt"), (vits_path, "vits.pt"), (ssl_path, "ssl_model.pt")):
            shutil.copyfile(src, os.path.join(out, dst))
        if chinese:
            shutil.copyfile(bert_path, os.path.join(out, "bert_model.pt"))
            shutil.copyfile(vocab_path, os.path.join(out, "vocab.txt"))
        with open(os.path.join(out, "symbols.json"), "w", encoding="utf-8") as f:
            json.dump(symbols, f, ensure_ascii=False, indent=0)
            f.write("\n")
        shutil.copyfile(args.reference, os.path.join(out, "reference.wav"))
        write_lexicon(root, os.path.join(out, "lexicon.txt"))
        manifest = {
            "format_version": 1,
            "family": "gpt-sovits",
            "name": args.name,
            "description": args.description if args.description is not None else
            "GPT-SoVITS %s voice (%s, %s), exported by upstream's stream_v2pro.py and export_torch_script.py"
            % (args.version, os.path.basename(args.gpt_weights), os.path.basename(args.sovits_weights)),
            "gpt_sovits_version": args.version,
            "languages": ["en", "zh"] if chinese else ["en"],
            "sample_rate": 32000,
            "samples_per_token": 1280,
            "min_libtorch": torch_mm,
            "t2s_file": "t2s.pt",
            "vits_file": "vits.pt",
            "ssl_file": "ssl_model.pt",
            "symbols_file": "symbols.json",
            "lexicon_file": "lexicon.txt",
            "reference_audio": "reference.wav",
            "reference_text": args.reference_text.strip(),
            "top_k": args.top_k,
            "top_p": args.top_p,
            "temperature": args.temperature,
            "repetition_penalty": args.repetition_penalty,
            "dtype": "fp16" if args.half else "fp32",
        }
        if chinese:
            manifest["bert_file"] = "bert_model.pt"
            manifest["bert_vocab_file"] = "vocab.txt"
        with open(os.path.join(out, "voice.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, ensure_ascii=False, indent=2)
            f.write("\n")
    except BaseException:
        if not args.work_dir:
            log("the exporters' output and logs are kept in %s" % work)
        raise
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)
    for fn in sorted(os.listdir(out)):
        log("  %-14s %12d bytes" % (fn, os.path.getsize(os.path.join(out, fn))))
    log("wrote %s (device %s, %s, min_libtorch %s)" % (out, args.device, manifest["dtype"], torch_mm))
    return 0


if __name__ == "__main__":
    sys.exit(main())
