//! The C API as bindgen generated it from `include/raft.h` (build.rs), and
//! the header's constants as plain `i32`.
#![allow(
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    dead_code,
    clippy::all
)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));

pub mod c {
    use super::*;
    pub const ERR_NOT_LEADER: i32 = RAFT_ERR_NOT_LEADER as i32;
    pub const ERR_ONE_VOTING_CHANGE_ONLY: i32 = RAFT_ERR_ONE_VOTING_CHANGE_ONLY as i32;
    pub const ERR_SHUTDOWN: i32 = RAFT_ERR_SHUTDOWN as i32;
    pub const ERR_NEEDS_SNAPSHOT: i32 = RAFT_ERR_NEEDS_SNAPSHOT as i32;
    pub const ERR_SNAPSHOT_IN_PROGRESS: i32 = RAFT_ERR_SNAPSHOT_IN_PROGRESS as i32;
    pub const ERR_SNAPSHOT_ALREADY_LOADED: i32 = RAFT_ERR_SNAPSHOT_ALREADY_LOADED as i32;
    pub const ERR_INVALID: i32 = RAFT_ERR_INVALID as i32;
    pub const LOG_NORMAL: i32 = RAFT_LOGTYPE_NORMAL as i32;
    pub const LOG_ADD_NONVOTING: i32 = RAFT_LOGTYPE_ADD_NONVOTING_NODE as i32;
    pub const LOG_ADD_NODE: i32 = RAFT_LOGTYPE_ADD_NODE as i32;
    pub const LOG_DEMOTE: i32 = RAFT_LOGTYPE_DEMOTE_NODE as i32;
    pub const LOG_REMOVE: i32 = RAFT_LOGTYPE_REMOVE_NODE as i32;
    pub const SNAPSHOT_NONBLOCKING_APPLY: i32 = RAFT_SNAPSHOT_NONBLOCKING_APPLY as i32;
}
