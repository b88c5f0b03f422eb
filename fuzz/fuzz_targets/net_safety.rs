//! libFuzzer entry point of the `net_safety` target: the harness is
//! `raft_fuzz::net::run` (also replayed on stable by `tests/replay.rs`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| raft_fuzz::net::run(data));
