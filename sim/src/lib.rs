//! Deterministic chaos simulator for libraft. See README.md.

// Link the library in: its #[no_mangle] extern "C" functions are what the
// bindgen declarations in `ffi` resolve to. Nothing else of the crate is used.
extern crate raft as _;

pub mod callbacks;
pub mod config;
pub mod events;
pub mod ffi;
pub mod model;
pub mod rng;
pub mod sim;
pub mod suites;
pub mod world;

pub use config::Config;
pub use sim::{run, Outcome};
