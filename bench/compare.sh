#!/usr/bin/env bash
# libraft against raft-rs on the same workload, in one run: for each
# configuration, RUNS pairs of processes, ours then raft-rs, each doing one
# warm-up run and one timed run (a fresh cluster each, setup not timed).
# Ours: bench/c/raft_bench --batch-call --rounds --inflight W --no-latency
# (libraft.so through include/raft.h); raft-rs: bench/src (raft_rs_bench,
# the same loop with skip_bcast_commit and batch_append on and the same
# inflight window). Pairing the two processes run by run keeps the ratio
# honest when the load of a shared machine changes during the run.
#
#   bench/compare.sh OURS_BIN THEIRS_BIN M RUNS INFLIGHT "N:B[:M] ..."
#
# (a configuration's own M replaces the default M: large batches run fast,
# and a run of a few milliseconds measures the scheduler more than the code)
#
# Prints per configuration a human line and
# "RESULT compare n=.. b=.. m=.. runs=.. ours_eps=.. ours_min=.. ours_max=..
#  theirs_eps=.. theirs_min=.. theirs_max=.. ratio=.. ratio_min=.. ratio_max=..
#  cpu_ratio=.. cpu_ratio_min=.. cpu_ratio_max=.. ours_msgs_per_entry=..
#  theirs_msgs_per_entry=.. ..." (medians; ratio = ours / raft-rs entries/s by
# the wall clock, per pair, then its median, least and greatest; cpu_ratio
# the same by each process's CPU time, which other load on the machine does
# not inflate).
set -euo pipefail
ours=$1 theirs=$2 m_default=$3 runs=$4 inflight=$5 configs=$6

# field KEY LINE: the value of KEY=... on a RESULT line
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -1; }
result() { grep '^RESULT' || { echo "compare: no RESULT line from $1" >&2; exit 1; }; }

for cfg in $configs; do
  IFS=: read -r n b mc <<<"$cfg"
  m=${mc:-$m_default}
  o_eps=() t_eps=() o_cpu=() t_cpu=() o_line= t_line=
  for ((r = 0; r < runs; r++)); do
    o_line=$("$ours" -n "$n" -b "$b" -m "$m" --runs 1 --warmup 1 --batch-call --rounds --inflight "$inflight" --no-latency | result "$ours")
    t_line=$("$theirs" -n "$n" -b "$b" -m "$m" --runs 1 --warmup 1 --inflight "$inflight" | result "$theirs")
    o_eps+=("$(field entries_per_s "$o_line")")
    t_eps+=("$(field entries_per_s "$t_line")")
    o_cpu+=("$(field cpu_entries_per_s "$o_line")")
    t_cpu+=("$(field cpu_entries_per_s "$t_line")")
  done
  awk -v n="$n" -v b="$b" -v m="$m" -v runs="$runs" -v inflight="$inflight" \
      -v o="${o_eps[*]}" -v t="${t_eps[*]}" -v oc="${o_cpu[*]}" -v tc="${t_cpu[*]}" \
      -v omsg="$(field msgs_per_entry "$o_line")" -v tmsg="$(field msgs_per_entry "$t_line")" \
      -v oae="$(field ae_per_entry "$o_line")" -v tae="$(field ae_per_entry "$t_line")" \
      -v orounds="$(awk -v x="$(field ticks "$o_line")" -v m="$m" 'BEGIN { printf "%.4f", x / m }')" \
      -v trounds="$(field rounds_per_entry "$t_line")" '
    function sort(a, k,   i, j, x) { for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x } }
    function med(a, k) { return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
    BEGIN {
      k = split(o, oa, " "); split(t, ta, " ")
      split(oc, oca, " "); split(tc, tca, " ")
      for (i = 1; i <= k; i++) { ra[i] = oa[i] / ta[i]; rc[i] = oca[i] / tca[i] }
      sort(oa, k); sort(ta, k); sort(ra, k); sort(rc, k); sort(oca, k); sort(tca, k)
      printf "N=%d B=%-3d M=%d: libraft %.0f entries/s (%.0f-%.0f), raft-rs %.0f (%.0f-%.0f), ratio %.2fx (%.2f-%.2f) over %d pairs (by CPU time %.2fx, %.2f-%.2f); msgs/entry %s vs %s\n", \
        n, b, m, med(oa, k), oa[1], oa[k], med(ta, k), ta[1], ta[k], med(ra, k), ra[1], ra[k], k, med(rc, k), rc[1], rc[k], omsg, tmsg
      printf "RESULT compare n=%d b=%d m=%d runs=%d inflight=%d ours_eps=%.0f ours_min=%.0f ours_max=%.0f theirs_eps=%.0f theirs_min=%.0f theirs_max=%.0f ours_cpu_eps=%.0f theirs_cpu_eps=%.0f ratio=%.3f ratio_min=%.3f ratio_max=%.3f cpu_ratio=%.3f cpu_ratio_min=%.3f cpu_ratio_max=%.3f ours_msgs_per_entry=%s theirs_msgs_per_entry=%s ours_ae_per_entry=%s theirs_ae_per_entry=%s ours_rounds_per_entry=%s theirs_rounds_per_entry=%s\n", \
        n, b, m, k, inflight, med(oa, k), oa[1], oa[k], med(ta, k), ta[1], ta[k], med(oca, k), med(tca, k), med(ra, k), ra[1], ra[k], med(rc, k), rc[1], rc[k], omsg, tmsg, oae, tae, orounds, trounds
    }'
done
