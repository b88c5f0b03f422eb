# Interaction-script tests: c_tests/interact/scripts/*.txt are sequences of
# commands, each followed by the exact output it must produce
# (c_tests/interact/README.md).  The runner is a C program linked with
# target/release/libraft.so.
#   make test-interact                    run every script, then again under valgrind
#   make interact-rewrite [INTERACT_FILES=...]  (re)generate expected output (new scripts)
INTERACT_DIR     := c_tests/interact
INTERACT_OUT     := build/interact$(SAN_BUILD)
INTERACT_BIN     := $(INTERACT_OUT)/interact
INTERACT_SCRIPTS := $(sort $(wildcard $(INTERACT_DIR)/scripts/*.txt))
INTERACT_CFLAGS  := -std=c99 -Wall -Wextra -Werror -g -O1 -Iinclude $(SAN_CFLAGS)
INTERACT_LDFLAGS := -L$(LIBDIR) -lraft -Wl,-rpath,$(LIBDIR) $(SAN_LDFLAGS)
INTERACT_VALGRIND := valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1
INTERACT_FILES ?= $(INTERACT_SCRIPTS)

.PHONY: test-interact interact-bin interact-rewrite

$(INTERACT_BIN): $(INTERACT_DIR)/interact.c $(HEADER) mk/interact.mk $(LIBDIR)/libraft.so
	@mkdir -p $(INTERACT_OUT)
	$(CC) $(INTERACT_CFLAGS) $(INTERACT_DIR)/interact.c -o $@ $(INTERACT_LDFLAGS)

interact-bin: $(INTERACT_BIN)

# `build` first (cargo), then the runner in a sub-make so that it is linked
# against the freshly built library.
test-interact: build
	@$(MAKE) --no-print-directory interact-bin
	./$(INTERACT_BIN) $(INTERACT_SCRIPTS)
	$(SAN_SKIP_VALGRIND) $(INTERACT_VALGRIND) ./$(INTERACT_BIN) $(INTERACT_SCRIPTS)

interact-rewrite: build
	@$(MAKE) --no-print-directory interact-bin
	./$(INTERACT_BIN) --rewrite $(INTERACT_FILES)

TEST_TARGETS += test-interact
