//! Raft consensus (Ongaro & Ousterhout, "In Search of an Understandable
//! Consensus Algorithm", and Ongaro's thesis) as a sans-IO core in safe Rust,
//! shipped as a C library with willemt/raft's interface.
//!
//! Rust users drive a [`Server`] with a [`Host`] that performs all I/O; C
//! users use `include/raft.h` (the `ffi` module). See ARCHITECTURE.md for
//! where each rule lives.

#![deny(unsafe_code)]

/// Formats a message of `$level` only when the host wants one.
macro_rules! log_msg {
    ($s:expr, $level:ident, $node:expr, $($arg:tt)*) => {
        if $s.log_enabled($crate::types::LogLevel::$level) {
            let m = format!($($arg)*);
            $s.emit_log($crate::types::LogLevel::$level, $node, &m);
        }
    };
}

// State and the questions asked of it.
pub mod log;
pub mod quorum;
pub mod rng;
pub mod server;
pub mod stats;
pub mod tracker;
pub mod types;

// The callbacks, and the rules, each over the state above.
pub mod host;
mod append;
mod apply;
mod check_quorum;
mod election;
pub mod fault;
mod follower;
mod membership;
mod pipeline;
mod prevote;
mod read_only;
mod reject_hint;
mod replication;
mod role;
mod snapshot;
mod transfer;

#[allow(unsafe_code)]
pub mod ffi;

pub use host::Host;
pub use server::{Server, SNAPSHOT_NONBLOCKING_APPLY};
pub use stats::Stats;
pub use tracker::config::{ChangeKind, ConfigChange};
pub use tracker::node::{NodeSlot, NodeState};
pub use types::*;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_ext;
#[cfg(test)]
mod tests_hint;
