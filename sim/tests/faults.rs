//! Proof that the simulator catches real Raft bugs: each test turns on one
//! deliberately broken variant of the library (raft_set_fault_injection) and
//! requires the matching invariant violation within a bounded search
//! (a few seeds × a bounded number of steps). A control run with the same
//! chaos and no fault must stay clean.

mod common;
use common::*;
use raft_sim::fault;
use raft_sim::Config;

/// Search `seeds` (each run at most `steps` steps) for a violation of one of
/// `expect`; a violation of another invariant fails the test.
fn hunt(make: impl Fn(u64) -> Config, fault: i32, expect: &[&str], seeds: std::ops::Range<u64>) -> (u64, &'static str, u64) {
    hunt_also(make, fault, expect, &[], seeds)
}

/// Like `hunt`, but a seed whose first violation is one of `also` (another
/// true symptom of the same fault) does not count: the search goes on.
fn hunt_also(make: impl Fn(u64) -> Config, fault: i32, expect: &[&str], also: &[&str], seeds: std::ops::Range<u64>) -> (u64, &'static str, u64) {
    for seed in seeds.clone() {
        let mut cfg = make(seed);
        cfg.fault = fault;
        let cmd = cfg.command();
        let out = run(cfg);
        if let Some(v) = &out.violation {
            if also.contains(&v.invariant) {
                eprintln!("fault {}: seed {} first showed {} (also a symptom), searching on", fault, seed, v.invariant);
                continue;
            }
            assert!(
                expect.contains(&v.invariant),
                "fault {}: expected one of {:?}, got {}\nreplay: {}\n{}",
                fault,
                expect,
                describe(&out),
                cmd,
                out.report
            );
            eprintln!("fault {} caught as {} at step {} ({})", fault, v.invariant, v.step, cmd);
            return (seed, v.invariant, v.step);
        }
    }
    panic!("fault {} not caught with seeds {:?}", fault, seeds);
}

fn control(make: impl Fn(u64) -> Config, seeds: &[u64]) {
    for &seed in seeds {
        let cfg = make(seed);
        let cmd = cfg.command();
        let out = run(cfg);
        assert!(out.violation.is_none(), "control run without fault failed: {}\nreplay: {}\n{}", describe(&out), cmd, out.report);
    }
}

/// Votes not persisted: a voter that crashes and restarts votes again in the
/// same term, so two candidates win it.
fn skip_vote_cfg(seed: u64) -> Config {
    Config { crash: 60, max_down: 3, drop: 10, dupe: 10, partition: 30, client: 30, compaction: 0, ..aggressive(3, seed, 50_000) }
}

#[test]
fn skip_persist_vote_breaks_election_safety() {
    hunt(skip_vote_cfg, fault::SKIP_PERSIST_VOTE, &["Election Safety"], 1..11);
}

#[test]
fn skip_persist_vote_control() {
    control(skip_vote_cfg, &[1, 2]);
}

/// Leader commits entries of earlier terms by counting replicas (Raft
/// paper's Figure 8): a later leader without them overwrites them.
fn figure8_cfg(seed: u64) -> Config {
    Config { compaction: 0, ..aggressive(3, seed, 50_000) }
}

#[test]
fn commit_previous_term_breaks_leader_completeness() {
    hunt(figure8_cfg, fault::COMMIT_PREVIOUS_TERM, &["Leader Completeness", "State Machine Safety", "No Committed Entry Popped"], 1..11);
}

#[test]
fn commit_previous_term_control() {
    control(figure8_cfg, &[1, 4]);
}

/// Votes granted without the up-to-date check: a stale server wins and lacks
/// committed entries.
fn stale_vote_cfg(seed: u64) -> Config {
    aggressive(5, seed, 30_000)
}

#[test]
fn no_log_check_on_vote_breaks_leader_completeness() {
    hunt(stale_vote_cfg, fault::NO_LOG_CHECK_ON_VOTE, &["Leader Completeness"], 1..6);
}

#[test]
fn no_log_check_on_vote_control() {
    control(stale_vote_cfg, &[1, 2]);
}

/// Conflicting entries overwritten in place, the rest of the old suffix kept:
/// two servers hold the same (index, term) after different prefixes.
fn conflict_cfg(seed: u64) -> Config {
    aggressive(5, seed, 30_000)
}

#[test]
fn no_truncate_on_conflict_breaks_log_matching() {
    // The faulty path overwrites entries without log_offer, which Log
    // Accuracy may notice first (when no stale suffix is left behind).
    hunt_also(conflict_cfg, fault::NO_TRUNCATE_ON_CONFLICT, &["Log Matching"], &["Log Accuracy"], 1..11);
}

// ---- the extensions (issue 12): each invariant proved able to fail --------

/// Partitions and loss, few crashes: the features' invariants have work to do.
fn ext_cfg(seed: u64) -> Config {
    Config { servers: 5, seed, steps: 20_000, drop: 5, partition: 20, quiet: true, ..Config::default() }
}

/// Reads answered without a heartbeat round: a deposed leader serves stale
/// state after a newer leader acknowledged writes.
fn reads_cfg(seed: u64) -> Config {
    Config { reads: 30, servers: 3, ..ext_cfg(seed) }
}

#[test]
fn read_without_round_breaks_linearizable_reads() {
    hunt(reads_cfg, fault::READ_WITHOUT_ROUND, &["Linearizable Reads"], 1..6);
}

#[test]
fn reads_control() {
    control(|s| Config { check_quorum: true, ..reads_cfg(s) }, &[1, 2]);
}

/// Elections without pre-vote: a server cut off from a majority raises its term.
fn prevote_cfg(seed: u64) -> Config {
    Config { prevote: true, ..ext_cfg(seed) }
}

#[test]
fn skip_prevote_breaks_prevote_term_stability() {
    hunt(prevote_cfg, fault::SKIP_PREVOTE, &["Pre-Vote Term Stability"], 1..6);
}

#[test]
fn prevote_control() {
    control(prevote_cfg, &[1, 2]);
}

/// A leader cut off from a majority that never steps down.
fn check_quorum_cfg(seed: u64) -> Config {
    Config { check_quorum: true, ..ext_cfg(seed) }
}

#[test]
fn no_check_quorum_stepdown_breaks_check_quorum_step_down() {
    hunt(check_quorum_cfg, fault::NO_CHECK_QUORUM_STEPDOWN, &["Check-Quorum Step-Down"], 1..6);
}

#[test]
fn check_quorum_control() {
    control(check_quorum_cfg, &[1, 2]);
}

/// TimeoutNow ignored: a transfer in a healthy cluster never completes.
fn transfer_cfg(seed: u64) -> Config {
    Config { transfer: 5, liveness_every: 5_000, ..ext_cfg(seed) }
}

#[test]
fn ignore_timeoutnow_breaks_transfer_completion() {
    hunt(transfer_cfg, fault::IGNORE_TIMEOUTNOW, &["Transfer Completion"], 1..6);
}

#[test]
fn transfer_control() {
    control(transfer_cfg, &[1, 2]);
}
