# Interaction-script tests: c_tests/interact/scripts/*.txt are sequences of
# commands, each followed by the exact output it must produce
# (c_tests/interact/README.md).  The runner is a C program on the shared
# cluster fixture (c_fixture/), linked with target/release/libraft.so.
#   make test-interact                    run every script, then again under valgrind
#   make interact-rewrite [INTERACT_FILES=...]  (re)generate expected output (new scripts)
INTERACT_DIR     := c_tests/interact
INTERACT_OUT     := build/interact$(SAN_BUILD)
INTERACT_BIN     := $(INTERACT_OUT)/interact
INTERACT_SCRIPTS := $(sort $(wildcard $(INTERACT_DIR)/scripts/*.txt))
INTERACT_SRCS    := $(wildcard $(INTERACT_DIR)/*.c) $(wildcard c_fixture/*.c)
INTERACT_HDRS    := $(wildcard $(INTERACT_DIR)/*.h) $(wildcard c_fixture/*.h)
INTERACT_CFLAGS  := -std=c99 -Wall -Wextra -Werror -g -O1 -Iinclude -Ic_fixture $(SAN_CFLAGS)
# Linked with the fault-injection build: the scripts include a `fault` command.
INTERACT_LDFLAGS := -L$(FAULT_LIBDIR) -lraft -Wl,-rpath,$(FAULT_LIBDIR) $(SAN_LDFLAGS)
INTERACT_VALGRIND := valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1
INTERACT_FILES ?= $(INTERACT_SCRIPTS)

.PHONY: test-interact interact-bin interact-rewrite

$(INTERACT_BIN): $(INTERACT_SRCS) $(INTERACT_HDRS) $(HEADER) mk/interact.mk $(FAULT_LIBDIR)/libraft.so
	@mkdir -p $(INTERACT_OUT)
	$(CC) $(INTERACT_CFLAGS) $(INTERACT_SRCS) -o $@ $(INTERACT_LDFLAGS)

## build the interaction-script runner build/interact/interact
interact-bin: $(INTERACT_BIN)

# `build` first (cargo), then the runner in a sub-make so that it is linked
# against the freshly built library.
## run the interaction scripts c_tests/interact/scripts/*.txt, then again under valgrind
test-interact: build fault-lib
	@$(MAKE) --no-print-directory interact-bin
	./$(INTERACT_BIN) $(INTERACT_SCRIPTS)
	$(SAN_SKIP_VALGRIND) $(INTERACT_VALGRIND) ./$(INTERACT_BIN) $(INTERACT_SCRIPTS)

## (re)write the expected output of scripts (INTERACT_FILES=...)
interact-rewrite: build fault-lib
	@$(MAKE) --no-print-directory interact-bin
	./$(INTERACT_BIN) --rewrite $(INTERACT_FILES)

TEST_TARGETS += test-interact
