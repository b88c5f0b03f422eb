# Sums the exclusive (self) instruction counts of a callgrind output file
# per object, per function and per source file of a chosen object.
#
#   awk -v OBJ=libraft.so -f callgrind_lib.awk callgrind.out
#
# Prints lines:  TOTAL <Ir of OBJ>
#                ALL <Ir of the whole process, every object>
#                OB <Ir> <object>         (every object: the library, the program, libc, ...)
#                FN <Ir> <function>       (functions whose object matches OBJ)
#                FILE <Ir> <source file>  (source files, inlined code included, within OBJ)
#                CALLS <n> <function>     (times each OBJ function was called)
#                LINE <Ir> <file>:<line>  (source lines within OBJ; needs a profile
#                                         written with --compress-pos=no)
# Costs of call lines (the line after "calls=") are inclusive costs of the
# callee and are skipped; only self costs are summed.
function name(kind, spec,    id, rest) {
    # spec: "(id) name", "(id)" or "name"
    if (spec ~ /^\([0-9]+\)/) {
        id = spec
        sub(/\).*/, "", id)
        sub(/^\(/, "", id)
        rest = spec
        sub(/^\([0-9]+\) ?/, "", rest)
        if (rest != "") names[kind, id] = rest
        return names[kind, id]
    }
    return spec
}
BEGIN { skip = 0; ob = ""; fn = ""; file = ""; }
/^ob=/  { ob = name("ob", substr($0, 4)); next }
/^cob=/ { name("ob", substr($0, 5)); next }
/^fn=/  { fn = name("fn", substr($0, 4)); next }
/^cfn=/ { cfn = name("fn", substr($0, 5)); next }
/^fl=/  { file = name("fl", substr($0, 4)); fnfile = file; next }
/^(fi|fe)=/ { file = name("fl", substr($0, 4)); next }
/^cf[il]=/ { name("fl", substr($0, 5)); next }
/^calls=/ { skip = 1; split(substr($0, 7), c, " "); ncalls[cfn] += c[1]; next }
/^[0-9+*-]/ {
    if (skip) { skip = 0; next }
    all += $2
    obcost[ob] += $2
    if (index(ob, OBJ) > 0) {
        total += $2
        fncost[fn] += $2
        filecost[file] += $2
        if ($1 ~ /^[0-9]+$/) linecost[file ":" $1] += $2
    }
    next
}
END {
    printf "TOTAL %d\n", total
    printf "ALL %d\n", all
    for (o in obcost) printf "OB %d %s\n", obcost[o], o
    for (f in fncost) printf "FN %d %s\n", fncost[f], f
    for (f in filecost) printf "FILE %d %s\n", filecost[f], f
    for (f in linecost) printf "LINE %d %s\n", linecost[f], f
    for (f in fncost) if (f in ncalls) printf "CALLS %d %s\n", ncalls[f], f
}
