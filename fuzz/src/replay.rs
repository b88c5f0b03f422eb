//! Replaying inputs outside libFuzzer (stable toolchain, `cargo test`): the
//! same harness functions, with panics caught per input, including panics
//! the library catches itself before they reach C (its `guard`), which a
//! panic hook records.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;

thread_local! {
    static PANICS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Records every panic message (the library turns its own panics into error
/// codes, so the hook is the only place they can be seen).
pub fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        panic::set_hook(Box::new(|info| {
            let loc = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
                s.to_string()
            } else if let Some(s) = info.payload().downcast_ref::<String>() {
                s.clone()
            } else {
                "(non-string panic)".into()
            };
            PANICS.with(|p| p.borrow_mut().push(format!("{}{}", msg, loc)));
        }));
    });
}

/// Runs one input; `Err` holds every panic it raised (harness or library).
pub fn run_one(harness: fn(&[u8]), data: &[u8]) -> Result<(), String> {
    install_hook();
    PANICS.with(|p| p.borrow_mut().clear());
    let unwound = panic::catch_unwind(AssertUnwindSafe(|| harness(data))).is_err();
    let panics = PANICS.with(|p| std::mem::take(&mut *p.borrow_mut()));
    if panics.is_empty() && !unwound {
        Ok(())
    } else {
        Err(panics.join("\n"))
    }
}

/// The files of a directory, sorted (none if it does not exist).
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
