//! The chaos schedule: what goes wrong on a step, each at its configured
//! rate, in a fixed order (so a seed replays): crashed servers whose
//! downtime is over restart, the network splits or heals (`partition.rs`),
//! a server crashes, pending snapshots end and a server compacts its log
//! (`compaction.rs`), a membership change is proposed (`membership.rs`), and
//! the leader is asked to transfer leadership (`transfer.rs`).
//! During a liveness window (`World::calm`) none of it happens.

mod compaction;
mod membership;
mod partition;
mod transfer;

use crate::driver::Sim;
use crate::events::K;
use crate::world::*;

impl Sim {
    /// The chaos part of one step.
    pub(crate) fn chaos(&self) {
        let (member, compaction, crash, partition) = self.with(|w| (w.cfg.member, w.cfg.compaction, w.cfg.crash, w.cfg.partition));
        // restarts due
        let due: Vec<usize> = self.with(|w| {
            let st = w.step;
            (0..w.servers.len()).filter(|&s| matches!(w.servers[s].status, Status::Down(t) if t <= st)).collect()
        });
        for s in due {
            self.with(|w| {
                w.servers[s].restarts += 1;
                w.stats.restarts += 1;
            });
            self.boot(s);
        }
        // partitions
        if partition > 0 && self.with(|w| w.rng.chance(partition, 1000)) {
            self.with(|w| {
                if w.partitioned {
                    w.partitioned = false;
                    for g in w.group.iter_mut() {
                        *g = 0;
                    }
                    w.note_heal();
                    w.ev(K::Heal, [0; 7]);
                } else {
                    partition::split(w);
                }
            });
        }
        // crashes
        if crash > 0 && self.with(|w| w.rng.chance(crash, 1000)) {
            let pick = self.with(|w| {
                let ups: Vec<usize> = (0..w.servers.len()).filter(|&s| w.up(s)).collect();
                if ups.is_empty() {
                    return None;
                }
                let s = ups[w.rng.below(ups.len() as u64) as usize];
                let down = w.rng.range(1, w.cfg.max_down.max(1) as u64);
                Some((s, down))
            });
            if let Some((s, down)) = pick {
                self.crash(s, down);
            }
        }
        // snapshots due to end
        let ends: Vec<usize> = self.with(|w| {
            let st = w.step;
            (0..w.servers.len())
                .filter(|&s| w.up(s) && w.servers[s].snap_pending.as_ref().map(|p| p.end_step <= st).unwrap_or(false))
                .collect()
        });
        for s in ends {
            self.end_snapshot(s);
        }
        if compaction > 0 && self.with(|w| w.rng.chance(compaction, 1000)) {
            let pick = self.with(|w| {
                let ups: Vec<usize> = (0..w.servers.len()).filter(|&s| w.up(s)).collect();
                if ups.is_empty() {
                    None
                } else {
                    Some(ups[w.rng.below(ups.len() as u64) as usize])
                }
            });
            if let Some(s) = pick {
                self.compaction(s);
            }
        }
        self.resolve_adds();
        self.promotions();
        if member > 0 && self.with(|w| w.rng.chance(member, 1000)) {
            self.member_op();
        }
        self.transfer_chaos();
    }
}
