//! raft_rs_bench: raft-rs on the workload of `raft_bench --rounds` (see
//! lib.rs), printing the same kind of RESULT line, so that bench/compare.sh
//! can pair the two programs run by run.
//!
//!   raft_rs_bench -n 3 -b 16 -m 200000 [--runs R] [--warmup W] [--inflight 256] [--verify]
//!
//! Each run builds a fresh cluster and elects node 1 (not timed), then times
//! the replication of m entries until applied on every node, by the wall
//! clock and by this thread's CPU time. Warm-up runs are not counted. Prints
//! one human line and one RESULT line.

use raft_rs_bench::{payloads, Cluster, Settings};
use std::time::Instant;

fn arg(args: &[String], name: &str, dflt: u64) -> u64 {
    match args.iter().position(|a| a == name) {
        Some(i) => match args.get(i + 1).and_then(|v| v.parse().ok()) {
            Some(v) => v,
            None => usage(&format!("{name} needs a number")),
        },
        None => dflt,
    }
}

fn usage(why: &str) -> ! {
    eprintln!("raft_rs_bench: {why}");
    eprintln!("usage: raft_rs_bench -n N(1..9) -b B -m M [--runs R(1..64)] [--warmup W] [--inflight I] [--verify]");
    std::process::exit(2)
}

/// This thread's CPU time in seconds.
fn thread_cpu_s() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec, which `ts` is.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// A warm heap, as raft_bench.c sets it: glibc keeps freed memory and does
/// not map large blocks one by one, so runs do not pay page faults that
/// depend on what the previous run gave back.
fn warm_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocation thresholds.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    for a in args.iter().skip(1) {
        if a.starts_with("--") && !["--runs", "--warmup", "--inflight", "--verify"].contains(&a.as_str()) {
            usage(&format!("unknown option {a}"));
        }
    }
    let n = arg(&args, "-n", 3) as usize;
    let b = arg(&args, "-b", 1);
    let m = arg(&args, "-m", 100_000);
    let runs = arg(&args, "--runs", 1) as usize;
    let warmup = arg(&args, "--warmup", 1) as usize;
    let inflight = arg(&args, "--inflight", 256) as usize;
    let verify = args.iter().any(|a| a == "--verify");
    if !(1..=9).contains(&n) || b < 1 || m < 1 || !(1..=64).contains(&runs) || inflight < 1 {
        usage("bad arguments");
    }
    warm_heap();
    let data = payloads(m);
    let settings = Settings::comparable(inflight);
    let mut rates = Vec::with_capacity(runs);
    let mut cpu_rates = Vec::with_capacity(runs);
    let mut st = Default::default();
    let mut bad = 0;
    for r in 0..warmup + runs {
        let mut c = Cluster::new(n, settings);
        if verify {
            c.verify = Some(data.clone());
        }
        let (t0, c0) = (Instant::now(), thread_cpu_s());
        st = c.run(&data, m, b);
        let (secs, cpu_secs) = (t0.elapsed().as_secs_f64(), thread_cpu_s() - c0);
        bad += c.bad;
        if r >= warmup {
            rates.push(m as f64 / secs);
            cpu_rates.push(m as f64 / cpu_secs);
        }
    }
    if verify {
        println!("verify: {bad} entries applied with a wrong payload");
        if bad > 0 {
            std::process::exit(1);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|x, y| x.partial_cmp(y).expect("rates are finite"));
        if runs % 2 == 1 {
            v[runs / 2]
        } else {
            (v[runs / 2 - 1] + v[runs / 2]) / 2.0
        }
    };
    let med = median(&mut rates);
    let cpu_med = median(&mut cpu_rates);
    let (min, max) = (rates[0], rates[runs - 1]);
    let per = |x: u64| x as f64 / m as f64;
    println!(
        "raft-rs N={n} B={b:<3} M={m}: {med:.0} entries/s (median of {runs}, {min:.0}-{max:.0}), {:.4} msgs/entry \
         ({:.4} appends/entry), {:.4} rounds/entry, {} heartbeats",
        per(st.msgs),
        per(st.appends),
        per(st.rounds),
        st.heartbeats
    );
    println!(
        "RESULT raft_rs n={n} b={b} m={m} runs={runs} entries_per_s={med:.0} min={min:.0} max={max:.0} \
         cpu_entries_per_s={cpu_med:.0} msgs_per_entry={:.4} ae_per_entry={:.4} rounds_per_entry={:.4} heartbeats={} inflight={inflight}",
        per(st.msgs),
        per(st.appends),
        per(st.rounds),
        st.heartbeats
    );
}
