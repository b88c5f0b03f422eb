//! Majority arithmetic (paper §5.2, §5.3), as small pure functions.

use crate::types::Index;

/// Whether `nvotes` out of `nvoters` is a majority (willemt's
/// `raft_votes_is_majority`): more votes than voters is never a majority.
pub fn votes_is_majority(nvoters: i32, nvotes: i32) -> bool {
    if nvoters <= 0 || nvotes > nvoters {
        return false;
    }
    nvotes > nvoters / 2
}

/// The highest index held by a majority of the voters' match indexes: the
/// quorum-th largest value (paper Figure 2, "Rules for Servers, Leaders",
/// last bullet); 0 for no voters. Reorders `match_indexes`. Linear time:
/// three values need two comparisons, larger sets a selection (not a sort).
#[inline(always)]
pub fn majority_index(match_indexes: &mut [Index]) -> Index {
    match *match_indexes {
        [] => 0,
        [a] => a,
        [a, b] => a.min(b),
        // The median of three.
        [a, b, c] => a.max(b).min(a.min(b).max(c)),
        _ => {
            // The quorum-th largest is the (n - quorum)-th smallest.
            let n = match_indexes.len();
            let quorum = n / 2 + 1;
            *match_indexes.select_nth_unstable(n - quorum).1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_of_votes() {
        assert!(!votes_is_majority(0, 0));
        assert!(votes_is_majority(1, 1));
        assert!(!votes_is_majority(2, 1));
        assert!(votes_is_majority(2, 2));
        assert!(votes_is_majority(3, 2));
        assert!(!votes_is_majority(4, 2));
        assert!(votes_is_majority(5, 3));
        assert!(!votes_is_majority(3, 4));
    }

    #[test]
    fn quorum_index_is_the_median_from_above() {
        let m = |v: &[Index]| majority_index(&mut v.to_vec());
        assert_eq!(m(&[]), 0);
        assert_eq!(m(&[5]), 5);
        assert_eq!(m(&[5, 1]), 1);
        assert_eq!(m(&[5, 1, 3]), 3);
        assert_eq!(m(&[5, 1, 3, 4]), 3);
        assert_eq!(m(&[2, 9, 9, 0, 1]), 2);
        assert_eq!(m(&[7, 7, 7]), 7);
    }

    #[test]
    fn quorum_index_matches_sorting_definition() {
        let mut seed = 12345u64;
        for _ in 0..2000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let n = (seed >> 60) as usize % 9;
            let v: Vec<Index> = (0..n).map(|i| ((seed >> (i * 5)) & 15) as Index).collect();
            let mut sorted = v.clone();
            sorted.sort_unstable_by(|a, b| b.cmp(a));
            let expected = if n == 0 { 0 } else { sorted[n / 2] };
            assert_eq!(majority_index(&mut v.clone()), expected, "{v:?}");
        }
    }
}
