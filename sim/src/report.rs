//! Reporting: the status line of every server, the end-of-run summary
//! (per-node table, totals, trace digest), the violation report and the
//! `Outcome` a run returns. Everything here except the speed line is a
//! function of the seed and options alone, so that the same run prints the
//! same bytes.

use crate::driver::Sim;
use crate::ffi::c;
use crate::ffi::*;
use crate::world::*;
use std::fmt::Write as _;

/// What a run found, and its deterministic output.
pub struct Outcome {
    pub violation: Option<Violation>,
    /// Set when a tolerated known library bug stopped the run (not a failure).
    pub known_bug: Option<String>,
    pub stats: Stats,
    /// Per-node table and totals (deterministic).
    pub summary: String,
    /// Violation report (seed, replay command, recent events); empty if none.
    pub report: String,
    /// Hash of every event of the run: its fingerprint.
    pub trace_digest: u64,
    /// Wall time of the run (not deterministic; only for the speed line).
    pub wall_secs: f64,
}

impl Outcome {
    /// Delivered messages and steps per second of wall time (for stderr).
    pub fn speed_line(&self) -> String {
        let secs = self.wall_secs.max(1e-9);
        format!(
            "speed: {:.0} delivered messages/s, {:.0} steps/s ({} messages, {} steps in {:.2}s wall, one core)",
            self.stats.delivered as f64 / secs,
            (self.stats.steps + self.stats.live_ticks) as f64 / secs,
            self.stats.delivered,
            self.stats.steps + self.stats.live_ticks,
            secs
        )
    }
}

impl Sim {
    /// The run's outcome, once it has ended.
    pub(crate) fn outcome(&self, wall_secs: f64) -> Outcome {
        let summary = self.summary();
        let status = self.status_line();
        let w = self.w.borrow();
        let report = match &w.violation {
            None => String::new(),
            Some(v) => {
                let mut r = String::new();
                let _ = writeln!(r, "VIOLATION: {}", v.invariant);
                let _ = writeln!(r, "  {}", v.detail);
                let _ = writeln!(r, "  at step {} (virtual time {} ms)", v.step, v.now);
                let _ = writeln!(r, "  servers then: {}", status);
                let _ = writeln!(r, "  seed: {}", w.cfg.seed);
                let _ = writeln!(r, "  replay: {}", w.cfg.command());
                let _ = writeln!(r, "last {} events (oldest first):", w.ring.buf.len());
                for e in w.ring.iter() {
                    let _ = writeln!(r, "  {}", e);
                }
                let _ = writeln!(r, "VIOLATION: {} (seed {}; replay: {})", v.invariant, w.cfg.seed, w.cfg.command());
                r
            }
        };
        Outcome {
            violation: w.violation.clone(),
            known_bug: w.known_bug.clone(),
            stats: w.stats.clone(),
            summary,
            report,
            trace_digest: w.trace,
            wall_secs,
        }
    }

    /// One line: each server's state, term, last index, commit index and
    /// membership as it sees it (or "down").
    pub(crate) fn status_line(&self) -> String {
        let w = self.w.borrow();
        let mut out = Vec::new();
        for (s, sv) in w.servers.iter().enumerate() {
            if sv.status == Status::Gone {
                continue;
            }
            if !w.up(s) {
                out.push(format!("{}:down", sv.id));
                continue;
            }
            let r = sv.raft;
            unsafe {
                let mut cfgs = Vec::new();
                for i in 0..raft_get_num_nodes(r) {
                    let n = raft_get_node_from_idx(r, i as _);
                    if !n.is_null() {
                        cfgs.push(format!(
                            "{}{}{}",
                            raft_node_get_id(n),
                            if raft_node_is_voting(n) != 0 { "" } else { "nv" },
                            if raft_node_is_active(n) != 0 { "" } else { "(inactive)" }
                        ));
                    }
                }
                out.push(format!(
                    "{}:{} term {} last {} commit {} members [{}]",
                    sv.id,
                    state_name(raft_get_state(r)),
                    raft_get_current_term(r),
                    raft_get_current_idx(r),
                    raft_get_commit_idx(r),
                    cfgs.join(" ")
                ));
            }
        }
        out.join(", ")
    }

    /// Per-node table (unless quiet), totals and the trace digest.
    fn summary(&self) -> String {
        let w = self.w.borrow();
        let mut o = String::new();
        if !w.cfg.quiet {
            let _ = writeln!(o, "{:>4} {:<9} {:>6} {:>7} {:>7} {:>7} {:>7} {:>9} {:>8}", "node", "state", "term", "commit", "applied", "last", "log", "snapshot", "restarts");
            for (s, sv) in w.servers.iter().enumerate() {
                if w.up(s) {
                    let r = sv.raft;
                    unsafe {
                        let _ = writeln!(
                            o,
                            "{:>4} {:<9} {:>6} {:>7} {:>7} {:>7} {:>7} {:>9} {:>8}",
                            sv.id,
                            state_name(raft_get_state(r)),
                            raft_get_current_term(r),
                            raft_get_commit_idx(r),
                            raft_get_last_applied_idx(r),
                            raft_get_current_idx(r),
                            raft_get_log_count(r),
                            raft_get_snapshot_last_idx(r),
                            sv.restarts
                        );
                    }
                } else if matches!(sv.status, Status::Down(_)) {
                    let d = &sv.disk;
                    let _ = writeln!(
                        o,
                        "{:>4} {:<9} {:>6} {:>7} {:>7} {:>7} {:>7} {:>9} {:>8}",
                        sv.id,
                        "down",
                        d.term,
                        "-",
                        d.applied,
                        d.log.last(),
                        d.log.len(),
                        d.log.base,
                        sv.restarts
                    );
                } else {
                    let _ = writeln!(o, "{:>4} {:<9} {:>6} {:>7} {:>7} {:>7} {:>7} {:>9} {:>8}", sv.id, "gone", "-", "-", "-", "-", "-", "-", sv.restarts);
                }
            }
        }
        let st = &w.stats;
        let _ = writeln!(
            o,
            "steps {} (+{} liveness ticks, {} windows), virtual time {:.1}s",
            st.steps,
            st.live_ticks,
            st.liveness_windows,
            w.now as f64 / 1000.0
        );
        let _ = writeln!(
            o,
            "messages: sent {} delivered {} dropped {} duplicated {} reordered {}",
            st.sent, st.delivered, st.dropped, st.duplicated, st.reordered
        );
        let _ = writeln!(
            o,
            "elections {} commits {} client entries {} (failed {}, follower refusals {}) partitions {}",
            st.elections, st.commits, st.client_ok, st.client_failed, st.follower_refused, st.partitions
        );
        let _ = writeln!(
            o,
            "snapshots: taken {} sent {} loaded {}; crashes {} restarts {}; membership: proposed {} accepted {} servers added {} retired {}",
            st.snaps_taken, st.snaps_sent, st.snaps_loaded, st.crashes, st.restarts, st.member_proposed, st.member_accepted, st.servers_added, st.servers_gone
        );
        if w.cfg.extensions() {
            let _ = writeln!(
                o,
                "extensions:{}{} reads ok {} failed {} refused {}; transfers {} completed {}; cut-off leaders stepped down {}; state events {}",
                if w.cfg.prevote { " prevote" } else { "" },
                if w.cfg.check_quorum { " check-quorum" } else { "" },
                st.reads_ok,
                st.reads_failed,
                st.reads_refused,
                st.transfers,
                st.transfers_completed,
                st.stepdowns,
                st.state_events
            );
        }
        let _ = writeln!(o, "violations {}", st.violations);
        if let Some(k) = &w.known_bug {
            let _ = writeln!(o, "{}", k);
        }
        let _ = writeln!(o, "trace digest {:016x}", w.trace);
        o
    }
}

/// The name of a `RAFT_STATE_*` value.
pub fn state_name(s: i32) -> &'static str {
    match s {
        x if x == c::STATE_LEADER => "leader",
        x if x == c::STATE_CANDIDATE => "candidate",
        x if x == c::STATE_FOLLOWER => "follower",
        x if x == c::STATE_PRECANDIDATE => "precand",
        _ => "none",
    }
}
