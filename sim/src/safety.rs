//! The safety checker the C tests share (`../c_fixture/safety.c`, compiled
//! by build.rs with the `cc` crate; the declarations are bindgen's, from
//! `safety.h`). It decides the rules it and the simulator both check:
//! Election Safety, Log Matching, Leader Completeness, State Machine Safety,
//! and the bookkeeping they rest on (a committed entry is never removed, the
//! commit index never goes back nor past the log, entries are applied in
//! order). The simulator reports what its servers did, as a C harness does
//! (`c_fixture/README.md`), and turns a broken rule into a violation of the
//! invariant of the same name (`RULES`).

use crate::invariants::names::*;
use std::ffi::CStr;
use std::os::raw::c_int;

mod sys {
    #![allow(non_camel_case_types, dead_code)]
    include!(concat!(env!("OUT_DIR"), "/safety_bindings.rs"));
}

/// The checker's rules (the start of its violation texts, safety.h) and the
/// simulator's name for each.
const RULES: &[(&str, &str)] = &[
    ("election safety", ELECTION_SAFETY),
    ("log matching", LOG_MATCHING),
    ("leader completeness", LEADER_COMPLETENESS),
    ("state machine safety", STATE_MACHINE_SAFETY),
    ("commit durability", NO_COMMITTED_ENTRY_POPPED),
    ("commit index", COMMIT_INDEX_VALIDITY),
    ("apply order", APPLIED_INDEX_VALIDITY),
];

/// A rule the checker found broken: the invariant's name and the checker's
/// text (without its rule prefix).
#[derive(Debug)]
pub struct Broken {
    pub invariant: &'static str,
    pub detail: String,
}

pub type Verdict = Result<(), Broken>;

/// One checker for a run's cluster (server ids are the node ids).
pub struct Checker {
    sc: *mut sys::safety_t,
    /// By server: the commit index the checker holds for it (-1: not known
    /// here). The simulator reports the commit index after every library
    /// call; the same index again is a no-op for the checker, so the call
    /// is skipped.
    commit_held: Vec<i64>,
}

impl Default for Checker {
    fn default() -> Checker {
        let sc = unsafe { sys::safety_new() };
        assert!(!sc.is_null(), "safety_new: out of memory");
        Checker { sc, commit_held: Vec::new() }
    }
}

impl Drop for Checker {
    fn drop(&mut self) {
        unsafe { sys::safety_free(self.sc) }
    }
}

/// A payload as the checker takes it: pointer (null when empty) and length.
fn bytes(data: &[u8]) -> (*const std::os::raw::c_void, usize) {
    (if data.is_empty() { std::ptr::null() } else { data.as_ptr().cast() }, data.len())
}

impl Checker {
    /// The verdict of a report.
    #[inline(always)]
    fn verdict(&self, rc: c_int, what: &str) -> Verdict {
        if rc == sys::SAFETY_OK as c_int {
            Ok(())
        } else {
            self.broken(rc, what)
        }
    }

    /// A rule broken. A report the checker cannot use is the simulator's
    /// mistake (it checks what it reports first): it panics.
    #[cold]
    #[inline(never)]
    fn broken(&self, rc: c_int, what: &str) -> Verdict {
        assert_eq!(rc, sys::SAFETY_VIOLATION, "safety.c refused the report {what}");
        let text = unsafe { CStr::from_ptr(sys::safety_last_violation(self.sc)) }.to_string_lossy();
        let (rule, detail) = text.split_once(": ").unwrap_or((&text, ""));
        let invariant = RULES
            .iter()
            .find(|&&(r, _)| r == rule)
            .map(|&(_, name)| name)
            .unwrap_or_else(|| panic!("safety.c reported a rule the simulator does not name: {text}"));
        Err(Broken { invariant, detail: detail.to_string() })
    }

    /// Remember that the checker holds `commit` for `server` after a report
    /// that returned `rc` (unknown after a violation).
    fn hold_commit(&mut self, server: i32, rc: c_int, commit: i64) {
        let k = server as usize;
        if k >= self.commit_held.len() {
            self.commit_held.resize(k + 1, -1);
        }
        self.commit_held[k] = if rc == sys::SAFETY_OK as c_int { commit } else { -1 };
    }

    /// `server` is seen as leader of `term`: Election Safety, and Leader
    /// Completeness on the term's first report.
    pub fn leader(&mut self, server: i32, term: i64) -> Verdict {
        let rc = unsafe { sys::safety_leader(self.sc, server, term) };
        self.verdict(rc, "leader")
    }

    /// `server` stored an entry at `idx` (log_offer): Log Matching; a
    /// committed entry is never replaced.
    pub fn append(&mut self, server: i32, idx: i64, term: i64, id: i32, data: &[u8]) -> Verdict {
        let (p, n) = bytes(data);
        let rc = unsafe { sys::safety_append(self.sc, server, idx, term, id as i64, p, n) };
        self.verdict(rc, "append")
    }

    /// `server` removed its entries from `idx` on (log_pop, or a crash that
    /// lost unflushed entries): none may be committed.
    pub fn truncate(&mut self, server: i32, idx: i64) -> Verdict {
        let rc = unsafe { sys::safety_truncate(self.sc, server, idx) };
        self.verdict(rc, "truncate")
    }

    /// `server` compacted its log up to `idx` (log_poll).
    pub fn compact(&mut self, server: i32, idx: i64) -> Verdict {
        let rc = unsafe { sys::safety_compact(self.sc, server, idx) };
        self.verdict(rc, "compact")
    }

    /// `server` loaded a snapshot ending at (idx, term): it must be the
    /// committed log's prefix.
    pub fn load_snapshot(&mut self, server: i32, idx: i64, term: i64) -> Verdict {
        let rc = unsafe { sys::safety_load_snapshot(self.sc, server, idx, term) };
        self.hold_commit(server, rc, idx);
        self.verdict(rc, "load_snapshot")
    }

    /// `server` lost its volatile state: commit and applied indexes start
    /// again at `applied_idx` (its snapshot's index).
    pub fn restart(&mut self, server: i32, applied_idx: i64) -> Verdict {
        let rc = unsafe { sys::safety_restart(self.sc, server, applied_idx) };
        self.hold_commit(server, rc, applied_idx);
        self.verdict(rc, "restart")
    }

    /// `server`'s commit index is `commit` in `term`: the commit index never
    /// goes back nor past the log; State Machine Safety of committed entries.
    #[inline]
    pub fn commit(&mut self, server: i32, commit: i64, term: i64) -> Verdict {
        if self.commit_held.get(server as usize) == Some(&commit) {
            return Ok(());
        }
        let rc = unsafe { sys::safety_commit(self.sc, server, commit, term) };
        self.hold_commit(server, rc, commit);
        self.verdict(rc, "commit")
    }

    /// `server` applied (term, id, payload) at `idx`: in order, and State
    /// Machine Safety.
    pub fn apply(&mut self, server: i32, idx: i64, term: i64, id: i32, data: &[u8]) -> Verdict {
        let (p, n) = bytes(data);
        let rc = unsafe { sys::safety_apply(self.sc, server, idx, term, id as i64, p, n) };
        self.verdict(rc, "apply")
    }

    /// Starts a Log Matching scan of a log read back from `server` at `idx`;
    /// false when idx - 1 is outside the log reported for it.
    pub fn scan(&mut self, server: i32, idx: i64) -> bool {
        unsafe { sys::safety_scan(self.sc, server, idx) == sys::SAFETY_OK as c_int }
    }

    /// The scanned log's entry at the next index.
    pub fn scan_next(&mut self, term: i64, id: i32, data: &[u8]) -> Verdict {
        let (p, n) = bytes(data);
        let rc = unsafe { sys::safety_scan_next(self.sc, term, id as i64, p, n) };
        self.verdict(rc, "scan_next")
    }

    /// (term, id) of the entry known committed at `idx`, if any.
    pub fn committed(&self, idx: i64) -> Option<(i64, i32)> {
        let (mut term, mut id) = (0i64, 0i64);
        let known = unsafe { sys::safety_committed(self.sc, idx, &mut term, &mut id) };
        (known == 1).then_some((term, id as i32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule safety.c can report reaches the simulator under its
    /// invariant's name (if safety.c's texts drift, this fails).
    #[test]
    fn each_rule_is_reported_under_its_invariant() {
        let name = |v: Verdict| v.unwrap_err().invariant;
        let mut c = Checker::default();
        c.append(1, 1, 1, 11, b"a").unwrap();
        c.append(1, 2, 1, 12, b"b").unwrap();
        c.commit(1, 1, 1).unwrap();
        assert_eq!(name(c.leader(2, 1).and(c.leader(3, 1))), ELECTION_SAFETY);
        assert_eq!(name(c.append(2, 1, 1, 99, b"z")), LOG_MATCHING);
        assert_eq!(name(c.leader(4, 2)), LEADER_COMPLETENESS);
        assert_eq!(name(c.commit(1, 0, 1)), COMMIT_INDEX_VALIDITY);
        assert_eq!(name(c.commit(1, 5, 1)), COMMIT_INDEX_VALIDITY);
        assert_eq!(name(c.truncate(1, 1)), NO_COMMITTED_ENTRY_POPPED);
        assert_eq!(name(c.apply(5, 2, 1, 12, b"b")), APPLIED_INDEX_VALIDITY);
        assert_eq!(name(c.apply(5, 1, 7, 70, b"x")), STATE_MACHINE_SAFETY);
        assert!(c.scan(1, 1));
        c.scan_next(1, 11, b"a").unwrap();
        assert_eq!(c.committed(1), Some((1, 11)));
        assert_eq!(c.committed(3), None);
    }

    /// The commit index the checker holds is followed through restarts and
    /// snapshot loads, so that skipping a repeated report never hides a rule.
    #[test]
    fn repeated_commit_reports_are_skipped_only_when_the_checker_holds_them() {
        let mut c = Checker::default();
        for idx in 1..=4 {
            c.append(1, idx, 1, idx as i32, b"e").unwrap();
        }
        c.commit(1, 3, 1).unwrap();
        c.commit(1, 3, 1).unwrap();
        c.restart(1, 0).unwrap();
        // after the restart the checker holds 0: going back to 2 is legal
        c.commit(1, 2, 1).unwrap();
        assert_eq!(c.truncate(1, 2).unwrap_err().invariant, NO_COMMITTED_ENTRY_POPPED);
        let mut c = Checker::default();
        c.load_snapshot(1, 10, 2).unwrap();
        assert_eq!(c.commit(1, 9, 2).unwrap_err().invariant, COMMIT_INDEX_VALIDITY);
    }
}
