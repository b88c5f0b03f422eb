# libraft — top-level build.
#   make            build libraft.so, libraft.a and include/raft.h (release)
#   make test       every test: Rust unit tests, header checks, C tests, simulator, ticketd
#   make test SANITIZE=address,undefined   the same, C programs built with those sanitizers (no valgrind)
#   make test-c SANITIZE=address SANITIZE_LIB=1   ... and libraft itself built with -Zsanitizer=address
#   make install PREFIX=/some/dir
#   make demo       the ticketd demo cluster
# Parts of the build live in mk/*.mk (one file per component); each adds its
# test targets to TEST_TARGETS.

PREFIX    ?= /usr/local
CARGO     ?= cargo
CC        ?= cc
CXX       ?= c++
VERSION   := 0.1.0
SOVERSION := 0
LIBDIR    := $(CURDIR)/target/release
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

.PHONY: all build test clean install test-rust test-header test-install

all: build

build:
	$(CARGO) build --release --lib
	$(if $(SANITIZE_LIB),RUSTFLAGS=-Zsanitizer=address $(SAN_LIB_CARGO) build --release --lib --target x86_64-unknown-linux-gnu --target-dir target/asan)
	@ln -sf libraft.so $(LIBDIR)/libraft.so.$(SOVERSION)

-include mk/*.mk

TEST_TARGETS := test-header test-rust test-install $(TEST_TARGETS)

test: build
	@set -e; for t in $(TEST_TARGETS); do \
	  echo "=== make $$t"; $(MAKE) --no-print-directory $$t; done
	@echo "=== all test targets passed: $(TEST_TARGETS)"

test-rust:
	$(CARGO) test --release --lib

# The committed header must equal the one cbindgen generates, and it must
# compile cleanly as C99 and as C++.
test-header: build
	@git diff --exit-code -- $(HEADER) >/dev/null 2>&1 || \
	  (git ls-files --error-unmatch $(HEADER) >/dev/null 2>&1 && \
	   { echo "include/raft.h is stale: commit the regenerated header"; git --no-pager diff --stat -- $(HEADER); exit 1; }) || \
	  [ ! -d .git ]
	@printf '#include "raft.h"\nint main(void){return 0;}\n' > target/hdr_check.c
	$(CC) -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -c target/hdr_check.c -o target/hdr_check_c.o
	$(CXX) -x c++ -std=c++11 -Wall -Wextra -Werror -pedantic -Iinclude -c target/hdr_check.c -o target/hdr_check_cxx.o
	@echo "header: fresh, C99 and C++ clean"

install: build
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(HEADER) $(DESTDIR)$(PREFIX)/include/raft.h
	install -m 644 $(LIBDIR)/libraft.a $(DESTDIR)$(PREFIX)/lib/libraft.a
	install -m 755 $(LIBDIR)/libraft.so $(DESTDIR)$(PREFIX)/lib/libraft.so.$(VERSION)
	ln -sf libraft.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libraft.so.$(SOVERSION)
	ln -sf libraft.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libraft.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' raft.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/raft.pc

# Install into a scratch prefix and build a program the way a user would:
# pkg-config for flags, the versioned soname at run time, and static linking.
test-install:
	rm -rf build/install && $(MAKE) --no-print-directory install PREFIX=$(CURDIR)/build/install >/dev/null
	@printf '#include <raft.h>\n#include <stdio.h>\nint main(void){raft_server_t *r = raft_new(); raft_add_node(r, NULL, 1, 1); raft_periodic(r, 0); int ok = raft_is_leader(r) && raft_get_current_term(r) == 1; raft_free(r); printf("installed library: %%s\\n", ok ? "ok" : "BROKEN"); return !ok;}\n' > build/install/app.c
	PKG_CONFIG_PATH=$(CURDIR)/build/install/lib/pkgconfig sh -c 'cc -std=c99 -Wall -Werror build/install/app.c $$(pkg-config --cflags --libs raft) -o build/install/app'
	readelf -d build/install/app | grep -q 'NEEDED.*libraft.so.$(SOVERSION)'
	./build/install/app
	cc -std=c99 build/install/app.c -Ibuild/install/include build/install/lib/libraft.a -lpthread -ldl -lm -o build/install/app_static
	./build/install/app_static

clean:
	$(CARGO) clean
	rm -rf build
