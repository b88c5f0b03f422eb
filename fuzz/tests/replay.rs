//! `make test-fuzz-replay`: every committed corpus input and regression case
//! of every fuzz target, run through the same harness function the libFuzzer
//! target uses, on the stable toolchain (no sanitizer: memory errors are
//! `make fuzz`'s to find; panics, failed checks and crashes show here).
//!
//! Regression cases of open library bugs are listed in
//! `regressions/expected_failures.txt` (`target/file  note naming the bug`):
//! each must still fail (strict: once the bug is fixed, remove the line),
//! and runs in a child process, so that an abort cannot stop the suite.

use raft_fuzz::replay::{files, run_one};
use raft_fuzz::TARGETS;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn harness(name: &str) -> fn(&[u8]) {
    TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no fuzz target {}", name))
        .1
}

/// `target/file` -> note, from regressions/expected_failures.txt.
fn expected_failures() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join("regressions/expected_failures.txt"))
        .unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            (k.to_string(), v.trim().to_string())
        })
        .collect()
}

fn rel(p: &Path) -> String {
    let dir = p
        .parent()
        .and_then(|d| d.file_name())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{}/{}", dir, p.file_name().unwrap().to_string_lossy())
}

/// Runs one regression file in a child process (this test binary,
/// `child_replay`), with no known bug avoided.
fn in_child(target: &str, file: &Path) -> Result<(), String> {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_replay",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("FUZZ_REPLAY_TARGET", target)
        .env("FUZZ_REPLAY_FILE", file)
        .output()
        .expect("run child");
    if out.status.success() {
        Ok(())
    } else {
        // The first panic's message (the library's own, if it panicked).
        let text = String::from_utf8_lossy(&out.stdout);
        let first = text
            .lines()
            .find_map(|l| l.split_once("REPLAY-FAILURE: ").map(|(_, m)| m))
            .unwrap_or("(no message: the process died)");
        Err(format!("{} ({})", first, out.status))
    }
}

/// Not a test of its own: the child side of `in_child`.
#[test]
fn child_replay() {
    let (Ok(t), Ok(f)) = (
        std::env::var("FUZZ_REPLAY_TARGET"),
        std::env::var("FUZZ_REPLAY_FILE"),
    ) else {
        return;
    };
    let data = std::fs::read(&f).unwrap();
    raft_fuzz::known::set_avoid(false);
    if let Err(e) = run_one(harness(&t), &data) {
        println!("REPLAY-FAILURE: {}", e.lines().next().unwrap_or(""));
        panic!("{}", e);
    }
}

#[test]
fn replay_corpus_and_regressions() {
    if std::env::var("FUZZ_REPLAY_FILE").is_ok() {
        return;
    }
    let xfail = expected_failures();
    let (mut passed, mut failed, mut xfailed) = (0, 0, 0);
    let mut errors = Vec::new();
    for (name, h) in TARGETS {
        let corpus = files(&root().join("corpus").join(name));
        let regress = files(&root().join("regressions").join(name));
        assert!(
            !corpus.is_empty(),
            "fuzz target {} has no committed corpus (fuzz/corpus/{})",
            name,
            name
        );
        let mut n = 0;
        for (f, regression) in corpus
            .iter()
            .map(|f| (f, false))
            .chain(regress.iter().map(|f| (f, true)))
        {
            let key = rel(f);
            // The corpus was grown with the known bugs avoided; regression
            // inputs replay with nothing avoided (src/known.rs).
            raft_fuzz::known::set_avoid(!regression);
            let r = if xfail.contains_key(&key) {
                in_child(name, f)
            } else {
                run_one(*h, &std::fs::read(f).unwrap())
            };
            match (r, xfail.get(&key)) {
                (Ok(()), None) => passed += 1,
                (Err(e), Some(note)) => {
                    xfailed += 1;
                    println!(
                        "expected failure {}: {} -> {}",
                        key,
                        note,
                        e.lines().next().unwrap_or("")
                    );
                }
                (Ok(()), Some(note)) => {
                    failed += 1;
                    errors.push(format!(
                        "{} passes now ({}): remove it from regressions/expected_failures.txt",
                        key, note
                    ));
                }
                (Err(e), None) => {
                    failed += 1;
                    errors.push(format!("{}: {}", key, e));
                }
            }
            n += 1;
        }
        println!(
            "fuzz replay: {}: {} inputs ({} corpus, {} regression)",
            name,
            n,
            corpus.len(),
            regress.len()
        );
    }
    for k in xfail.keys() {
        if !root().join("regressions").join(k).is_file() {
            errors.push(format!(
                "regressions/expected_failures.txt names {}, which does not exist",
                k
            ));
            failed += 1;
        }
    }
    for e in &errors {
        println!("FAILED {}", e);
    }
    println!(
        "fuzz-replay: {} passed, {} failed, {} expected failures",
        passed, failed, xfailed
    );
    assert!(errors.is_empty(), "{} replay failure(s)", errors.len());
}

/// How deep the committed `net_safety` corpus reaches (printed; fails only
/// if no input elects a leader and commits, which would make it useless).
#[test]
fn net_safety_corpus_reaches_commits() {
    if std::env::var("FUZZ_REPLAY_FILE").is_ok() {
        return;
    }
    let dir = std::env::var("FUZZ_DEPTH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("corpus/net_safety"));
    let (mut lead, mut commit, mut snap, mut max_commit) = (0, 0, 0, 0);
    let all = files(&dir);
    for f in &all {
        let d = raft_fuzz::net::depth(&std::fs::read(f).unwrap());
        lead += (d.leaders > 0) as usize;
        commit += (d.committed > 0) as usize;
        snap += (d.snapshots > 0) as usize;
        max_commit = max_commit.max(d.committed);
    }
    println!("net_safety corpus: {} inputs, {} elect a leader, {} commit entries (at most {}), {} take or load snapshots", all.len(), lead, commit, max_commit, snap);
    assert!(commit > 0, "no net_safety corpus input commits an entry");
}

/// The invariants of `net_safety` can fail: with the library's deliberate
/// faults (`raft_set_fault_injection`) switched on one at a time, replaying
/// the committed corpus must report violations of Raft's safety properties.
#[test]
fn net_safety_catches_injected_faults() {
    if std::env::var("FUZZ_REPLAY_FILE").is_ok() {
        return;
    }
    let corpus = files(&root().join("corpus/net_safety"));
    let faults = [
        ("RAFT_FAULT_SKIP_PERSIST_VOTE", 1),
        ("RAFT_FAULT_COMMIT_PREVIOUS_TERM", 2),
        ("RAFT_FAULT_NO_LOG_CHECK_ON_VOTE", 4),
        ("RAFT_FAULT_NO_TRUNCATE_ON_CONFLICT", 8),
    ];
    let mut caught_any = 0;
    for (name, bit) in faults {
        raft_fuzz::net::set_faults(bit);
        let mut kinds = BTreeMap::new();
        for f in &corpus {
            if let Err(e) = run_one(raft_fuzz::net::run, &std::fs::read(f).unwrap()) {
                // "...after OP: Invariant: details" -> "Invariant"
                let kind = e
                    .split_once("after ")
                    .and_then(|(_, r)| r.split_once(": "))
                    .and_then(|(_, r)| r.split(':').next())
                    .unwrap_or("?")
                    .to_string();
                *kinds.entry(kind).or_insert(0) += 1;
            }
        }
        raft_fuzz::net::set_faults(0);
        println!(
            "net_safety with {}: {} of {} corpus inputs fail: {:?}",
            name,
            kinds.values().sum::<i32>(),
            corpus.len(),
            kinds
        );
        caught_any += !kinds.is_empty() as i32;
    }
    // The corpus was grown on a correct library, so not every fault shows on
    // it; at least one must (the invariants are not vacuous).
    assert!(
        caught_any >= 1,
        "the net_safety invariants caught none of the 4 injected faults"
    );
}
