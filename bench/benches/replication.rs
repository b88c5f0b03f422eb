//! Criterion: replication of M entries of 64 bytes in a 3-node in-process
//! cluster, batches of B = 1, 16, 256, until applied on every node, on
//! libraft's safe Rust API and on raft-rs, in one run. After Criterion's own
//! report, prints per B our median throughput, raft-rs's, and the ratio
//! (from Criterion's median estimates), plus messages per entry.
//!
//!   cargo bench                  (in bench/)
//!   cargo bench -- --test        (each benchmark once, as a smoke test)

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use raft_bench::{ours, theirs};
use std::path::PathBuf;
use std::time::Duration;

const N: usize = 3;
const BATCHES: [u64; 3] = [1, 16, 256];

fn entries() -> u64 {
    std::env::var("BENCH_M").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

fn group_name() -> String {
    format!("replicate_n{N}_64B")
}

fn bench_replication(c: &mut Criterion) {
    let m = entries();
    let mut g = c.benchmark_group(group_name());
    g.throughput(Throughput::Elements(m));
    for b in BATCHES {
        g.bench_with_input(BenchmarkId::new("libraft", b), &b, |bch, &b| {
            bch.iter_batched(|| ours::Cluster::new(N), |mut cl| { cl.run(m, b); cl }, BatchSize::PerIteration)
        });
        g.bench_with_input(BenchmarkId::new("raft-rs", b), &b, |bch, &b| {
            bch.iter_batched(|| theirs::Cluster::new(N), |mut cl| { cl.run(m, b); cl }, BatchSize::PerIteration)
        });
    }
    g.finish();
}

/// Criterion's median time per iteration (ns), if this run measured it.
fn median_ns(function: &str, b: u64) -> Option<f64> {
    let dir = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target"));
    let path = dir.join("criterion").join(group_name()).join(function).join(b.to_string()).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

/// Median over `pairs` interleaved runs (ours, then theirs, fresh clusters,
/// setup not timed) of theirs' time / ours: robust to the load drifting on
/// a shared machine between Criterion's separate measurements.
fn paired_ratio(m: u64, b: u64, pairs: usize) -> f64 {
    let mut ratios = Vec::with_capacity(pairs);
    for _ in 0..pairs {
        let mut o = ours::Cluster::new(N);
        let t0 = std::time::Instant::now();
        o.run(m, b);
        let to = t0.elapsed().as_secs_f64();
        let mut t = theirs::Cluster::new(N);
        let t0 = std::time::Instant::now();
        t.run(m, b);
        let tt = t0.elapsed().as_secs_f64();
        ratios.push(tt / to);
    }
    ratios.sort_by(|a, b| a.partial_cmp(b).unwrap());
    ratios[pairs / 2]
}

fn summary(test_mode: bool) {
    let m = entries();
    for b in BATCHES {
        let ours_msgs = ours::Cluster::new(N).run(m, b).msgs as f64 / m as f64;
        let theirs_msgs = theirs::Cluster::new(N).run(m, b).msgs as f64 / m as f64;
        if test_mode {
            println!("smoke n={N} b={b} m={m}: ours {ours_msgs:.3} msgs/entry, raft-rs {theirs_msgs:.3} msgs/entry");
            continue;
        }
        match (median_ns("libraft", b), median_ns("raft-rs", b)) {
            (Some(o), Some(t)) => {
                let (oe, te) = (m as f64 / (o * 1e-9), m as f64 / (t * 1e-9));
                let paired = paired_ratio(m, b, 15);
                println!(
                    "n={N} B={b:<3} M={m}: libraft {oe:.0} entries/s, raft-rs {te:.0} entries/s (Criterion medians), \
                     ratio {:.2}x; paired-run ratio {paired:.2}x (median of 15); msgs/entry {ours_msgs:.3} vs {theirs_msgs:.3}",
                    oe / te
                );
                println!(
                    "RESULT rust n={N} b={b} m={m} ours_eps={oe:.0} theirs_eps={te:.0} ratio={:.3} paired_ratio={paired:.3} \
                     ours_msgs_per_entry={ours_msgs:.4} theirs_msgs_per_entry={theirs_msgs:.4}",
                    oe / te
                );
            }
            _ => println!("n={N} B={b}: no Criterion estimates found (run without --test)"),
        }
    }
}

/// A warm heap, as in a long-running process: glibc neither gives freed
/// memory back to the kernel nor maps large blocks separately, so runs do not
/// pay page faults that depend on what the previous run freed (this halved
/// or doubled libraft's times depending on the order of runs).
fn warm_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
    }
}

fn main() {
    warm_heap();
    let test_mode = std::env::args().any(|a| a == "--test");
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench_replication(&mut c);
    c.final_summary();
    summary(test_mode);
}
