//! Generates include/raft.h from the `ffi` module with cbindgen (configured by
//! cbindgen.toml) and gives the shared library its soname. Cargo.toml's
//! `version` is the one source of the version: it becomes the header's
//! `RAFT_VERSION_*` macros and the soname `libraft.so.MAJOR` here, what
//! `raft_version()` returns (src/ffi/info.rs), and the Makefile's VERSION.

use std::path::{Path, PathBuf};

/// The header's version macros, documented for Doxygen.
fn version_macros(major: u32, minor: u32, patch: u32, version: &str) -> String {
    assert!(minor < 100 && patch < 100, "RAFT_VERSION_NUMBER packs MINOR and PATCH in two digits");
    format!(
        "\n/** Major version of the libraft this header belongs to (the soname is libraft.so.MAJOR). */\n\
         #define RAFT_VERSION_MAJOR {major}\n\
         /** Minor version of the libraft this header belongs to. */\n\
         #define RAFT_VERSION_MINOR {minor}\n\
         /** Patch version of the libraft this header belongs to. */\n\
         #define RAFT_VERSION_PATCH {patch}\n\
         /** The header's version as \"MAJOR.MINOR.PATCH\"; compare with raft_version_string(). */\n\
         #define RAFT_VERSION_STRING \"{version}\"\n\
         /** The header's version as MAJOR * 10000 + MINOR * 100 + PATCH; compare with raft_version(). */\n\
         #define RAFT_VERSION_NUMBER {number}",
        number = major * 10000 + minor * 100 + patch
    )
}

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let part = |name: &str| -> u32 {
        let v = std::env::var(name).unwrap();
        v.parse().unwrap_or_else(|_| panic!("{name}={v} is not a number"))
    };
    let (major, minor, patch) =
        (part("CARGO_PKG_VERSION_MAJOR"), part("CARGO_PKG_VERSION_MINOR"), part("CARGO_PKG_VERSION_PATCH"));
    let version = std::env::var("CARGO_PKG_VERSION").unwrap();

    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libraft.so.{major}");

    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let macros = version_macros(major, minor, patch, &version);
    config.after_includes = Some(config.after_includes.take().unwrap_or_default() + &macros);
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
