#!/bin/bash
# CI check of the default voice's pipeline: corpus -> training -> export (tiny, a few steps), then the
# exported package loads in the real ttsd and speaks through ttsc.
# Usage: voice-pipeline-test.sh SOURCE_DIR BINARY_DIR
set -euo pipefail
src=$1
bin=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/ttsd-pipeline-test.XXXXXX")
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
pid=0
cd "$src"
TINY_VOICE_OUT="$work/voice" models/pipeline.sh --tiny
"$bin/daemon/ttsd" --socket "$work/ttsd.sock" --voices "$work/voice" --voice-store "$work/store" --http off --log-level warn &
pid=$!
for _ in $(seq 300); do "$bin/client/ttsc" --socket "$work/ttsd.sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
"$bin/client/ttsc" --socket "$work/ttsd.sock" say --stats -o "$work/x.wav" "The exported voice speaks." 2>"$work/stats"
cat "$work/stats"
grep -q '"status":"ok"' "$work/stats"
# An untrained model speaks briefly, but it must stream real samples in more than one chunk.
samples=$(sed -n 's/.*"samples":\([0-9]*\).*/\1/p' "$work/stats")
chunks=$(sed -n 's/.*"chunks":\([0-9]*\).*/\1/p' "$work/stats")
[ "$samples" -gt 0 ] && [ "$chunks" -gt 1 ] || { echo "no streamed audio: $samples samples in $chunks chunks"; exit 1; }
# The style stages of the exported package work through the daemon: emotion, exact duration, and a
# voice cloned from a recording, saved, then spoken with.
"$bin/client/ttsc" --socket "$work/ttsd.sock" say --emotion angry=0.8 --emotion-text "sadly" --duration 2s \
    -o "$work/d.wav" "The exported voice speaks with feeling."
python3 - "$work/d.wav" <<'PY'
import sys, wave
w = wave.open(sys.argv[1]); s = w.getnframes() / w.getframerate()
assert abs(s - 2.0) <= 0.06, "duration %.3f s, wanted 2 s" % s
print("duration OK: %.3f s" % s)
PY
flite -t "A recording of a few seconds, long enough to clone a voice from it." -o "$work/ref.wav"
"$bin/client/ttsc" --socket "$work/ttsd.sock" voice add tinyclone "$work/ref.wav"
"$bin/client/ttsc" --socket "$work/ttsd.sock" voice ls | grep -q tinyclone
"$bin/client/ttsc" --socket "$work/ttsd.sock" say --voice tinyclone -o "$work/c.wav" "The clone speaks."
[ -s "$work/c.wav" ]
echo "style stages OK"
