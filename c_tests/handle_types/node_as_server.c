/* Passing a node handle where a server is expected must NOT compile
 * (make test-header expects this file to fail, as C and as C++). */
#include "raft.h"

int main(void)
{
    raft_server_t *r = raft_new();
    raft_node_t *n = raft_add_node(r, NULL, 1, 1);
    return raft_periodic(n, 10);
}
