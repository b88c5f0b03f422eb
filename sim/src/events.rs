//! Compact event records: kept in a ring buffer for the failure report and
//! folded into a trace digest (the run's fingerprint for determinism checks).

use crate::rng::hcomb;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum K {
    Deliver,
    Drop,
    Crash,
    Restart,
    NewServer,
    Gone,
    Partition,
    Heal,
    Client,
    Refused,
    Member,
    SnapBegin,
    SnapEnd,
    SnapSend,
    SnapLoad,
    Leader,
    Commit,
    Liveness,
    Read,
    Transfer,
    Note,
}

/// Message kinds (field `a[0]` of Deliver/Drop).
pub const M_RV: i64 = 0;
pub const M_RVR: i64 = 1;
pub const M_AE: i64 = 2;
pub const M_AER: i64 = 3;
pub const M_SNAP: i64 = 4;
pub const M_TN: i64 = 5;
pub const M_RI: i64 = 6;
pub const M_RIR: i64 = 7;

#[derive(Clone, Copy, Debug)]
pub struct Ev {
    pub step: u64,
    pub now: u64,
    pub k: K,
    pub a: [i64; 7],
}

impl Ev {
    pub fn digest(&self, h: u64) -> u64 {
        let mut h = hcomb(h, self.step);
        h = hcomb(h, self.k as u64);
        for x in self.a {
            h = hcomb(h, x as u64);
        }
        h
    }
}

fn mname(k: i64) -> &'static str {
    match k {
        M_RV => "RequestVote",
        M_RVR => "RequestVoteResp",
        M_AE => "AppendEntries",
        M_AER => "AppendEntriesResp",
        M_SNAP => "Snapshot",
        M_TN => "TimeoutNow",
        M_RI => "ReadIndex",
        M_RIR => "ReadIndexResp",
        _ => "?",
    }
}

pub fn op_name(op: i64) -> &'static str {
    match op {
        1 => "ADD_NONVOTING",
        2 => "ADD_NODE(promote)",
        3 => "DEMOTE",
        4 => "REMOVE",
        _ => "?",
    }
}

fn partition_str(g1: i64, g2: i64) -> String {
    let set = |m: i64| -> String {
        let v: Vec<String> = (0..63).filter(|b| m & (1i64 << b) != 0).map(|b| b.to_string()).collect();
        format!("{{{}}}", v.join(","))
    };
    if g2 != 0 {
        format!("{} | {} | rest", set(g1), set(g2))
    } else {
        format!("{} | rest", set(g1))
    }
}

impl fmt::Display for Ev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.a;
        write!(f, "[step {:>7} t={:>8}ms] ", self.step, self.now)?;
        match self.k {
            K::Deliver => {
                write!(f, "{} -> {} {} term={}", a[1], a[2], mname(a[0]), a[3])?;
                match a[0] {
                    M_RV => write!(f, " last_idx={} last_term={} => rc={}", a[4], a[5], a[6]),
                    M_RVR => write!(f, " granted={} => rc={}", a[4], a[6]),
                    M_AE => write!(f, " prev={} n={} commit={} => rc={}", a[4], a[5] & 0xffff, a[5] >> 16, a[6]),
                    M_AER => write!(f, " success={} current_idx={} => rc={}", a[4], a[5], a[6]),
                    M_SNAP => write!(f, " snapshot idx={} term={} => rc={}", a[4], a[5], a[6]),
                    M_TN => write!(f, " => rc={}", a[6]),
                    M_RI => write!(f, " id={} => rc={}", a[4], a[6]),
                    M_RIR => write!(f, " id={} read_idx={} => rc={}", a[4], a[5], a[6]),
                    _ => Ok(()),
                }
            }
            K::Drop => write!(f, "{} -> {} {} dropped ({})", a[1], a[2], mname(a[0]), match a[3] {
                0 => "random",
                1 => "partition",
                2 => "receiver down",
                _ => "?",
            }),
            K::Crash => write!(f, "server {} CRASHED (term={} commit={} last={}, down for {} ticks)", a[0], a[1], a[2], a[3], a[4]),
            K::Restart => write!(f, "server {} RESTARTED from disk: term={} vote={} snapshot={} last={} durable_applied={} => commit={}", a[0], a[1], a[2], a[3], a[4], a[5], a[6]),
            K::NewServer => write!(f, "server {} created (joining, empty)", a[0]),
            K::Gone => write!(f, "server {} shut down for good ({})", a[0], match a[1] {
                0 => "its removal was applied",
                1 => "its addition failed",
                2 => "removed (candidate told it is unknown)",
                3 => "removal committed",
                _ => "?",
            }),
            K::Partition => write!(f, "PARTITION {} ({})", partition_str(a[0], a[1]), match a[2] {
                0 => "minority/majority",
                1 => "leader isolated",
                2 => "one node isolated",
                3 => "three ways",
                _ => "?",
            }),
            K::Heal => write!(f, "HEAL network"),
            K::Client => write!(f, "client entry id={} to {} => rc={} idx={} term={}", a[1], a[0], a[2], a[3], a[4]),
            K::Refused => write!(f, "client entry to non-leader {} => rc={}", a[0], a[1]),
            K::Member => write!(f, "membership {} node {} proposed to leader {} => rc={} idx={}", op_name(a[1]), a[2], a[0], a[3], a[4]),
            K::SnapBegin => write!(f, "server {} begins snapshot idx={} term={} (flags={}) => rc={}", a[0], a[1], a[2], a[3], a[4]),
            K::SnapEnd => write!(f, "server {} {} snapshot idx={} => rc={}", a[0], if a[3] == 1 { "cancels" } else { "ends" }, a[1], a[2]),
            K::SnapSend => write!(f, "leader {} sends snapshot idx={} to {}", a[0], a[2], a[1]),
            K::SnapLoad => write!(f, "server {} loads snapshot idx={} term={} from {} => rc={}", a[0], a[1], a[2], a[3], a[4]),
            K::Leader => write!(f, "server {} is LEADER of term {} (last idx={} commit={})", a[0], a[1], a[2], a[3]),
            K::Commit => write!(f, "server {} commit {} -> {}", a[0], a[1], a[2]),
            K::Liveness => match a[0] {
                0 => write!(f, "liveness window starts (network healed, chaos stopped)"),
                1 => write!(f, "liveness: leader {} term {} committed probe idx={} after {} ticks", a[1], a[2], a[3], a[4]),
                _ => write!(f, "liveness: probe id={} to {} => rc={} idx={}", a[1], a[2], a[3], a[4]),
            },
            K::Read => match a[0] {
                0 => write!(f, "read {} asked of {} ({}; sees idx >= {}) => rc={}", a[1], a[2], if a[3] == 1 { "lease" } else { "read index" }, a[4], a[5]),
                _ => write!(f, "read {} on {} answered: can_read={} err={} applied={} (needs >= {})", a[1], a[2], a[3], a[4], a[5], a[6]),
            },
            K::Transfer => match a[0] {
                0 => write!(f, "leader {} (term {}) asked to transfer to {}{} => rc={}", a[1], a[2], a[3], if a[5] == 1 { " (healthy cluster)" } else { "" }, a[4]),
                _ => write!(f, "leader {}'s transfer to {} ended: {}", a[1], a[2], match a[3] {
                    0 => "timeout",
                    1 => "another leader",
                    2 => "COMPLETED",
                    3 => "target left",
                    _ => "?",
                }),
            },
            K::Note => write!(f, "note {:?}", a),
        }
    }
}

pub struct Ring {
    pub buf: Vec<Ev>,
    pub cap: usize,
    pub next: usize,
    pub total: u64,
}

impl Ring {
    pub fn new(cap: usize) -> Ring {
        Ring { buf: Vec::with_capacity(cap), cap, next: 0, total: 0 }
    }
    pub fn push(&mut self, e: Ev) {
        if self.buf.len() < self.cap {
            self.buf.push(e);
        } else {
            self.buf[self.next] = e;
        }
        self.next = (self.next + 1) % self.cap;
        self.total += 1;
    }
    /// Oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Ev> {
        let (a, b) = if self.buf.len() < self.cap { (&self.buf[..], &self.buf[..0]) } else { (&self.buf[self.next..], &self.buf[..self.next]) };
        a.iter().chain(b.iter())
    }
}
