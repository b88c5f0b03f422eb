//! Value generators over `arbitrary::Unstructured`: mostly the values where
//! code breaks (0, -1, the extremes, neighbours of the server's own state),
//! sometimes any value at all.

use arbitrary::Unstructured;

/// A byte; 0 once the input is used up.
pub fn byte(u: &mut Unstructured) -> u8 {
    u.arbitrary::<u8>().unwrap_or(0)
}

/// A number in `0..n` (n > 0).
pub fn below(u: &mut Unstructured, n: usize) -> usize {
    byte(u) as usize % n.max(1)
}

pub fn flag(u: &mut Unstructured) -> bool {
    byte(u) & 1 == 1
}

/// An i64 near `around` (the server's own term or index), or at an edge.
pub fn i64_near(u: &mut Unstructured, around: i64) -> i64 {
    match byte(u) % 12 {
        0 => 0,
        1 => -1,
        2 => i64::MAX,
        3 => i64::MIN,
        4 => i64::MAX - 1,
        5 => around,
        6 => around.wrapping_add(1),
        7 => around.wrapping_sub(1),
        8 => around.wrapping_add(2 + (byte(u) % 8) as i64),
        9 => (byte(u) % 16) as i64,
        10 => i32::MAX as i64 + (byte(u) as i64),
        _ => u.arbitrary::<i64>().unwrap_or(0),
    }
}

/// An i32 for counts, timeouts, ids and flags.
pub fn i32_any(u: &mut Unstructured) -> i32 {
    match byte(u) % 8 {
        0 => 0,
        1 => -1,
        2 => i32::MAX,
        3 => i32::MIN,
        4 | 5 => (byte(u) % 32) as i32,
        6 => (u.arbitrary::<u16>().unwrap_or(0) % 3000) as i32,
        _ => u.arbitrary::<i32>().unwrap_or(0),
    }
}

/// A node id: mostly a cluster member's (1..=n) or a near one.
pub fn node_id(u: &mut Unstructured, n: usize) -> i32 {
    match byte(u) % 8 {
        0..=4 => 1 + below(u, n + 2) as i32,
        5 => 0,
        6 => -1,
        _ => i32_any(u),
    }
}
