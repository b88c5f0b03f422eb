/* Passing a server handle where a node is expected must NOT compile
 * (make test-header expects this file to fail, as C and as C++). */
#include "raft.h"

int main(void)
{
    raft_server_t *r = raft_new();
    return raft_node_get_id(r);
}
