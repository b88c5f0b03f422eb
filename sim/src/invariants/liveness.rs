//! Liveness: every `--liveness-every` steps (and at the end) the network
//! heals, chaos stops, crashed servers restart and servers whose removal is
//! committed retire; then a leader must commit a new entry within
//! `--liveness-timeouts` election timeouts.

use crate::driver::Sim;
use crate::events::K;
use crate::ffi::*;
use crate::invariants::names::*;
use crate::world::*;

impl Sim {
    /// One liveness window.
    pub(crate) fn liveness(&self) {
        let (bound, tick) = self.with(|w| {
            w.calm = true;
            w.partitioned = false;
            for g in w.group.iter_mut() {
                *g = 0;
            }
            w.note_heal();
            w.stats.liveness_windows += 1;
            w.ev(K::Liveness, [0; 7]);
            ((w.cfg.liveness_timeouts as u64 * w.cfg.election_timeout as u64) / w.cfg.tick_ms as u64 + 1, w.cfg.tick_ms as u64)
        });
        let _ = tick;
        // restart crashed servers, finish snapshots, retire removed servers
        let (down, snaps, removed): (Vec<usize>, Vec<usize>, Vec<usize>) = self.with(|w| {
            let down = (0..w.servers.len()).filter(|&s| matches!(w.servers[s].status, Status::Down(_))).collect();
            let snaps = (0..w.servers.len()).filter(|&s| w.up(s) && w.servers[s].snap_pending.is_some()).collect();
            let removed = (0..w.servers.len()).filter(|&s| w.servers[s].status != Status::Gone && w.removed_committed.contains(&w.servers[s].id)).collect();
            (down, snaps, removed)
        });
        for s in removed {
            self.decommission(s, 3);
        }
        for s in down {
            if self.with(|w| w.servers[s].status != Status::Gone) {
                self.with(|w| {
                    w.servers[s].restarts += 1;
                    w.stats.restarts += 1;
                });
                self.boot(s);
            }
        }
        for s in snaps {
            self.with(|w| {
                if let Some(p) = w.servers[s].snap_pending.as_mut() {
                    p.cancel = false;
                }
            });
            self.end_snapshot(s);
        }
        let mut probe: Option<(usize, u32, msg_entry_response_t)> = None;
        for t in 0..bound {
            if self.failed() {
                return;
            }
            self.with(|w| {
                w.now += w.cfg.tick_ms as u64;
                w.stats.live_ticks += 1;
            });
            self.resolve_adds();
            self.tick_common();
            if self.failed() {
                return;
            }
            match probe {
                None => {
                    if let Some(l) = self.best_leader() {
                        let (rc, resp) = self.submit(l, true);
                        let inc = self.with(|w| w.servers[l].incarnation);
                        self.with(|w| w.ev(K::Liveness, [2, resp.id as i64, l as i64 + 1, rc as i64, resp.idx, 0, 0]));
                        if rc == 0 {
                            probe = Some((l, inc, resp));
                        }
                    }
                }
                Some((l, inc, resp)) => {
                    let r = self.raft(l);
                    if r.is_null() || self.with(|w| w.servers[l].incarnation) != inc {
                        probe = None;
                        continue;
                    }
                    let rc = unsafe { raft_msg_entry_response_committed(r, &resp) };
                    if rc == 1 {
                        self.with(|w| w.ev(K::Liveness, [1, l as i64 + 1, resp.term, resp.idx, t as i64 + 1, 0, 0]));
                        self.healthy_transfer(l);
                        self.with(|w| w.calm = false);
                        return;
                    }
                    if rc == -1 || unsafe { raft_is_leader(r) } == 0 {
                        probe = None;
                    }
                }
            }
        }
        let status = self.status_line();
        if self.with(|w| w.cfg.tolerates("config-vote")) {
            if let Some(why) = self.config_disagreement() {
                self.with(|w| {
                    w.known_bug = Some(format!(
                        "known library bug 2 (config-vote) stopped the run at step {}: no leader could be elected after chaos stopped because {}; servers: {}",
                        w.step, why, status
                    ))
                });
                return;
            }
        }
        self.with(|w| {
            let k = w.cfg.liveness_timeouts;
            w.fail(
                LIVENESS,
                format!("no new entry committed within {} election timeouts after the network healed and chaos stopped; servers: {}", k, status),
            )
        });
    }

    /// With `--transfer`, a leadership transfer in the healthy cluster of a
    /// liveness window, to an up-to-date voter: it must complete within one
    /// election timeout (Transfer Completion, checked every tick). Healthy:
    /// no chaos, and every voter of the leader's configuration is up and
    /// follows it in its term (waited for up to two election timeouts; a
    /// server that comes back with a higher term would depose any leader).
    fn healthy_transfer(&self, l: usize) {
        // (five one-way latencies: the target's answer, TimeoutNow, the vote
        // round trip and the new leader's first message must fit in one)
        if self.with(|w| w.cfg.transfer == 0 || w.servers[l].transfer.is_some() || 5 * w.cfg.max_latency > w.cfg.election_timeout) {
            return;
        }
        let ticks = self.with(|w| w.cfg.election_timeout as u64 / w.cfg.tick_ms as u64 + 2);
        let mut healthy = false;
        for _ in 0..2 * ticks {
            if self.failed() {
                return;
            }
            healthy = self.with(|w| w.follow_leader(l));
            if healthy {
                break;
            }
            self.with(|w| {
                w.now += w.cfg.tick_ms as u64;
                w.stats.live_ticks += 1;
            });
            self.tick_common();
        }
        if !healthy || !self.transfer(l, true) {
            return;
        }
        for _ in 0..ticks {
            if self.failed() || self.with(|w| w.servers[l].transfer.is_none_or(|t| t.deadline.is_none())) {
                return;
            }
            self.with(|w| {
                w.now += w.cfg.tick_ms as u64;
                w.stats.live_ticks += 1;
            });
            self.tick_common();
        }
    }

    /// A voter whose own latest configuration disagrees with another
    /// server's, so that it refuses that server's votes (LIB_BUGS.md #2).
    fn config_disagreement(&self) -> Option<String> {
        let w = self.w.borrow();
        let ups: Vec<usize> = (0..w.servers.len()).filter(|&s| w.up(s)).collect();
        for &s in &ups {
            let rs = w.servers[s].raft;
            let sid = w.servers[s].id;
            unsafe {
                let mine = raft_get_my_node(rs);
                let self_voting = !mine.is_null() && raft_node_is_voting(mine) != 0 && raft_node_is_active(mine) != 0;
                for &t in &ups {
                    if t == s {
                        continue;
                    }
                    let rt = w.servers[t].raft;
                    let tid = w.servers[t].id;
                    let n = raft_get_node(rt, sid);
                    if n.is_null() || raft_node_is_voting(n) == 0 || raft_node_is_active(n) == 0 {
                        continue;
                    }
                    let tm = raft_get_my_node(rt);
                    let t_voting = !tm.is_null() && raft_node_is_voting(tm) != 0;
                    if !self_voting {
                        return Some(format!(
                            "server {} counts server {} as a voter, but {}'s own latest (uncommitted) configuration demotes or removes it, so it does not campaign (nor, before d94d884, vote)",
                            tid, sid, sid
                        ));
                    }
                    if t_voting && raft_get_node(rs, tid).is_null() {
                        return Some(format!(
                            "server {} counts server {} as a voter, but {} does not know {} and answers its RequestVote with UNKNOWN_NODE",
                            tid, sid, sid, tid
                        ));
                    }
                }
            }
        }
        None
    }
}
