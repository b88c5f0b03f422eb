//! The C API, as bindgen generated it from `include/raft.h` (see build.rs).
//! Nothing here is hand-written except the `c` module, which only casts the
//! header's constants to `i32` (cbindgen may emit them as enum constants or
//! as macros, whose Rust types differ). The fault-injection switch is not
//! taken from the header: see `fault`.
#![allow(non_upper_case_globals, non_camel_case_types, non_snake_case, dead_code, clippy::all)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));

/// The header's constants as plain `i32`.
pub mod c {
    use super::*;
    pub const ERR_NOT_LEADER: i32 = RAFT_ERR_NOT_LEADER as i32;
    pub const ERR_ONE_VOTING_CHANGE_ONLY: i32 = RAFT_ERR_ONE_VOTING_CHANGE_ONLY as i32;
    pub const ERR_SHUTDOWN: i32 = RAFT_ERR_SHUTDOWN as i32;
    pub const ERR_SNAPSHOT_IN_PROGRESS: i32 = RAFT_ERR_SNAPSHOT_IN_PROGRESS as i32;
    pub const ERR_SNAPSHOT_ALREADY_LOADED: i32 = RAFT_ERR_SNAPSHOT_ALREADY_LOADED as i32;
    pub const LOG_NORMAL: i32 = RAFT_LOGTYPE_NORMAL as i32;
    pub const LOG_ADD_NONVOTING: i32 = RAFT_LOGTYPE_ADD_NONVOTING_NODE as i32;
    pub const LOG_ADD_NODE: i32 = RAFT_LOGTYPE_ADD_NODE as i32;
    pub const LOG_DEMOTE: i32 = RAFT_LOGTYPE_DEMOTE_NODE as i32;
    pub const LOG_REMOVE: i32 = RAFT_LOGTYPE_REMOVE_NODE as i32;
    pub const LOG_NO_OP: i32 = RAFT_LOGTYPE_NO_OP as i32;
    pub const ERR_TIMEOUT: i32 = RAFT_ERR_TIMEOUT as i32;
    pub const ERR_LEADER_TRANSFER_IN_PROGRESS: i32 = RAFT_ERR_LEADER_TRANSFER_IN_PROGRESS as i32;
    pub const TRANSFER_EXPECTED_LEADER: i32 = RAFT_LEADER_TRANSFER_EXPECTED_LEADER as i32;
    pub const TRANSFER_TIMEOUT: i32 = RAFT_LEADER_TRANSFER_TIMEOUT as i32;
    pub const STATE_FOLLOWER: i32 = RAFT_STATE_FOLLOWER as i32;
    pub const STATE_CANDIDATE: i32 = RAFT_STATE_CANDIDATE as i32;
    pub const STATE_LEADER: i32 = RAFT_STATE_LEADER as i32;
    pub const STATE_PRECANDIDATE: i32 = RAFT_STATE_PRECANDIDATE as i32;
    pub const SNAPSHOT_NONBLOCKING_APPLY: i32 = RAFT_SNAPSHOT_NONBLOCKING_APPLY as i32;
}
