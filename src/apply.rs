//! Applying committed entries to the state machine (Figure 2, Rules for
//! Servers, All Servers: "If commitIndex > lastApplied: increment
//! lastApplied, apply log[lastApplied] to state machine"), and finalising the
//! configuration changes they carry.

use crate::host::Host;
use crate::server::Server;
use crate::types::*;

impl<H: Host> Server<H> {
    /// Applies the next committed entry through `log_apply`.
    pub fn apply_entry(&mut self) -> RaftResult {
        if !self.is_apply_allowed() || self.last_applied_idx >= self.applicable_idx() {
            return Err(err::FAIL);
        }
        self.apply_next()
    }

    /// Applies entry `last_applied_idx + 1` (the caller checked it is
    /// committed). It counts as applied even when `log_apply` fails.
    #[inline(always)]
    fn apply_next(&mut self) -> RaftResult {
        let idx = self.last_applied_idx + 1;
        // Inside `log_apply` the entry already counts as applied.
        self.last_applied_idx = idx;
        self.stats.entries_applied += 1;
        let Some((etype, e)) = H::apply_entry_at(self, idx) else {
            // not held (nothing was called): not applied after all
            self.last_applied_idx = idx - 1;
            self.stats.entries_applied -= 1;
            return Err(err::FAIL);
        };
        if e == err::SHUTDOWN {
            return Err(err::SHUTDOWN);
        }
        if etype != entry_type::NORMAL {
            self.commit_config_change(idx);
        }
        if e != 0 {
            return Err(e);
        }
        Ok(())
    }

    /// Applies every committed entry not yet applied.
    #[inline(always)]
    pub fn apply_all(&mut self) -> RaftResult {
        if !self.is_apply_allowed() {
            return Ok(());
        }
        // What is applicable is read again once the run is applied: a
        // callback may have committed more meanwhile.
        loop {
            let upto = self.applicable_idx();
            if self.last_applied_idx >= upto {
                return Ok(());
            }
            while self.last_applied_idx < upto {
                self.apply_next()?;
                if self.snapshot.in_progress && !self.is_apply_allowed() {
                    return Ok(()); // a callback started a blocking snapshot
                }
            }
        }
    }
}
