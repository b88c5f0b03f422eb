# libraft — top-level build.
#   make            build libraft.so, libraft.a and include/raft.h (release)
#   make test       every test: Rust unit tests, header checks, C tests, simulator, ticketd
#   make test SANITIZE=address,undefined   the same, C programs built with those sanitizers (no valgrind)
#   make test-c SANITIZE=address SANITIZE_LIB=1   ... and libraft itself built with -Zsanitizer=address
#   make install PREFIX=/some/dir   (mk/install.mk)
#   make help       every target, one line each
#   make demo       the ticketd demo cluster
# Parts of the build live in mk/*.mk (one file per component); each adds its
# test targets to TEST_TARGETS.

PREFIX    ?= /usr/local
CARGO     ?= cargo
CC        ?= cc
CXX       ?= c++
# The version is Cargo.toml's (build.rs derives the header's macros and the
# soname from the same line); the soname follows the major version.
VERSION       := $(shell sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml)
VERSION_MAJOR := $(word 1,$(subst ., ,$(VERSION)))
VERSION_MINOR := $(word 2,$(subst ., ,$(VERSION)))
SOVERSION     := $(VERSION_MAJOR)
$(if $(VERSION_MINOR),,$(error could not read the version from Cargo.toml's [package] section))
LIBDIR    := $(CURDIR)/target/release
# The same library built with the test-only `fault-injection` feature (for
# the tests that prove the checkers catch broken rules; never installed).
FAULT_LIBDIR := $(CURDIR)/target/fault/release
HEADER    := include/raft.h

TEST_TARGETS :=

# Sanitizer builds of the C programs: `make test SANITIZE=address,undefined`
# (any -fsanitize= list). C test programs add $(SAN_CFLAGS)/$(SAN_LDFLAGS) and
# put their objects in directories suffixed $(SAN_BUILD), so that plain and
# sanitizer builds never mix. valgrind cannot run sanitizer builds: a recipe
# line that only runs valgrind starts with $(SAN_SKIP_VALGRIND), which makes it
# a no-op (printed as such) when SANITIZE is set.
SANITIZE ?=
comma := ,
SAN_CFLAGS  := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer)
SAN_LDFLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE))
SAN_BUILD   := $(if $(SANITIZE),-san-$(subst $(comma),-,$(SANITIZE)))
SAN_SKIP_VALGRIND := $(if $(SANITIZE),: valgrind skipped under SANITIZE=$(SANITIZE) --)
# SANITIZE_LIB=1 (with address in SANITIZE): libraft itself is built with
# -Zsanitizer=address into target/asan (nightly if rustup has it, else stable
# with RUSTC_BOOTSTRAP=1) and the C programs link that build instead.
SANITIZE_LIB ?=
SAN_LIB_CARGO = $$(rustup toolchain list 2>/dev/null | grep -q '^nightly' && echo "$(CARGO) +nightly" || echo "env RUSTC_BOOTSTRAP=1 $(CARGO)")
ifneq ($(SANITIZE_LIB),)
LIBDIR    := $(CURDIR)/target/asan/x86_64-unknown-linux-gnu/release
SAN_BUILD := $(SAN_BUILD)-lib
endif
ifneq ($(SANITIZE),)
export ASAN_OPTIONS  ?= detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
endif

.PHONY: all build fault-lib test clean test-rust test-header

## build the release library and header (same as build)
all: build

## cargo build: target/release/libraft.so, libraft.a and include/raft.h (cbindgen)
build:
	$(CARGO) build --release --lib --features c-heap
	$(if $(SANITIZE_LIB),RUSTFLAGS=-Zsanitizer=address $(SAN_LIB_CARGO) build --release --lib --features c-heap --target x86_64-unknown-linux-gnu --target-dir target/asan)
	@ln -sf libraft.so $(LIBDIR)/libraft.so.$(SOVERSION)

## the library with the test-only fault-injection feature, in target/fault (never installed)
fault-lib:
	$(CARGO) build --release --lib --features c-heap,fault-injection --target-dir target/fault
	@ln -sf libraft.so $(FAULT_LIBDIR)/libraft.so.$(SOVERSION)

-include mk/*.mk

TEST_TARGETS := test-header test-rust test-install $(TEST_TARGETS)

## every test target in TEST_TARGETS, in order (the whole suite)
test: build
	@set -e; for t in $(TEST_TARGETS); do \
	  echo "=== make $$t"; $(MAKE) --no-print-directory $$t; done
	@echo "=== all test targets passed: $(TEST_TARGETS)"

## Rust unit tests of the core (cargo test --release --lib)
test-rust:
	$(CARGO) test --release --lib --features c-heap

# The committed header must equal the one cbindgen generates, and it must
# compile cleanly as C99 and as C++.
## committed include/raft.h equals the generated one and compiles as C99 and C++ with -Werror
test-header: build
	@git diff --exit-code -- $(HEADER) >/dev/null 2>&1 || \
	  (git ls-files --error-unmatch $(HEADER) >/dev/null 2>&1 && \
	   { echo "include/raft.h is stale: commit the regenerated header"; git --no-pager diff --stat -- $(HEADER); exit 1; }) || \
	  [ ! -d .git ]
	@printf '#include "raft.h"\nint main(void){return 0;}\n' > target/hdr_check.c
	$(CC) -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -c target/hdr_check.c -o target/hdr_check_c.o
	$(CXX) -x c++ -std=c++11 -Wall -Wextra -Werror -pedantic -Iinclude -c target/hdr_check.c -o target/hdr_check_cxx.o
	@echo "header: fresh, C99 and C++ clean"
	$(CC) -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -c c_tests/handle_types/willemt_style.c -o target/willemt_style_c.o
	$(CXX) -x c++ -std=c++11 -Wall -Wextra -Werror -pedantic -Iinclude -c c_tests/handle_types/willemt_style.c -o target/willemt_style_cxx.o
	@for f in c_tests/handle_types/node_as_server.c c_tests/handle_types/server_as_node.c; do \
	  for lang in "$(CC) -std=c99" "$(CXX) -x c++ -std=c++11"; do \
	    if $$lang -Wall -Wextra -Werror -Iinclude -c $$f -o target/handle_misuse.o 2>/dev/null; then \
	      echo "$$f compiled with $$lang: a wrong handle type must be a compile-time diagnostic"; exit 1; fi; \
	  done; done
	@echo "handles: willemt-style program compiles; a node passed as a server (and the reverse) does not"

## remove target/ and build/
clean:
	$(CARGO) clean
	rm -rf build
