use super::config::*;
use super::*;
use crate::types::entry_type;

fn three() -> Tracker<()> {
    let mut t = Tracker::default();
    t.add(1, (), true, true, 1);
    t.add(2, (), true, false, 1);
    t.add(3, (), true, false, 1);
    t
}

#[test]
fn committed_index_is_the_majority_match() {
    let mut t = three();
    t.set_progress(1, 5);
    t.set_progress(2, 3);
    assert_eq!(t.committed_index(9), 5);
    t.slot(1).unwrap().set_active(false); // being removed: no say
    assert_eq!(t.committed_index(9), 3);
}

#[test]
fn committed_index_with_many_voters_uses_the_heap_path() {
    let mut t: Tracker<()> = Tracker::default();
    for id in 1..=21 {
        t.add(id, (), true, id == 1, 1);
    }
    for p in 1..21 {
        t.set_progress(p, p as Index);
    }
    // matches 1..=20 plus self at 100: the 11th largest of 21 values.
    assert_eq!(t.committed_index(100), 11);
}

#[test]
fn votes_count_voters_only_and_self_when_voted() {
    let mut t = three();
    assert_eq!(t.votes_for_me(true), 1);
    assert!(!t.vote_won(true));
    t.record_vote(1);
    assert!(t.vote_won(true));
    assert!(!t.vote_won(false));
    t.slot(1).unwrap().set_voting(false);
    assert!(!t.vote_won(true));
    t.reset_votes();
    assert_eq!(t.votes_for_me(false), 0);
}

#[test]
fn lone_voter_is_only_ourselves() {
    let mut t: Tracker<()> = Tracker::default();
    t.add(1, (), true, true, 1);
    assert!(t.self_is_lone_voter());
    t.add(2, (), false, false, 1);
    assert!(t.self_is_lone_voter());
    t.slot(1).unwrap().set_voting(true);
    assert!(!t.self_is_lone_voter());
}

#[test]
fn a_change_takes_effect_on_append_is_undone_on_pop_and_final_on_commit() {
    let mut t = three();
    let add4 = ConfigChange::of(entry_type::ADD_NONVOTING_NODE, 4).unwrap();
    assert_eq!(t.append_change(7, add4, 8), Effect::Added(4));
    assert_eq!(t.next_idx(t.pos(4).unwrap()), 8);
    assert!(!t.voting_change_in_progress());
    assert_eq!(t.pop_change(7), Effect::Removing(4));

    let rm2 = ConfigChange::of(entry_type::REMOVE_NODE, 2).unwrap();
    assert_eq!(t.append_change(8, rm2, 9), Effect::None);
    assert!(t.voting_change_in_progress());
    assert!(!t.is_voter_at(1));
    assert_eq!(t.commit_change(8), Effect::Removing(2));
    assert!(t.remove(2));
    assert!(t.was_removed(2));
    assert!(!t.voting_change_in_progress());
}

#[test]
fn removing_a_non_voter_is_not_a_voting_change() {
    let mut t = three();
    t.slot(2).unwrap().set_voting(false);
    let rm3 = ConfigChange::of(entry_type::REMOVE_NODE, 3).unwrap();
    assert!(!t.would_change_voters(&rm3));
    let unknown = ConfigChange::of(entry_type::REMOVE_NODE, NO_NODE).unwrap();
    assert!(t.would_change_voters(&unknown));
}

#[test]
fn own_demotion_is_pending_until_committed() {
    let mut t = three();
    let demote1 = ConfigChange::of(entry_type::DEMOTE_NODE, 1).unwrap();
    t.append_change(4, demote1, 5);
    assert!(t.own_demotion_pending(3));
    assert!(!t.own_demotion_pending(4));
}
