//! raft-rs (crate `raft` 0.7, tikv's Rust port of etcd raft; renamed
//! `raft_rs` here) on the workload of `bench/c/raft_bench.c --rounds`, so
//! that `make bench` can print libraft's entries/s beside raft-rs's from the
//! same run (bench/compare.sh alternates the two programs).
//!
//! Workload: an in-process cluster of `n` nodes with an elected leader; `m`
//! entries of 64 bytes (distinct payloads) are proposed in batches of `b`,
//! until every node has applied all of them. Loop, as in raft_bench's
//! `--rounds` mode:
//!
//! * a batch is one `MsgPropose` carrying its `b` entries, stepped into the
//!   leader (raft-rs's own way to hand over many entries at once; ours:
//!   `raft_retain_entries_batch`);
//! * then delivery rounds until nothing is left to do: a round steps every
//!   message queued before it into its receiver, then gives every node one
//!   Ready cycle (persist entries and hard state into `MemStorage`, send,
//!   apply, advance); messages sent during a round are delivered in the next
//!   one (ours: deliver the queued messages, then `raft_periodic(0)` on every
//!   server, which applies);
//! * after the last batch, `ping` (heartbeats, which carry the commit index)
//!   and rounds until every node has applied everything (ours:
//!   `raft_send_appendentries_all`).
//!
//! Settings (`Settings::comparable`): `skip_bcast_commit` on (followers learn
//! the commit index from the next append, as with libraft; off, raft-rs sends
//! an extra append round on every commit), `batch_append` on (appends for one
//! peer in one Ready become one message), the same inflight window and no
//! per-message size limit on both sides.
//!
//! Storage: entries live in memory on both sides (raft-rs: `MemStorage`, as
//! its examples do; libraft: its own log, `log_offer` persists nothing).
//! Wire: the payload bytes an append carries are copied into one buffer per
//! message and each entry points into it (ours: the same, into an arena);
//! the entry headers move with the message (ours copies them).

use bytes::{Bytes, BytesMut};
use raft_rs::eraftpb::{Entry, Message, MessageType};
use raft_rs::storage::MemStorage;
use raft_rs::{Config, RawNode, StateRole};

/// Payload size of every entry.
pub const PAYLOAD: usize = 64;

/// The client's `m` payloads, distinct, as raft_bench.c writes them: 64-bit
/// words `i * 0x9e3779b97f4a7c15 + 7`, little-endian.
pub fn payloads(m: u64) -> Bytes {
    let words = m as usize * PAYLOAD / 8;
    let mut v = Vec::with_capacity(words * 8);
    for i in 0..words as u64 {
        v.extend_from_slice(&i.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(7).to_le_bytes());
    }
    Bytes::from(v)
}

/// Configuration of every node.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub skip_bcast_commit: bool,
    pub batch_append: bool,
    pub max_inflight_msgs: usize,
}

impl Settings {
    /// The settings `make bench` compares with libraft's.
    pub fn comparable(max_inflight_msgs: usize) -> Self {
        Settings { skip_bcast_commit: true, batch_append: true, max_inflight_msgs }
    }
}

/// Counters of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages sent during the replication phase.
    pub msgs: u64,
    /// Append messages among them.
    pub appends: u64,
    /// Delivery rounds.
    pub rounds: u64,
    /// `ping` calls needed after the last batch.
    pub heartbeats: u64,
}

pub struct Cluster {
    pub nodes: Vec<RawNode<MemStorage>>,
    /// Last index each node applied.
    pub applied: Vec<u64>,
    /// Entries with a payload each node applied (entries of the workload).
    pub applied_entries: Vec<u64>,
    queue: Vec<Message>,
    pub stats: Stats,
    /// When set, every applied payload is compared with `payloads`.
    pub verify: Option<Bytes>,
    /// Applied entries whose payload differed from `verify`'s.
    pub bad: u64,
}

fn logger() -> slog::Logger {
    slog::Logger::root(slog::Discard, slog::o!())
}

impl Cluster {
    /// `n` nodes, node 1 elected by campaigning, and the new leader's empty
    /// entry applied everywhere.
    pub fn new(n: usize, settings: Settings) -> Self {
        let log = logger();
        let voters: Vec<u64> = (1..=n as u64).collect();
        let mut nodes = Vec::with_capacity(n);
        for id in 1..=n as u64 {
            let cfg = Config {
                id,
                election_tick: 10,
                heartbeat_tick: 3,
                max_size_per_msg: raft_rs::NO_LIMIT,
                max_inflight_msgs: settings.max_inflight_msgs,
                skip_bcast_commit: settings.skip_bcast_commit,
                batch_append: settings.batch_append,
                ..Default::default()
            };
            let storage = MemStorage::new_with_conf_state((voters.clone(), vec![]));
            nodes.push(RawNode::new(&cfg, storage, &log).expect("RawNode::new"));
        }
        let mut c = Cluster {
            nodes,
            applied: vec![0; n],
            applied_entries: vec![0; n],
            queue: Vec::new(),
            stats: Stats::default(),
            verify: None,
            bad: 0,
        };
        c.nodes[0].campaign().expect("campaign");
        c.deliver_until_quiet();
        assert_eq!(c.nodes[0].raft.state, StateRole::Leader, "node 1 not elected");
        let last = c.nodes[0].raft.raft_log.last_index();
        for _ in 0..100 {
            if c.applied.iter().all(|&a| a >= last) {
                break;
            }
            c.nodes[0].ping();
            c.deliver_until_quiet();
        }
        assert!(c.applied.iter().all(|&a| a >= last), "election entry not applied everywhere");
        c.stats = Stats::default();
        c
    }

    fn send(&mut self, msgs: Vec<Message>) {
        self.stats.msgs += msgs.len() as u64;
        for mut m in msgs {
            if m.get_msg_type() == MessageType::MsgAppend && !m.entries.is_empty() {
                self.stats.appends += 1;
                // The wire: the payloads into one buffer of this message.
                let total: usize = m.entries.iter().map(|e| e.data.len()).sum();
                let mut buf = BytesMut::with_capacity(total);
                for e in m.entries.iter() {
                    buf.extend_from_slice(&e.data);
                }
                let buf = buf.freeze();
                let mut off = 0;
                for e in m.mut_entries().iter_mut() {
                    let len = e.data.len();
                    e.data = buf.slice(off..off + len);
                    off += len;
                }
            } else if m.get_msg_type() == MessageType::MsgAppend {
                self.stats.appends += 1;
            }
            self.queue.push(m);
        }
    }

    fn apply(&mut self, i: usize, entries: Vec<Entry>) {
        for e in &entries {
            if !e.data.is_empty() {
                self.applied_entries[i] += 1;
                if let Some(p) = &self.verify {
                    let k = self.applied_entries[i] as usize - 1;
                    if p.get(k * PAYLOAD..(k + 1) * PAYLOAD) != Some(&e.data[..]) {
                        self.bad += 1;
                    }
                }
            }
        }
        if let Some(e) = entries.last() {
            self.applied[i] = e.index;
        }
    }

    /// One Ready cycle of node `i` (persist, send, apply, advance), as
    /// raft-rs's examples handle it. Returns whether there was one.
    fn on_ready(&mut self, i: usize) -> bool {
        if !self.nodes[i].has_ready() {
            return false;
        }
        let store = self.nodes[i].raft.raft_log.store.clone();
        let mut ready = self.nodes[i].ready();
        if !ready.messages().is_empty() {
            self.send(ready.take_messages());
        }
        if !ready.snapshot().is_empty() {
            store.wl().apply_snapshot(ready.snapshot().clone()).expect("apply_snapshot");
        }
        let committed = ready.take_committed_entries();
        self.apply(i, committed);
        if !ready.entries().is_empty() {
            store.wl().append(ready.entries()).expect("append");
        }
        if let Some(hs) = ready.hs() {
            store.wl().set_hardstate(hs.clone());
        }
        if !ready.persisted_messages().is_empty() {
            self.send(ready.take_persisted_messages());
        }
        let mut light = self.nodes[i].advance(ready);
        if let Some(commit) = light.commit_index() {
            store.wl().mut_hard_state().set_commit(commit);
        }
        self.send(light.take_messages());
        let committed = light.take_committed_entries();
        self.apply(i, committed);
        self.nodes[i].advance_apply();
        true
    }

    /// One delivery round: every queued message stepped into its receiver,
    /// then one Ready cycle per node. Returns whether anything happened.
    pub fn round(&mut self) -> bool {
        self.stats.rounds += 1;
        let msgs = std::mem::take(&mut self.queue);
        let any_msg = !msgs.is_empty();
        for m in msgs {
            let to = (m.to - 1) as usize;
            // A stale response from an earlier term is refused: not an error here.
            let _ = self.nodes[to].step(m);
        }
        let mut any_ready = false;
        for i in 0..self.nodes.len() {
            any_ready |= self.on_ready(i);
        }
        any_msg || any_ready
    }

    /// Rounds until no message is queued and no node has a Ready.
    pub fn deliver_until_quiet(&mut self) {
        while self.round() {}
    }

    /// Proposes `m` entries (payloads `k*64..(k+1)*64` of `data`) in batches
    /// of `b` and delivers until every node applied them all.
    pub fn run(&mut self, data: &Bytes, m: u64, b: u64) -> Stats {
        let leader = 0;
        let id = self.nodes[leader].raft.id;
        let target = self.nodes[leader].raft.raft_log.last_index() + m;
        let mut k = 0u64;
        while k < m {
            let end = (k + b).min(m);
            let mut entries = Vec::with_capacity((end - k) as usize);
            while k < end {
                let mut e = Entry::default();
                e.data = data.slice(k as usize * PAYLOAD..(k as usize + 1) * PAYLOAD);
                entries.push(e);
                k += 1;
            }
            let mut prop = Message::default();
            prop.set_msg_type(MessageType::MsgPropose);
            prop.from = id;
            prop.set_entries(entries.into());
            self.nodes[leader].raft.step(prop).expect("propose");
            self.deliver_until_quiet();
        }
        while !self.applied.iter().all(|&a| a >= target) {
            self.nodes[leader].ping();
            self.stats.heartbeats += 1;
            self.deliver_until_quiet();
            assert!(self.stats.heartbeats < 1000, "entries never applied everywhere: {:?}", self.applied);
        }
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_every_entry_everywhere_with_its_payload() {
        for (n, b) in [(3, 1), (3, 16), (3, 256), (5, 7)] {
            let m = 1000;
            let data = payloads(m);
            let mut c = Cluster::new(n, Settings::comparable(256));
            c.verify = Some(data.clone());
            let first = c.nodes[0].raft.raft_log.last_index();
            let st = c.run(&data, m, b);
            assert!(st.msgs > 0 && st.rounds > 0);
            assert_eq!(c.bad, 0);
            for (i, node) in c.nodes.iter().enumerate() {
                assert_eq!(node.raft.raft_log.applied, first + m);
                assert_eq!(c.applied_entries[i], m);
            }
        }
    }

    #[test]
    fn a_wrong_payload_is_caught() {
        let m = 100;
        let data = payloads(m);
        let mut c = Cluster::new(3, Settings::comparable(256));
        c.verify = Some(payloads(m + 1).slice(8..)); // shifted by one word
        c.run(&data, m, 10);
        assert_eq!(c.bad, 3 * m);
    }

    #[test]
    fn skip_bcast_commit_saves_the_commit_broadcast() {
        // B = 1: one append and one response per follower per entry; without
        // skip_bcast_commit raft-rs adds an append round per commit advance.
        let m = 200;
        let data = payloads(m);
        let on = Cluster::new(3, Settings::comparable(256)).run(&data, m, 1);
        let mut off_settings = Settings::comparable(256);
        off_settings.skip_bcast_commit = false;
        let off = Cluster::new(3, off_settings).run(&data, m, 1);
        assert!(on.msgs <= 4 * m + 8, "{on:?}");
        assert!(off.msgs >= 7 * m, "{off:?}");
    }
}
