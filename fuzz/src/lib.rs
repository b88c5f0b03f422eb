//! Fuzz harnesses for libraft's C API (see fuzz/README.md).
//!
//! Each harness is a plain function from bytes to a verdict, so that the
//! libFuzzer targets (`fuzz_targets/`, built by `cargo fuzz`) and the stable
//! corpus replay (`tests/replay.rs`, run by `make test`) execute exactly the
//! same code. A harness panics when a property fails; failures inside C
//! callbacks are recorded and raised once the library call has returned
//! (a panic must not unwind through the library's frames).

// Link the library in: its #[no_mangle] extern "C" functions are what the
// bindgen declarations in `ffi` resolve to.
extern crate raft as _;

pub mod api;
pub mod ffi;
pub mod gen;
pub mod known;
pub mod net;
pub mod replay;

/// Every fuzz target of this crate: its name (as `cargo fuzz list` prints
/// it, and its corpus directory under `fuzz/corpus/`) and its harness.
/// A harness: runs one input, panics when a property fails.
pub type HarnessFn = fn(&[u8]);

pub const TARGETS: &[(&str, HarnessFn)] = &[("api_calls", api::run), ("net_safety", net::run)];
