//! Client Acknowledgement: an entry a leader reports committed
//! (`raft_msg_entry_response_committed` = 1) is the one committed there.

use crate::driver::Sim;
use crate::ffi::*;
use crate::invariants::names::*;

impl Sim {
    pub(crate) fn check_acks(&self) {
        self.with(|w| {
            for _ in 0..2 {
                let Some(a) = w.ledger.acks.pop_front() else { return };
                if !w.up(a.slot) || w.servers[a.slot].incarnation != a.incarnation {
                    continue;
                }
                let r = w.servers[a.slot].raft;
                let rc = unsafe { raft_msg_entry_response_committed(r, &a.resp) };
                // what the shared checker knows committed there
                let committed = w.ledger.safety.committed(a.resp.idx);
                let same = committed == Some((a.resp.term, a.resp.id));
                let id = w.servers[a.slot].id;
                if let (1, Some((ct, ci)), false) = (rc, committed, same) {
                    w.fail(
                        CLIENT_ACKNOWLEDGEMENT,
                        format!(
                            "server {} reports entry (id {}, term {}, idx {}) committed, but (term {}, id {}) was committed there",
                            id, a.resp.id, a.resp.term, a.resp.idx, ct, ci
                        ),
                    );
                    return;
                }
                if rc == 1 && same {
                    // the client learns its write is committed
                    w.ledger.acked_max = w.ledger.acked_max.max(a.resp.idx);
                }
                // rc == -1 while the entry is committed elsewhere is allowed:
                // this server's slot was overwritten by a stale leader and
                // the entry survived on a majority (the API's -1 only means
                // "this server now holds another term there").
                if rc == 0 || (rc == 1 && committed.is_none()) {
                    w.ledger.acks.push_back(a);
                }
            }
        });
    }
}
