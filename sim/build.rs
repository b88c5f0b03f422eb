//! Generates the Rust declarations of the C API from the library's public
//! header with bindgen, so the simulator calls the library exactly as a C
//! program does (if the header and the library disagree, this fails to build
//! or the simulator's checks fail); and compiles the safety checker the C
//! tests share (`../c_fixture/safety.c`, with the `cc` crate), whose
//! declarations bindgen generates from `safety.h` the same way.
//!
//! The header is read once: the library's build script replaces it
//! atomically (written to a temporary file, renamed over the old one), so
//! it is always either the previous complete header or the new one. `make
//! sim` builds the library (and so writes the header) before the simulator.
use std::env;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=build.rs");
    raft_bindings(&manifest.join("../include/raft.h"), &out.join("bindings.rs"));
    safety_checker(&manifest.join("../c_fixture"), &out.join("safety_bindings.rs"));
}

fn raft_bindings(header: &Path, out: &Path) {
    println!("cargo:rerun-if-changed={}", header.display());
    let text = std::fs::read_to_string(header).unwrap_or_else(|e| {
        panic!("cannot read {}: {e}: build the library first (`make build` or `cargo build --release` at the top)", header.display())
    });
    let bindings = bindgen::Builder::default()
        .header_contents("raft.h", &text)
        .clang_arg(format!("-I{}", header.parent().unwrap().display()))
        .allowlist_function("raft_.*")
        .allowlist_type("raft_.*|msg_.*|func_.*")
        .allowlist_var("RAFT_.*")
        // Fault injection is declared by hand in src/fault.rs: it is not
        // meant to stay in the public header.
        .blocklist_function("raft_set_fault_injection")
        .blocklist_item("RAFT_FAULT_.*")
        .prepend_enum_name(false)
        .default_enum_style(bindgen::EnumVariation::Consts)
        .derive_default(true)
        .derive_debug(true)
        .generate()
        .unwrap_or_else(|e| panic!("bindgen failed on {}: {e}", header.display()));
    bindings.write_to_file(out).expect("write bindings");
}

/// `safety.c` as a static library linked into the simulator, built with the
/// C tests' warnings (C99, -Wall -Wextra -Werror), and the Rust
/// declarations of `safety.h`.
fn safety_checker(dir: &Path, out: &Path) {
    let (source, header) = (dir.join("safety.c"), dir.join("safety.h"));
    println!("cargo:rerun-if-changed={}", source.display());
    println!("cargo:rerun-if-changed={}", header.display());
    cc::Build::new()
        .file(&source)
        .include(dir)
        .std("c99")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .compile("safety");
    bindgen::Builder::default()
        .header(header.to_str().expect("a UTF-8 path"))
        .allowlist_function("safety_.*")
        .allowlist_var("SAFETY_.*")
        .generate()
        .unwrap_or_else(|e| panic!("bindgen failed on {}: {e}", header.display()))
        .write_to_file(out)
        .expect("write safety bindings");
}
