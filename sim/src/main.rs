use raft_sim::config::{Config, HELP};
use raft_sim::suites;
use std::process::exit;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cfg, extra) = match Config::parse(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("sim: {}", e);
            exit(2);
        }
    };
    let get = |k: &str| extra.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if get("help").is_some() {
        print!("{}", HELP);
        return;
    }
    let jobs: usize = match get("jobs").map(|v| v.parse()) {
        None => 1,
        Some(Ok(j)) if j >= 1 => j,
        _ => {
            eprintln!("sim: --jobs needs a positive number");
            exit(2);
        }
    };
    if get("matrix").is_some() {
        exit(matrix(jobs));
    }
    if let Some(v) = get("soak") {
        let Ok(secs) = v.parse::<u64>() else {
            eprintln!("sim: --soak needs a number of seconds");
            exit(2);
        };
        exit(soak(secs, jobs, &cfg));
    }
    let out = raft_sim::run(cfg);
    print!("{}", out.summary);
    if out.violation.is_some() {
        print!("{}", out.report);
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    eprintln!("{}", out.speed_line());
    if out.violation.is_some() {
        exit(1);
    }
}

/// Run configs on `jobs` threads; stop at the first violation.
fn run_many(cfgs: Vec<Config>, jobs: usize, deadline: Option<Instant>, label: &str) -> (i32, u64, u64, f64) {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let cfgs = Arc::new(cfgs);
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let totals = Arc::new(Mutex::new((0i32, 0u64, 0u64, 0f64)));
    let mut hs = Vec::new();
    let print_start = std::env::var_os("SIM_PRINT_START").is_some();
    for _ in 0..jobs {
        let (cfgs, next, stop, totals) = (cfgs.clone(), next.clone(), stop.clone(), totals.clone());
        let label = label.to_string();
        hs.push(std::thread::spawn(move || loop {
            if stop.load(Ordering::SeqCst) || deadline.map(|d| Instant::now() >= d).unwrap_or(false) {
                return;
            }
            let i = next.fetch_add(1, Ordering::SeqCst);
            if i >= cfgs.len() {
                return;
            }
            let c = cfgs[i].clone();
            let cmd = c.command();
            if print_start {
                // (SIM_PRINT_START=1: a seed that never ends can be found)
                println!("start {}", cmd);
            }
            let out = raft_sim::run(c);
            let steps = out.stats.steps + out.stats.live_ticks;
            let mut t = totals.lock().unwrap();
            t.1 += steps;
            t.2 += out.stats.delivered;
            t.3 += out.wall_secs;
            if out.violation.is_some() {
                stop.store(true, Ordering::SeqCst);
                t.0 = 1;
                println!("FAIL {}: {}", label, cmd);
                print!("{}", out.report);
            } else {
                if let Some(k) = &out.known_bug {
                    println!("KNOWN {}: {}", cmd, k);
                }
                println!(
                    "ok   {:>7} steps {:>8} msgs {:>6} commits {:>5} elections {:>4} crashes {:>4} snaps  {}",
                    out.stats.steps,
                    out.stats.delivered,
                    out.stats.commits,
                    out.stats.elections,
                    out.stats.crashes,
                    out.stats.snaps_loaded + out.stats.snaps_taken,
                    cmd
                );
            }
        }));
    }
    for h in hs {
        let _ = h.join();
    }
    let t = totals.lock().unwrap();
    *t
}

fn matrix(jobs: usize) -> i32 {
    let t0 = Instant::now();
    let cfgs = suites::matrix();
    let n = cfgs.len();
    let (rc, steps, msgs, busy) = run_many(cfgs, jobs, None, "matrix");
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "matrix: {} runs, {} simulated steps, {} delivered messages, {:.1}s wall ({:.0} msgs/s per core){}",
        n,
        steps,
        msgs,
        wall,
        msgs as f64 / busy.max(1e-9),
        if rc == 0 { "" } else { " -- VIOLATION" }
    );
    rc
}

fn soak(secs: u64, jobs: usize, base: &Config) -> i32 {
    let steps = base.steps;
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(secs);
    let mut entropy = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1);
    entropy ^= (std::process::id() as u64) << 32;
    let mut r = raft_sim::rng::Rng::new(entropy);
    let steps = if steps == Config::default().steps { 20_000 } else { steps };
    // plenty of seeds; the deadline stops the run
    let cfgs: Vec<Config> = (0..100_000)
        .map(|_| {
            let mut c = suites::soak_config(r.next_u64() >> 1, steps);
            c.tolerate = base.tolerate.clone();
            c.fault = base.fault;
            c
        })
        .collect();
    println!("soak: {} s, {} job(s), {} steps per seed", secs, jobs, steps);
    let (rc, steps, msgs, _) = run_many(cfgs, jobs, Some(deadline), "soak");
    println!("soak: {} simulated steps, {} delivered messages in {:.0}s{}", steps, msgs, t0.elapsed().as_secs_f64(), if rc == 0 { ", no violation" } else { " -- VIOLATION" });
    rc
}
