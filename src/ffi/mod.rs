//! The C interface: willemt/raft's `raft.h`, generated from this module by
//! cbindgen. Every `unsafe` block and every C type of the library is here.

pub mod alloc;
pub mod api;
pub mod host;
pub mod node_api;
pub mod types;

pub use host::{CHost, UData};

#[cfg(feature = "c-heap")]
#[global_allocator]
static GLOBAL: alloc::RaftAllocator = alloc::RaftAllocator;
