#!/usr/bin/env python3
"""A quick check that the meters hear what people hear (make eval-meters, about 30 s on an idle machine):
runs meters.py (the CLI) on two of Allison's Asterisk prompts and on white noise, and asserts that the real
recording scores a lower WER and a higher DNSMOS than noise, and that Allison is closer to Allison than to
June (another real speaker). Needs ./install-deps.sh --meters. Exit status 1 on any failed check.

  .venv/meters/bin/python models/eval/test_meters.py
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EN = "/usr/share/asterisk/sounds/en_US_f_Allison"
FR = "/usr/share/asterisk/sounds/fr_CA_f_June"
TEXTS = "/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"


def wav(src, dst):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "g722", "-i", src, "-ar", "16000", dst], check=True)


def run(wav_dir, ref_dir, out):
    subprocess.run([sys.executable, os.path.join(HERE, "meters.py"), "--wav-dir", wav_dir, "--text", TEXTS,
                    "--reference-dir", ref_dir, "--out", out], check=True)
    return {r["file"]: r for r in json.load(open(out))["files"]}


def main():
    failures = []

    def check(ok, what):
        print("%s: %s" % ("ok  " if ok else "FAIL", what))
        if not ok:
            failures.append(what)

    sys.path.insert(0, HERE)
    import meters
    with tempfile.TemporaryDirectory() as tmp:
        measured, allison, june = (os.path.join(tmp, d) for d in ("measured", "allison", "june"))
        for d in (measured, allison, june):
            os.mkdir(d)
        wav(os.path.join(EN, "auth-incorrect.g722"), os.path.join(measured, "auth-incorrect.wav"))
        wav(os.path.join(EN, "agent-newlocation.g722"), os.path.join(allison, "agent-newlocation.wav"))
        wav(os.path.join(FR, "agent-newlocation.g722"), os.path.join(june, "agent-newlocation.wav"))
        noise = np.random.default_rng(1).normal(0, 0.1, 16000 * 4).clip(-1, 1)
        from scipy.io import wavfile
        wavfile.write(os.path.join(measured, "all-circuits-busy-now.wav"), 16000, (noise * 32767).astype(np.int16))
        to_allison = run(measured, allison, os.path.join(tmp, "a.json"))
        to_june = run(measured, june, os.path.join(tmp, "j.json"))
    real, white = to_allison["auth-incorrect.wav"], to_allison["all-circuits-busy-now.wav"]
    wer = lambda r: meters.wer([(r["text"], r["whisper"])])  # noqa: E731
    check(wer(real) <= 10, "Whisper WER of Allison's prompt %.1f%% <= 10%% (heard: %r)" % (wer(real), real["whisper"]))
    check(wer(white) >= 100 or wer(white) > wer(real) + 50, "Whisper WER of noise %.1f%% far above" % wer(white))
    check(meters.wer([(real["text"], real["sphinx"])]) < 50, "pocketsphinx WER of Allison's prompt %.1f%% < 50%%"
          % meters.wer([(real["text"], real["sphinx"])]))
    check(real["ovrl_mos"] > white["ovrl_mos"] + 1, "DNSMOS overall: Allison %.2f > noise %.2f + 1"
          % (real["ovrl_mos"], white["ovrl_mos"]))
    same, other = real["similarity"], to_june["auth-incorrect.wav"]["similarity"]
    check(same > 0.8 and same > other + 0.1, "similarity Allison-Allison %.3f > 0.8 and > Allison-June %.3f + 0.1"
          % (same, other))
    if failures:
        sys.exit("test_meters: %d check(s) failed" % len(failures))
    print("test_meters: all checks passed")


if __name__ == "__main__":
    main()
