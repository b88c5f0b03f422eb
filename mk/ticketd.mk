# examples/ticketd: a replicated ticket server on libraft (libuv + libmicrohttpd + LMDB).
#   make ticketd          build build/ticketd/ticketd
#   make demo             3-node cluster on 127.0.0.1: tickets through a follower, /status, clean stop
#   make test-ticketd     cluster tests (real processes, sockets, files) + decoder fuzz run
#   make test-ticketd-asan  the same tests against an ASan/UBSan/LSan build of ticketd
#   make chaos            partitions (also one-way), loss, duplication, reordering, replay, kill -9 across
#                         network namespaces, 20 s per fault, 2 rounds; 0 lost / 0 duplicated required
#   make chaos-smoke      the same with 4 s faults, one round (part of make test; skipped without namespaces)
#   make bench-ticketd    throughput/latency on a 3-node loopback cluster with fsync on (wrk clients)
#   make fuzz-ticketd-wire / fuzz-ticketd-http   libFuzzer (clang) on the datagram decoder / the HTTP
#                         handlers for FUZZ_SECONDS each (part of make fuzz); make test-ticketd replays
#                         the committed corpus (fuzz/corpus/ticketd_*)
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
TICKETD_LIBS  := -L$(CURDIR)/target/release -lraft -Wl,-rpath,$(CURDIR)/target/release -pthread
TICKETD_SRCS  := $(addprefix $(TICKETD_DIR)/,main.c options.c log.c raft_glue.c peer.c membership.c tickets.c leadership.c durability.c \
                   http.c status.c metrics.c auth.c store.c wal.c wal_seg.c store_verify.c wire.c)
TICKETD_HDRS  := $(addprefix $(TICKETD_DIR)/,ticketd.h wire.h store.h wal.h wal_seg.h)
TICKETD_PY    ?= python3

.PHONY: deps deps-ticketd deps-chaos ticketd demo test-ticketd test-ticketd-asan bench-ticketd fuzz-ticketd \
        chaos chaos-smoke deps-bench-ticketd deps-fuzz-ticketd fuzz-ticketd-wire fuzz-ticketd-http \
        test-ticketd-fuzz-replay

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

## ticketd cluster tests (real processes, sockets, files), a decoder fuzz run, the fuzz corpus replay
test-ticketd: $(TICKETD) $(TICKETD_FUZZ) test-ticketd-fuzz-replay
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

# wrk (a C HTTP load generator) so that the clients do not eat the servers' CPU
## install wrk (and perf, for BENCH_ARGS=--perf) for bench-ticketd, only if missing
deps-bench-ticketd:
	@command -v wrk >/dev/null 2>&1 && command -v perf >/dev/null 2>&1 || { SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk linux-perf; }

## ticketd throughput and latency on a 3-node loopback cluster with fsync on (BENCH_ARGS: e.g. --runs 5)
bench-ticketd: $(TICKETD) deps-bench-ticketd
	$(TICKETD_PY) $(TICKETD_DIR)/tests/bench.py --ticketd $(TICKETD) $(BENCH_ARGS)

# ---- fuzzing: the datagram decoder and the HTTP handlers ----
# fuzz_http links all of ticketd but main() (TICKETD_NO_MAIN) against the real library and LMDB.
TICKETD_FUZZ_HTTP := $(TICKETD_BUILD)/fuzz_http
TICKETD_FUZZ_SRCS := $(TICKETD_SRCS) $(TICKETD_DIR)/fuzz_http.c
TICKETD_FUZZ_CORPUS := fuzz/corpus/ticketd_wire fuzz/corpus/ticketd_http
FUZZ_RUNNERS += fuzz-ticketd-wire fuzz-ticketd-http
TICKETD_LF_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -DTICKETD_LIBFUZZER \
                    -I$(CURDIR)/include

# the replay driver: every committed input once, under ASan/UBSan (gcc)
$(TICKETD_FUZZ_HTTP): $(TICKETD_FUZZ_SRCS) $(TICKETD_HDRS) $(HEADER) | deps-ticketd build
	@mkdir -p $(dir $@)
	$(CC) $(TICKETD_CFLAGS) -DTICKETD_NO_MAIN -fsanitize=address,undefined -fno-sanitize-recover=all \
	  $$(pkg-config --cflags $(TICKETD_PKGS)) $(TICKETD_FUZZ_SRCS) -o $@ $(TICKETD_LIBS) $$(pkg-config --libs $(TICKETD_PKGS))

## clang for the libFuzzer builds, only if missing
deps-fuzz-ticketd:
	@command -v clang >/dev/null 2>&1 || { SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y clang; }

$(TICKETD_BUILD)/lf_wire: $(TICKETD_DIR)/fuzz_wire.c $(TICKETD_DIR)/wire.c $(TICKETD_DIR)/wire.h $(HEADER) | deps-fuzz-ticketd build
	@mkdir -p $(dir $@)
	clang $(TICKETD_LF_FLAGS) $(TICKETD_DIR)/fuzz_wire.c $(TICKETD_DIR)/wire.c -o $@

$(TICKETD_BUILD)/lf_http: $(TICKETD_FUZZ_SRCS) $(TICKETD_HDRS) $(HEADER) | deps-fuzz-ticketd deps-ticketd build
	@mkdir -p $(dir $@)
	clang $(TICKETD_LF_FLAGS) -DTICKETD_NO_MAIN $$(pkg-config --cflags $(TICKETD_PKGS)) $(TICKETD_FUZZ_SRCS) -o $@ \
	  $(TICKETD_LIBS) $$(pkg-config --libs $(TICKETD_PKGS))

# one libFuzzer run: working corpus build/fuzz/corpus/T seeded from fuzz/corpus/T
define ticketd_fuzz_run
	@t=$(1); mkdir -p $(FUZZ_OUT)/corpus/$$t $(FUZZ_OUT)/artifacts/$$t; log=$(FUZZ_OUT)/$$t.log; \
	if ! ASAN_OPTIONS=detect_leaks=1 $(2) $(FUZZ_OUT)/corpus/$$t fuzz/corpus/$$t -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=$(FUZZ_MAX_LEN) -print_final_stats=1 -artifact_prefix=$(FUZZ_OUT)/artifacts/$$t/ $(FUZZ_FLAGS) > $$log 2>&1; then \
	  grep -E 'ERROR|SUMMARY|invariant|Test unit written' $$log | head -20; \
	  echo "FUZZ target=$$t FAILED: crash input in $(FUZZ_OUT)/artifacts/$$t/ (log $$log)"; exit 1; fi; \
	echo "FUZZ target=$$t seconds=$(FUZZ_SECONDS) execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log) exec_per_s=$$(sed -n 's/^stat::average_exec_per_sec: *//p' $$log) corpus=$$(ls $(FUZZ_OUT)/corpus/$$t | wc -l)"
endef

## libFuzzer on ticketd's datagram decoder for FUZZ_SECONDS
fuzz-ticketd-wire: $(TICKETD_BUILD)/lf_wire
	$(call ticketd_fuzz_run,ticketd_wire,$(TICKETD_BUILD)/lf_wire)

## libFuzzer on ticketd's HTTP handlers (routing, parsing; no socket) for FUZZ_SECONDS
fuzz-ticketd-http: $(TICKETD_BUILD)/lf_http
	$(call ticketd_fuzz_run,ticketd_http,$(TICKETD_BUILD)/lf_http)

## minimise the ticketd fuzz corpora into fuzz/corpus/ticketd_* (libFuzzer -merge)
fuzz-ticketd-min: $(TICKETD_BUILD)/lf_wire $(TICKETD_BUILD)/lf_http
	@set -e; for t in wire http; do d=fuzz/corpus/ticketd_$$t; rm -rf $(FUZZ_OUT)/min/ticketd_$$t; \
	  mkdir -p $(FUZZ_OUT)/min/ticketd_$$t $(FUZZ_OUT)/corpus/ticketd_$$t $$d; \
	  $(TICKETD_BUILD)/lf_$$t -merge=1 -max_len=$(FUZZ_MAX_LEN) $(FUZZ_OUT)/min/ticketd_$$t $$d $(FUZZ_OUT)/corpus/ticketd_$$t \
	    > $(FUZZ_OUT)/ticketd_$$t.min.log 2>&1; rm -rf $$d; mv $(FUZZ_OUT)/min/ticketd_$$t $$d; \
	  echo "fuzz-ticketd-min: $$(ls $$d | wc -l) inputs in $$d"; done

## replay the committed ticketd fuzz corpora (ASan/UBSan, gcc; part of test-ticketd)
test-ticketd-fuzz-replay: $(TICKETD_FUZZ) $(TICKETD_FUZZ_HTTP)
	./$(TICKETD_FUZZ) --replay fuzz/corpus/ticketd_wire
	ASAN_OPTIONS=detect_leaks=1 ./$(TICKETD_FUZZ_HTTP) fuzz/corpus/ticketd_http

TEST_TARGETS += test-ticketd chaos-smoke
