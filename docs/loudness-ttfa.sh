#!/bin/bash
# TTFA of plain requests with and without --loudness, interleaved, N each: ttsc say --stats's ttfa_ms.
set -u
BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/build}; N=${N:-30}
W=${W:-/tmp/ttsd-loudness-ttfa}; rm -rf $W; mkdir -p $W
S=$W/ttsd.sock
$BIN/daemon/ttsd --socket $S --voices $(cd "$(dirname "$0")/.." && pwd)/models/voices --http off > $W/ttsd.log 2>&1 & D=$!
trap 'kill $D; wait $D 2>/dev/null' EXIT
for i in $(seq 100); do $BIN/client/ttsc --socket $S ping >/dev/null 2>&1 && break; sleep 0.2; done
T="Welcome to the stream, everyone. Tonight we read the chat aloud."
for i in $(seq $N); do
  for mode in plain loud; do
    extra=(); [ $mode = loud ] && extra=(--loudness)
    $BIN/client/ttsc --socket $S say --stats "${extra[@]}" -o $W/o.wav "$T" 2>&1 >/dev/null | grep ttfa_ms | sed "s/^/$mode /" >> $W/stats
  done
done
/usr/bin/python3 - $W/stats <<'PY'
import json,sys,statistics as st
d={'plain':[],'loud':[]}
for line in open(sys.argv[1]):
    mode,js=line.split(' ',1); d[mode].append(json.loads(js)['ttfa_ms'])
for m,v in d.items():
    v.sort(); print(f"{m}: n={len(v)} median {st.median(v):.2f} ms, p90 {v[int(len(v)*0.9)-1]:.2f} ms, min {v[0]:.2f} ms")
PY
