//! Majority arithmetic (paper §5.2, §5.3), as small pure functions.

use crate::types::Index;

/// Whether `nvotes` out of `nvoters` is a majority (willemt's
/// `raft_votes_is_majority`): more votes than voters is never a majority.
pub fn votes_is_majority(nvoters: i32, nvotes: i32) -> bool {
    if nvoters <= 0 || nvotes > nvoters {
        return false;
    }
    nvotes >= nvoters / 2 + 1
}

/// The highest index held by a majority of `match_indexes` (one per voter):
/// the quorum-th largest value (paper Figure 2, "Rules for Servers, Leaders",
/// last bullet). Sorts the slice in place. Returns 0 for no voters.
pub fn majority_index(match_indexes: &mut [Index]) -> Index {
    let n = match_indexes.len();
    if n == 0 {
        return 0;
    }
    match_indexes.sort_unstable_by(|a, b| b.cmp(a));
    match_indexes[n / 2]
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
        assert_eq!(majority_index(&mut []), 0);
        assert_eq!(majority_index(&mut [5]), 5);
        assert_eq!(majority_index(&mut [5, 1]), 1);
        assert_eq!(majority_index(&mut [5, 1, 3]), 3);
        assert_eq!(majority_index(&mut [5, 1, 3, 4]), 3);
        assert_eq!(majority_index(&mut [2, 9, 9, 0, 1]), 2);
    }
}
