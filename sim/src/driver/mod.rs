//! The driver: builds the cluster, advances the virtual clock one step at a
//! time, has the chaos schedule (`crate::chaos`) act, offers client entries,
//! delivers messages and runs every server through the C API, with the
//! invariants (`crate::invariants`) checked after every library call.
//!
//! - `servers.rs`: a server's life: creation, boot from its disk, crash,
//!   retirement, and the checks after each library call;
//! - `delivery.rs`: messages to the library (`raft_recv_*`, snapshots) and
//!   `raft_periodic`;
//! - `clients.rs`: client entries;
//! - `reads.rs`: reads (`--reads`).
//!
//! Borrow discipline: `World` lives in a RefCell that the C callbacks borrow;
//! the driver never holds a borrow across a library call that can call back.

mod clients;
mod delivery;
mod reads;
mod servers;

use crate::config::Config;
use crate::ffi::*;
use crate::report::Outcome;
use crate::world::*;
use std::cell::RefCell;
use std::ptr::null_mut;
use std::time::Instant;

/// One simulation run: the world, boxed so that its address (which every
/// server's callback context points to) never moves.
pub struct Sim {
    pub(crate) w: Box<RefCell<World>>,
}

/// Every this many steps, every server's whole log is compared with its model.
const FULL_CHECK_EVERY: u64 = 4096;

impl Sim {
    pub fn new(cfg: Config) -> Sim {
        Sim { w: Box::new(RefCell::new(World::new(cfg))) }
    }

    /// Work on the world (never across a library call that can call back).
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut self.w.borrow_mut())
    }

    /// Whether a violation (or a tolerated known bug) ended the run.
    pub(crate) fn failed(&self) -> bool {
        let w = self.w.borrow();
        w.violation.is_some() || w.known_bug.is_some()
    }

    /// The library handle of server slot `s`, or null when it is not up.
    pub(crate) fn raft(&self, s: usize) -> *mut raft_server_t {
        let w = self.w.borrow();
        if w.up(s) {
            w.servers[s].raft
        } else {
            null_mut()
        }
    }

    /// Boot the cluster, run the configured steps (with liveness windows),
    /// then the final checks; the outcome says what happened.
    pub fn run(&mut self) -> Outcome {
        let t0 = Instant::now();
        self.init();
        let (steps, every, lt) = self.with(|w| (w.cfg.steps, w.cfg.liveness_every, w.cfg.liveness_timeouts));
        for i in 1..=steps {
            if self.failed() {
                break;
            }
            self.step();
            if lt > 0 && every > 0 && i % every == 0 && i < steps && !self.failed() {
                self.liveness();
            }
        }
        if !self.failed() {
            self.full_check();
        }
        if !self.failed() && lt > 0 {
            self.liveness();
        }
        if !self.failed() {
            self.full_check();
        }
        let wall = t0.elapsed().as_secs_f64();
        self.outcome(wall)
    }

    /// One step: the clock advances one tick, chaos acts, clients submit,
    /// then messages are delivered and every server ticks.
    fn step(&self) {
        self.with(|w| {
            w.step += 1;
            w.stats.steps += 1;
            w.now += w.cfg.tick_ms as u64;
        });
        self.chaos();
        self.client();
        self.reads();
        self.check_acks();
        self.tick_common();
    }

    /// Deliver what is due, run periodic everywhere, per-step checks.
    pub(crate) fn tick_common(&self) {
        self.deliver_due();
        self.flush_logs();
        self.periodic_all();
        let full = self.with(|w| {
            for s in 0..w.servers.len() {
                if w.up(s) {
                    w.check_node(s);
                    w.check_window(s, 8);
                }
            }
            w.check_stepdowns();
            w.check_transfers();
            w.step % FULL_CHECK_EVERY == 0
        });
        if full {
            self.full_check();
        }
    }

    /// The whole of every log compared with its model, and the per-server checks.
    fn full_check(&self) {
        self.with(|w| {
            for s in 0..w.servers.len() {
                if w.up(s) {
                    let (b, l) = (w.servers[s].disk.log.base, w.servers[s].disk.log.last());
                    w.check_range(s, b + 1, l);
                    w.check_node(s);
                }
            }
        });
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let n = self.w.borrow().servers.len();
        for s in 0..n {
            let r = self.with(|w| {
                let sv = &mut w.servers[s];
                let r = sv.raft;
                sv.raft = null_mut();
                sv.mode = Mode::Freeing;
                r
            });
            if !r.is_null() {
                unsafe { raft_free(r) };
            }
        }
    }
}

/// Run one simulation.
pub fn run(cfg: Config) -> Outcome {
    let mut sim = Sim::new(cfg);
    sim.run()
}
