/* The fixture's side of the library's extensions (issue 12), used when
 * cl_options_t.extensions is set: the extension callback table (TimeoutNow
 * and read-index messages copied onto the wire like the others; state and
 * transfer events kept and reported) and the delivery of those messages. */
#include "cluster_internal.h"

#include <string.h>

static int send_ext(cl_server_t *s, raft_node_t *node, cl_msg_t *msg)
{
    msg->from = s->id;
    msg->to = raft_node_get_id(node);
    cl_send(s, msg);
    return 0;
}

static int cb_send_tn(raft_server_t *r, void *ud, raft_node_t *node, msg_timeoutnow_t *m)
{
    cl_msg_t msg;
    (void)r;
    memset(&msg, 0, sizeof(msg));
    msg.type = CL_TN;
    msg.u.tn = *m;
    return send_ext(ud, node, &msg);
}

static int cb_send_ri(raft_server_t *r, void *ud, raft_node_t *node, msg_readindex_t *m)
{
    cl_msg_t msg;
    (void)r;
    memset(&msg, 0, sizeof(msg));
    msg.type = CL_RI;
    msg.u.ri = *m;
    return send_ext(ud, node, &msg);
}

static int cb_send_rir(raft_server_t *r, void *ud, raft_node_t *node, msg_readindex_response_t *m)
{
    cl_msg_t msg;
    (void)r;
    memset(&msg, 0, sizeof(msg));
    msg.type = CL_RIR;
    msg.u.rir = *m;
    return send_ext(ud, node, &msg);
}

/* The state is in place when the event comes (BEHAVIOUR.md). */
static void cb_state(raft_server_t *r, void *ud, raft_state_e state)
{
    cl_server_t *s = ud;
    cl_event_t ev;
    if (raft_get_state(r) != (int)state)
        cl_violation(s->c, "%d: notify_state_event(%d) while raft_get_state() is %d", s->id, (int)state, raft_get_state(r));
    s->n_state_events++;
    s->last_state = (int)state;
    memset(&ev, 0, sizeof(ev));
    ev.kind = CL_EV_STATE;
    ev.server = s;
    ev.node = (int)state;
    cl_emit(s->c, &ev);
}

static void cb_transfer(raft_server_t *r, void *ud, raft_leader_transfer_e result)
{
    cl_server_t *s = ud;
    cl_event_t ev;
    (void)r;
    s->n_transfer_events++;
    s->last_transfer = (int)result;
    memset(&ev, 0, sizeof(ev));
    ev.kind = CL_EV_TRANSFER;
    ev.server = s;
    ev.rc = (int)result;
    cl_emit(s->c, &ev);
}

const raft_cbs_ext_t cl_cbs_ext = {
    .send_timeoutnow = cb_send_tn,
    .notify_state_event = cb_state,
    .notify_transfer_event = cb_transfer,
    .send_readindex = cb_send_ri,
    .send_readindex_response = cb_send_rir,
};

void cl_deliver_ext(cluster_t *c, cl_server_t *dst, raft_node_t *from, cl_msg_t *m, cl_delivery_t *d)
{
    (void)c;
    switch (m->type) {
    case CL_TN:
        d->call = "raft_recv_timeoutnow";
        d->rc = raft_recv_timeoutnow(dst->r, from, &m->u.tn);
        break;
    case CL_RI:
        if (!from) {
            d->unknown_sender = 1;
            break;
        }
        d->call = "raft_recv_readindex";
        d->rc = raft_recv_readindex(dst->r, from, &m->u.ri);
        break;
    case CL_RIR:
        d->call = "raft_recv_readindex_response";
        d->rc = raft_recv_readindex_response(dst->r, from, &m->u.rir);
        break;
    default:
        break;
    }
}
