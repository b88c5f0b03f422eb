# SANITIZE=... (see the top-level Makefile): proof that the sanitizer builds
# of the C programs can fail. Part of `make test` only when SANITIZE is set.
#   make test-san-canary SANITIZE=address,undefined
# Each canary is a C program built exactly like the C tests (SAN_CFLAGS,
# SAN_LDFLAGS, linked with libraft.so) that commits one error; its run must
# fail with the sanitizer's report:
#   leak     a server that is never raft_free'd: LeakSanitizer must see the
#            library's allocations (made by the Rust core through malloc)
#   overflow a read past a heap block (AddressSanitizer)
#   signed   a signed integer overflow (UndefinedBehaviorSanitizer)
SAN_CANARY_OUT := build/san-canary$(SAN_BUILD)

.PHONY: test-san-canary

## prove the sanitizer builds catch a deliberate bug (SANITIZE set)
test-san-canary: build
	@test -n "$(SANITIZE)" || { echo "test-san-canary: set SANITIZE (e.g. SANITIZE=address,undefined)"; exit 2; }
	@mkdir -p $(SAN_CANARY_OUT)
	@printf '#include <raft.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <limits.h>\nint main(int argc, char **argv){\n  (void)argc; const char *k = argv[1]; volatile int big = INT_MAX;\n  if (k[0] == %s) { raft_server_t *r = raft_new(); raft_add_node(r, NULL, 1, 1); raft_periodic(r, 1); printf("%%d\\n", raft_is_leader(r)); return 0; }\n  if (k[0] == %s) { char *p = calloc(8, 1); volatile size_t i = 8; char *q = (char *)((size_t)p + i); int c = *q; free(p); return c; }\n  if (k[0] == %s) { int v = big + argc; return v == 0; }\n  return 0; }\n' "'l'" "'o'" "'s'" > $(SAN_CANARY_OUT)/canary.c
	$(CC) -std=c99 -Wall -Wextra -Werror -g -O1 -Iinclude $(SAN_CFLAGS) $(SAN_CANARY_OUT)/canary.c -o $(SAN_CANARY_OUT)/canary \
	  -L$(LIBDIR) -lraft -Wl,-rpath,$(LIBDIR) $(SAN_LDFLAGS)
	@set -e; pass=0; fail=0; \
	for k in leak:LeakSanitizer:address overflow:AddressSanitizer:address signed:'runtime error':undefined; do \
	  name=$${k%%:*}; rest=$${k#*:}; report=$${rest%:*}; needs=$${rest##*:}; \
	  case ",$(SANITIZE)," in *",$$needs,"*) ;; *) echo "canary $$name: skipped (needs $$needs)"; continue;; esac; \
	  if ./$(SAN_CANARY_OUT)/canary $$name > $(SAN_CANARY_OUT)/$$name.out 2>&1; then \
	    echo "canary $$name: NOT detected (exit 0)"; fail=$$((fail + 1)); \
	  elif grep -q "$$report" $(SAN_CANARY_OUT)/$$name.out; then \
	    echo "canary $$name: detected ($$report)"; pass=$$((pass + 1)); \
	  else echo "canary $$name: failed without a $$report report"; cat $(SAN_CANARY_OUT)/$$name.out; fail=$$((fail + 1)); fi; \
	done; \
	echo "san-canary: $$pass passed, $$fail failed"; test $$fail = 0

TEST_TARGETS += $(if $(SANITIZE),test-san-canary)
