# Fuzzing (fuzz/, its own cargo workspace; see fuzz/README.md).
#   make fuzz FUZZ_SECONDS=N   build every fuzz target with cargo-fuzz (libFuzzer + ASan),
#                              run each for N seconds, print executions per target
#   make fuzz-min              minimise the working corpus into fuzz/corpus/ (to commit)
#   make test-fuzz-replay      replay fuzz/corpus and fuzz/regressions on stable (part of `make test`)
# Other components add runners to FUZZ_RUNNERS (each a make target that honours
# FUZZ_SECONDS and prints "FUZZ target=NAME seconds=N execs=M"); `make fuzz` runs all.
FUZZ_DIR      := fuzz
FUZZ_OUT      := build/fuzz
FUZZ_SECONDS  ?= 60
FUZZ_MAX_LEN  ?= 2048
FUZZ_FLAGS    ?=
FUZZ_LIB_TARGETS := api_calls net_safety
FUZZ_BIN_DIR  := $(FUZZ_DIR)/target/x86_64-unknown-linux-gnu/release
FUZZ_RUNNERS  := fuzz-lib $(FUZZ_RUNNERS)

TEST_TARGETS += test-fuzz-replay

.PHONY: fuzz fuzz-deps fuzz-build fuzz-lib fuzz-min test-fuzz-replay $(addprefix fuzz-run-,$(FUZZ_LIB_TARGETS))

# cargo-fuzz from crates.io when missing. Toolchain: nightly if rustup has it
# (or can install it); otherwise stable with RUSTC_BOOTSTRAP=1, which accepts
# the -Z flags cargo-fuzz passes (stable ships the ASan runtime too).
## install the nightly toolchain and cargo-fuzz if missing (with libclang)
fuzz-deps: sim-deps
	@command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked
	@rustup toolchain list 2>/dev/null | grep -q '^nightly' || \
	  rustup toolchain install nightly --profile minimal >/dev/null 2>&1 || \
	  echo "fuzz: no nightly toolchain (and none can be fetched): using stable with RUSTC_BOOTSTRAP=1"

FUZZ_CARGO = $$(rustup toolchain list 2>/dev/null | grep -q '^nightly' && echo "$(CARGO) +nightly" || echo "env RUSTC_BOOTSTRAP=1 $(CARGO)")

## build the cargo-fuzz targets (AddressSanitizer)
fuzz-build: build fuzz-deps
	@set -e; for t in $(FUZZ_LIB_TARGETS); do $(FUZZ_CARGO) fuzz build --fuzz-dir $(FUZZ_DIR) $$t; done

# Each target runs on a working corpus (build/fuzz/corpus/T, seeded from the
# committed fuzz/corpus/T, which it never writes); a crash input lands in
# build/fuzz/artifacts/T/ and fails the run. FUZZ_JOBS=2 runs targets side by side.
FUZZ_JOBS ?= 1
## run the library fuzz targets for FUZZ_SECONDS each (FUZZ_JOBS side by side)
fuzz-lib: fuzz-build
	@$(MAKE) --no-print-directory -j$(FUZZ_JOBS) $(addprefix fuzz-run-,$(FUZZ_LIB_TARGETS))

$(addprefix fuzz-run-,$(FUZZ_LIB_TARGETS)): fuzz-run-%:
	@t=$*; mkdir -p $(FUZZ_OUT)/corpus/$$t $(FUZZ_OUT)/artifacts/$$t; log=$(FUZZ_OUT)/$$t.log; \
	if ! $(FUZZ_BIN_DIR)/$$t $(FUZZ_OUT)/corpus/$$t $(FUZZ_DIR)/corpus/$$t -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=$(FUZZ_MAX_LEN) -print_final_stats=1 -artifact_prefix=$(FUZZ_OUT)/artifacts/$$t/ $(FUZZ_FLAGS) > $$log 2>&1; then \
	  grep -E 'panicked|ERROR|SUMMARY|Test unit written' $$log | head -20; \
	  echo "FUZZ target=$$t FAILED: crash input in $(FUZZ_OUT)/artifacts/$$t/ (log $$log); add it under fuzz/regressions/$$t/"; exit 1; fi; \
	execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
	rate=$$(sed -n 's/^stat::average_exec_per_sec: *//p' $$log); \
	echo "FUZZ target=$$t seconds=$(FUZZ_SECONDS) execs=$$execs exec_per_s=$$rate corpus=$$(ls $(FUZZ_OUT)/corpus/$$t | wc -l)"

## every fuzzer, FUZZ_SECONDS each, with executions per target
fuzz: build
	@set -e; for r in $(FUZZ_RUNNERS); do $(MAKE) --no-print-directory $$r; done

# Minimise the working corpus (plus the committed one) into fuzz/corpus/T:
# libFuzzer's greedy set cover, then at most FUZZ_CORPUS_MAX inputs (the
# largest, which go deepest), so that the committed corpus stays small.
FUZZ_CORPUS_MAX ?= 300
## minimise the committed corpus (at most FUZZ_CORPUS_MAX inputs per target)
fuzz-min: fuzz-build
	@set -e; for t in $(FUZZ_LIB_TARGETS); do \
	  rm -rf $(FUZZ_OUT)/min/$$t && mkdir -p $(FUZZ_OUT)/min/$$t $(FUZZ_OUT)/corpus/$$t; \
	  $(FUZZ_BIN_DIR)/$$t -set_cover_merge=1 -max_len=$(FUZZ_MAX_LEN) $(FUZZ_OUT)/min/$$t $(FUZZ_DIR)/corpus/$$t $(FUZZ_OUT)/corpus/$$t > $(FUZZ_OUT)/$$t.min.log 2>&1; \
	  ls -S $(FUZZ_OUT)/min/$$t | tail -n +$$(($(FUZZ_CORPUS_MAX) + 1)) | sed 's|^|$(FUZZ_OUT)/min/'$$t'/|' | xargs -r rm -f; \
	  rm -rf $(FUZZ_DIR)/corpus/$$t && mv $(FUZZ_OUT)/min/$$t $(FUZZ_DIR)/corpus/$$t; \
	  echo "fuzz-min: $$t: $$(ls $(FUZZ_DIR)/corpus/$$t | wc -l) inputs in $(FUZZ_DIR)/corpus/$$t"; \
	done

# Stable toolchain, no libFuzzer: the same harness functions over every
# committed input (tests/replay.rs). bindgen needs libclang (sim-deps).
## replay every committed fuzz corpus and regression input (stable toolchain)
test-fuzz-replay: build sim-deps
	cd $(FUZZ_DIR) && $(CARGO) test --release --no-default-features -- --nocapture
