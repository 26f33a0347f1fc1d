#!/bin/sh
# Builds ttsd, ttsc and the test binaries labelled asan (or tsan) with sanitizers, then runs those tests.
#   tests/sanitizers/run.sh asan [BUILD_DIR]   # AddressSanitizer, LeakSanitizer, UBSan (default build-asan/)
#   tests/sanitizers/run.sh tsan [BUILD_DIR]   # ThreadSanitizer (default build-tsan/)
# Which tests carry which label, and why, is in tests/CMakeLists.txt and tests/README.md ("Sanitizers").
# Any report fails a test: a sanitized program aborts on its first report (a test that runs ttsc sees
# a signal, not the exit code it wants), and a test fails when its ttsd logged one
# (tests/support/daemon-process.h). JOBS (default 2) sets build and ctest parallelism.
set -eu
mode=${1:?usage: run.sh asan|tsan [BUILD_DIR]}
src=$(cd "$(dirname "$0")/../.." && pwd)
jobs=${JOBS:-2}
# -g1: line tables are all a stack needs, and compile faster than -g. ASan+UBSan at -O0: UBSan makes
# -O1 compiles cost twice as much, and most of the tests' time is libtorch, which is not ours.
case $mode in
  asan) sanitize="address;undefined"; flags="-O0 -g1" ;;
  tsan) sanitize="thread"; flags="-O1 -g1" ;;
  *) echo "run.sh: unknown mode '$mode' (asan or tsan)" >&2; exit 2 ;;
esac
build=${2:-$src/build-$mode}
start=$(date +%s)
say() { echo "sanitizers[$mode] +$(( $(date +%s) - start ))s: $*"; }

say "configuring $build ($sanitize, $flags)"
mkdir -p "$build"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$flags" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags" \
  -DTTSD_SANITIZE="$sanitize" -DTTSD_WERROR="${WERROR:-OFF}" -DTTSD_BUILD_BENCH=OFF -DTTSD_BUILD_TESTS=ON \
  >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
say "building ttsd, ttsc and the tests labelled $mode"
cmake --build "$build" -j"$jobs" --target ttsd ttsc tests-$mode
say "built; running ctest -L $mode"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:verify_asan_link_order=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:abort_on_error=1:second_deadlock_stack=1:suppressions=$src/tests/sanitizers/tsan.supp"
norandom=""
if [ "$mode" = asan ]; then
  # Not a leak of ours: while PortAudio lists devices, ALSA loads and unloads its a52 plugin, which
  # pulls in libpixman (through libavcodec, librsvg and cairo), whose constructor allocates tables it
  # never frees. Unloaded, LeakSanitizer reports them with no module name to suppress them by (the
  # stack is "<unknown module>"); preloaded, pixman stays loaded and its tables stay reachable.
  # (verify_asan_link_order=0 above lets an instrumented program start with a library preloaded.)
  pixman=$(/sbin/ldconfig -p | awk '/libpixman-1\.so\.0 /{print $NF; exit}')
  if [ -n "$pixman" ]; then export LD_PRELOAD="$pixman"; fi
else
  # GCC 12's TSan cannot place its shadow memory when the kernel randomizes mappings with high
  # entropy ("FATAL: ThreadSanitizer: unexpected memory mapping"); without ASLR it always can.
  if setarch "$(uname -m)" -R true 2>/dev/null; then norandom="setarch $(uname -m) -R"; fi
fi

cd "$build"
status=0
$norandom ctest -L "$mode" --output-on-failure -j"$jobs" || status=$?
say "done, ctest exit status $status"
exit $status
