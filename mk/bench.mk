# Benchmarks of the library (bench/): not part of `make test`.
#   make bench             everything below, then rewrites BENCHMARKS.md's "## Library" section
#   make bench-c           replication through the C ABI, N = 3, 5 and B = 1, 16, 256
#   make bench-instr       instructions per entry inside libraft.so (callgrind), B = 1 and 256
#   make bench-mem         library bytes per entry, heap over 10M entries with compaction
#   make bench-groups      10,000 idle servers: heap per server, CPU at a 100 ms tick
#   make bench-rust        Criterion: safe Rust API vs raft-rs
#   make test-bench-smoke  every benchmark at tiny sizes (part of `make test`)
# Sizes: BENCH_M, BENCH_RUNS, BENCH_INSTR_M, BENCH_RUST_M. Results: build/bench/results/.

BENCH_OUT      := build/bench
BENCH_RES      := $(BENCH_OUT)/results
BENCH_CFLAGS   := -std=c11 -O2 -g -Wall -Wextra -Werror -Iinclude
BENCH_LDFLAGS  := -L$(LIBDIR) -lraft -Wl,-rpath,$(LIBDIR)
BENCH_JOBS     ?= 2
BENCH_M        ?= 200000
BENCH_RUNS     ?= 5
BENCH_INSTR_M  ?= 20000
BENCH_RUST_M   ?= 10000
BENCH_C_BINS   := $(BENCH_OUT)/raft_bench $(BENCH_OUT)/raft_mem $(BENCH_OUT)/raft_groups

.PHONY: bench bench-bins bench-c bench-instr bench-mem bench-groups bench-rust test-bench-smoke

$(BENCH_OUT)/%: bench/c/%.c bench/c/bench_common.h $(HEADER) $(LIBDIR)/libraft.so
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $< -o $@ $(BENCH_LDFLAGS)

# raft_bench runs on the shared cluster fixture (c_fixture/, lean mode).
BENCH_FIXTURE := $(wildcard c_fixture/*.c)
$(BENCH_OUT)/raft_bench: bench/c/raft_bench.c bench/c/bench_common.h $(BENCH_FIXTURE) $(wildcard c_fixture/*.h) $(HEADER) $(LIBDIR)/libraft.so
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -Ic_fixture $< $(BENCH_FIXTURE) -o $@ $(BENCH_LDFLAGS)

## build the C benchmark programs into build/bench
bench-bins: build
	@$(MAKE) --no-print-directory $(BENCH_C_BINS)

## replication throughput through the C ABI, N = 3, 5 and B = 1, 16, 256
bench-c: bench-bins
	@mkdir -p $(BENCH_RES)
	@: > $(BENCH_RES)/c.txt
	@for n in 3 5; do for b in 1 16 256; do \
	  ./$(BENCH_OUT)/raft_bench -n $$n -b $$b -m $(BENCH_M) --runs $(BENCH_RUNS) | tee -a $(BENCH_RES)/c.txt | grep -v '^RESULT' || exit 1; \
	done; done

## instructions per entry inside libraft.so (callgrind), B = 1 and 256
bench-instr: bench-bins
	@mkdir -p $(BENCH_RES)
	bench/instr.sh ./$(BENCH_OUT)/raft_bench $(BENCH_OUT)/callgrind 3 $(BENCH_INSTR_M) "1 256" > $(BENCH_RES)/instr.txt
	@awk '/^RESULT/ { for (i = 3; i <= NF; i++) { split($$i, kv, "="); v[kv[1]] = kv[2] } \
	  t = v["b"] == 1 ? 950 : 300; \
	  printf "instr: 3 nodes, B=%s: %s instructions/entry in libraft.so (target <= %d: %s)\n", v["b"], v["per_entry"], t, v["per_entry"] + 0 <= t ? "met" : "MISSED" } \
	  /^PROFILE/ && $$4 == "FN" { $$1 = ""; print "   " $$0 }' $(BENCH_RES)/instr.txt
	@echo "hottest lines (instructions/entry):"
	@grep '^PROFILE n=3 b=1 LINE' $(BENCH_RES)/instr.txt | head -15 | sed 's|/rustc/[0-9a-f]*/library/|std:|; s|$(CURDIR)/||; s/^PROFILE /   /' 

## library bytes per entry; heap over 10M entries with compaction
bench-mem: bench-bins
	@mkdir -p $(BENCH_RES)
	./$(BENCH_OUT)/raft_mem --retain 1000000 --total 10000000 --every 10000 | tee $(BENCH_RES)/mem.txt | grep -v '^RESULT'

## 10,000 idle servers: heap per server, CPU at a 100 ms tick
bench-groups: bench-bins
	@mkdir -p $(BENCH_RES)
	./$(BENCH_OUT)/raft_groups --groups 10000 --seconds 30 --runs $(BENCH_RUNS) | tee $(BENCH_RES)/groups.txt | grep -v '^RESULT'

## Criterion: the safe Rust API against raft-rs
bench-rust:
	@mkdir -p $(BENCH_RES)
	cd bench && BENCH_M=$(BENCH_RUST_M) $(CARGO) bench -j $(BENCH_JOBS) --bench replication > ../$(BENCH_RES)/rust.log 2>&1 || { tail -30 ../$(BENCH_RES)/rust.log; exit 1; }
	@grep '^RESULT' $(BENCH_RES)/rust.log > $(BENCH_RES)/rust.txt
	@grep -E '^n=[0-9]' $(BENCH_RES)/rust.log

## bench-c, -instr, -mem, -groups and -rust, then rewrite the Library section of BENCHMARKS.md
bench: build
	@$(MAKE) --no-print-directory bench-c bench-instr bench-mem bench-groups bench-rust
	bench/report.sh $(BENCH_RES) BENCHMARKS.md "make bench"

# Every benchmark at tiny sizes: they build, run, and report (~1-2 min with
# the bench crate's dependencies already compiled).
## every benchmark at tiny sizes: they build, run and report
test-bench-smoke: bench-bins
	@set -e; out=$(BENCH_OUT)/smoke; mkdir -p $$out; ok=0; \
	for n in 3 5; do for b in 1 16 256; do \
	  ./$(BENCH_OUT)/raft_bench -n $$n -b $$b -m 2000 --runs 1 --verify > $$out/c.$$n.$$b.txt; \
	  grep -q '^RESULT .*entries_per_s=[1-9]' $$out/c.$$n.$$b.txt || { cat $$out/c.$$n.$$b.txt; exit 1; }; \
	  ok=$$((ok + 1)); \
	done; done; \
	./$(BENCH_OUT)/raft_mem --retain 100000 --total 300000 --every 10000 > $$out/mem.txt; \
	grep -q '^RESULT part=compaction.* flat=yes' $$out/mem.txt || { cat $$out/mem.txt; exit 1; }; \
	ok=$$((ok + 1)); \
	./$(BENCH_OUT)/raft_groups --groups 300 --seconds 5 --runs 1 > $$out/groups.txt; \
	grep -q '^RESULT .*stable=yes' $$out/groups.txt || { cat $$out/groups.txt; exit 1; }; \
	ok=$$((ok + 1)); \
	bench/instr.sh ./$(BENCH_OUT)/raft_bench $$out/callgrind 3 500 "1 256" > $$out/instr.txt; \
	test "$$(grep -c '^RESULT instr .*per_entry=[1-9]' $$out/instr.txt)" = 2 || { cat $$out/instr.txt; exit 1; }; \
	ok=$$((ok + 1)); \
	(cd bench && BENCH_M=2000 $(CARGO) bench -j $(BENCH_JOBS) -- --test) > $$out/rust.txt 2>&1 || { tail -30 $$out/rust.txt; exit 1; }; \
	grep -q 'test result: ok' $$out/rust.txt || { tail -30 $$out/rust.txt; exit 1; }; \
	test "$$(grep -c '^smoke n=3' $$out/rust.txt)" = 3 || { tail -30 $$out/rust.txt; exit 1; }; \
	ok=$$((ok + 2)); \
	grep '^smoke' $$out/rust.txt; \
	echo "bench-smoke: $$ok passed, 0 failed"

TEST_TARGETS += test-bench-smoke
