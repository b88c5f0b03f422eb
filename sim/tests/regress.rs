//! Replaying seeds of library bugs the simulator found (sim/LIB_BUGS.md),
//! kept once the bug was fixed: each must now run clean. Bugs 1 to 8 were
//! found before the simulator turned the reject hint on by default: their
//! seeds run as found (`--no-reject-hint`, the schedule that showed the
//! bug) and with the hint.

mod common;
use common::*;
use raft_sim::Config;

fn cmd(line: &str) -> Config {
    let args: Vec<String> = line.split_whitespace().skip(1).map(String::from).collect();
    let (mut c, _) = Config::parse(&args).unwrap();
    c.quiet = true;
    c
}

/// Runs `c` and requires it to end without a violation.
fn run_clean(c: Config) -> raft_sim::Outcome {
    let out = run(c);
    assert!(out.violation.is_none(), "{}\n{}", describe(&out), out.report);
    out
}

/// [`run_clean`] for a seed found without the reject hint: as found, then
/// with the hint.
fn run_clean_both(c: Config) -> Vec<raft_sim::Outcome> {
    [false, true].iter().map(|&hint| run_clean(Config { reject_hint: hint, ..c.clone() })).collect()
}

/// LIB_BUGS #1: a config entry's payload read after log_pop released it
/// (first reported at step 3568).
#[test]
fn bug1_payload_read_after_pop() {
    let mut c = cmd("sim --servers 5 --seed 7 --steps 200000 --drop 5 --dupe 2 --reorder 5 --partition 10 --member 3 --compaction 50 --crash 1");
    c.steps = 8_000;
    c.liveness_timeouts = 0;
    run_clean_both(c);
}

/// LIB_BUGS #2 (the part fixed in d94d884): a voter refusing votes because of
/// its own uncommitted demotion, and unknown candidates refused: no leader
/// ever again once chaos stopped.
#[test]
fn bug2_vote_refused_by_own_uncommitted_config() {
    let c = cmd("sim --servers 5 --seed 473590850822433699 --steps 20000 --drop 3 --dupe 6 --reorder 8 --partition 28 --member 9 --compaction 17 --crash 2 --client 17");
    run_clean_both(c);
}

/// LIB_BUGS #2 (second part): a server named by its own uncommitted
/// REMOVE_NODE stopped campaigning, so a 2-server cluster lost its leader for good.
#[test]
fn bug2_pending_self_removal_still_campaigns() {
    let c = cmd("sim --servers 2 --seed 7877210163607965688 --steps 20000 --drop 13 --dupe 1 --reorder 7 --partition 16 --member 9 --compaction 94 --crash 2 --client 25");
    run_clean_both(c);
}

/// LIB_BUGS #3: REMOVE_NODE of a voter was not a voting change, two removals
/// could be in flight and two leaders' quorums were disjoint (Leader
/// Completeness at step 11124).
#[test]
fn bug3_two_voter_removals_in_flight() {
    let mut c = cmd("sim --servers 5 --seed 7 --steps 200000 --drop 5 --dupe 2 --reorder 5 --partition 10 --member 3 --compaction 50 --crash 1");
    c.steps = 20_000;
    run_clean_both(c);
}

/// LIB_BUGS #5: after loading a snapshot a server kept the membership status
/// its discarded log had given it (inactive), refused every vote, and the
/// cluster never elected a leader again (Liveness).
#[test]
fn bug5_own_status_reset_by_snapshot_load() {
    let c = cmd("sim --servers 3 --seed 303 --steps 600000 --drop 5 --dupe 2 --reorder 5 --partition 10 --member 3 --compaction 50");
    run_clean_both(c);
}

/// LIB_BUGS #6: a server whose (stale) log said it was non-voting refused
/// every vote, although the others' newer logs had promoted it again and
/// their candidates needed it: no leader after chaos stopped (Liveness).
#[test]
fn bug6_nonvoting_in_stale_log_still_votes() {
    let c = cmd("sim --servers 3 --seed 1074091989613508305 --steps 20000 --drop 9 --dupe 2 --reorder 13 --partition 21 --member 6 --compaction 18 --crash 4 --client 10");
    run_clean_both(c);
}

/// LIB_BUGS #7: a follower's read-index request ids started at 1 in every
/// incarnation, so the answer to a request sent before a restart confirmed
/// a read asked after it (Linearizable Reads at step 3299).
#[test]
fn bug7_read_index_answer_from_before_a_restart() {
    let c = cmd("sim --servers 5 --seed 2987122451552745738 --steps 20000 --drop 2 --dupe 3 --reorder 15 --partition 19 --member 7 --compaction 13 --crash 2 --client 44 --inflight 8 --parallel-write --transfer 6 --reads 35 --prevote --check-quorum");
    run_clean_both(c);
}

/// LIB_BUGS #8: every copy of a duplicated rejection sent another probe, and
/// the probes in flight grew until the run never ended (millions of queued
/// messages by step 2000). Now the whole run delivers about 100,000.
#[test]
fn bug8_duplicated_rejections_do_not_multiply_probes() {
    let c = cmd("sim --servers 5 --seed 4038249783589526043 --steps 20000 --dupe 8 --reorder 1 --partition 21 --member 3 --compaction 1 --client 38 --inflight 8 --parallel-write --transfer 6 --reads 26 --prevote");
    for out in run_clean_both(c) {
        assert!(out.stats.delivered < 1_000_000, "{} messages delivered: probes multiplied", out.stats.delivered);
    }
}

/// LIB_BUGS #9: a follower holding about 800 uncommitted entries of older
/// terms was walked back one entry per round trip and had not caught up 30
/// election timeouts after chaos stopped (Liveness). With the reject hint
/// (the simulator's default) the leader skips a term per round trip; the
/// same seed without it (`--no-reject-hint`) still shows the slow walk.
#[test]
fn bug9_long_divergent_suffix_caught_up_by_the_reject_hint() {
    let c = cmd("sim --servers 3 --seed 4830535894296490695 --steps 20000 --drop 14 --reorder 10 --partition 1 --member 2 --compaction 65 --crash 2 --client 38 --inflight 8 --parallel-write --transfer 6 --reads 23");
    assert!(c.reject_hint);
    run_clean(c);
}
