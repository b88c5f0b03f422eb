//! Generates the Rust declarations of the C API from the library's public
//! header with bindgen, so the fuzz targets call the library exactly as a C
//! program does — plus the test-only fault-injection declarations of
//! c_tests/raft_fault.h (the library is built with that feature here). The
//! library's build writes include/raft.h atomically: it is read once.
use std::env;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let header = manifest.join("../include/raft.h");
    let faults = manifest.join("../c_tests/raft_fault.h");
    println!("cargo:rerun-if-changed={}", header.display());
    println!("cargo:rerun-if-changed={}", faults.display());
    println!("cargo:rerun-if-changed=build.rs");
    let text = std::fs::read_to_string(&header)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}: run `make build` at the top first", header.display()));
    let bindings = bindgen::Builder::default()
        .header_contents("raft.h", &text)
        .header(faults.display().to_string())
        .clang_arg(format!("-I{}", header.parent().unwrap().display()))
        .allowlist_function("raft_.*")
        .allowlist_type("raft_.*|msg_.*|func_.*")
        .allowlist_var("RAFT_.*")
        .prepend_enum_name(false)
        .default_enum_style(bindgen::EnumVariation::Consts)
        .derive_default(true)
        .derive_debug(true)
        .generate()
        .unwrap_or_else(|e| panic!("bindgen failed on {}: {e}", header.display()));
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("bindings.rs");
    bindings.write_to_file(out).expect("write bindings");
}
