//! Test-only exports, compiled with the `fault-injection` cargo feature and
//! kept out of `include/raft.h` (cbindgen.toml excludes them). The simulator
//! and the C fault tests declare them themselves.

use super::types::raft_server_t;
use super::with_server;
use libc::c_int;

/// Deliberately breaks Raft rules so that a simulator can prove it detects
/// the violation: a bitwise OR of `crate::fault`'s bits; 0 disables all.
#[no_mangle]
pub unsafe extern "C" fn raft_set_fault_injection(me: *mut raft_server_t, faults: c_int) {
    with_server!(me, (), |s| s.set_fault_injection(faults as u32))
}
