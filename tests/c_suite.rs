//! The C test suite (c_tests/) and the interaction scripts
//! (c_tests/interact/), with the shared cluster fixture (c_fixture/), compiled
//! with the `cc` crate and run against the library this `cargo test` built
//! (`libraft.so` beside the test binary), so a Rust-only workflow exercises
//! the C ABI as a C program sees it. `make test-c` / `make test-interact` run
//! the same suites against the release build, also under valgrind.
//!
//! The fault-injection tests (t_faults.c, the interaction scripts that use
//! the `fault` command) need the test-only `fault-injection` feature, and
//! t_heap.c (`raft_set_heap_functions`) the `c-heap` feature that `make`
//! builds the C library with: `cargo test --features c-heap,fault-injection`
//! runs them too.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding the `libraft.so` cargo built for this test run.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("deps dir").to_path_buf();
    for dir in [
        deps.clone(),
        deps.parent().expect("profile dir").to_path_buf(),
    ] {
        if dir.join("libraft.so").exists() || dir.join("libraft.dylib").exists() {
            return dir;
        }
    }
    panic!(
        "no libraft.so next to {} (the cdylib is built with the tests)",
        exe.display()
    );
}

/// This machine's target triple, from the compiler that built us.
fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).arg("-vV").output().expect("rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("host triple in rustc -vV")
}

fn sources(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with(prefix) && name.ends_with(".c")
        })
        .collect();
    v.sort();
    v
}

/// Compile `files` with -Wall -Wextra -Werror and link them against libraft.
fn build_program(name: &str, files: &[PathBuf], includes: &[PathBuf]) -> PathBuf {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    fs::create_dir_all(&out).expect("out dir");
    let triple = host_triple();
    let mut build = cc::Build::new();
    build
        .target(&triple)
        .host(&triple)
        .opt_level(1)
        .debug(false)
        .out_dir(&out)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .emit_rerun_if_env_changed(false)
        .std("c99")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .define("_POSIX_C_SOURCE", "200809L")
        .include(root().join("include"));
    if !cfg!(feature = "fault-injection") {
        build.define("INTERACT_NO_FAULTS", None);
    }
    for dir in includes {
        build.include(dir);
    }
    build.files(files);
    let objects = build.compile_intermediates();
    let lib = lib_dir();
    // The library's soname is libraft.so.0 (build.rs); `make build` adds that
    // link in target/release, cargo does not: add it beside the program.
    let soname = out.join("libraft.so.0");
    let _ = fs::remove_file(&soname);
    #[cfg(unix)]
    std::os::unix::fs::symlink(lib.join("libraft.so"), &soname).expect("soname link");
    let bin = out.join(name);
    let status = build
        .get_compiler()
        .to_command()
        .args(&objects)
        .arg("-o")
        .arg(&bin)
        .arg(format!("-L{}", lib.display()))
        .arg("-lraft")
        .arg(format!("-Wl,-rpath,{}", out.display()))
        .status()
        .expect("run the linker");
    assert!(status.success(), "linking {name} failed");
    bin
}

/// `header_codes.h`, which the Makefile generates for t_info.c:
/// `HEADER_RAFT_ERROR_E(X)` / `HEADER_RAFT_STATE_E(X)` list every enumerator
/// of those enums in include/raft.h. Returns the directory holding it.
fn write_header_codes(out: &Path) -> PathBuf {
    let header = fs::read_to_string(root().join("include").join("raft.h")).expect("read raft.h");
    let mut text = String::new();
    let mut names: Vec<&str> = Vec::new();
    for line in header.lines() {
        if line.starts_with("typedef enum") {
            names.clear();
        } else if let Some(rest) = line.strip_prefix("  ").filter(|r| r.starts_with(|c: char| c.is_ascii_uppercase())) {
            if let Some(name) = rest.split([' ', ',']).next() {
                names.push(name);
            }
        } else if let Some(e) = line.strip_prefix("} ").and_then(|r| r.strip_suffix(';')) {
            if e == "raft_error_e" || e == "raft_state_e" {
                let list: String = names.iter().map(|n| format!(" X({n})")).collect();
                text.push_str(&format!("#define HEADER_{}(X){list}\n", e.to_uppercase()));
            }
        }
    }
    assert_eq!(text.lines().count(), 2, "raft_error_e or raft_state_e not found in raft.h");
    fs::create_dir_all(out).expect("header_codes dir");
    fs::write(out.join("header_codes.h"), text).expect("write header_codes.h");
    out.to_path_buf()
}

/// The test registry the Makefile generates from `TEST(name)` lines:
/// t_heap.c first (raft_set_heap_functions precedes any raft_new).
fn write_registry(tests: &[PathBuf], out: &Path) -> PathBuf {
    let mut names = Vec::new();
    for file in tests {
        let text = fs::read_to_string(file).expect("read test file");
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("TEST(") {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                names.push((name, file.display().to_string()));
            }
        }
    }
    let mut sorted: Vec<&String> = names.iter().map(|(n, _)| n).collect();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "duplicate C test names");
    let mut c = String::from("#include \"harness.h\"\n");
    for (n, _) in &names {
        c += &format!("void {n}(void);\n");
    }
    c += "const th_test_t th_tests[] = {\n";
    for (n, f) in &names {
        c += &format!("    {{ \"{n}\", {n}, \"{f}\" }},\n");
    }
    c += "    { 0, 0, 0 } };\nconst int th_num_tests = (int)(sizeof(th_tests) / sizeof(th_tests[0])) - 1;\n";
    fs::create_dir_all(out).expect("out dir");
    let path = out.join("registry.c");
    fs::write(&path, c).expect("write registry");
    path
}

fn run(bin: &Path, args: &[PathBuf]) -> String {
    // cargo puts target/<profile> on LD_LIBRARY_PATH, where `make build`'s
    // libraft.so.0 may be another build of the library: load the one this
    // run built, through the program's own rpath.
    let out = Command::new(bin)
        .args(args)
        .current_dir(root())
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{} failed:\n{stdout}\n{stderr}",
        bin.display()
    );
    stdout
}

/// "N passed, 0 failed" with N > 0, the runners' last line.
fn assert_all_passed(stdout: &str) -> usize {
    let last = stdout.lines().last().unwrap_or("");
    let passed: usize = last
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        last.ends_with(" passed, 0 failed") && passed > 0,
        "unexpected result line: {last}\n{stdout}"
    );
    passed
}

#[test]
fn c_test_suite_passes_against_this_build() {
    let dir = root().join("c_tests");
    let mut tests = if cfg!(feature = "c-heap") { vec![dir.join("t_heap.c")] } else { vec![] };
    tests.extend(
        sources(&dir, "t_")
            .into_iter()
            .filter(|p| !p.ends_with("t_heap.c"))
            .filter(|p| cfg!(feature = "fault-injection") || !p.ends_with("t_faults.c")),
    );
    let registry = write_registry(
        &tests,
        &PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("c_tests_registry"),
    );
    let mut files = vec![
        dir.join("harness.c"),
        dir.join("fixture.c"),
        dir.join("cluster_test.c"),
        registry,
    ];
    files.extend(tests);
    files.extend(sources(&root().join("c_fixture"), ""));
    let codes = write_header_codes(&PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("c_tests_codes"));
    let bin = build_program(
        "raft_c_tests",
        &files,
        &[dir.clone(), root().join("c_fixture"), codes],
    );
    let passed = assert_all_passed(&run(&bin, &[]));
    assert!(passed >= 340, "only {passed} C tests ran");
}

/// Whether a script uses the `fault` command (test-only library feature).
fn uses_faults(script: &Path) -> bool {
    fs::read_to_string(script).is_ok_and(|t| t.lines().any(|l| l.starts_with("fault ")))
}

#[test]
fn interaction_scripts_pass_against_this_build() {
    let dir = root().join("c_tests").join("interact");
    let mut files = sources(&dir, "");
    files.extend(sources(&root().join("c_fixture"), ""));
    let bin = build_program(
        "raft_interact",
        &files,
        &[dir.clone(), root().join("c_fixture")],
    );
    let mut scripts: Vec<PathBuf> = fs::read_dir(dir.join("scripts"))
        .expect("scripts")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .filter(|p| cfg!(feature = "fault-injection") || !uses_faults(p))
        .collect();
    scripts.sort();
    let passed = assert_all_passed(&run(&bin, &scripts));
    assert_eq!(passed, scripts.len());
}
