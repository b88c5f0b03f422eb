/* A willemt/raft-style program: handles declared and passed as willemt's
 * programs do, callbacks with willemt's signatures. Must compile as C99 and
 * C++ with -Wall -Wextra -Werror -pedantic (make test-header). */
#include "raft.h"
#include <stddef.h>

static int send_rv(raft_server_t *raft, void *udata, raft_node_t *node, msg_requestvote_t *m)
{
    (void)raft; (void)udata; (void)node; (void)m;
    return 0;
}

static int apply(raft_server_t *raft, void *udata, raft_entry_t *e, raft_index_t idx)
{
    (void)udata; (void)e;
    return raft_get_commit_idx(raft) >= idx ? 0 : -1;
}

int main(void)
{
    raft_cbs_t cbs;
    raft_server_t *r = raft_new();
    raft_node_t *me, *peer;
    msg_entry_t e;
    msg_entry_response_t resp;
    void *udata;
    cbs.send_requestvote = send_rv;
    cbs.log_apply = apply;
    raft_set_callbacks(r, &cbs, NULL);
    me = raft_add_node(r, NULL, 1, 1);
    peer = raft_add_node(r, NULL, 2, 0);
    udata = raft_node_get_udata(peer);
    (void)udata;
    raft_periodic(r, 10);
    e.id = 1;
    e.type = RAFT_LOGTYPE_NORMAL;
    e.data.buf = NULL;
    e.data.len = 0;
    raft_retain_entries(r, &e, &resp);
    raft_node_get_id(me);
    raft_free(r);
    return 0;
}
