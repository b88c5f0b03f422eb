#!/usr/bin/env bash
# Instructions per committed entry spent inside libraft.so, measured with
# callgrind on bench/c/raft_bench (N nodes, batch B): the run is made with M
# and with 2M entries and the difference is divided by M, which removes
# setup, election and teardown. Only instructions whose object is libraft.so
# are counted (self cost: the harness's callbacks and libc are excluded).
#
#   bench/instr.sh BENCH_BINARY OUTDIR N M "B1 B2 ..."
#
# Prints, per B: "RESULT instr n=.. b=.. m=.. per_entry=.. lib_m=.. lib_2m=.."
# and the functions and source files of libraft.so costing the most per entry.
set -euo pipefail
bin=$1 out=$2 n=$3 m=$4 batches=$5
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
command -v valgrind >/dev/null || { echo "instr: valgrind not found" >&2; exit 1; }

for b in $batches; do
  for mm in "$m" "$((2 * m))"; do
    valgrind --tool=callgrind --compress-pos=no --callgrind-out-file="$out/cg.n$n.b$b.m$mm" \
      "$bin" -n "$n" -b "$b" -m "$mm" --instr >"$out/run.n$n.b$b.m$mm.txt" 2>"$out/valgrind.n$n.b$b.m$mm.txt"
    awk -v OBJ=libraft.so -f "$here/callgrind_lib.awk" "$out/cg.n$n.b$b.m$mm" >"$out/sum.n$n.b$b.m$mm.txt"
  done
  s1="$out/sum.n$n.b$b.m$m.txt" s2="$out/sum.n$n.b$b.m$((2 * m)).txt"
  t1=$(awk '$1=="TOTAL"{print $2}' "$s1")
  t2=$(awk '$1=="TOTAL"{print $2}' "$s2")
  per=$(awk -v a="$t1" -v b="$t2" -v m="$m" 'BEGIN{printf "%.1f", (b-a)/m}')
  echo "RESULT instr n=$n b=$b m=$m per_entry=$per lib_m=$t1 lib_2m=$t2"
  # Per-entry cost of each function / source file: (2M run - M run) / M.
  for kind in FN CALLS FILE LINE; do
    awk -v K="$kind" -v m="$m" '
      FNR==NR { if ($1==K) { k=$0; sub(/^[A-Z]+ [0-9]+ /,"",k); a[k]=$2 } next }
      $1==K { k=$0; sub(/^[A-Z]+ [0-9]+ /,"",k); d=($2-a[k])/m; if (d>=0.5 || (K=="CALLS" && d>=0.001)) printf "%s %.4g %s\n", K, d, k }
    ' "$s1" "$s2" | sort -k2 -g -r | awk -v n="$([ "$kind" = LINE ] && echo 40 || echo 15)" 'NR <= n' | sed "s/^/PROFILE n=$n b=$b /"
  done
done
