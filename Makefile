# libraft — top-level build.
#   make            build libraft.so, libraft.a and include/raft.h (release)
#   make test       every test: Rust unit tests, header checks, C tests, simulator, ticketd
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

.PHONY: all build test clean install test-rust test-header

all: build

build:
	$(CARGO) build --release --lib
	@ln -sf libraft.so $(LIBDIR)/libraft.so.$(SOVERSION)

-include mk/*.mk

TEST_TARGETS := test-header test-rust $(TEST_TARGETS)

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
	patchelf --version >/dev/null 2>&1 && patchelf --set-soname libraft.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libraft.so.$(VERSION) || true
	ln -sf libraft.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libraft.so.$(SOVERSION)
	ln -sf libraft.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libraft.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' raft.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/raft.pc

clean:
	$(CARGO) clean
	rm -rf build
