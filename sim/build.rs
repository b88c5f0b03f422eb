//! Generates the Rust declarations of the C API from the library's public
//! header with bindgen, so the simulator calls the library exactly as a C
//! program does (if the header and the library disagree, this fails to build
//! or the simulator's checks fail).
use std::env;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let header = manifest.join("../include/raft.h");
    println!("cargo:rerun-if-changed={}", header.display());
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=../c_tests/raft_fault.h");
    if !header.exists() {
        panic!(
            "{} does not exist: build the library first (`make build` or `cargo build --release` at the top)",
            header.display()
        );
    }
    // The library's own build script (run when cargo builds the `raft`
    // dependency) may rewrite the header while we read it: retry a few times.
    let mut last_err = String::new();
    for attempt in 0..20 {
        let text = std::fs::read_to_string(&header).unwrap_or_default();
        if text.contains("raft_new") && text.trim_end().ends_with("#endif") || text.contains("raft_new") && attempt > 5 {
            match bindgen::Builder::default()
                .header_contents("raft.h", &text)
                // The test-only fault-injection ABI (the library is built with
                // the `fault-injection` feature for the simulator).
                .header(manifest.join("../c_tests/raft_fault.h").display().to_string())
                .clang_arg(format!("-I{}", header.parent().unwrap().display()))
                .allowlist_function("raft_.*")
                .allowlist_type("raft_.*|msg_.*|func_.*")
                .allowlist_var("RAFT_.*")
                .prepend_enum_name(false)
                .default_enum_style(bindgen::EnumVariation::Consts)
                .derive_default(true)
                .derive_debug(true)
                .generate()
            {
                Ok(b) => {
                    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("bindings.rs");
                    b.write_to_file(out).expect("write bindings");
                    return;
                }
                Err(e) => last_err = e.to_string(),
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    panic!("bindgen failed on {}: {}", header.display(), last_err);
}
