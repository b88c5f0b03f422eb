//! Simulator options: defaults, parsing of `--name value`, the help text and
//! the exact command line that replays a run.

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub servers: u32,
    pub seed: u64,
    pub steps: u64,
    /// Percent of messages dropped.
    pub drop: u32,
    /// Percent of messages delivered twice.
    pub dupe: u32,
    /// Percent of messages held back by an extra random delay (reordering).
    pub reorder: u32,
    /// Per mille of steps on which the partition changes (split, or heal).
    pub partition: u32,
    /// Per mille of steps on which a membership change is proposed.
    pub member: u32,
    /// Per mille of steps on which a random server compacts its log.
    pub compaction: u32,
    /// Per mille of steps on which a random server crashes.
    pub crash: u32,
    /// Percent of steps on which the leader gets client entries (the actual
    /// rate varies between 0 and twice this, changing every few hundred steps).
    pub client: u32,
    /// Percent of steps on which a follower is offered an entry (must refuse).
    pub follower_client: u32,
    pub tick_ms: u32,
    pub election_timeout: u32,
    pub request_timeout: u32,
    pub min_latency: u32,
    pub max_latency: u32,
    /// Largest extra delay of a reordered message, ms.
    pub reorder_delay: u32,
    /// Longest time a crashed server stays down, in ticks.
    pub max_down: u32,
    pub max_entries: u32,
    /// raft_set_max_inflight_msgs (pipelining; 1 = stop-and-wait).
    pub inflight: u32,
    /// raft_set_max_msg_bytes (0 = no cap).
    pub max_msg_bytes: u32,
    /// raft_set_parallel_log_writes: a leader's log_offer is not durable
    /// until the simulator calls raft_flush (a crash loses what was not).
    pub parallel_write: bool,
    /// raft_set_reject_hint on every server (paper §5.3, etcd's reject
    /// hint). On unless --no-reject-hint: unlike the other features it is
    /// on by default here, the setting a program should run (a follower
    /// with a long divergent suffix is otherwise walked back one entry per
    /// round trip, LIB_BUGS 9); the matrix and the soak run both.
    pub reject_hint: bool,
    /// Run a liveness window every this many steps (0: only at the end).
    pub liveness_every: u64,
    /// Bound of a liveness window, in election timeouts (0: no liveness checks).
    pub liveness_timeouts: u32,
    /// Pre-vote on every server (raft_set_prevote).
    pub prevote: bool,
    /// Check-quorum on every server (raft_set_check_quorum).
    pub check_quorum: bool,
    /// Per mille of steps on which the leader is asked to hand leadership
    /// over (raft_transfer_leader); a transfer also opens every liveness window.
    pub transfer: u32,
    /// Percent of steps on which a server is asked for a read
    /// (raft_recv_read_request, lease reads with check-quorum); turns the
    /// no-op on election on.
    pub reads: u32,
    /// Bits for raft_set_fault_injection on every server (testing the simulator).
    pub fault: i32,
    /// Number of recent events kept for the failure report.
    pub history: usize,
    /// Print every event as it happens (stderr).
    pub trace: bool,
    /// Do not print the per-node table (the totals still are).
    pub quiet: bool,
    /// Known library bugs (LIB_BUGS.md) not to report, so other checks can
    /// go on: "use-after-pop" (bug 1), "config-vote" (bug 2), "remove-voter" (3), "early-change" (4).
    pub tolerate: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            servers: 5,
            seed: 1,
            steps: 100_000,
            drop: 0,
            dupe: 0,
            reorder: 0,
            partition: 0,
            member: 0,
            compaction: 0,
            crash: 0,
            client: 20,
            follower_client: 1,
            tick_ms: 10,
            election_timeout: 300,
            request_timeout: 60,
            min_latency: 1,
            max_latency: 10,
            reorder_delay: 150,
            max_down: 150,
            max_entries: 16,
            inflight: 1,
            max_msg_bytes: 0,
            parallel_write: false,
            reject_hint: true,
            liveness_every: 25_000,
            liveness_timeouts: 30,
            prevote: false,
            check_quorum: false,
            transfer: 0,
            reads: 0,
            fault: 0,
            history: 200,
            trace: false,
            quiet: false,
            tolerate: Vec::new(),
        }
    }
}

/// Names accepted by --tolerate.
pub const KNOWN_BUGS: &[&str] = &["use-after-pop", "config-vote", "remove-voter", "early-change"];

pub const HELP: &str = "\
sim - deterministic chaos simulator for libraft (drives the C API)

USAGE: sim [OPTIONS]
       sim --matrix            run the fixed regression matrix (make test-sim)
       sim --soak SECONDS      random seeds until a violation or time is up
                               (--steps: steps per seed, 20000 by default)
  --jobs J                     with --matrix/--soak: runs on J threads [1]

A step is one tick of the virtual clock: chaos events fire, client entries
are offered, due messages are delivered, raft_periodic runs on every live
server, and every invariant is checked. Same options and seed = same run,
byte for byte (stdout; wall-clock speed goes to stderr).

CLUSTER
  --servers N            servers at start, 1..9; also the membership cap [5]
  --seed S               RNG seed (also seeds every server's election timer) [1]
  --steps N              chaos steps to run [100000]
CHAOS (0 disables)
  --drop P               percent of messages dropped [0]
  --dupe P               percent of messages duplicated [0]
  --reorder P            percent of messages delayed by up to --reorder-delay [0]
  --partition R          per mille of steps that split the network (minority/
                         majority, leader alone, one node alone, three ways)
                         or heal it [0]
  --member R             per mille of steps that propose a membership change:
                         add a non-voting node (promoted once
                         node_has_sufficient_logs fires), promote, demote or
                         remove a node (the leader included) [0]
  --compaction R         per mille of steps on which a server snapshots and
                         compacts its log (raft_begin/end_snapshot) [0]
  --crash R              per mille of steps on which a server crashes; it
                         restarts from what it persisted [0]
  --client P             percent of steps with client entries to the leader;
                         the rate drifts between 0 and 2P [20]
  --follower-client P    percent of steps offering an entry to a non-leader,
                         which must refuse with RAFT_ERR_NOT_LEADER [1]
TIMING (virtual milliseconds)
  --tick MS              virtual time per step [10]
  --election-timeout MS  raft_set_election_timeout [300]
  --request-timeout MS   raft_set_request_timeout [60]
  --min-latency MS       [1]
  --max-latency MS       message latency bounds [10]
  --reorder-delay MS     largest extra delay of a reordered message [150]
  --max-down TICKS       longest downtime of a crashed server [150]
  --max-entries N        raft_set_max_entries_per_msg [16]
REPLICATION
  --inflight N           raft_set_max_inflight_msgs: appendentries in flight
                         per peer (pipelining); 1 = stop-and-wait [1]
  --max-msg-bytes B      raft_set_max_msg_bytes: payload bytes per
                         appendentries; 0 = no cap [0]
  --parallel-write       raft_set_parallel_log_writes: the leader's log_offer
                         is durable only once raft_flush reports it (the
                         simulator flushes on random steps; a crash loses the
                         leader's unflushed entries)
  --no-reject-hint       raft_set_reject_hint off: a rejection walks the
                         leader back one entry (willemt's rule); on by
                         default in the simulator (the library's default is
                         off): a rejection carries the reject hint (paper
                         section 5.3, etcd's RejectHint) and the leader skips
                         the entries it rules out
FEATURES (all off by default, as in the library)
  --prevote              pre-vote on every server (raft_set_prevote); checks
                         that a server partitioned away from a majority
                         never raises its term (Pre-Vote Term Stability)
  --check-quorum         check-quorum on every server (raft_set_check_quorum);
                         checks that a leader cut off from a majority steps
                         down within two election timeouts (Check-Quorum
                         Step-Down); lease reads are then used too
  --transfer R           per mille of steps on which the leader hands
                         leadership to a random voter (raft_transfer_leader);
                         every liveness window also starts with a transfer to
                         an up-to-date voter, whose target must lead within
                         one election timeout when 5 x max latency fits in
                         it (Transfer Completion) [0]
  --reads P              percent of steps on which a random server is asked
                         for a read (ReadIndex; with --check-quorum one in
                         three is a lease read; followers ask the leader);
                         turns the no-op on election on; checks that every
                         read sees every write acknowledged before it began
                         (Linearizable Reads) [0]
LIVENESS
  --liveness-every N     every N steps: heal, stop chaos, and require a leader
                         and a newly committed entry; 0 = only at the end [25000]
  --liveness-timeouts K  bound of that check, in election timeouts; 0 turns
                         liveness checking off [30]
TESTING / OUTPUT
  --fault BITS           raft_set_fault_injection bits on every server:
                         1 skip persisting votes, 2 commit previous-term
                         entries by counting, 4 no log check on vote,
                         8 no truncate on conflict, 16 reads answered
                         without a heartbeat round, 32 elections without
                         pre-vote, 64 no check-quorum step-down, 128
                         TimeoutNow ignored [0]
  --history N            recent events printed on a violation [200]
  --trace                print every event as it happens (stderr)
  --quiet                no per-node table
  --tolerate BUGS        comma-separated known library bugs (LIB_BUGS.md) not
                         to report, so the rest can still be explored
                         (open: those still open, as the matrix uses):
                         use-after-pop (1): a config entry's payload read
                           after log_pop released it (the read is made
                           harmless and not reported);
                         config-vote (2): a liveness failure whose cause is a
                           voter refusing votes because its own latest config
                           disagrees (it thinks itself non-voting, or does not
                           know the candidate): the run stops there, reported
                           as a known bug instead of a violation
  -h, --help             this text

Exit status: 0 no violation, 1 invariant violation (the report names the
invariant, prints the seed and the command that replays it, and the events
leading to it), 2 bad usage.
";

fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
    v.parse::<T>().map_err(|_| format!("bad value for --{}: {:?}", name, v))
}

impl Config {
    /// Whether any library extension is in use: the servers then register
    /// the extension table (and transport the appended message fields).
    pub fn extensions(&self) -> bool {
        self.prevote || self.check_quorum || self.transfer > 0 || self.reads > 0
    }

    pub fn tolerates(&self, bug: &str) -> bool {
        self.tolerate.iter().any(|b| b == bug)
    }

    /// Parse options (without the program name). Returns the config plus any
    /// mode flags (`--matrix`, `--soak S`, `--jobs J`) left for the caller.
    pub fn parse(args: &[String]) -> Result<(Config, Vec<(String, String)>), String> {
        let mut c = Config::default();
        let mut extra = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            if a == "-h" || a == "--help" {
                extra.push(("help".to_string(), String::new()));
                i += 1;
                continue;
            }
            let Some(body) = a.strip_prefix("--") else {
                return Err(format!("unexpected argument {:?} (see --help)", a));
            };
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (body.to_string(), None),
            };
            let flag = matches!(name.as_str(), "trace" | "quiet" | "matrix" | "parallel-write" | "no-reject-hint" | "prevote" | "check-quorum");
            let val = if flag {
                inline.unwrap_or_default()
            } else if let Some(v) = inline {
                v
            } else {
                i += 1;
                args.get(i).cloned().ok_or_else(|| format!("--{} needs a value", name))?
            };
            i += 1;
            let n = name.as_str();
            match n {
                "servers" => c.servers = num(n, &val)?,
                "seed" => c.seed = num(n, &val)?,
                "steps" => c.steps = num(n, &val)?,
                "drop" => c.drop = num(n, &val)?,
                "dupe" => c.dupe = num(n, &val)?,
                "reorder" => c.reorder = num(n, &val)?,
                "partition" => c.partition = num(n, &val)?,
                "member" => c.member = num(n, &val)?,
                "compaction" => c.compaction = num(n, &val)?,
                "crash" => c.crash = num(n, &val)?,
                "client" => c.client = num(n, &val)?,
                "follower-client" => c.follower_client = num(n, &val)?,
                "tick" => c.tick_ms = num(n, &val)?,
                "election-timeout" => c.election_timeout = num(n, &val)?,
                "request-timeout" => c.request_timeout = num(n, &val)?,
                "min-latency" => c.min_latency = num(n, &val)?,
                "max-latency" => c.max_latency = num(n, &val)?,
                "reorder-delay" => c.reorder_delay = num(n, &val)?,
                "max-down" => c.max_down = num(n, &val)?,
                "max-entries" => c.max_entries = num(n, &val)?,
                "inflight" => c.inflight = num(n, &val)?,
                "max-msg-bytes" => c.max_msg_bytes = num(n, &val)?,
                "parallel-write" => c.parallel_write = true,
                "no-reject-hint" => c.reject_hint = false,
                "liveness-every" => c.liveness_every = num(n, &val)?,
                "liveness-timeouts" => c.liveness_timeouts = num(n, &val)?,
                "fault" => c.fault = num(n, &val)?,
                "prevote" => c.prevote = true,
                "check-quorum" => c.check_quorum = true,
                "transfer" => c.transfer = num(n, &val)?,
                "reads" => c.reads = num(n, &val)?,
                "history" => c.history = num(n, &val)?,
                "trace" => c.trace = true,
                "quiet" => c.quiet = true,
                "tolerate" => {
                    let expanded = val.replace("open", &crate::suites::OPEN_BUGS.join(","));
                    for b in expanded.split(',').filter(|b| !b.is_empty()) {
                        if !KNOWN_BUGS.contains(&b) {
                            return Err(format!("--tolerate: unknown bug {:?} (known: {})", b, KNOWN_BUGS.join(", ")));
                        }
                        if !c.tolerate.iter().any(|x| x == b) {
                            c.tolerate.push(b.to_string());
                        }
                    }
                }
                "matrix" | "soak" | "jobs" => extra.push((name.clone(), val)),
                _ => return Err(format!("unknown option --{} (see --help)", name)),
            }
        }
        c.validate()?;
        Ok((c, extra))
    }

    pub fn validate(&self) -> Result<(), String> {
        if !(1..=9).contains(&self.servers) {
            return Err("--servers must be 1..9".into());
        }
        for (n, v) in [("drop", self.drop), ("dupe", self.dupe), ("reorder", self.reorder), ("client", self.client), ("follower-client", self.follower_client), ("reads", self.reads)] {
            if v > 100 {
                return Err(format!("--{} is a percentage (0..100)", n));
            }
        }
        for (n, v) in [("partition", self.partition), ("member", self.member), ("compaction", self.compaction), ("crash", self.crash), ("transfer", self.transfer)] {
            if v > 1000 {
                return Err(format!("--{} is per mille (0..1000)", n));
            }
        }
        if self.drop == 100 {
            return Err("--drop 100 would drop everything".into());
        }
        if self.tick_ms == 0 || self.election_timeout == 0 || self.request_timeout == 0 {
            return Err("--tick, --election-timeout and --request-timeout must be > 0".into());
        }
        if self.min_latency == 0 || self.max_latency < self.min_latency {
            return Err("latency bounds: 1 <= --min-latency <= --max-latency".into());
        }
        if self.history == 0 {
            return Err("--history must be > 0".into());
        }
        Ok(())
    }

    /// The command line that replays this run exactly (every option that
    /// differs from its default).
    pub fn command(&self) -> String {
        let d = Config::default();
        let mut s = format!("sim --servers {} --seed {} --steps {}", self.servers, self.seed, self.steps);
        macro_rules! opt {
            ($f:ident, $n:expr) => {
                if self.$f != d.$f {
                    s.push_str(&format!(" --{} {}", $n, self.$f));
                }
            };
        }
        opt!(drop, "drop");
        opt!(dupe, "dupe");
        opt!(reorder, "reorder");
        opt!(partition, "partition");
        opt!(member, "member");
        opt!(compaction, "compaction");
        opt!(crash, "crash");
        opt!(client, "client");
        opt!(follower_client, "follower-client");
        opt!(tick_ms, "tick");
        opt!(election_timeout, "election-timeout");
        opt!(request_timeout, "request-timeout");
        opt!(min_latency, "min-latency");
        opt!(max_latency, "max-latency");
        opt!(reorder_delay, "reorder-delay");
        opt!(max_down, "max-down");
        opt!(max_entries, "max-entries");
        opt!(inflight, "inflight");
        opt!(max_msg_bytes, "max-msg-bytes");
        if self.parallel_write {
            s.push_str(" --parallel-write");
        }
        if !self.reject_hint {
            s.push_str(" --no-reject-hint");
        }
        opt!(liveness_every, "liveness-every");
        opt!(liveness_timeouts, "liveness-timeouts");
        opt!(transfer, "transfer");
        opt!(reads, "reads");
        if self.prevote {
            s.push_str(" --prevote");
        }
        if self.check_quorum {
            s.push_str(" --check-quorum");
        }
        opt!(fault, "fault");
        if !self.tolerate.is_empty() {
            s.push_str(&format!(" --tolerate {}", self.tolerate.join(",")));
        }
        s
    }
}
