#!/usr/bin/env bash
# Writes the "## Library" section of BENCHMARKS.md from the RESULT lines that
# `make bench` left in a results directory, and splices it into the file
# (other sections, e.g. "## ticketd", are kept as they are).
#
#   bench/report.sh RESULTS_DIR BENCHMARKS.md "command that produced them"
set -euo pipefail
res=$1 md=$2 cmd=$3

# get FILE SELECTOR KEY: value of KEY on the RESULT line of FILE matching SELECTOR.
get() {
  grep '^RESULT' "$1" 2>/dev/null | grep -E -- "$2" | head -1 | tr ' ' '\n' | sed -n "s/^$3=//p" | head -1
}
fmt_int() { awk -v x="$1" 'BEGIN { if (x == "") { print "n/a"; exit } s = sprintf("%.0f", x); n = length(s); o = ""; for (i = 1; i <= n; i++) { o = o substr(s, i, 1); if ((n - i) % 3 == 0 && i < n) o = o "," } print o }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "") { print "n/a"; exit } print (a + 0 <= b + 0) ? "**met**" : "**missed**" }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "") { print "n/a"; exit } print (a + 0 < b + 0) ? "**met**" : "**missed**" }'; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD -- src Cargo.toml 2>/dev/null; then rev="$rev + uncommitted changes to src/"; fi
section=$(mktemp)
{
  echo "## Library"
  echo
  echo "Written by \`$cmd\` (mk/bench.mk; sources in bench/) on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $rev."
  echo "Machine: $(nproc) cores, $cpu. The machine is shared with other builds: wall-clock"
  echo "figures are medians of several runs and vary by some tens of percent between runs; instruction"
  echo "counts and memory figures are deterministic."
  echo

  echo "### Replication through the C ABI (\`bench/c/raft_bench.c\`)"
  echo
  m=$(get "$res/c.txt" "n=3 b=1 " m); runs=$(get "$res/c.txt" "n=3 b=1 " runs)
  echo "In-process cluster of N servers linked against libraft.so, messages in one in-memory FIFO,"
  echo "appendentries payloads copied as a wire would, persistence callbacks that do nothing."
  echo "M = $(fmt_int "$m") entries of 64 bytes, submitted with \`raft_retain_entries\` in batches of B (a batch is B"
  echo "retains, then messages are delivered until none is left, then a tick: \`raft_periodic(0)\` on every server,"
  echo "which applies). Entries/s counts entries committed *and applied on every node* (median of $runs runs)."
  echo "Commit latency: messages delivered between the retain and the leader's commit. Applied everywhere:"
  echo "ticks between the retain and the last server applying it (followers learn the commit index from the"
  echo "next appendentries). Heartbeats: \`raft_send_appendentries_all\` calls needed after the last batch."
  echo "glibc malloc is set for a warm heap (\`mallopt\`: no trimming, mmap threshold 32 MiB), as in a long-running"
  echo "process; otherwise page faults on memory the previous run gave back dominate (2-3x slower)."
  echo
  echo "| N | B | entries/s | msgs/entry | AE/entry | commit p50/p99 (deliveries) | applied everywhere p50/p99 (ticks) | ticks | heartbeats | library heap B/entry/node | peak RSS |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for n in 3 5; do for b in 1 16 256; do
    sel="n=$n b=$b "
    [ -n "$(get "$res/c.txt" "$sel" m)" ] || continue
    echo "| $n | $b | $(fmt_int "$(get "$res/c.txt" "$sel" entries_per_s)") | $(get "$res/c.txt" "$sel" msgs_per_entry) | $(get "$res/c.txt" "$sel" ae_per_entry) | $(get "$res/c.txt" "$sel" commit_p50)/$(get "$res/c.txt" "$sel" commit_p99) | $(get "$res/c.txt" "$sel" apply_p50)/$(get "$res/c.txt" "$sel" apply_p99) | $(fmt_int "$(get "$res/c.txt" "$sel" ticks)") | $(get "$res/c.txt" "$sel" heartbeats) | $(get "$res/c.txt" "$sel" lib_bytes_per_entry) | $(fmt_int "$(get "$res/c.txt" "$sel" peak_rss_kb)") KiB |"
  done; done
  echo
  echo "Peak RSS is the whole process: the harness's payload copies and queues dominate it."
  echo

  echo "### Instructions per entry inside libraft.so (callgrind, \`make bench-instr\`)"
  echo
  im=$(get "$res/instr.txt" "b=1 " m)
  echo "\`valgrind --tool=callgrind\` on \`raft_bench --instr\` (3 nodes; no latency tracking), once with M = $(fmt_int "$im")"
  echo "and once with 2M entries; (Ir(2M) - Ir(M)) / M, counting only instructions whose object is libraft.so"
  echo "(self cost: the harness's callbacks, malloc and memcpy are not counted), summed over the 3 servers."
  echo
  echo "| N | B | instructions/entry | target | |"
  echo "|---|---|---|---|---|"
  i1=$(get "$res/instr.txt" "b=1 " per_entry); i256=$(get "$res/instr.txt" "b=256 " per_entry)
  echo "| 3 | 1 | $i1 | ≤ 950 | $(le "$i1" 950) |"
  echo "| 3 | 256 | $i256 | ≤ 300 | $(le "$i256" 300) |"
  echo
  for b in 1 256; do
    echo "Per-entry profile, B = $b (self instructions per entry of libraft.so functions after inlining, calls"
    echo "per entry, instructions per call):"
    echo
    echo '```'
    grep "^PROFILE n=3 b=$b \(FN\|CALLS\)" "$res/instr.txt" | awk '
      { v = $5; k = $4; $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); if (k == "CALLS") calls[$0] = v; else { n++; name[n] = $0; ir[n] = v } }
      END { for (i = 1; i <= n && i <= 10; i++) { c = calls[name[i]]; printf "%8s instr/entry %8s calls/entry %8s instr/call  %s\n", ir[i], (c == "" ? "-" : c), (c == "" || c == 0 ? "-" : sprintf("%.0f", ir[i] / c)), name[i] } }'
    echo '```'
    echo
  done
  echo "Hottest source lines (self instructions per entry; inlined code attributed to its own line; line"
  echo "numbers are those of the commit above):"
  echo
  echo '```'
  for b in 1 256; do
    grep "^PROFILE n=3 b=$b LINE" "$res/instr.txt" | head -12 | awk -v b="$b" '{ v = $5; $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); if (!sub(/.*\/library\//, "std:")) sub(/^.*\/src\//, "src/"); printf "B=%-4s %7s  %s\n", b, v, $0 }'
  done
  echo '```'
  echo
  echo "By source file (inlined code attributed to its file): "
  echo
  echo '```'
  grep "^PROFILE n=3 b=1 FILE" "$res/instr.txt" | head -8 | awk '{ v = $5; $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); if (!sub(/.*\/library\//, "std:")) sub(/^.*\/src\//, "src/"); printf "B=1   %8s  %s\n", v, $0 }'
  grep "^PROFILE n=3 b=256 FILE" "$res/instr.txt" | head -8 | awk '{ v = $5; $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); if (!sub(/.*\/library\//, "std:")) sub(/^.*\/src\//, "src/"); printf "B=256 %8s  %s\n", v, $0 }'
  echo '```'
  echo

  echo "### Library memory (\`bench/c/raft_mem.c\`)"
  echo
  echo "All library allocations go through a counting allocator (\`raft_set_heap_functions\` before \`raft_new\`);"
  echo "payloads belong to the application and are not counted."
  echo
  pe=$(get "$res/mem.txt" "part=per_entry" bytes_per_entry); pw=$(get "$res/mem.txt" "part=per_entry" worst_bytes_per_entry)
  pwa=$(get "$res/mem.txt" "part=per_entry" worst_at); pn=$(get "$res/mem.txt" "part=per_entry" entries)
  sb=$(get "$res/mem.txt" "part=per_entry" server_bytes)
  tot=$(get "$res/mem.txt" "part=compaction" total); ev=$(get "$res/mem.txt" "part=compaction" every)
  flat=$(get "$res/mem.txt" "part=compaction" flat)
  echo "| measure | value | target | |"
  echo "|---|---|---|---|"
  echo "| library bytes per retained entry, single-node leader, $(fmt_int "$pn") entries, no compaction | $pe B | ≤ 48 B | $(le "$pe" 48) |"
  echo "| same, worst point between 1,000 and $(fmt_int "$pn") entries (just after the log array doubled, at $(fmt_int "$pwa")) | $pw B | ≤ 48 B | $(le "$pw" 48) |"
  echo "| an empty server (one node) | $sb B | | |"
  for k in $(grep '^RESULT part=compaction' "$res/mem.txt" | tr ' ' '\n' | sed -n 's/^heap_at_\([0-9]*\)=.*/\1/p'); do
    echo "| library heap after $(fmt_int "$k") entries, snapshot every $(fmt_int "$ev") | $(fmt_int "$(get "$res/mem.txt" "part=compaction" "heap_at_$k")") B | flat | |"
  done
  echo "| heap flat from $(fmt_int $((tot / 10))) to $(fmt_int "$tot") entries | $flat | flat | $([ "$flat" = yes ] && echo '**met**' || echo '**missed**') |"
  echo

  echo "### Many idle groups (\`bench/c/raft_groups.c\`)"
  echo
  g=$(get "$res/groups.txt" "groups=" groups); gl=$(get "$res/groups.txt" "groups=" leaders)
  gb=$(get "$res/groups.txt" "groups=" bytes_per_server); gc=$(get "$res/groups.txt" "groups=" core_pct)
  gs=$(get "$res/groups.txt" "groups=" sim_seconds); gn=$(get "$res/groups.txt" "groups=" ns_per_server_tick)
  echo "One process holding $(fmt_int "$g") servers, each in a different 3-node group (itself + 2 remote nodes), $(fmt_int "$gl")"
  echo "of them leading. Simulated $gs s at a 100 ms tick: \`raft_periodic(100)\` on every server, leaders'"
  echo "heartbeats (send callback counts; the responses are fed back with \`raft_recv_appendentries_response\`),"
  echo "followers' incoming heartbeats every 200 ms (\`raft_recv_appendentries\`). CPU from"
  echo "\`CLOCK_PROCESS_CPUTIME_ID\`, median of several runs. Roles stayed stable: $(get "$res/groups.txt" "groups=" stable)."
  echo
  echo "| measure | value | target | |"
  echo "|---|---|---|---|"
  echo "| library heap per server | $gb B | < 2048 B | $(lt "$gb" 2048) |"
  echo "| CPU at a 100 ms tick, all $(fmt_int "$g") servers | $gc % of one core ($gn ns per server per tick) | < 1 % | $(lt "$gc" 1) |"
  echo

  echo "### Safe Rust API vs raft-rs (Criterion, \`bench/benches/replication.rs\`)"
  echo
  rm_=$(get "$res/rust.txt" "rust n=3 b=1 " m)
  echo "Same workload in Rust, N = 3, M = $(fmt_int "$rm_") entries of 64 bytes per iteration, setup (cluster + election)"
  echo "excluded: libraft through its safe API (\`raft::Server\`, no FFI) against raft-rs 0.7 (\`RawNode<MemStorage>\`,"
  echo "protobuf-codec, \`batch_append: true\`, slog discarding), both copying append payloads as a wire would, in one"
  echo "\`cargo bench\` run. Throughputs are Criterion's median estimates; ratio = libraft / raft-rs throughput from"
  echo "them; paired ratio = median over 15 interleaved runs (libraft, then raft-rs) of the time ratio, which"
  echo "is less sensitive to the load of a shared machine changing between Criterion's measurements."
  echo "Warm heap as above (\`mallopt\` in the benchmark's main)."
  echo "raft-rs broadcasts every commit-index advance with an extra append round, hence its 8 messages/entry at B = 1."
  echo
  echo "| N | B | libraft entries/s | raft-rs entries/s | ratio | paired ratio | msgs/entry libraft / raft-rs |"
  echo "|---|---|---|---|---|---|---|"
  for b in 1 16 256; do
    sel="rust n=3 b=$b "
    [ -n "$(get "$res/rust.txt" "$sel" m)" ] || continue
    echo "| 3 | $b | $(fmt_int "$(get "$res/rust.txt" "$sel" ours_eps)") | $(fmt_int "$(get "$res/rust.txt" "$sel" theirs_eps)") | $(get "$res/rust.txt" "$sel" ratio)x | $(get "$res/rust.txt" "$sel" paired_ratio)x | $(get "$res/rust.txt" "$sel" ours_msgs_per_entry) / $(get "$res/rust.txt" "$sel" theirs_msgs_per_entry) |"
  done
  echo

  echo "### Targets"
  echo
  echo "| target | result | |"
  echo "|---|---|---|"
  echo "| ≤ 950 instructions/entry in libraft.so, 3 nodes, B = 1 | $i1 | $(le "$i1" 950) |"
  echo "| ≤ 300 instructions/entry in libraft.so, 3 nodes, B = 256 | $i256 | $(le "$i256" 300) |"
  echo "| ≤ 48 library bytes per retained entry (at $(fmt_int "$pn") entries) | $pe | $(le "$pe" 48) |"
  echo "| heap flat over $(fmt_int "$tot") entries with compaction | $flat | $([ "$flat" = yes ] && echo '**met**' || echo '**missed**') |"
  echo "| < 2 KiB per idle server | $gb B | $(lt "$gb" 2048) |"
  echo "| < 1 % of one core for $(fmt_int "$g") idle servers at a 100 ms tick | $gc % | $(lt "$gc" 1) |"
  echo
} >"$section"

# Splice: replace "## Library" up to the next "## " heading (or the end).
if [ ! -f "$md" ]; then
  printf '# Benchmarks\n\n' >"$md"
fi
tmp=$(mktemp)
awk -v sec="$section" '
  function emit(   line) { while ((getline line < sec) > 0) print line; close(sec); done = 1 }
  /^## Library[[:space:]]*$/ { if (last != "") print ""; emit(); skipping = 1; next }
  skipping && /^## / { skipping = 0 }
  skipping { next }
  { print; last = $0 }
  END { if (!done) { if (last != "") print ""; emit() } }
' "$md" >"$tmp"
cat "$tmp" >"$md"
rm -f "$tmp" "$section"
echo "BENCHMARKS.md: ## Library section written ($md)"
