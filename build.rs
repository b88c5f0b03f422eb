//! Generates include/raft.h from the `ffi` module with cbindgen (configured by
//! cbindgen.toml) and gives the shared library its soname.

use std::path::{Path, PathBuf};

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libraft.so.0");

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let header = crate_dir.join("include").join("raft.h");
    match cbindgen::Builder::new().with_src(crate_dir.join("src/ffi/mod.rs")).with_config(config).generate() {
        Ok(bindings) => {
            let mut text = Vec::new();
            bindings.write(&mut text);
            replace_if_changed(&header, &text);
        }
        Err(e) => panic!("cbindgen failed: {e}"),
    }
}

/// Replaces `path` with `text` atomically, and only when its content
/// changes (so builds do not dirty the tree needlessly): the text goes to a
/// temporary file in the same directory, which is then renamed over the old
/// file. A build reading the header at the same time (the simulator's
/// bindgen) sees the old complete file or the new one, never a partial one.
fn replace_if_changed(path: &Path, text: &[u8]) {
    if std::fs::read(path).is_ok_and(|old| old == text) {
        return;
    }
    let name = path.file_name().unwrap().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        panic!("cannot write {}: {e}", path.display());
    }
}
