#!/bin/sh
# Runs each fuzzer of a TTSD_FUZZ build for SECONDS (after running every input of its seed corpus,
# tests/fuzz/corpus/<target>); fails on the first crash, leak, timeout, sanitizer report or broken
# FUZZ_CHECK, and prints the command that reproduces it. `make fuzz-smoke` calls it.
#   tests/fuzz/run-fuzzers.sh BUILD_DIR [SECONDS] [TARGET...]   (targets: frame messages wyoming
#                                                                http multipart elevenlabs native-ws frontend
#                                                                mandarin gpt-sovits-zh lexicon ssml reference
#                                                                saved-voice irc chat-rules)
# Inputs found along the way go to BUILD_DIR/fuzz-corpus/<target>, never into the committed corpus;
# a crashing input to BUILD_DIR/fuzz-artifacts/<target>/, the full log to BUILD_DIR/fuzz-logs/.
set -eu
build=$(cd "$1" && pwd)
seconds=${2:-20}
shift
[ $# -gt 0 ] && shift
targets=${*:-frame messages wyoming http multipart elevenlabs native-ws frontend mandarin gpt-sovits-zh lexicon ssml reference saved-voice irc chat-rules}
src=$(cd "$(dirname "$0")" && pwd)
# Symbolized stacks: the sanitizers want the symbolizer's real path, not Debian's /usr/bin link.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && command -v llvm-symbolizer >/dev/null; then
  ASAN_SYMBOLIZER_PATH=$(readlink -f "$(command -v llvm-symbolizer)")
  export ASAN_SYMBOLIZER_PATH
fi

# Leaks inside system libraries that ttsd cannot fix (each one explained in the file).
LSAN_OPTIONS=suppressions=$src/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}
export LSAN_OPTIONS

for t in $targets; do
  bin=$build/tests/fuzz/fuzz-$t
  [ -x "$bin" ] || { echo "fuzz: $bin is missing (build the 'fuzzers' target of a -DTTSD_FUZZ=ON build)"; exit 1; }
  work=$build/fuzz-corpus/$t
  artifacts=$build/fuzz-artifacts/$t/
  log=$build/fuzz-logs/$t.log
  mkdir -p "$work" "$artifacts" "$build/fuzz-logs"
  dict=""
  case $t in
    messages | wyoming | saved-voice | elevenlabs | native-ws) dict=-dict=$src/json.dict ;;
    http | multipart) dict=-dict=$src/http.dict ;;
    frontend) dict=-dict=$src/frontend.dict ;;
  esac
  echo "fuzz: $t for ${seconds}s (seed corpus: $(ls "$src/corpus/$t" | wc -l) inputs)"
  # -timeout: an input taking longer is a hang; -rss_limit_mb: the ASan build's memory, generously.
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 -print_final_stats=1 \
       -artifact_prefix="$artifacts" $dict "$work" "$src/corpus/$t" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $t FAILED (full log: $log). Reproduce with:"
    for a in "$artifacts"*; do [ -f "$a" ] && echo "  $bin $a"; done
    exit 1
  fi
  # The last status line and the final stats: execs, coverage, corpus.
  grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 | sed "s/^/fuzz: $t: /"
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | tr '\n' ' ' |
    sed "s/^/fuzz: $t: /; s/ *$/\n/"
done
echo "fuzz: all targets passed"
