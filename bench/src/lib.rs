//! The replication workload of `bench/c/raft_bench.c`, in Rust, on two
//! libraries:
//!
//! * [`ours`]: libraft's safe Rust API (`raft::Server` with a `raft::Host`),
//!   no FFI;
//! * [`theirs`]: raft-rs (the Rust port of etcd raft, crate `raft` 0.7,
//!   renamed `raft_rs` here) with its `MemStorage`.
//!
//! Workload: an in-process cluster of `n` nodes with an elected leader; `m`
//! entries of 64 bytes are proposed in batches of `b` (b proposals, then
//! messages are delivered until none is left), until every node has applied
//! all of them. Messages travel through one in-memory FIFO; the entries an
//! append message carries get their payload bytes copied, as a wire would,
//! on both sides. Persistence is in memory (ours: nothing to do; raft-rs:
//! `MemStorage`, as its examples do).

use std::collections::VecDeque;

/// Payload size of every entry.
pub const PAYLOAD: usize = 64;

/// Counters of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages sent during the replication phase (requests and responses).
    pub msgs: u64,
    /// Periodic passes (ours: `periodic(0)` on every node) or ready passes (raft-rs).
    pub ticks: u64,
}

fn payload(k: u64) -> Vec<u8> {
    let mut v = vec![0u8; PAYLOAD];
    v[..8].copy_from_slice(&k.to_le_bytes());
    v
}

pub mod ours {
    //! libraft through its safe Rust API.
    use super::*;
    use bytes::Bytes;
    use raft::{
        AppendEntries, AppendEntriesHeader, AppendEntriesResponse, Entry, Host, HostTypes, Index, NodeId, RequestVote,
        RequestVoteResponse, Server, NO_NODE,
    };

    pub enum Msg {
        Rv(RequestVote),
        Rvr(RequestVoteResponse),
        Ae(AppendEntriesHeader, Vec<Entry<Bytes>>),
        Aer(AppendEntriesResponse),
    }

    #[derive(Default)]
    pub struct BenchHost {
        outbox: Vec<(NodeId, Msg)>,
        applied: Index,
    }

    impl HostTypes for BenchHost {
        type Data = Bytes;
        type NodeData = ();
    }

    impl Host for BenchHost {
        fn send_requestvote(raft: &mut Server<Self>, node: NodeId, msg: &RequestVote) -> i32 {
            raft.host.outbox.push((node, Msg::Rv(*msg)));
            0
        }
        fn send_appendentries(raft: &mut Server<Self>, node: NodeId, msg: &AppendEntriesHeader) -> i32 {
            // The wire: entry headers and payload bytes are copied.
            let entries: Vec<Entry<Bytes>> = raft
                .entries_from(msg.prev_log_idx + 1, msg.n_entries)
                .iter()
                .map(|e| Entry { term: e.term, id: e.id, etype: e.etype, data: Bytes::copy_from_slice(&e.data) })
                .collect();
            raft.host.outbox.push((node, Msg::Ae(*msg, entries)));
            0
        }
        fn log_apply(raft: &mut Server<Self>, idx: Index) -> i32 {
            raft.host.applied = idx;
            0
        }
    }

    pub struct Cluster {
        pub servers: Vec<Server<BenchHost>>,
        queue: VecDeque<(NodeId, NodeId, Msg)>,
        pub leader: NodeId,
        pub stats: Stats,
    }

    impl Cluster {
        /// `n` servers with an elected leader, every message delivered.
        pub fn new(n: usize) -> Self {
            let mut servers = Vec::with_capacity(n);
            for i in 1..=n as NodeId {
                let mut s = Server::new(BenchHost::default());
                s.set_random_seed(i as u64 * 7919);
                for j in 1..=n as NodeId {
                    s.add_node((), j, i == j);
                }
                servers.push(s);
            }
            let mut c = Cluster { servers, queue: VecDeque::new(), leader: 0, stats: Stats::default() };
            for _ in 0..1000 {
                c.tick(100);
                c.deliver_all();
                if let Some(l) = c.servers.iter().position(|s| s.is_leader()) {
                    c.leader = l as NodeId + 1;
                    break;
                }
            }
            assert!(c.leader != 0, "no leader elected");
            c.stats = Stats::default();
            c
        }

        fn s(&mut self, id: NodeId) -> &mut Server<BenchHost> {
            &mut self.servers[(id - 1) as usize]
        }

        fn collect(&mut self, from: NodeId) {
            let out = std::mem::take(&mut self.s(from).host.outbox);
            self.stats.msgs += out.len() as u64;
            for (to, m) in out {
                self.queue.push_back((from, to, m));
            }
        }

        /// Delivers messages until none is left.
        pub fn deliver_all(&mut self) {
            for from in 1..=self.servers.len() as NodeId {
                self.collect(from);
            }
            while let Some((from, to, m)) = self.queue.pop_front() {
                let s = self.s(to);
                match m {
                    Msg::Rv(rv) => {
                        let mut r = RequestVoteResponse::default();
                        s.recv_requestvote(Some(from), &rv, &mut r).expect("recv_requestvote");
                        s.host.outbox.push((from, Msg::Rvr(r)));
                    }
                    Msg::Rvr(r) => {
                        s.recv_requestvote_response(Some(from), &r).expect("recv_requestvote_response");
                    }
                    Msg::Ae(h, entries) => {
                        let ae = AppendEntries {
                            term: h.term,
                            prev_log_idx: h.prev_log_idx,
                            prev_log_term: h.prev_log_term,
                            leader_commit: h.leader_commit,
                            entries: &entries,
                            cfg_nodes: &[],
                        };
                        let mut r = AppendEntriesResponse::default();
                        s.recv_appendentries(Some(from), &ae, &mut r).expect("recv_appendentries");
                        s.host.outbox.push((from, Msg::Aer(r)));
                    }
                    Msg::Aer(r) => {
                        let _ = s.recv_appendentries_response(from, &r);
                    }
                }
                self.collect(to);
            }
        }

        /// `periodic(ms)` on every server (applies what each knows is committed).
        pub fn tick(&mut self, ms: i32) {
            self.stats.ticks += 1;
            for s in self.servers.iter_mut() {
                s.periodic(ms).expect("periodic");
            }
        }

        fn all_applied(&self, idx: Index) -> bool {
            self.servers.iter().all(|s| s.host.applied >= idx)
        }

        /// Proposes `m` entries in batches of `b` and delivers until every
        /// server applied them all.
        pub fn run(&mut self, m: u64, b: u64) -> Stats {
            let l = self.leader;
            let target = self.s(l).current_idx() + m as Index;
            let mut k = 0;
            while k < m {
                let end = (k + b).min(m);
                while k < end {
                    k += 1;
                    let e = Entry { term: 0, id: k as i32, etype: raft::entry_type::NORMAL, data: Bytes::from(payload(k)) };
                    self.s(l).retain_entry(e, NO_NODE).expect("retain_entry");
                }
                self.deliver_all();
                self.tick(0);
            }
            let mut heartbeats = 0;
            while !self.all_applied(target) {
                self.s(l).send_appendentries_all().expect("heartbeat");
                self.deliver_all();
                self.tick(0);
                heartbeats += 1;
                assert!(heartbeats < 1000, "entries never applied everywhere");
            }
            self.stats
        }
    }
}

pub mod theirs {
    //! raft-rs 0.7 (`RawNode<MemStorage>`), driven the way its examples do.
    use super::*;
    use raft_rs::eraftpb::{Entry, Message, MessageType};
    use raft_rs::storage::MemStorage;
    use raft_rs::{Config, RawNode, StateRole};

    pub struct Cluster {
        pub nodes: Vec<RawNode<MemStorage>>,
        applied: Vec<u64>,
        queue: VecDeque<Message>,
        pub leader: u64,
        pub stats: Stats,
    }

    fn logger() -> slog::Logger {
        slog::Logger::root(slog::Discard, slog::o!())
    }

    impl Cluster {
        /// `n` nodes, node 1 elected by campaigning, every message delivered
        /// and the new leader's empty entry applied everywhere.
        pub fn new(n: usize) -> Self {
            let log = logger();
            let voters: Vec<u64> = (1..=n as u64).collect();
            let mut nodes = Vec::with_capacity(n);
            for id in 1..=n as u64 {
                let cfg = Config {
                    id,
                    election_tick: 10,
                    heartbeat_tick: 3,
                    max_size_per_msg: raft_rs::NO_LIMIT,
                    max_inflight_msgs: 4096,
                    // Merge the appends a Ready holds for one peer into one message
                    // (raft-rs's own batching; off by default).
                    batch_append: true,
                    ..Default::default()
                };
                let storage = MemStorage::new_with_conf_state((voters.clone(), vec![]));
                nodes.push(RawNode::new(&cfg, storage, &log).expect("RawNode::new"));
            }
            let mut c = Cluster { nodes, applied: vec![0; n], queue: VecDeque::new(), leader: 1, stats: Stats::default() };
            c.nodes[0].campaign().expect("campaign");
            c.deliver_all();
            assert_eq!(c.nodes[0].raft.state, StateRole::Leader, "node 1 not elected");
            let last = c.nodes[0].raft.raft_log.last_index();
            assert!(c.applied.iter().all(|&a| a >= last), "election entry not applied everywhere");
            c.stats = Stats::default();
            c
        }

        fn send(&mut self, msgs: Vec<Message>) {
            self.stats.msgs += msgs.len() as u64;
            for mut m in msgs {
                if m.get_msg_type() == MessageType::MsgAppend {
                    // The wire: payload bytes are copied.
                    for e in m.mut_entries().iter_mut() {
                        e.data = bytes::Bytes::copy_from_slice(&e.data);
                    }
                }
                self.queue.push_back(m);
            }
        }

        fn apply(&mut self, i: usize, entries: Vec<Entry>) {
            if let Some(e) = entries.last() {
                self.applied[i] = e.index;
            }
        }

        /// One Ready cycle of node `i` (persist, send, apply, advance).
        fn on_ready(&mut self, i: usize) -> bool {
            if !self.nodes[i].has_ready() {
                return false;
            }
            let store = self.nodes[i].raft.raft_log.store.clone();
            let mut ready = self.nodes[i].ready();
            self.send(ready.take_messages());
            if !ready.snapshot().is_empty() {
                store.wl().apply_snapshot(ready.snapshot().clone()).expect("apply_snapshot");
            }
            let committed = ready.take_committed_entries();
            self.apply(i, committed);
            store.wl().append(ready.entries()).expect("append");
            if let Some(hs) = ready.hs() {
                store.wl().set_hardstate(hs.clone());
            }
            self.send(ready.take_persisted_messages());
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

        /// Handles readies and delivers messages until everything is quiet.
        pub fn deliver_all(&mut self) {
            loop {
                let mut any = false;
                for i in 0..self.nodes.len() {
                    any |= self.on_ready(i);
                }
                self.stats.ticks += 1;
                if self.queue.is_empty() && !any {
                    return;
                }
                while let Some(m) = self.queue.pop_front() {
                    let to = (m.to - 1) as usize;
                    let _ = self.nodes[to].step(m);
                    self.on_ready(to);
                }
            }
        }

        /// Proposes `m` entries in batches of `b` and delivers until every
        /// node applied them all.
        pub fn run(&mut self, m: u64, b: u64) -> Stats {
            let l = (self.leader - 1) as usize;
            let target = self.nodes[l].raft.raft_log.last_index() + m;
            let mut k = 0;
            while k < m {
                let end = (k + b).min(m);
                while k < end {
                    k += 1;
                    self.nodes[l].propose(vec![], payload(k)).expect("propose");
                }
                self.deliver_all();
            }
            assert!(self.applied.iter().all(|&a| a >= target), "entries not applied everywhere: {:?}", self.applied);
            self.stats
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ours_applies_everywhere() {
        for b in [1, 16, 256] {
            let mut c = ours::Cluster::new(3);
            let st = c.run(1000, b);
            assert!(st.msgs > 0);
            for s in &c.servers {
                assert_eq!(s.last_applied_idx(), 1000);
                assert_eq!(s.commit_idx(), 1000);
            }
        }
    }

    #[test]
    fn theirs_applies_everywhere() {
        for b in [1, 16, 256] {
            let mut c = theirs::Cluster::new(3);
            let first = c.nodes[0].raft.raft_log.last_index();
            let st = c.run(1000, b);
            assert!(st.msgs > 0);
            for n in &c.nodes {
                assert_eq!(n.raft.raft_log.applied, first + 1000);
            }
        }
    }

    #[test]
    fn five_nodes() {
        ours::Cluster::new(5).run(300, 16);
        theirs::Cluster::new(5).run(300, 16);
    }
}
