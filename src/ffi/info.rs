//! What a C program asks about the library itself: the name of an error code
//! or a state, and the library's version (to compare with the header's
//! `RAFT_VERSION_*` macros, which build.rs writes from Cargo.toml's version).

use super::types::{raft_error_e, raft_state_e};
use libc::{c_char, c_int};
use std::ffi::CStr;

/// Every `raft_error_e` value, so that an `int` can be matched to one.
/// c_tests/t_info.c checks, from the header's enum, that none is missing.
const ERRORS: [raft_error_e; 12] = [
    raft_error_e::RAFT_ERR_NOT_LEADER,
    raft_error_e::RAFT_ERR_ONE_VOTING_CHANGE_ONLY,
    raft_error_e::RAFT_ERR_SHUTDOWN,
    raft_error_e::RAFT_ERR_NOMEM,
    raft_error_e::RAFT_ERR_NEEDS_SNAPSHOT,
    raft_error_e::RAFT_ERR_SNAPSHOT_IN_PROGRESS,
    raft_error_e::RAFT_ERR_SNAPSHOT_ALREADY_LOADED,
    raft_error_e::RAFT_ERR_INVALID,
    raft_error_e::RAFT_ERR_UNCOMMITTED_LIMIT,
    raft_error_e::RAFT_ERR_LEADER_TRANSFER_IN_PROGRESS,
    raft_error_e::RAFT_ERR_TIMEOUT,
    raft_error_e::RAFT_ERR_LAST,
];

/// Every `raft_state_e` value.
const STATES: [raft_state_e; 5] = [
    raft_state_e::RAFT_STATE_NONE,
    raft_state_e::RAFT_STATE_FOLLOWER,
    raft_state_e::RAFT_STATE_CANDIDATE,
    raft_state_e::RAFT_STATE_LEADER,
    raft_state_e::RAFT_STATE_PRECANDIDATE,
];

/// The text of an error code. The match has no wildcard arm, so a new
/// `raft_error_e` value does not compile until it has a text.
fn error_text(e: raft_error_e) -> &'static CStr {
    match e {
        raft_error_e::RAFT_ERR_NOT_LEADER => c"not the leader",
        raft_error_e::RAFT_ERR_ONE_VOTING_CHANGE_ONLY => c"a voting configuration change is already in progress",
        raft_error_e::RAFT_ERR_SHUTDOWN => c"the server must shut down",
        raft_error_e::RAFT_ERR_NOMEM => c"out of memory",
        raft_error_e::RAFT_ERR_NEEDS_SNAPSHOT => c"the peer needs a snapshot",
        raft_error_e::RAFT_ERR_SNAPSHOT_IN_PROGRESS => c"a snapshot is in progress",
        raft_error_e::RAFT_ERR_SNAPSHOT_ALREADY_LOADED => c"the snapshot is already loaded",
        raft_error_e::RAFT_ERR_INVALID => c"invalid argument",
        raft_error_e::RAFT_ERR_UNCOMMITTED_LIMIT => c"too many uncommitted bytes: retry later",
        raft_error_e::RAFT_ERR_LEADER_TRANSFER_IN_PROGRESS => c"a leadership transfer is in progress",
        raft_error_e::RAFT_ERR_TIMEOUT => c"timed out",
        raft_error_e::RAFT_ERR_LAST => c"last error code (reserved)",
    }
}

/// The text of a state (lower case, one word: fit for log lines).
fn state_text(s: raft_state_e) -> &'static CStr {
    match s {
        raft_state_e::RAFT_STATE_NONE => c"none",
        raft_state_e::RAFT_STATE_FOLLOWER => c"follower",
        raft_state_e::RAFT_STATE_CANDIDATE => c"candidate",
        raft_state_e::RAFT_STATE_LEADER => c"leader",
        raft_state_e::RAFT_STATE_PRECANDIDATE => c"precandidate",
    }
}

/// The text of any `int` a function returns: 0, -1 (willemt's generic
/// failure), a `raft_error_e` value, or "unknown error".
fn error_str(err: c_int) -> &'static CStr {
    match err {
        0 => c"success",
        -1 => c"failed (nothing to do, or refused)",
        _ => ERRORS.iter().find(|&&e| e as c_int == err).map_or(c"unknown error", |&e| error_text(e)),
    }
}

fn state_str(state: c_int) -> &'static CStr {
    STATES.iter().find(|&&s| s as c_int == state).map_or(c"unknown", |&s| state_text(s))
}

/// Parses a decimal version component at compile time (Cargo's
/// `CARGO_PKG_VERSION_*` are strings).
const fn parse_version_part(s: &str) -> c_int {
    let bytes = s.as_bytes();
    let mut value: c_int = 0;
    let mut i = 0;
    while i < bytes.len() {
        assert!(bytes[i].is_ascii_digit(), "version component is not a number");
        value = value * 10 + (bytes[i] - b'0') as c_int;
        i += 1;
    }
    value
}

const VERSION_MAJOR: c_int = parse_version_part(env!("CARGO_PKG_VERSION_MAJOR"));
const VERSION_MINOR: c_int = parse_version_part(env!("CARGO_PKG_VERSION_MINOR"));
const VERSION_PATCH: c_int = parse_version_part(env!("CARGO_PKG_VERSION_PATCH"));
const _: () = assert!(VERSION_MINOR < 100 && VERSION_PATCH < 100, "raft_version() packs MINOR and PATCH in two digits");
const VERSION_NUMBER: c_int = VERSION_MAJOR * 10000 + VERSION_MINOR * 100 + VERSION_PATCH;
const VERSION_STRING: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
    Ok(s) => s,
    Err(_) => panic!("version string contains a NUL byte"),
};

/// Returns a short English description of the return code `err`: 0,
/// -1 (a function's generic failure), every `raft_error_e` value; any other
/// value (e.g. a callback's own error code) gives "unknown error".
///
/// @param err a value returned by a libraft function or callback
/// @return a static NUL-terminated string, never NULL; do not free it.
#[no_mangle]
pub extern "C" fn raft_get_error_str(err: c_int) -> *const c_char {
    error_str(err).as_ptr()
}

/// Returns the name of a server state, as returned by `raft_get_state`:
/// "none", "follower", "candidate", "leader" or "precandidate"; any other value gives
/// "unknown".
///
/// @param state a `raft_state_e` value
/// @return a static NUL-terminated string, never NULL; do not free it.
#[no_mangle]
pub extern "C" fn raft_get_state_str(state: c_int) -> *const c_char {
    state_str(state).as_ptr()
}

/// Returns the version of the library the program runs against, as
/// MAJOR * 10000 + MINOR * 100 + PATCH (e.g. 10203 for 1.2.3), equal to
/// the `RAFT_VERSION_NUMBER` of the header the library was built with. A
/// program compares it with the `RAFT_VERSION_NUMBER` it was compiled with to
/// detect a header/library mismatch; the major versions always agree when
/// the dynamic loader found the library by its soname, libraft.so.MAJOR.
#[no_mangle]
pub extern "C" fn raft_version() -> c_int {
    VERSION_NUMBER
}

/// Returns the version of the library as "MAJOR.MINOR.PATCH", equal to the
/// header's `RAFT_VERSION_STRING` when header and library agree.
///
/// @return a static NUL-terminated string, never NULL; do not free it.
#[no_mangle]
pub extern "C" fn raft_version_string() -> *const c_char {
    VERSION_STRING.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_is_listed() {
        // error_text's exhaustive match names every variant; ERRORS must
        // hold them all, once each.
        for (i, a) in ERRORS.iter().enumerate() {
            assert!(!ERRORS[i + 1..].contains(a), "{a:?} listed twice");
            assert_eq!(error_str(*a as c_int), error_text(*a));
            assert_ne!(error_str(*a as c_int), c"unknown error");
        }
        let distinct: std::collections::HashSet<_> = ERRORS.iter().map(|&e| error_text(e)).collect();
        assert_eq!(distinct.len(), ERRORS.len(), "two codes share a text");
    }

    #[test]
    fn every_state_is_listed() {
        for s in STATES {
            assert_eq!(state_str(s as c_int), state_text(s));
        }
        assert_eq!(state_str(5), c"unknown");
        assert_eq!(state_str(-1), c"unknown");
    }

    #[test]
    fn codes_outside_the_enum_are_unknown() {
        for err in [1, -50, -99, -101, c_int::MIN, c_int::MAX] {
            assert_eq!(error_str(err), c"unknown error", "{err}");
        }
    }

    #[test]
    fn version_matches_cargo() {
        assert_eq!(VERSION_STRING.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
        let parts: Vec<c_int> = env!("CARGO_PKG_VERSION").split('.').map(|p| p.parse().unwrap()).collect();
        assert_eq!(raft_version(), parts[0] * 10000 + parts[1] * 100 + parts[2]);
    }
}
