//! The C interface: willemt/raft's `raft.h`, generated from this module by
//! cbindgen. Every `unsafe` block and every C type of the library is here.

pub mod alloc;
pub mod api;
pub mod host;
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
