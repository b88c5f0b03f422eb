//! Generates the Rust declarations of the C API from the library's public
//! header with bindgen, so the fuzz targets call the library exactly as a C
//! program does.
use std::env;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let header = manifest.join("../include/raft.h");
    println!("cargo:rerun-if-changed={}", header.display());
    println!("cargo:rerun-if-changed=build.rs");
    // The library's build script (run when cargo builds the `raft`
    // dependency) may be rewriting the header while we read it: retry.
    let mut last_err = String::from("include/raft.h missing: run `make build` at the top first");
    for _ in 0..20 {
        let text = std::fs::read_to_string(&header).unwrap_or_default();
        if text.contains("raft_new") && text.contains("#endif") {
            match bindgen::Builder::default()
                .header_contents("raft.h", &text)
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
