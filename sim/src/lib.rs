//! Deterministic chaos simulator for libraft. See README.md (its module map
//! says what each module holds).

// Link the library in: its #[no_mangle] extern "C" functions are what the
// bindgen declarations in `ffi` resolve to. Nothing else of the crate is used.
extern crate raft as _;

pub mod callbacks;
pub mod chaos;
pub mod config;
pub mod driver;
pub mod events;
pub mod fault;
pub mod ffi;
pub mod invariants;
pub mod model;
pub mod report;
pub mod rng;
pub mod safety;
pub mod suites;
pub mod world;

pub use config::Config;
pub use driver::run;
pub use report::Outcome;
