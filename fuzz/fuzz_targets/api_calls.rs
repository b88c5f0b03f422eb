//! libFuzzer entry point of the `api_calls` target: the harness is
//! `raft_fuzz::api::run` (also replayed on stable by `tests/replay.rs`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| raft_fuzz::api::run(data));
