# examples/ticketd: a replicated ticket server on libraft (libuv + libmicrohttpd + LMDB).
#   make ticketd          build build/ticketd/ticketd
#   make demo             3-node cluster on 127.0.0.1: tickets through a follower, /status, clean stop
#   make test-ticketd     cluster tests (real processes, sockets, files) + decoder fuzz run
#   make test-ticketd-asan  the same tests against an ASan/UBSan/LSan build of ticketd
#   make chaos            partitions (also one-way), loss, duplication, reordering, replay, kill -9 across
#                         network namespaces, 20 s per fault, 2 rounds; 0 lost / 0 duplicated required
#   make chaos-smoke      the same with 4 s faults, one round (part of make test; skipped without namespaces)
#   make bench-ticketd    throughput/latency on a 3-node loopback cluster with fsync on
#   make deps             install the Debian packages ticketd needs (only if missing)
TICKETD_DIR   := examples/ticketd
TICKETD_BUILD := build/ticketd
TICKETD       := $(TICKETD_BUILD)/ticketd
TICKETD_FUZZ  := $(TICKETD_BUILD)/fuzz_wire
TICKETD_PKGS  := libuv libmicrohttpd lmdb libcrypto
TICKETD_DEBS  := libuv1-dev libmicrohttpd-dev liblmdb-dev libssl-dev pkg-config
TICKETD_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -g -I$(CURDIR)/include
# make ... SANITIZE=address,undefined builds ticketd with those sanitizers
ifneq ($(SANITIZE),)
TICKETD_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
TICKETD_LIBS  := -L$(CURDIR)/target/release -lraft -Wl,-rpath,$(CURDIR)/target/release
TICKETD_SRCS  := $(addprefix $(TICKETD_DIR)/,main.c options.c log.c raft_glue.c peer.c membership.c tickets.c leadership.c durability.c \
                   http.c status.c metrics.c auth.c store.c store_verify.c wire.c)
TICKETD_HDRS  := $(addprefix $(TICKETD_DIR)/,ticketd.h wire.h store.h)
TICKETD_PY    ?= python3

.PHONY: deps deps-ticketd deps-chaos ticketd demo test-ticketd test-ticketd-asan bench-ticketd fuzz-ticketd \
        chaos chaos-smoke

## install the Debian packages the examples need (only if missing)
deps: deps-ticketd

# apt-get only when pkg-config cannot find a library (or is missing itself)
## install libuv, libmicrohttpd and LMDB with apt-get, only if missing
deps-ticketd:
	@if pkg-config --exists $(TICKETD_PKGS) 2>/dev/null; then \
	  echo "ticketd deps: $(TICKETD_PKGS) present"; \
	else \
	  echo "ticketd deps: installing $(TICKETD_DEBS)"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $(TICKETD_DEBS); \
	fi

# rebuilt when the flags change (SANITIZE=...)
$(TICKETD_BUILD)/cflags: FORCE
	@mkdir -p $(dir $@); echo '$(TICKETD_CFLAGS)' | cmp -s - $@ || echo '$(TICKETD_CFLAGS)' > $@
.PHONY: FORCE

$(TICKETD): $(TICKETD_SRCS) $(TICKETD_HDRS) $(HEADER) mk/ticketd.mk $(TICKETD_BUILD)/cflags | deps-ticketd build
	@mkdir -p $(dir $@)
	$(CC) $(TICKETD_CFLAGS) $$(pkg-config --cflags $(TICKETD_PKGS)) $(TICKETD_SRCS) -o $@ \
	  $(TICKETD_LIBS) $$(pkg-config --libs $(TICKETD_PKGS))

# The decoder fuzz target.  With clang: clang -fsanitize=fuzzer,address
# -DTICKETD_LIBFUZZER -Iinclude examples/ticketd/fuzz_wire.c examples/ticketd/wire.c
# Here: the standalone driver (deterministic random + mutated inputs) under ASan/UBSan.
# iptables and ip (iproute2) for make chaos
## install iptables for the chaos run, only if missing
deps-chaos:
	@if command -v iptables >/dev/null 2>&1 && command -v ip >/dev/null 2>&1; then :; else \
	  echo "chaos deps: installing iptables iproute2"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y iptables iproute2; \
	fi

$(TICKETD_FUZZ): $(TICKETD_DIR)/fuzz_wire.c $(TICKETD_DIR)/wire.c $(TICKETD_DIR)/wire.h $(HEADER) | build
	@mkdir -p $(dir $@)
	$(CC) $(TICKETD_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all \
	  $(TICKETD_DIR)/fuzz_wire.c $(TICKETD_DIR)/wire.c -o $@

$(TICKETD)-asan: $(TICKETD_SRCS) $(TICKETD_HDRS) $(HEADER) mk/ticketd.mk | deps-ticketd build
	@mkdir -p $(dir $@)
	$(CC) $(TICKETD_CFLAGS) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	  $$(pkg-config --cflags $(TICKETD_PKGS)) $(TICKETD_SRCS) -o $@ $(TICKETD_LIBS) $$(pkg-config --libs $(TICKETD_PKGS))

## build the replicated ticket server build/ticketd/ticketd
ticketd: $(TICKETD)

## the wire decoder fuzz driver, 200,000 inputs, under ASan/UBSan
fuzz-ticketd: $(TICKETD_FUZZ)
	./$(TICKETD_FUZZ) 200000

## a 3-node ticketd cluster on 127.0.0.1: tickets through a follower, /status, clean stop
demo: $(TICKETD)
	$(TICKETD_PY) $(TICKETD_DIR)/tests/demo.py --ticketd $(TICKETD)

## ticketd cluster tests (real processes, sockets, files) and a decoder fuzz run
test-ticketd: $(TICKETD) $(TICKETD_FUZZ)
	$(TICKETD_PY) $(TICKETD_DIR)/tests/test_ticketd.py --ticketd $(TICKETD) --fuzz $(TICKETD_FUZZ)

## the ticketd tests against an ASan/UBSan/LSan build of ticketd
test-ticketd-asan: $(TICKETD)-asan $(TICKETD_FUZZ)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  $(TICKETD_PY) $(TICKETD_DIR)/tests/test_ticketd.py --ticketd $(TICKETD)-asan --fuzz $(TICKETD_FUZZ)

## the ticketd chaos run across network namespaces (20 s faults, two rounds; RELIABILITY.md)
chaos: $(TICKETD) deps-chaos
	$(TICKETD_PY) $(TICKETD_DIR)/tests/chaos.py --ticketd $(TICKETD) --seconds 20 --rounds 2 --require-netns

## the chaos run with 4 s faults (part of make test; passes with a note where namespaces are unavailable)
chaos-smoke: $(TICKETD) deps-chaos
	$(TICKETD_PY) $(TICKETD_DIR)/tests/chaos.py --ticketd $(TICKETD) --seconds 4 --rounds 1

## ticketd throughput and latency on a 3-node loopback cluster with fsync on
bench-ticketd: $(TICKETD)
	$(TICKETD_PY) $(TICKETD_DIR)/tests/bench.py --ticketd $(TICKETD)

TEST_TARGETS += test-ticketd chaos-smoke
