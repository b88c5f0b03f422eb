//! Target `net_safety` (placeholder until written).
pub fn run(_data: &[u8]) {}
