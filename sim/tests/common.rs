#![allow(dead_code)]
use raft_sim::{Config, Outcome};

/// Aggressive chaos without membership changes: fast elections, lossy and
/// reordering network, frequent short crashes.
pub fn aggressive(servers: u32, seed: u64, steps: u64) -> Config {
    Config {
        servers,
        seed,
        steps,
        drop: 20,
        dupe: 5,
        reorder: 30,
        partition: 50,
        crash: 40,
        max_down: 10,
        election_timeout: 60,
        request_timeout: 20,
        max_latency: 20,
        reorder_delay: 60,
        client: 60,
        compaction: 20,
        quiet: true,
        ..Config::default()
    }
}

pub fn run(c: Config) -> Outcome {
    raft_sim::run(c)
}

pub fn describe(o: &Outcome) -> String {
    match &o.violation {
        Some(v) => format!("{}: {} (step {})", v.invariant, v.detail, v.step),
        None => "no violation".into(),
    }
}
