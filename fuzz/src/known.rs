//! Open library bugs the fuzz targets step around, so that fuzzing goes on
//! past them. Each has a regression input under `fuzz/regressions/` listed
//! in `regressions/expected_failures.txt`, replayed with the avoidance off
//! (it must still fail until the bug is fixed). When a bug is fixed: delete
//! its check here, its line in expected_failures.txt, and keep the input.

use std::sync::atomic::{AtomicBool, Ordering};

static AVOID: AtomicBool = AtomicBool::new(true);

/// Whether the harnesses avoid the inputs that trigger the bugs below.
pub fn avoid() -> bool {
    AVOID.load(Ordering::Relaxed)
}

/// Regression replay turns the avoidance off.
pub fn set_avoid(on: bool) {
    AVOID.store(on, Ordering::Relaxed);
}

/// FUZZ-1: `raft_set_election_timeout(me, t)` with t > INT_MAX/2 overflows
/// `int` when the randomized timeout is drawn from [t, 2t) (src/server.rs,
/// `randomize_election_timeout`): a panic in checked builds, a wrapped
/// negative timeout (an election on every `raft_periodic`) in release builds.
pub fn election_timeout(t: i32) -> i32 {
    if avoid() && t > i32::MAX / 2 {
        t / 4
    } else {
        t
    }
}

/// FUZZ-2: `raft_set_snapshot_metadata(me, term, idx)` stores a negative
/// `idx` (BEHAVIOUR.md: void functions ignore bad input, and negative
/// indexes are bad input); `raft_get_snapshot_last_idx` then returns it.
pub fn snapshot_metadata_idx(idx: i64) -> i64 {
    if avoid() && idx < 0 {
        0
    } else {
        idx
    }
}

/// FUZZ-3: a server whose term is INT64_MAX (taken from any message that
/// carries it, e.g. one forged appendentries response) overflows the term
/// when it next becomes a candidate (src/election.rs, `become_candidate`):
/// a panic in checked builds; in release builds the term wraps and the
/// server can never win an election again (issue 14, first finding).
pub fn term(t: i64) -> i64 {
    if avoid() && t > i64::MAX - (1 << 32) {
        t >> 1
    } else {
        t
    }
}

/// FUZZ-4: `raft_recv_appendentries` with `prev_log_idx` = INT64_MAX
/// overflows `prev_log_idx + 1` (src/replication.rs, `recv_appendentries`):
/// a panic in checked builds, a negative `first_idx` in the response in
/// release builds.
pub fn prev_log_idx(i: i64) -> i64 {
    if avoid() && i > i64::MAX - (1 << 32) {
        i >> 1
    } else {
        i
    }
}

/// FUZZ-5: a snapshot index near INT64_MAX (`raft_begin_load_snapshot` or
/// `raft_set_snapshot_metadata`) is accepted, so `current_idx` becomes
/// INT64_MAX; `become_leader` then overflows `current_idx() + 1`
/// (src/election.rs) when setting every peer's next_idx.
pub fn snapshot_idx(i: i64) -> i64 {
    if avoid() && i > i64::MAX - (1 << 32) {
        i >> 1
    } else {
        i
    }
}
