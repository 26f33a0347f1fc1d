# The two newcomer commands: `make run` and `make test`. Both install what is missing first.
# `make run` builds only ttsd and ttsc; `make test` builds everything (tests and benchmarks too).
BUILD ?= build
JOBS ?= 2
# WERROR=ON turns warnings into errors (CI's builds do).
WERROR ?= OFF
# Optimized, with line tables (-g1): a stack trace names files and lines, and the build takes a third
# less time than with full debug information. OPT="-O2 -g" for a debugger's view of variables.
OPT ?= -O2 -g1
CMAKE_FLAGS = -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTTSD_WERROR=$(WERROR) \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$(OPT) -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="$(OPT) -DNDEBUG"
# The shipped default voice when the repository has it, else the best fixture.
ifneq ($(wildcard models/voices/ttsd-en/voice.json),)
VOICES ?= models/voices
VOICE ?= ttsd-en
else
VOICES ?= models/fixtures
VOICE ?= fixture-ar
endif
SOCKET := $(abspath $(BUILD))/run/ttsd.sock
TEXT ?= Hello! This is ttsd, speaking as soon as the first words are ready.

.PHONY: all deps test-deps configure build programs test test-unit test-torch2 run fixtures voice voice-tiny clean \
        fuzz-build fuzz-smoke test-asan test-tsan test-sanitizers deb test-deb

all: build

deps:
	./install-deps.sh

# What the tests need beyond building and running: GoogleTest, ffmpeg, PulseAudio, Chromium, the training tools.
test-deps:
	./install-deps.sh --test --train

configure: test-deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DTTSD_BUILD_TESTS=ON -DTTSD_BUILD_BENCH=ON

build: configure
	cmake --build $(BUILD) -j$(JOBS)

# ttsd and ttsc and what they link, nothing else (make run).
programs: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DTTSD_BUILD_TESTS=OFF -DTTSD_BUILD_BENCH=OFF
	cmake --build $(BUILD) -j$(JOBS) --target ttsd ttsc

test: build
	/usr/bin/python3 models/fixtures/check_fixtures.py
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The fast tier (tests/README.md "Tiers"): only the unit tests' binaries and what they link, then the
# unit tests; a minute or two from nothing, seconds to run.
test-unit: configure
	cmake --build $(BUILD) -j$(JOBS) --target tests-unit
	cd $(BUILD) && ctest -L unit --output-on-failure -j$(JOBS)

# libtorch 2.x (README.md "libtorch 2.x"): PyPI's PyTorch, pinned in install-deps.sh, in the venv .venv/torch2;
# $(TORCH2_BUILD) links its libtorch CPU only and builds the tests labelled torch2 (the engine's), then runs them.
TORCH2_BUILD ?= build-torch2
# Where the venv's torch package is, without importing it.
TORCH2_FIND = .venv/torch2/bin/python -c \
  'import importlib.util as u; print(u.find_spec("torch").submodule_search_locations[0])'
test-torch2:
	./install-deps.sh --test --torch2
	torch_dir=$$($(TORCH2_FIND)) && \
	  cmake -S . -B $(TORCH2_BUILD) $(CMAKE_FLAGS) -DTTSD_BUILD_TESTS=ON -DTTSD_BUILD_BENCH=ON -DTTSD_TORCH_DIR=$$torch_dir
	cmake --build $(TORCH2_BUILD) -j$(JOBS) --target tests-torch2
	cd $(TORCH2_BUILD) && ctest -L torch2 --output-on-failure -j$(JOBS)

# libFuzzer targets (tests/fuzz, tests/README.md "Fuzzing"): a clang-19 ASan+UBSan build of just what
# they need, then each fuzzer for FUZZ_SECONDS after its seed corpus; fails on any crash.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20
fuzz-build:
	./install-deps.sh --fuzz
	cmake -S . -B $(FUZZ_BUILD) $(CMAKE_FLAGS) -DCMAKE_C_COMPILER=clang-19 \
	  -DCMAKE_CXX_COMPILER=clang++-19 -DTTSD_FUZZ=ON -DTTSD_BUILD_TESTS=OFF -DTTSD_BUILD_BENCH=OFF
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzzers

fuzz-smoke: fuzz-build
	tests/fuzz/run-fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# ttsd, ttsc and the tests labelled asan (tsan) built with ASan+UBSan in $(BUILD)-asan (TSan in
# $(BUILD)-tsan), then run; fails on any sanitizer report (tests/README.md "Sanitizers").
test-asan: test-deps
	JOBS=$(JOBS) WERROR=$(WERROR) tests/sanitizers/run.sh asan $(BUILD)-asan

test-tsan: test-deps
	JOBS=$(JOBS) WERROR=$(WERROR) tests/sanitizers/run.sh tsan $(BUILD)-tsan

test-sanitizers: test-asan test-tsan

fixtures: test-deps
	/usr/bin/python3 models/fixtures/make_fixtures.py

# Rebuilds the default voice models/voices/ttsd-en from scratch: corpus, training, export, evaluation
# (about 2 h on 2 cores, 2 h 40 min the first time; see models/README.md). voice-tiny is the CI-sized run (1-2 min).
voice:
	./install-deps.sh --test --train
	models/pipeline.sh --full

voice-tiny:
	./install-deps.sh --test --train
	models/pipeline.sh --tiny

# Starts the daemon on a private socket, speaks $(TEXT), stops the daemon.
run: programs
	@echo "make run: voice '$(VOICE)' from $(VOICES)."
	@if [ "$(VOICES)" = "models/fixtures" ]; then \
	  echo "make run: NOTE the trained default voice is not in the repository yet; this is the best voice"; \
	  echo "          package it has, a tiny fixture with random weights: it makes sound, not words."; fi
	@mkdir -p $(BUILD)/run && rm -f $(SOCKET)
	@$(BUILD)/daemon/ttsd --socket $(SOCKET) --voices $(VOICES) --default-voice $(VOICE) & pid=$$!; \
	  trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null' EXIT; \
	  for i in $$(seq 100); do $(BUILD)/client/ttsc --socket $(SOCKET) ping >/dev/null 2>&1 && break; sleep 0.1; done; \
	  if $(BUILD)/client/ttsc --socket $(SOCKET) say --stats "$(TEXT)" 2>$(BUILD)/run/play.log; then \
	    cat $(BUILD)/run/play.log; echo "make run: played through the default audio output"; \
	  else \
	    echo "make run: cannot play here ($$(grep -o 'no audio output[^.]*' $(BUILD)/run/play.log | head -1)); writing a WAV instead"; \
	    $(BUILD)/client/ttsc --socket $(SOCKET) say --stats -o $(BUILD)/hello.wav "$(TEXT)" || exit 1; \
	    echo "make run: wrote $(BUILD)/hello.wav"; \
	  fi

# The speech meters' quick check (models/README.md "Meters"): Whisper, GE2E similarity and DNSMOS on real
# speech and noise. Not part of `make test`: its venv is 430 MB to download (./install-deps.sh --meters).
.PHONY: eval-meters
eval-meters:
	./install-deps.sh --meters
	.venv/meters/bin/python models/eval/test_meters.py

# The Debian package (README.md "Debian package"): the build packages and the packaging tools
# (./install-deps.sh --deb), then dpkg-buildpackage in a copy of the tree's files (tracked, and untracked
# but not ignored) in $(DEB_BUILD)/ttsd, which leaves ttsd_VERSION_ARCH.deb, its -dbgsym, .buildinfo and
# .changes in $(DEB_BUILD)/.
DEB_BUILD ?= build-deb
deb:
	./install-deps.sh --deb
	rm -rf $(DEB_BUILD)/ttsd $(DEB_BUILD)/ttsd_* $(DEB_BUILD)/ttsd-dbgsym_*
	mkdir -p $(DEB_BUILD)/ttsd
	git ls-files -z --cached --others --exclude-standard | xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
	  tar -c --null -T - | tar -x -C $(DEB_BUILD)/ttsd
	cd $(DEB_BUILD)/ttsd && dpkg-buildpackage -us -uc -b -j$(JOBS)
	@ls -l $(DEB_BUILD)/*.deb

# Builds the package (make deb), runs lintian on it, installs it into a clean debootstrap chroot of
# Debian 12 and speaks a sentence there through the installed system units' command lines (root,
# and Debian's mirror; tests/deploy/deb-test.sh, README.md "Debian package").
test-deb:
	DEB_BUILD=$(DEB_BUILD) JOBS=$(JOBS) tests/deploy/deb-test.sh

clean:
	rm -rf $(BUILD)
