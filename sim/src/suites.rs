//! Fixed regression matrix (make test-sim) and the soak run's per-seed
//! configuration (derived from the seed alone, so the printed command
//! replays it).

use crate::config::Config;
use crate::rng::Rng;

/// Library bugs still open in LIB_BUGS.md that the matrix works around
/// (--tolerate); remove a name once the library fixes it.
pub const OPEN_BUGS: &[&str] = &[];

fn base(servers: u32, seed: u64, steps: u64) -> Config {
    Config { servers, seed, steps, quiet: true, tolerate: OPEN_BUGS.iter().map(|s| s.to_string()).collect(), ..Config::default() }
}

fn lossy(mut c: Config) -> Config {
    c.drop = 5;
    c.dupe = 2;
    c.reorder = 5;
    c.partition = 10;
    c.compaction = 50;
    c
}

fn crashes(mut c: Config) -> Config {
    c.crash = 2;
    c
}

fn members(mut c: Config) -> Config {
    c.member = 3;
    c
}

/// Pipelined replication (a window of 8) with parallel leader log writes:
/// a crash loses the leader's unflushed entries.
fn pipelined(mut c: Config) -> Config {
    c.inflight = 8;
    c.parallel_write = true;
    c
}

/// willemt's rejection rule, one entry per round trip (the reject hint,
/// on by default, off).
fn no_hint(mut c: Config) -> Config {
    c.reject_hint = false;
    c
}

/// The library extensions of issue 12 a matrix run turns on.
fn features(mut c: Config, prevote: bool, check_quorum: bool, transfer: u32, reads: u32) -> Config {
    c.prevote = prevote;
    c.check_quorum = check_quorum;
    c.transfer = transfer;
    c.reads = reads;
    c
}

/// 3, 5 and 7 servers; with and without crashes and membership changes,
/// pipelined or not, each library extension of issue 12 on in some runs and
/// off in others, the reject hint off in two runs of each size, plus one aggressive run each (about 5.8 million steps in
/// all: the runs got shorter as runs were added, to keep the matrix's time).
pub fn matrix() -> Vec<Config> {
    let mut v = Vec::new();
    for &(n, steps) in &[(3u32, 440_000u64), (5, 360_000), (7, 290_000)] {
        let s0 = n as u64 * 100;
        v.push(no_hint(lossy(base(n, s0 + 1, steps))));
        v.push(features(pipelined(crashes(lossy(base(n, s0 + 2, steps)))), true, false, 0, 0));
        v.push(no_hint(features(members(lossy(base(n, s0 + 3, steps))), false, true, 0, 20)));
        v.push(features(pipelined(members(crashes(lossy(base(n, s0 + 4, steps))))), true, false, 3, 0));
        v.push(features(members(crashes(lossy(base(n, s0 + 6, steps)))), true, true, 3, 20));
        // fast elections, heavy loss and reordering, frequent short crashes
        let mut a = members(base(n, s0 + 5, steps / 3));
        a.drop = 15;
        a.dupe = 5;
        a.reorder = 25;
        a.partition = 40;
        a.crash = 20;
        a.max_down = 20;
        a.compaction = 30;
        a.client = 50;
        a.election_timeout = 60;
        a.request_timeout = 20;
        a.max_latency = 20;
        a.reorder_delay = 60;
        // the 5-server one with every extension, the others without
        v.push(if n == 5 { features(a, true, true, 5, 20) } else { a });
    }
    v
}

/// A random-but-reproducible configuration for a soak seed.
pub fn soak_config(seed: u64, steps: u64) -> Config {
    let mut r = Rng::new(seed ^ 0x50a4_50a4);
    let servers = [1u32, 2, 3, 3, 4, 5, 5, 6, 7, 9][r.below(10) as usize];
    Config {
        servers,
        seed,
        steps,
        drop: r.below(15) as u32,
        dupe: r.below(10) as u32,
        reorder: r.below(20) as u32,
        partition: r.below(30) as u32,
        member: r.below(10) as u32,
        compaction: r.below(100) as u32,
        crash: r.below(6) as u32,
        client: 5 + r.below(40) as u32,
        // pipelining, and each library extension, on in half the seeds
        inflight: if r.chance(1, 2) { 8 } else { 1 },
        parallel_write: r.chance(1, 2),
        prevote: r.chance(1, 2),
        check_quorum: r.chance(1, 2),
        transfer: if r.chance(1, 2) { 1 + r.below(10) as u32 } else { 0 },
        reads: if r.chance(1, 2) { 1 + r.below(40) as u32 } else { 0 },
        // (drawn last, so that the draws above replay older soak seeds)
        reject_hint: !r.chance(1, 4),
        quiet: true,
        ..Config::default()
    }
}
