#!/bin/bash
# After build-on-device.sh, on the GPU machine: the gpu, model and unit tests (the pipeline test needs the
# training tools, absent there), then ttfa-bench with ttsd on cuda fp16, cuda fp32 and cpu, and
# batch-step-bench (one model step against the batch size, in process) on the same three.
# Usage: bench/gpu/run-on-device.sh BUILD_DIR OUT_DIR     (run from the source tree: voices in models/)
# Writes OUT_DIR/ctest.log, OUT_DIR/ttfa-ttsd-en-<device>-<dtype>.json and batch-step-<device>-<dtype>.json;
# exits non-zero if a step failed.
set -uo pipefail

build=$1
out=$2
mkdir -p "$out"
failed=0
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
echo "== GPU: ${gpu:-none}"

echo "== tests (ctest -L 'gpu|model|unit' -E VoicePipeline)"
ctest --test-dir "$build" -L 'gpu|model|unit' -E VoicePipeline -j8 --timeout 120 --output-on-failure \
  > "$out/ctest.log" 2>&1 || failed=1
grep -E 'tests passed|tests failed|\*\*\*|Skipped|Failed' "$out/ctest.log" | tail -20
# The gpu tests again, whole output: they must run, not skip, where there is a GPU; they print their differences.
echo "== gpu_tests"
timeout 120 "$build/tests/gpu_tests" 2>&1 | tee "$out/gpu-tests.log" | grep -vE '^\[ *(RUN|----------) *\]' || failed=1
# With TorchScript's kernel fusion (ttsd --jit-fusion) batched fp16 streams are expected to differ: shown, not judged.
echo "== gpu_tests with --jit-fusion (informative)"
TTSD_TEST_JIT_FUSION=1 timeout 120 "$build/tests/gpu_tests" 2>&1 | tee "$out/gpu-tests-jit-fusion.log" \
  | grep -E 'stream [0-9]|OK \]|FAILED  \]' || true

for mode in "cuda fp16" "cuda fp32" "cpu fp32"; do
  set -- $mode
  echo "== ttfa-bench, ttsd-en on $1 $2"
  timeout 120 "$build/bench/ttfa-bench" --spawn "$build/daemon/ttsd" --voices models/voices --voice ttsd-en \
    --daemon-args "--device $1 --dtype $2 --http off" --repeat 5 --json "$out/ttfa-ttsd-en-$1-$2.json" || failed=1
done
for mode in "cuda fp16 1,2,4,8,16,32,64,128" "cuda fp32 1,2,4,8,16,32,64,128" "cpu fp32 1,2,4,8,16"; do
  set -- $mode
  echo "== batch-step-bench, ttsd-en on $1 $2"
  timeout 120 "$build/bench/batch-step-bench" --voice models/voices/ttsd-en --device "$1" --dtype "$2" --batches "$3" \
    --json "$out/batch-step-$1-$2.json" || failed=1
done
exit $failed
