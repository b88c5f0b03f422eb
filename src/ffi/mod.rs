//! The C interface: willemt/raft's `raft.h`, generated from this module by
//! cbindgen. Every `unsafe` block and every C type of the library is here.
//! Each exported function checks its pointers, converts to core types, calls
//! one core function and converts back; no Raft rule is decided here.
//!
//! # Safety
//! One contract covers every exported function: each `raft_server_t*` is
//! NULL or a live handle from `raft_new`; each `raft_node_t*` is NULL or a
//! live handle (from a server, or from `raft_node_new`); every other pointer
//! is NULL or valid for the access its documentation states (e.g.
//! `n_entries` entries at `entries`). NULLs, handles of the wrong kind and
//! nodes that are not members of the server are detected and rejected;
//! dangling pointers cannot be.
#![allow(clippy::missing_safety_doc)]

pub mod alloc;
pub mod api;
pub mod control;
pub mod ext_api;
pub mod ext_types;
pub mod getters;
pub mod handle;
pub mod host;
pub mod info;
mod msgs;
pub mod node_api;
pub mod replication_api;
pub mod snapshot_api;
#[cfg(feature = "fault-injection")]
pub mod testing;
pub mod types;

pub use handle::NodeData;
pub use host::CHost;

use crate::types::{err, RaftResult};
use libc::c_int;

pub(crate) const INVALID: c_int = err::INVALID;

/// Runs `f`, turning a panic into `default` so that none crosses into C.
pub(crate) fn guard<T>(default: T, f: impl FnOnce() -> T) -> T {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(default)
}

/// A core result as a C return code.
pub(crate) fn rc(r: RaftResult) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e,
    }
}

/// Runs `$body` with `$s`, the server behind the handle `$me`; `$default`
/// for NULL or a handle of another kind. Panics become `$default`.
macro_rules! with_server {
    ($me:expr, $default:expr, |$s:ident| $body:expr) => {
        $crate::ffi::guard($default, || match unsafe { $crate::ffi::handle::server($me) } {
            Some($s) => $body,
            None => $default,
        })
    };
}
pub(crate) use with_server;

/// [`with_server!`] for functions that only read the server (`const`
/// handle): `$s` is a shared reference.
macro_rules! with_server_ref {
    ($me:expr, $default:expr, |$s:ident| $body:expr) => {
        $crate::ffi::guard($default, || match unsafe { $crate::ffi::handle::server_ref($me) } {
            Some($s) => $body,
            None => $default,
        })
    };
}
pub(crate) use with_server_ref;

#[cfg(feature = "c-heap")]
#[global_allocator]
static GLOBAL: alloc::RaftAllocator = alloc::RaftAllocator;
