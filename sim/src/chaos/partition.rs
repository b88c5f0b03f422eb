//! Network partitions: minority/majority split, the leader isolated, one
//! node isolated, or a three-way split.

use crate::events::K;
use crate::ffi::*;
use crate::world::*;

/// Split the network (the caller has checked it is whole).
pub(super) fn split(w: &mut World) {
    let mut alive: Vec<i32> = w.servers.iter().filter(|sv| sv.status != Status::Gone).map(|sv| sv.id).collect();
    let n = alive.len();
    if n < 2 {
        return;
    }
    // shuffle
    for i in (1..n).rev() {
        let j = w.rng.below(i as u64 + 1) as usize;
        alive.swap(i, j);
    }
    let mut kind = w.rng.below(4) as i64;
    if kind == 3 && n < 3 {
        kind = 0;
    }
    for g in w.group.iter_mut() {
        *g = 0;
    }
    let (mut m1, mut m2) = (0i64, 0i64);
    let bit = |id: i32| 1i64 << (id % 63);
    match kind {
        1 => {
            let l = (0..w.servers.len()).filter(|&s| w.up(s) && unsafe { raft_is_leader(w.servers[s].raft) } != 0).map(|s| w.servers[s].id).max();
            let victim = l.unwrap_or(alive[0]);
            if l.is_none() {
                kind = 2;
            }
            w.group[victim as usize] = 1;
            m1 |= bit(victim);
        }
        2 => {
            w.group[alive[0] as usize] = 1;
            m1 |= bit(alive[0]);
        }
        3 => {
            let a = w.rng.range(1, (n - 2) as u64) as usize;
            let b = w.rng.range(a as u64 + 1, (n - 1) as u64) as usize;
            for (i, &id) in alive.iter().enumerate() {
                if i < a {
                    w.group[id as usize] = 1;
                    m1 |= bit(id);
                } else if i < b {
                    w.group[id as usize] = 2;
                    m2 |= bit(id);
                }
            }
        }
        _ => {
            let k = w.rng.range(1, (n / 2) as u64) as usize;
            for &id in &alive[..k] {
                w.group[id as usize] = 1;
                m1 |= bit(id);
            }
        }
    }
    w.partitioned = true;
    w.stats.partitions += 1;
    w.ev(K::Partition, [m1, m2, kind, 0, 0, 0, 0]);
    w.note_split();
}
