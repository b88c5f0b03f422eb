#!/usr/bin/env bash
# Instructions per unit of work, measured with callgrind: each program is
# run at two sizes (M and 2M units) and the difference is divided by M,
# which removes setup, election and teardown. Figures:
#   per_entry       instructions whose object (callgrind `ob=`) is libraft.so,
#                   inlined code included (self cost: the harness's callbacks
#                   and libc are excluded), summed over every server;
#   proc_per_entry  every instruction of the process (library, harness, libc).
# Never count by grepping callgrind_annotate's output: it attributes inlined
# code to the file it came from and drops it from the object's lines.
#
#   bench/instr.sh bench  RAFT_BENCH  OUTDIR M "N:B[:batch] ..."
#       units: committed entries of bench/c/raft_bench (default loop: a
#       batch, deliver until the queue is empty, one tick). ":batch" hands
#       each batch over with one raft_retain_entries_batch call
#       (--batch-call); ":offer" also registers log_offer_batch, so that
#       every server is offered each run with one call (--batch-offer; its
#       PROFILE lines say "n=N b=B offer"); otherwise one
#       raft_retain_entries per entry.
#   bench/instr.sh groups RAFT_GROUPS OUTDIR GROUPS SECONDS
#       units: server-ticks of bench/c/raft_groups (GROUPS idle servers,
#       SECONDS and 2 x SECONDS simulated at a 100 ms tick, heartbeats
#       included).
#
# Prints per configuration "RESULT instr n=.. b=.. call=single|batch m=..
# per_entry=.. proc_per_entry=.. lib_m=.. lib_2m=.. proc_m=.. proc_2m=.."
# (groups: "RESULT instr kind=groups groups=.. units=.. per_entry=.. ...")
# and "PROFILE <config> OB|FN|CALLS|FILE|LINE <per unit> <name>" lines: the
# objects of the process, and the functions, calls, source files and source
# lines of libraft.so costing the most per unit.
set -euo pipefail
kind=$1 bin=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
command -v valgrind >/dev/null || { echo "instr: valgrind not found" >&2; exit 1; }

# callgrind KEY SIZE CMD...: profile one run into $out/cg.KEY.mSIZE, sum it.
callgrind() {
  local key=$1 size=$2; shift 2
  valgrind --tool=callgrind --compress-pos=no --callgrind-out-file="$out/cg.$key.m$size" \
    "$@" >"$out/run.$key.m$size.txt" 2>"$out/valgrind.$key.m$size.txt"
  awk -v OBJ=libraft.so -f "$here/callgrind_lib.awk" "$out/cg.$key.m$size" >"$out/sum.$key.m$size.txt"
}

# report KEY M UNITS LABEL PREFIX: RESULT and PROFILE lines from the sums at M and 2M.
report() {
  local key=$1 m=$2 units=$3 label=$4 prefix=$5
  local s1="$out/sum.$key.m$m.txt" s2="$out/sum.$key.m$((2 * m)).txt"
  local t1 t2 p1 p2
  t1=$(awk '$1=="TOTAL"{print $2}' "$s1"); t2=$(awk '$1=="TOTAL"{print $2}' "$s2")
  p1=$(awk '$1=="ALL"{print $2}' "$s1"); p2=$(awk '$1=="ALL"{print $2}' "$s2")
  echo "RESULT instr $label per_entry=$(awk -v a="$t1" -v b="$t2" -v u="$units" 'BEGIN{printf "%.1f", (b-a)/u}')" \
    "proc_per_entry=$(awk -v a="$p1" -v b="$p2" -v u="$units" 'BEGIN{printf "%.1f", (b-a)/u}')" \
    "lib_m=$t1 lib_2m=$t2 proc_m=$p1 proc_2m=$p2"
  for k in OB FN CALLS FILE LINE; do
    awk -v K="$k" -v u="$units" '
      FNR==NR { if ($1==K) { x=$0; sub(/^[A-Z]+ [0-9]+ /,"",x); a[x]=$2 } next }
      $1==K { x=$0; sub(/^[A-Z]+ [0-9]+ /,"",x); d=($2-a[x])/u; if (d>=0.5 || (K=="CALLS" && d>=0.001)) printf "%s %.4g %s\n", K, d, x }
    ' "$s1" "$s2" | sort -k2 -g -r | awk -v n="$([ "$k" = LINE ] && echo 40 || echo 15)" 'NR <= n' | sed "s/^/PROFILE $prefix /"
  done
}

case $kind in
bench)
  m=$4 configs=$5
  for cfg in $configs; do
    IFS=: read -r n b call <<<"$cfg"
    call=${call:-single}
    flags=() prefix="n=$n b=$b"
    [ "$call" = batch ] && flags=(--batch-call)
    [ "$call" = offer ] && flags=(--batch-call --batch-offer) prefix="n=$n b=$b offer"
    key="n$n.b$b.$call"
    for mm in "$m" "$((2 * m))"; do
      callgrind "$key" "$mm" "$bin" -n "$n" -b "$b" -m "$mm" "${flags[@]}" --instr
    done
    report "$key" "$m" "$m" "n=$n b=$b call=$call m=$m" "$prefix"
  done
  ;;
groups)
  g=$4 secs=$5
  for ss in "$secs" "$((2 * secs))"; do
    callgrind "groups" "$ss" "$bin" --groups "$g" --seconds "$ss" --runs 1
  done
  # units: server-ticks added by the longer run (10 ticks per simulated second)
  report groups "$secs" "$((g * secs * 10))" "kind=groups groups=$g seconds=$secs units=$((g * secs * 10))" "groups"
  ;;
*)
  echo "usage: instr.sh bench|groups ..." >&2
  exit 2
  ;;
esac
