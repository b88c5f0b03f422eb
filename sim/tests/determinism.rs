//! Same seed → same run, byte for byte; another seed → another run.

mod common;
use common::*;
use raft_sim::Config;

fn busy(seed: u64) -> Config {
    Config { member: 5, ..aggressive(5, seed, 20_000) }
}

#[test]
fn same_seed_same_run() {
    let a = run(busy(11));
    let b = run(busy(11));
    assert_eq!(a.trace_digest, b.trace_digest);
    assert_eq!(a.summary, b.summary);
    assert_eq!(a.report, b.report);
    assert!(a.stats.delivered > 1000, "the run did something: {:?}", a.stats);
}

#[test]
fn same_seed_same_run_with_every_extension() {
    let ext = |seed| Config { prevote: true, check_quorum: true, transfer: 5, reads: 20, ..busy(seed) };
    let a = run(ext(13));
    let b = run(ext(13));
    assert_eq!(a.trace_digest, b.trace_digest);
    assert_eq!(a.summary, b.summary);
    assert!(a.stats.reads_ok > 100 && a.stats.transfers > 5, "the features ran: {:?}", a.stats);
}

#[test]
fn other_seed_other_run() {
    let a = run(busy(11));
    let b = run(busy(12));
    assert_ne!(a.trace_digest, b.trace_digest);
}

#[test]
fn replay_command_parses_back() {
    let mut c = busy(99);
    c.fault = 4;
    c.tolerate = vec!["config-vote".into()];
    c.prevote = true;
    c.check_quorum = true;
    c.transfer = 3;
    c.reads = 7;
    let cmd = c.command();
    let args: Vec<String> = cmd.split_whitespace().skip(1).map(String::from).collect();
    let (back, _) = Config::parse(&args).unwrap();
    assert_eq!(back.command(), cmd);
}
