#!/bin/bash
# After build-on-device.sh, on the GPU machine: load-bench sweeps of concurrent streams against ttsd on cuda,
# fp16 and fp32, with the scheduler's batching (--max-batch 8, the default) and without (--max-batch 1).
# Usage: bench/gpu/load-on-device.sh BUILD_DIR OUT_DIR [STREAMS] [DURATION_S]   (from the source tree)
# Writes OUT_DIR/load-cuda-<dtype>-batch<N>.json; exits non-zero if a sweep failed.
set -uo pipefail

build=$1
out=$2
streams=${3:-64,128,256,512,768}
duration=${4:-8}
mkdir -p "$out"
failed=0
# Room for every stream: the daemon's caps on requests (and connections, where ttsd has that flag) raised.
limits=(--daemon-arg=--max-requests-total --daemon-arg=8192)
if "$build/daemon/ttsd" --help | grep -e --max-connections >/dev/null; then
  limits+=(--daemon-arg=--max-connections --daemon-arg=8192)
fi
for dtype in fp16 fp32; do
  for batch in 8 1; do
    name=load-cuda-$dtype-batch$batch
    echo "== load-bench: ttsd-en, cuda $dtype, --max-batch $batch, streams $streams, ${duration} s each"
    timeout 110 "$build/bench/load-bench" --spawn "$build/daemon/ttsd" --voices models/voices --voice ttsd-en \
      --daemon-arg=--device --daemon-arg=cuda --daemon-arg=--dtype --daemon-arg="$dtype" \
      --daemon-arg=--max-batch --daemon-arg="$batch" "${limits[@]}" \
      --streams "$streams" --duration-s "$duration" --no-references --compute-repeats 2 \
      --label "cuda $dtype, max-batch $batch" --json "$out/$name.json" || failed=1
  done
done
exit $failed
