# C test suite: c_tests/*.c compiled against include/raft.h and linked with
# target/release/libraft.so exactly as a user would (no Rust involved).
#   make test-c                           run every C test (each in a forked child)
#   make test-c C_TESTS_ARGS=test_name    run one test (or several names)
#   make memcheck                         the same suite under valgrind memcheck
# Tests are collected from `TEST(name)` lines in c_tests/t_*.c into a
# generated registry; the runner's last line is "N passed, N failed".
# The cluster tests use the shared fixture and safety checker (c_fixture/).
# t_faults.c needs the test-only fault-injection library (make fault-lib):
# it is its own binary, build/c_tests/raft_fault_tests.
C_TESTS_DIR   := c_tests
C_TESTS_OUT   := build/c_tests$(SAN_BUILD)
C_TESTS_BIN   := $(C_TESTS_OUT)/raft_tests
# t_heap.c first: raft_set_heap_functions must run before any raft_new
C_TESTS_TSRCS := $(C_TESTS_DIR)/t_heap.c $(filter-out $(C_TESTS_DIR)/t_heap.c $(C_TESTS_DIR)/t_faults.c,$(sort $(wildcard $(C_TESTS_DIR)/t_*.c)))
C_TESTS_LSRCS := $(C_TESTS_DIR)/harness.c $(C_TESTS_DIR)/fixture.c $(C_TESTS_DIR)/cluster_test.c
C_TESTS_FIXTURE := $(sort $(wildcard c_fixture/*.c))
C_TESTS_HDRS  := $(wildcard $(C_TESTS_DIR)/*.h) $(wildcard c_fixture/*.h)
C_TESTS_LOBJS := $(patsubst $(C_TESTS_DIR)/%.c,$(C_TESTS_OUT)/%.o,$(C_TESTS_LSRCS)) \
                 $(patsubst c_fixture/%.c,$(C_TESTS_OUT)/c_fixture/%.o,$(C_TESTS_FIXTURE))
C_TESTS_OBJS  := $(C_TESTS_LOBJS) $(patsubst $(C_TESTS_DIR)/%.c,$(C_TESTS_OUT)/%.o,$(C_TESTS_TSRCS)) $(C_TESTS_OUT)/registry.o
C_FAULT_BIN   := $(C_TESTS_OUT)/raft_fault_tests
C_FAULT_OBJS  := $(C_TESTS_LOBJS) $(C_TESTS_OUT)/t_faults.o $(C_TESTS_OUT)/fault_registry.o
C_TESTS_CFLAGS  := -std=c99 -Wall -Wextra -Werror -g -O1 -D_POSIX_C_SOURCE=200809L -Iinclude -I$(C_TESTS_DIR) -Ic_fixture -I$(C_TESTS_OUT) $(SAN_CFLAGS)
C_TESTS_LDFLAGS := -L$(LIBDIR) -lraft -Wl,-rpath,$(LIBDIR) $(SAN_LDFLAGS)
C_TESTS_ARGS  ?=
C_TESTS_VALGRIND := valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1

.PHONY: test-c memcheck c-tests-bin c-tests-cxx-check

$(C_TESTS_OUT)/%.o: $(C_TESTS_DIR)/%.c $(C_TESTS_HDRS) $(HEADER) mk/c_tests.mk
	@mkdir -p $(C_TESTS_OUT)
	$(CC) $(C_TESTS_CFLAGS) -c $< -o $@

$(C_TESTS_OUT)/c_fixture/%.o: c_fixture/%.c $(C_TESTS_HDRS) $(HEADER) mk/c_tests.mk
	@mkdir -p $(C_TESTS_OUT)/c_fixture
	$(CC) $(C_TESTS_CFLAGS) -c $< -o $@

# registry: every `TEST(name)` at the start of a line, in file order
$(C_TESTS_OUT)/registry.c: $(C_TESTS_TSRCS) mk/c_tests.mk
$(C_TESTS_OUT)/fault_registry.c: $(C_TESTS_DIR)/t_faults.c mk/c_tests.mk
$(C_TESTS_OUT)/registry.c $(C_TESTS_OUT)/fault_registry.c:
	@mkdir -p $(C_TESTS_OUT)
	@{ echo '#include "harness.h"'; \
	   sed -n 's/^TEST(\([A-Za-z0-9_]*\)).*/void \1(void);/p' $(filter %.c,$^); \
	   echo 'const th_test_t th_tests[] = {'; \
	   for f in $(filter %.c,$^); do \
	     sed -n "s|^TEST(\([A-Za-z0-9_]*\)).*|    { \"\1\", \1, \"$$f\" },|p" $$f; done; \
	   echo '    { 0, 0, 0 } };'; \
	   echo 'const int th_num_tests = (int)(sizeof(th_tests) / sizeof(th_tests[0])) - 1;'; } > $@.tmp
	@d=$$(sed -n 's/^    { "\([^"]*\)".*/\1/p' $@.tmp | sort | uniq -d); \
	  if [ -n "$$d" ]; then echo "duplicate test names: $$d"; rm -f $@.tmp; exit 1; fi
	@mv $@.tmp $@

# header_codes.h: HEADER_<ENUM>(X) lists every enumerator of raft_error_e and
# raft_state_e in include/raft.h, for t_info.c
$(C_TESTS_OUT)/header_codes.h: $(HEADER) mk/c_tests.mk
	@mkdir -p $(C_TESTS_OUT)
	@awk '/^typedef enum/ { n = 0; next } /^  [A-Z_0-9]+( = [^,]*)?,$$/ { sub(/^  /, ""); sub(/[ ,].*/, ""); names[n++] = $$0; next } \
	  /^} raft_(error|state)_e;/ { enum = $$2; sub(/;/, "", enum); printf "#define HEADER_%s(X)", toupper(enum); \
	  for (i = 0; i < n; i++) printf " X(%s)", names[i]; printf "\n"; found++ } \
	  END { if (found != 2) { print "header_codes.h: raft_error_e or raft_state_e not found in the header" > "/dev/stderr"; exit 1 } }' \
	  $(HEADER) > $@.tmp && mv $@.tmp $@

$(C_TESTS_OUT)/t_info.o: $(C_TESTS_OUT)/header_codes.h

$(C_TESTS_OUT)/registry.o $(C_TESTS_OUT)/fault_registry.o: $(C_TESTS_OUT)/%.o: $(C_TESTS_OUT)/%.c $(C_TESTS_DIR)/harness.h
	$(CC) $(C_TESTS_CFLAGS) -c $< -o $@

$(C_TESTS_BIN): $(C_TESTS_OBJS) $(LIBDIR)/libraft.so
	$(CC) $(C_TESTS_OBJS) -o $@ $(C_TESTS_LDFLAGS)

$(C_FAULT_BIN): $(C_FAULT_OBJS) $(FAULT_LIBDIR)/libraft.so
	$(CC) $(C_FAULT_OBJS) -o $@ -L$(FAULT_LIBDIR) -lraft -Wl,-rpath,$(FAULT_LIBDIR) $(SAN_LDFLAGS)

# The fixture headers (callback typedefs, structs, cbindgen header) must also
# compile as C++.
## the C test fixture headers compile as C++
c-tests-cxx-check: $(C_TESTS_DIR)/fixture.h c_fixture/cluster.h c_fixture/safety.h $(HEADER)
	@mkdir -p $(C_TESTS_OUT)
	@printf '#include "fixture.h"\n#include "cluster.h"\nint main(void){ raft_cbs_t c = raft_cbs_t(); (void)c; return safety_violations(0) != 0; }\n' > $(C_TESTS_OUT)/cxx_check.cc
	$(CXX) -std=c++11 -Wall -Wextra -Werror -Iinclude -I$(C_TESTS_DIR) -Ic_fixture -fsyntax-only $(C_TESTS_OUT)/cxx_check.cc

## build the C test runner build/c_tests/raft_tests
c-tests-bin: $(C_TESTS_BIN)

# `build` first (cargo), then the test binary in a sub-make so that it is
# linked against the freshly built library.
## the C test suite against libraft.so (C_TESTS_ARGS=name runs one test), then the fault-injection tests
test-c: build fault-lib
	@$(MAKE) --no-print-directory c-tests-bin c-tests-cxx-check $(C_FAULT_BIN)
	./$(C_TESTS_BIN) $(C_TESTS_ARGS)
	./$(C_FAULT_BIN)

## the C test suite under valgrind memcheck
memcheck: build
	@$(MAKE) --no-print-directory c-tests-bin
	$(SAN_SKIP_VALGRIND) C_TESTS_TIMEOUT=120 $(C_TESTS_VALGRIND) ./$(C_TESTS_BIN) $(C_TESTS_ARGS)

TEST_TARGETS += test-c memcheck
