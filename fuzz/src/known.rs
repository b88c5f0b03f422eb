//! Open library bugs the fuzz targets step around, so that fuzzing goes on
//! past them. Each has a regression input under `fuzz/regressions/` listed
//! in `regressions/expected_failures.txt`, replayed with the avoidance off
//! (it must still fail until the bug is fixed). When a bug is fixed: delete
//! its check here, its line in expected_failures.txt, and keep the input.

use std::cell::Cell;

thread_local! {
    /// Per thread, like the net harness's faults: tests run side by side.
    static AVOID: Cell<bool> = const { Cell::new(true) };
}

/// Whether the harnesses avoid the inputs that trigger the bugs below.
pub fn avoid() -> bool {
    AVOID.with(|a| a.get())
}

/// Regression replay turns the avoidance off (on the calling thread).
pub fn set_avoid(on: bool) {
    AVOID.with(|a| a.set(on));
}

// FUZZ-1..5 (integer overflows and out-of-range indexes) are fixed in the
// library; their inputs stay under regressions/ as ordinary cases. No open
// bug is stepped around now.
