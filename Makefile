# The two newcomer commands: `make run` and `make test`. Both install what is missing first.
BUILD ?= build
JOBS ?= 2
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

.PHONY: all deps configure build test run fixtures voice voice-tiny clean fuzz-build fuzz-smoke test-asan test-tsan test-sanitizers

all: build

deps:
	./install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: configure
	cmake --build $(BUILD) -j$(JOBS)

test: build
	./install-deps.sh --train
	/usr/bin/python3 models/fixtures/check_fixtures.py
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# libFuzzer targets (tests/fuzz, tests/README.md "Fuzzing"): a clang-19 ASan+UBSan build of just what
# they need, then each fuzzer for FUZZ_SECONDS after its seed corpus; fails on any crash.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20
fuzz-build:
	./install-deps.sh --fuzz
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-19 \
	  -DCMAKE_CXX_COMPILER=clang++-19 -DTTSD_FUZZ=ON -DTTSD_BUILD_TESTS=OFF -DTTSD_BUILD_BENCH=OFF
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzzers

fuzz-smoke: fuzz-build
	tests/fuzz/run-fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# ttsd, ttsc and the unit + integration tests built with ASan+UBSan ($(BUILD)-asan) and with TSan
# ($(BUILD)-tsan), then run; fails on any sanitizer report (tests/README.md "Sanitizers").
test-asan: deps
	JOBS=$(JOBS) tests/sanitizers/run.sh asan $(BUILD)-asan

test-tsan: deps
	JOBS=$(JOBS) tests/sanitizers/run.sh tsan $(BUILD)-tsan

test-sanitizers: test-asan test-tsan

fixtures: deps
	/usr/bin/python3 models/fixtures/make_fixtures.py

# Rebuilds the default voice models/voices/ttsd-en from scratch: corpus, training, export, evaluation
# (about 2 h on 2 cores, 2 h 40 min the first time; see models/README.md). voice-tiny is the CI-sized run (1-2 min).
voice:
	./install-deps.sh --train
	models/pipeline.sh --full

voice-tiny:
	./install-deps.sh --train
	models/pipeline.sh --tiny

# Starts the daemon on a private socket, speaks $(TEXT), stops the daemon.
run: build
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

clean:
	rm -rf $(BUILD)
