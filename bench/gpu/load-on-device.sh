#!/bin/bash
# After build-on-device.sh, on the GPU machine: load-bench sweeps of concurrent streams against ttsd on cuda,
# each configuration DTYPE:MAX_BATCH:WORKERS[:fusion] (default: fp16 and fp32, with the scheduler's batching,
# --max-batch 8, and without, --max-batch 1, on ttsd's 2 inference workers; fusion adds ttsd's --jit-fusion).
# Usage: bench/gpu/load-on-device.sh BUILD_DIR OUT_DIR [STREAMS] [DURATION_S] [CONFIGS] [LOAD_BENCH_FLAGS...]
#   e.g. bench/gpu/load-on-device.sh build-gpu out 8,16,32,48 6 "fp16:8:2 fp16:1:2 fp16:16:8:fusion" --unpaced
# Writes OUT_DIR/load-cuda-<dtype>-batch<N>-workers<W>[-fusion].json; exits non-zero if a sweep failed.
set -uo pipefail

build=$1
out=$2
streams=${3:-8,16,32,64,128}
duration=${4:-8}
configs=${5:-fp16:8:2 fp16:1:2 fp32:8:2 fp32:1:2}
shift $(( $# < 5 ? $# : 5 ))
extra=("$@")
mkdir -p "$out"
failed=0
# Room for every stream: the daemon's caps on requests (and connections, where ttsd has that flag) raised.
limits=(--daemon-arg=--max-requests-total --daemon-arg=8192)
if "$build/daemon/ttsd" --help | grep -e --max-connections >/dev/null; then
  limits+=(--daemon-arg=--max-connections --daemon-arg=8192)
fi
for config in $configs; do
  IFS=: read -r dtype batch workers fusion <<< "$config"
  name=load-cuda-$dtype-batch$batch-workers$workers
  fusion_arg=()
  [ "$fusion" = fusion ] && name=$name-fusion && fusion_arg=(--daemon-arg=--jit-fusion)
  echo "== load-bench: ttsd-en, cuda $dtype, --max-batch $batch, --workers $workers ${fusion_arg[*]}, streams $streams, ${duration} s each ${extra[*]}"
  levels=$(tr , "\n" <<< "$streams" | wc -l)
  timeout $(( levels * (duration + 15) + 60 )) "$build/bench/load-bench" --spawn "$build/daemon/ttsd" --voices models/voices --voice ttsd-en \
    --daemon-arg=--device --daemon-arg=cuda --daemon-arg=--dtype --daemon-arg="$dtype" \
    --daemon-arg=--max-batch --daemon-arg="$batch" --daemon-arg=--workers --daemon-arg="$workers" "${limits[@]}" \
    "${fusion_arg[@]}" --streams "$streams" --duration-s "$duration" --no-references \
    --compute-repeats 2 "${extra[@]}" --label "cuda $dtype, max-batch $batch, workers $workers${fusion:+, jit fusion}" \
    --json "$out/$name.json" || failed=1
done
exit $failed
