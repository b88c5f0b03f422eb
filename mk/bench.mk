# Benchmarks of the library (bench/): not part of `make test`.
#   make bench             everything below in one run; prints every target's figure beside its
#                          reference, then rewrites BENCHMARKS.md's "## Library" section from the run
#   make bench-compare     entries/s of libraft (C harness) and of raft-rs, paired run by run, N = 3, 5
#   make bench-pipeline    entries/s with a 1 ms one-way delay (virtual time), pipelined and
#                          stop-and-wait, beside the no-delay figure
#   make bench-c           messages, latency (in deliveries and ticks) and memory per configuration
#   make bench-instr       instructions per entry (callgrind, by object): libraft.so and whole process
#   make bench-mem         library bytes per entry, heap with compaction, leader without quorum
#   make bench-groups      10,000 idle servers: heap per server, CPU at a 100 ms tick
#   make test-bench-smoke  every benchmark at tiny sizes, and the report (part of `make test`)
# Sizes: BENCH_M, BENCH_M_BATCH (the comparison at B > 1), BENCH_RUNS, BENCH_INFLIGHT, BENCH_PIPE_M, BENCH_DELAY_US, BENCH_INSTR_M,
# BENCH_GROUPS, BENCH_GROUPS_S. Results: build/bench/results/.

BENCH_OUT      := build/bench
BENCH_RES      := $(BENCH_OUT)/results
BENCH_CFLAGS   := -std=c11 -O2 -g -Wall -Wextra -Werror -Iinclude
BENCH_LDFLAGS  := -L$(LIBDIR) -lraft -Wl,-rpath,$(LIBDIR)
BENCH_JOBS     ?= 2
BENCH_M        ?= 200000
BENCH_M_BATCH  ?= 1000000
BENCH_RUNS     ?= 5
BENCH_INFLIGHT ?= 256
BENCH_PIPE_M   ?= 200000
BENCH_DELAY_US ?= 1000
BENCH_INSTR_M  ?= 20000
BENCH_GROUPS   ?= 10000
BENCH_GROUPS_S ?= 30
BENCH_C_BINS   := $(BENCH_OUT)/raft_bench $(BENCH_OUT)/raft_pipeline $(BENCH_OUT)/raft_mem $(BENCH_OUT)/raft_groups
# The reference: raft-rs, built on its own (bench/Cargo.toml, bench/Cargo.lock).
BENCH_RS_BIN   := bench/target/release/raft_rs_bench
BENCH_CONFIGS  := 3:1 3:16 3:256 5:1 5:16 5:256
# N:B:M for the comparison: batches run many times faster, so they get more entries
BENCH_CMP_CONFIGS := $(foreach c,$(BENCH_CONFIGS),$(c):$(if $(filter %:1,$(c)),$(BENCH_M),$(BENCH_M_BATCH)))

.PHONY: bench bench-bins bench-rs-bin bench-compare bench-pipeline bench-c bench-instr bench-mem bench-groups \
        test-bench-smoke

$(BENCH_OUT)/%: bench/c/%.c bench/c/bench_common.h $(HEADER) $(LIBDIR)/libraft.so
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $< -o $@ $(BENCH_LDFLAGS)

# raft_bench and raft_pipeline run on the shared cluster fixture (c_fixture/, lean mode).
BENCH_FIXTURE := $(wildcard c_fixture/*.c)
$(BENCH_OUT)/raft_bench $(BENCH_OUT)/raft_pipeline: $(BENCH_OUT)/%: bench/c/%.c bench/c/bench_common.h $(BENCH_FIXTURE) $(wildcard c_fixture/*.h) $(HEADER) $(LIBDIR)/libraft.so
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -Ic_fixture $< $(BENCH_FIXTURE) -o $@ $(BENCH_LDFLAGS)

## build the C benchmark programs into build/bench
bench-bins: build
	@$(MAKE) --no-print-directory $(BENCH_C_BINS)

## build the raft-rs reference program (bench/target/release/raft_rs_bench)
bench-rs-bin:
	$(CARGO) build --release -j $(BENCH_JOBS) --manifest-path bench/Cargo.toml --target-dir bench/target

## libraft against raft-rs: entries/s paired run by run, N = 3, 5 and B = 1, 16, 256
bench-compare: bench-bins bench-rs-bin
	@mkdir -p $(BENCH_RES)
	bench/compare.sh ./$(BENCH_OUT)/raft_bench ./$(BENCH_RS_BIN) $(BENCH_M) $(BENCH_RUNS) $(BENCH_INFLIGHT) "$(BENCH_CMP_CONFIGS)" \
	  | tee $(BENCH_RES)/compare.txt | grep -v '^RESULT'

## entries/s with a simulated one-way delay (virtual time), pipelined and stop-and-wait, beside no delay
bench-pipeline: bench-bins
	@mkdir -p $(BENCH_RES)
	./$(BENCH_OUT)/raft_pipeline -n 3 -b 16 -m $(BENCH_PIPE_M) --delay-us $(BENCH_DELAY_US) --runs $(BENCH_RUNS) \
	  --inflight $(BENCH_INFLIGHT) | tee $(BENCH_RES)/pipeline.txt | grep -v '^RESULT'

## messages, commit latency and memory per configuration (one run each; deterministic)
bench-c: bench-bins
	@mkdir -p $(BENCH_RES)
	@: > $(BENCH_RES)/c.txt
	@for cfg in $(BENCH_CONFIGS); do n=$${cfg%:*}; b=$${cfg#*:}; \
	  flags=; [ $$b -gt 1 ] && flags=--batch-call; \
	  ./$(BENCH_OUT)/raft_bench -n $$n -b $$b -m $(BENCH_M) --runs 1 $$flags | tee -a $(BENCH_RES)/c.txt | grep -v '^RESULT' || exit 1; \
	done

## instructions per entry (callgrind, by object), with the profiles; instructions per idle server-tick
bench-instr: bench-bins
	@mkdir -p $(BENCH_RES)
	bench/instr.sh bench ./$(BENCH_OUT)/raft_bench $(BENCH_OUT)/callgrind $(BENCH_INSTR_M) "3:1 3:256:batch 3:256:offer 5:1" > $(BENCH_RES)/instr.txt
	bench/instr.sh groups ./$(BENCH_OUT)/raft_groups $(BENCH_OUT)/callgrind 1000 5 >> $(BENCH_RES)/instr.txt
	@grep '^RESULT instr n=' $(BENCH_RES)/instr.txt
	@grep '^RESULT instr kind=groups' $(BENCH_RES)/instr.txt

## library bytes per entry; heap over 10M entries with compaction; leader without quorum under a limit
bench-mem: bench-bins
	@mkdir -p $(BENCH_RES)
	./$(BENCH_OUT)/raft_mem --retain 1000000 --total 10000000 --every 10000 --attempts 1000000 --limit 1048576 \
	  | tee $(BENCH_RES)/mem.txt | grep -v '^RESULT'

## 10,000 idle servers: heap per server, CPU at a 100 ms tick
bench-groups: bench-bins
	@mkdir -p $(BENCH_RES)
	./$(BENCH_OUT)/raft_groups --groups $(BENCH_GROUPS) --seconds $(BENCH_GROUPS_S) --runs $(BENCH_RUNS) \
	  | tee $(BENCH_RES)/groups.txt | grep -v '^RESULT'

## every benchmark in one run; prints every target beside its reference; rewrites BENCHMARKS.md's Library section
bench: build
	@rm -rf $(BENCH_RES); mkdir -p $(BENCH_RES); cat /proc/loadavg > $(BENCH_RES)/load-start.txt
	@$(MAKE) --no-print-directory bench-compare bench-pipeline bench-c bench-instr bench-mem bench-groups
	bench/report.sh $(BENCH_RES) BENCHMARKS.md "make bench"

# Every benchmark at tiny sizes: they build, run, check what they replicate,
# and the report is written from their results (to a scratch file).
## every benchmark at tiny sizes, and the report: they build, run and report
test-bench-smoke: bench-bins bench-rs-bin
	@set -e; out=$(BENCH_OUT)/smoke; rm -rf $$out; mkdir -p $$out/results; cat /proc/loadavg > $$out/results/load-start.txt; ok=0; \
	fail() { echo "bench-smoke: $$1 failed:"; cat "$$2"; exit 1; }; \
	for cfg in $(BENCH_CONFIGS); do n=$${cfg%:*}; b=$${cfg#*:}; \
	  for flags in "" "--batch-call" "--batch-call --batch-offer" "--batch-call --rounds --inflight 4"; do \
	    ./$(BENCH_OUT)/raft_bench -n $$n -b $$b -m 2000 --runs 1 --verify $$flags >> $$out/results/c.txt 2>&1 || fail "raft_bench -n $$n -b $$b $$flags" $$out/results/c.txt; \
	    tail -1 $$out/results/c.txt | grep -q '^RESULT .*entries_per_s=[1-9]' || fail "raft_bench -n $$n -b $$b $$flags" $$out/results/c.txt; \
	  done; ok=$$((ok + 1)); \
	done; \
	(cd bench && $(CARGO) test --release -j $(BENCH_JOBS) --target-dir target -q) > $$out/rust-test.txt 2>&1 || fail "cargo test (bench/)" $$out/rust-test.txt; \
	./$(BENCH_RS_BIN) -n 3 -b 16 -m 2000 --verify > $$out/rs.txt 2>&1 && grep -q '^verify: 0 ' $$out/rs.txt || fail raft_rs_bench $$out/rs.txt; \
	ok=$$((ok + 1)); \
	bench/compare.sh ./$(BENCH_OUT)/raft_bench ./$(BENCH_RS_BIN) 2000 1 $(BENCH_INFLIGHT) "$(BENCH_CONFIGS)" > $$out/results/compare.txt 2>&1 || fail compare.sh $$out/results/compare.txt; \
	test "$$(grep -c '^RESULT compare .*ratio=[0-9]' $$out/results/compare.txt)" = 6 || fail compare.sh $$out/results/compare.txt; \
	ok=$$((ok + 1)); \
	./$(BENCH_OUT)/raft_pipeline -n 3 -b 16 -m 5000 --delay-us 1000 --runs 1 > $$out/results/pipeline.txt 2>&1 || fail raft_pipeline $$out/results/pipeline.txt; \
	test "$$(grep -c '^RESULT pipeline .*entries_per_s=[1-9]' $$out/results/pipeline.txt)" = 4 || fail raft_pipeline $$out/results/pipeline.txt; \
	ok=$$((ok + 1)); \
	./$(BENCH_OUT)/raft_mem --retain 100000 --total 300000 --every 10000 --attempts 20000 --limit 65536 > $$out/results/mem.txt 2>&1 || fail raft_mem $$out/results/mem.txt; \
	grep -q '^RESULT part=compaction.* flat=yes' $$out/results/mem.txt || fail raft_mem $$out/results/mem.txt; \
	grep -q '^RESULT part=noquorum.* within=yes .* flat=yes' $$out/results/mem.txt || fail raft_mem $$out/results/mem.txt; \
	ok=$$((ok + 1)); \
	./$(BENCH_OUT)/raft_groups --groups 300 --seconds 5 --runs 1 > $$out/results/groups.txt 2>&1 || fail raft_groups $$out/results/groups.txt; \
	grep -q '^RESULT .*stable=yes' $$out/results/groups.txt || fail raft_groups $$out/results/groups.txt; \
	ok=$$((ok + 1)); \
	bench/instr.sh bench ./$(BENCH_OUT)/raft_bench $$out/callgrind 500 "3:1 3:256:batch 3:256:offer 5:1" > $$out/results/instr.txt 2>&1 || fail instr.sh $$out/results/instr.txt; \
	bench/instr.sh groups ./$(BENCH_OUT)/raft_groups $$out/callgrind 30 1 >> $$out/results/instr.txt 2>&1 || fail instr.sh $$out/results/instr.txt; \
	test "$$(grep -c '^RESULT instr .*per_entry=[1-9].*proc_per_entry=[1-9]' $$out/results/instr.txt)" = 5 || fail instr.sh $$out/results/instr.txt; \
	ok=$$((ok + 1)); \
	printf '# Benchmarks\n\n## Library\n\nold\n\n## Other\n\nkept\n' > $$out/BENCHMARKS.md; \
	bench/report.sh $$out/results $$out/BENCHMARKS.md "make test-bench-smoke" > $$out/report.txt 2>&1 || fail report.sh $$out/report.txt; \
	grep -q '^kept$$' $$out/BENCHMARKS.md && ! grep -q '^old$$' $$out/BENCHMARKS.md && ! grep -q 'n/a' $$out/BENCHMARKS.md || fail "report.sh (n/a or lost section)" $$out/BENCHMARKS.md; \
	ok=$$((ok + 1)); \
	echo "bench-smoke: $$ok passed, 0 failed"

TEST_TARGETS += test-bench-smoke
