# examples/cluster_demo.c: a 3-node in-process cluster through the C ABI.
CLUSTER_DEMO := build/examples/cluster_demo$(SAN_BUILD)

.PHONY: cluster-demo test-examples
$(CLUSTER_DEMO): examples/cluster_demo.c $(HEADER) build
	@mkdir -p $(dir $@)
	$(CC) -std=c99 -Wall -Wextra -Werror -Iinclude $(SAN_CFLAGS) $< -o $@ -L$(LIBDIR) -lraft -Wl,-rpath,$(LIBDIR) $(SAN_LDFLAGS)

cluster-demo: $(CLUSTER_DEMO)
	./$(CLUSTER_DEMO)

test-examples: $(CLUSTER_DEMO)
	$(if $(SANITIZE),,valgrind -q --leak-check=full --error-exitcode=1) ./$(CLUSTER_DEMO) > build/examples/cluster_demo.out
	test "$$(grep -c "commit 5 applied 5" build/examples/cluster_demo.out)" = 3
	@echo "cluster_demo: 1 passed, 0 failed"

TEST_TARGETS += test-examples
