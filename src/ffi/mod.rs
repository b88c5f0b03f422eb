//! The C interface: willemt/raft's `raft.h`, generated from this module by
//! cbindgen. Every `unsafe` block and every C type of the library is here.
//!
//! # Safety
//! One contract covers every exported function: each `raft_server_t*` is
//! NULL or a live handle from `raft_new`; each `raft_node_t*` is NULL or a
//! live handle (from a server, or from `raft_node_new`); every other pointer
//! is NULL or valid for the access its documentation states (e.g.
//! `n_entries` entries at `entries`). NULLs and nodes that are not members
//! of the server are detected and rejected; dangling pointers cannot be.
#![allow(clippy::missing_safety_doc)]

pub mod alloc;
pub mod api;
pub mod host;
pub mod info;
pub mod node_api;
pub mod types;

pub use host::{CHost, UData};

/// Runs `f`, turning a panic into `default` so that none crosses into C.
pub(crate) fn guard<T>(default: T, f: impl FnOnce() -> T) -> T {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(default)
}

#[cfg(feature = "c-heap")]
#[global_allocator]
static GLOBAL: alloc::RaftAllocator = alloc::RaftAllocator;
