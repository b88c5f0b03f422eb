# Reads the Makefile and mk/*.mk (mk/docs.mk passes them) and prints:
#   mode=help   every documented target, one line each, grouped by file
#   mode=names  "target<TAB>description" for every documented target
#   mode=phony  every target named on a .PHONY line
# A target is documented by a line "## description" right above its rule.
FNR == 1 { desc = ""; shown = 0 }
# .PHONY lines (continued with a trailing backslash); generated names
# ($(...)) and the FORCE idiom are not targets a user runs.
/^\.PHONY:/ || phony_cont {
    if (mode == "phony")
        for (i = (phony_cont ? 1 : 2); i <= NF; i++)
            if ($i != "\\" && $i !~ /^\$\(/ && $i != "FORCE" && $i !~ /\)$/) print $i
    phony_cont = ($NF == "\\")
    desc = ""
    next
}
/^## / { desc = substr($0, 4); next }
desc != "" && /^[A-Za-z0-9_.-]+:/ {
    name = $0
    sub(/:.*/, "", name)
    if (mode == "names") {
        printf "%s\t%s\n", name, desc
    } else if (mode == "help") {
        if (!shown) { printf "%s%s:\n", (any ? "\n" : ""), FILENAME; shown = any = 1 }
        printf "  %-20s %s\n", name, desc
    }
}
{ desc = "" }
