//! Fault injection: deliberately broken variants of the library, turned on
//! with `--fault BITS` to prove that the simulator catches each bug as its
//! own invariant (tests/faults.rs). This is the simulator's only use of the
//! library's fault switch.
//!
//! The switch and its bits are declared here by hand rather than taken from
//! the bindgen declarations of `include/raft.h` (build.rs leaves them out):
//! they belong to the library's test builds, not to its public interface.
//! The values mirror the library's `RAFT_FAULT_*` constants.

use crate::ffi::raft_server_t;
use std::os::raw::c_int;

/// Votes are not persisted (`persist_vote` skipped): breaks Election Safety.
pub const SKIP_PERSIST_VOTE: i32 = 1;
/// A leader commits entries of earlier terms by counting replicas (the Raft
/// paper's Figure 8): breaks Leader Completeness.
pub const COMMIT_PREVIOUS_TERM: i32 = 2;
/// Votes granted without the up-to-date log check: breaks Leader Completeness.
pub const NO_LOG_CHECK_ON_VOTE: i32 = 4;
/// Conflicting entries overwritten in place, the old suffix kept: breaks
/// Log Matching.
pub const NO_TRUNCATE_ON_CONFLICT: i32 = 8;
/// A leader answers reads at once, without confirming its leadership with
/// a heartbeat round: breaks Linearizable Reads.
pub const READ_WITHOUT_ROUND: i32 = 16;
/// With pre-vote on, elections start without one: breaks Pre-Vote Term Stability.
pub const SKIP_PREVOTE: i32 = 32;
/// With check-quorum on, leaders never step down: breaks Check-Quorum Step-Down.
pub const NO_CHECK_QUORUM_STEPDOWN: i32 = 64;
/// TimeoutNow ignored: breaks Transfer Completion.
pub const IGNORE_TIMEOUTNOW: i32 = 128;

extern "C" {
    fn raft_set_fault_injection(me: *mut raft_server_t, faults: c_int);
}

/// Turn on the faults `bits` (an OR of the constants above) on a server
/// just created; 0 leaves the library as it is.
///
/// # Safety
/// `r` must be a live server returned by `raft_new`.
pub unsafe fn inject(r: *mut raft_server_t, bits: i32) {
    if bits != 0 {
        raft_set_fault_injection(r, bits);
    }
}
