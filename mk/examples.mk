# examples/cluster_demo.c: a 3-node in-process cluster through the C ABI, on
# the shared cluster fixture (c_fixture/).
CLUSTER_DEMO := build/examples/cluster_demo$(SAN_BUILD)

.PHONY: cluster-demo test-examples
CLUSTER_DEMO_FIXTURE := $(wildcard c_fixture/*.c)
$(CLUSTER_DEMO): examples/cluster_demo.c $(CLUSTER_DEMO_FIXTURE) $(wildcard c_fixture/*.h) $(HEADER) build
	@mkdir -p $(dir $@)
	$(CC) -std=c99 -Wall -Wextra -Werror -Iinclude -Ic_fixture $(SAN_CFLAGS) $< $(CLUSTER_DEMO_FIXTURE) -o $@ -L$(LIBDIR) -lraft -Wl,-rpath,$(LIBDIR) $(SAN_LDFLAGS)

## run examples/cluster_demo.c: a 3-node cluster in one process
cluster-demo: $(CLUSTER_DEMO)
	./$(CLUSTER_DEMO)

## the in-process cluster demo under valgrind
test-examples: $(CLUSTER_DEMO)
	$(if $(SANITIZE),,valgrind -q --leak-check=full --error-exitcode=1) ./$(CLUSTER_DEMO) > build/examples/cluster_demo.out
	test "$$(grep -c "commit 5 applied 5" build/examples/cluster_demo.out)" = 3
	grep -q '^safety: no violation$$' build/examples/cluster_demo.out
	@echo "cluster_demo: 1 passed, 0 failed"

TEST_TARGETS += test-examples
