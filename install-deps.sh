#!/bin/sh
# Installs the Debian 12 packages ttsd needs to build and run (make run); installs only what is missing.
# Usage: ./install-deps.sh [--test] [--train] [--fuzz]   (--test adds what the tests use: GoogleTest,
# PulseAudio, ffmpeg, Chromium, python3-torch; --train the corpus/training/evaluation tools; --fuzz the
# clang toolchain of the libFuzzer targets: make fuzz-smoke)
set -eu

PKGS="build-essential cmake ninja-build pkg-config git python3
libtorch-dev libopenblas0-pthread
libboost-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev
libsndfile1-dev libsoxr-dev libsystemd-dev systemd
libopus-dev libopusenc-dev portaudio19-dev libasound2-plugins
flite1-dev unicode-data"

TEST_PKGS="libgtest-dev libgmock-dev
pulseaudio pulseaudio-utils alsa-utils ffmpeg curl chromium
python3-torch python3-numpy"

TRAIN_PKGS="flite festival festvox-us-slt-hts festvox-kallpc16k festvox-kdlpc16k htsengine sox
wordnet-base fortunes-min pocketsphinx pocketsphinx-en-us python3-pocketsphinx python3-matplotlib python3-scipy"

# clang-14 cannot compile libstdc++ 12's <expected>; clang-19 can, and has libFuzzer in its runtime.
FUZZ_PKGS="clang-19 libclang-rt-19-dev llvm"

for arg in "$@"; do
  case $arg in
    --test) PKGS="$PKGS $TEST_PKGS" ;;
    --train) PKGS="$PKGS $TRAIN_PKGS" ;;
    --fuzz) PKGS="$PKGS $FUZZ_PKGS" ;;
  esac
done

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $missing
