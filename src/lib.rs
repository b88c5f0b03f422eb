//! Raft consensus (Ongaro & Ousterhout, "In Search of an Understandable
//! Consensus Algorithm", and Ongaro's thesis) as a sans-IO core in safe Rust,
//! shipped as a C library with willemt/raft's interface.
//!
//! Rust users drive a [`Server`] with a [`Host`] that performs all I/O; C
//! users use `include/raft.h` (the `ffi` module). See ARCHITECTURE.md.

#![deny(unsafe_code)]

/// Formats a debug message only when the host wants one.
macro_rules! log_msg {
    ($s:expr, $node:expr, $($arg:tt)*) => {
        if $s.log_enabled() {
            let m = format!($($arg)*);
            $s.emit_log($node, &m);
        }
    };
}

pub mod election;
pub mod host;
pub mod log;
pub mod membership;
pub mod node;
pub mod quorum;
pub mod replication;
pub mod rng;
pub mod server;
pub mod snapshot;
pub mod types;

#[allow(unsafe_code)]
pub mod ffi;

pub use host::Host;
pub use node::Node;
pub use server::{fault, Server, SNAPSHOT_NONBLOCKING_APPLY};
pub use types::*;

#[cfg(test)]
mod tests;
