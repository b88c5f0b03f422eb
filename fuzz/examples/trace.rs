//! Runs one input of one target, outside libFuzzer:
//! `FUZZ_TRACE=1 cargo run --release --no-default-features --example trace -- net_safety FILE`
//! (with `FUZZ_TRACE` set, `net_safety` prints every step and the servers' state).
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: trace TARGET FILE");
        std::process::exit(2);
    }
    let run = raft_fuzz::TARGETS
        .iter()
        .find(|(n, _)| *n == args[1])
        .unwrap_or_else(|| panic!("no fuzz target {}", args[1]))
        .1;
    let data = std::fs::read(&args[2]).expect("read input");
    run(&data);
    eprintln!("input passed");
}
