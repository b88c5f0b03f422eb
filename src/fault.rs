//! Deliberate rule violations, so that a simulator can prove it catches them.
//! Compiled only with the `fault-injection` cargo feature (the simulator's
//! and tests' builds); without it every check below is a constant `false`
//! and the rules' code carries no trace of them.

use crate::server::Server;
use crate::types::HostTypes;

/// Votes are not handed to `persist_vote`.
pub const SKIP_PERSIST_VOTE: u32 = 1;
/// A leader commits entries of earlier terms by counting replicas (paper §5.4.2, Figure 8).
pub const COMMIT_PREVIOUS_TERM: u32 = 2;
/// Votes are granted without the log up-to-date check (paper §5.4.1).
pub const NO_LOG_CHECK_ON_VOTE: u32 = 4;
/// A follower overwrites a conflicting entry without removing the entries after it.
pub const NO_TRUNCATE_ON_CONFLICT: u32 = 8;
/// A leader answers reads at once from its commit index, without confirming
/// its leadership with a heartbeat round (thesis §6.4): stale reads.
pub const READ_WITHOUT_ROUND: u32 = 16;
/// With pre-vote on, the election timer starts a real election anyway (thesis §9.6).
pub const SKIP_PREVOTE: u32 = 32;
/// With check-quorum on, a leader never steps down.
pub const NO_CHECK_QUORUM_STEPDOWN: u32 = 64;
/// TimeoutNow is ignored by its target (thesis §3.10).
pub const IGNORE_TIMEOUTNOW: u32 = 128;

impl<H: HostTypes> Server<H> {
    /// Whether fault `f` is switched on.
    #[inline(always)]
    pub(crate) fn has_fault(&self, f: u32) -> bool {
        #[cfg(feature = "fault-injection")]
        {
            self.faults & f != 0
        }
        #[cfg(not(feature = "fault-injection"))]
        {
            let _ = f;
            false
        }
    }

    /// Switches the fault bits on (testing only).
    #[cfg(feature = "fault-injection")]
    pub fn set_fault_injection(&mut self, faults: u32) {
        self.faults = faults;
    }
}
