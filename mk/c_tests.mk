# C test suite: c_tests/*.c compiled against include/raft.h and linked with
# target/release/libraft.so exactly as a user would (no Rust involved).
#   make test-c                           run every C test (each in a forked child)
#   make test-c C_TESTS_ARGS=test_name    run one test (or several names)
#   make memcheck                         the same suite under valgrind memcheck
# Tests are collected from `TEST(name)` lines in c_tests/t_*.c into a
# generated registry; the runner's last line is "N passed, N failed".
C_TESTS_DIR   := c_tests
C_TESTS_OUT   := build/c_tests$(SAN_BUILD)
C_TESTS_BIN   := $(C_TESTS_OUT)/raft_tests
# t_heap.c first: raft_set_heap_functions must run before any raft_new
C_TESTS_TSRCS := $(C_TESTS_DIR)/t_heap.c $(filter-out $(C_TESTS_DIR)/t_heap.c,$(sort $(wildcard $(C_TESTS_DIR)/t_*.c)))
C_TESTS_LSRCS := $(C_TESTS_DIR)/harness.c $(C_TESTS_DIR)/fixture.c $(C_TESTS_DIR)/cluster.c
C_TESTS_HDRS  := $(wildcard $(C_TESTS_DIR)/*.h)
C_TESTS_OBJS  := $(patsubst $(C_TESTS_DIR)/%.c,$(C_TESTS_OUT)/%.o,$(C_TESTS_LSRCS) $(C_TESTS_TSRCS)) $(C_TESTS_OUT)/registry.o
C_TESTS_CFLAGS  := -std=c99 -Wall -Wextra -Werror -g -O1 -D_POSIX_C_SOURCE=200809L -Iinclude -I$(C_TESTS_DIR) $(SAN_CFLAGS)
C_TESTS_LDFLAGS := -L$(LIBDIR) -lraft -Wl,-rpath,$(LIBDIR) $(SAN_LDFLAGS)
C_TESTS_ARGS  ?=
C_TESTS_VALGRIND := valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1

.PHONY: test-c memcheck c-tests-bin c-tests-cxx-check

$(C_TESTS_OUT)/%.o: $(C_TESTS_DIR)/%.c $(C_TESTS_HDRS) $(HEADER) mk/c_tests.mk
	@mkdir -p $(C_TESTS_OUT)
	$(CC) $(C_TESTS_CFLAGS) -c $< -o $@

# registry: every `TEST(name)` at the start of a line, in file order
$(C_TESTS_OUT)/registry.c: $(C_TESTS_TSRCS) mk/c_tests.mk
	@mkdir -p $(C_TESTS_OUT)
	@{ echo '#include "harness.h"'; \
	   sed -n 's/^TEST(\([A-Za-z0-9_]*\)).*/void \1(void);/p' $(C_TESTS_TSRCS); \
	   echo 'const th_test_t th_tests[] = {'; \
	   for f in $(C_TESTS_TSRCS); do \
	     sed -n "s|^TEST(\([A-Za-z0-9_]*\)).*|    { \"\1\", \1, \"$$f\" },|p" $$f; done; \
	   echo '    { 0, 0, 0 } };'; \
	   echo 'const int th_num_tests = (int)(sizeof(th_tests) / sizeof(th_tests[0])) - 1;'; } > $@.tmp
	@d=$$(sed -n 's/^    { "\([^"]*\)".*/\1/p' $@.tmp | sort | uniq -d); \
	  if [ -n "$$d" ]; then echo "duplicate test names: $$d"; rm -f $@.tmp; exit 1; fi
	@mv $@.tmp $@

$(C_TESTS_OUT)/registry.o: $(C_TESTS_OUT)/registry.c $(C_TESTS_DIR)/harness.h
	$(CC) $(C_TESTS_CFLAGS) -c $< -o $@

$(C_TESTS_BIN): $(C_TESTS_OBJS) $(LIBDIR)/libraft.so
	$(CC) $(C_TESTS_OBJS) -o $@ $(C_TESTS_LDFLAGS)

# The fixture header (callback typedefs, structs, cbindgen header) must also
# compile as C++.
c-tests-cxx-check: $(C_TESTS_DIR)/fixture.h $(C_TESTS_DIR)/cluster.h $(HEADER)
	@mkdir -p $(C_TESTS_OUT)
	@printf '#include "fixture.h"\n#include "cluster.h"\nint main(void){ raft_cbs_t c = raft_cbs_t(); (void)c; return 0; }\n' > $(C_TESTS_OUT)/cxx_check.cc
	$(CXX) -std=c++11 -Wall -Wextra -Werror -Iinclude -I$(C_TESTS_DIR) -fsyntax-only $(C_TESTS_OUT)/cxx_check.cc

c-tests-bin: $(C_TESTS_BIN)

# `build` first (cargo), then the test binary in a sub-make so that it is
# linked against the freshly built library.
test-c: build
	@$(MAKE) --no-print-directory c-tests-bin c-tests-cxx-check
	./$(C_TESTS_BIN) $(C_TESTS_ARGS)

memcheck: build
	@$(MAKE) --no-print-directory c-tests-bin
	$(SAN_SKIP_VALGRIND) C_TESTS_TIMEOUT=120 $(C_TESTS_VALGRIND) ./$(C_TESTS_BIN) $(C_TESTS_ARGS)

TEST_TARGETS += test-c memcheck
