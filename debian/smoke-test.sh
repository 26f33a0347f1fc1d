#!/bin/sh
# dh_auto_test: the ttsd just built loads the voice the package ships and speaks a sentence through the
# ttsc just built, into a WAV file; fails unless it holds about a second or more of audio.
# Usage: debian/smoke-test.sh BUILDDIR   (from the source tree's root)
set -eu
build=$1
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$build/daemon/ttsd" --voices models/voices --socket "$tmp/ttsd.sock" --http off \
  --voice-store "$tmp/store" --workers 1 >"$tmp/ttsd.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
  "$build/client/ttsc" --socket "$tmp/ttsd.sock" ping >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { cat "$tmp/ttsd.log"; exit 1; }
  sleep 0.1
done
"$build/client/ttsc" --socket "$tmp/ttsd.sock" say --stats -o "$tmp/hello.wav" \
  "The Debian package of ttsd speaks."
bytes=$(stat -c %s "$tmp/hello.wav")
echo "smoke-test: $bytes bytes of WAV"
# 16 kHz, 16-bit mono: 32000 bytes a second; six words take well over one.
[ "$bytes" -gt 32044 ] || { cat "$tmp/ttsd.log"; exit 1; }
