# Chaos simulator (sim/, its own cargo workspace): N servers in one process
# driven through the C API (bindgen declarations of include/raft.h).
#   make sim                      build sim/target/release/sim
#   make test-sim                 fixed seed matrix (3/5/7 servers, with and
#                                 without crashes and membership changes) +
#                                 the simulator's own tests (fault injection)
#   make soak SOAK_SECONDS=600    random seeds until a violation or time is up
#   make sim-replay SIM_ARGS='--servers 5 --seed 7 ...'   replay one run
# The binary exists only after `make sim` (or any target above, which all
# build it); plain `make` builds the library alone.
# bindgen needs libclang: installed with apt-get when it is missing.
SIM_DIR       := sim
SIM_BIN       := $(SIM_DIR)/target/release/sim
SOAK_SECONDS  ?= 300
SOAK_JOBS     ?= 1
SIM_ARGS      ?= --help
SIM_CARGO     := cd $(SIM_DIR) && $(CARGO)
SIM_DEBS      := libclang-dev

TEST_TARGETS += test-sim

.PHONY: sim sim-deps test-sim soak sim-replay

## install libclang-dev (for bindgen) with apt-get, only if missing
sim-deps:
	@if ls /usr/lib/llvm-*/lib/libclang.so* /usr/lib/*-linux-gnu/libclang*.so* >/dev/null 2>&1; then \
	  echo "sim deps: libclang present"; \
	else \
	  echo "sim deps: installing $(SIM_DEBS) for bindgen"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $(SIM_DEBS); \
	fi

# The library's own build (top-level `build`) writes include/raft.h first, so
# the simulator's bindgen reads the finished header.
## build the chaos simulator sim/target/release/sim
sim: build sim-deps
	$(SIM_CARGO) build --release

## the simulator's fixed seed matrix and its own tests
test-sim: sim
	$(SIM_BIN) --matrix
	$(SIM_CARGO) test --release

## random simulator seeds until a violation or SOAK_SECONDS have passed
soak: sim
	$(SIM_BIN) --soak $(SOAK_SECONDS) --jobs $(SOAK_JOBS)

## replay one simulator run: SIM_ARGS='--servers 5 --seed 7 ...'
sim-replay: sim
	$(SIM_BIN) $(SIM_ARGS)
