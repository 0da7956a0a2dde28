//! Shared by build scripts: compile workspace crates to `wasm32-wasip2` components.
//! (Included with `#[path]` by `host/build.rs` and `tests/build.rs`.)

use std::path::{Path, PathBuf};
use std::process::Command;

/// Build `packages` (cdylib crates) for `wasm32-wasip2` in release mode with a separate target
/// directory, and return each package's component path.
pub fn build_components(workspace: &Path, packages: &[String]) -> Vec<PathBuf> {
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"))
        .join("wasm-guests");
    ensure_wasm_target();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--release", "--target", "wasm32-wasip2", "--target-dir"])
        .arg(&target_dir);
    for package in packages {
        cmd.args(["-p", package]);
    }
    // The outer build's flags and wrappers (clippy, coverage) are for the host, not for guests.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("CARGO_") && key != "CARGO_HOME" || key.starts_with("RUSTC") || key == "RUSTFLAGS" {
            cmd.env_remove(&key);
        }
    }
    let status = cmd.status().expect("run cargo to build wasm components");
    assert!(
        status.success(),
        "building {packages:?} for wasm32-wasip2 failed; is the target installed? (rustup target add wasm32-wasip2)"
    );
    packages
        .iter()
        .map(|p| target_dir.join("wasm32-wasip2/release").join(format!("{}.wasm", p.replace('-', "_"))))
        .collect()
}

/// Add the `wasm32-wasip2` target with rustup when it is missing, so a fresh checkout builds
/// with a plain `cargo build`.
fn ensure_wasm_target() {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    let Ok(installed) = installed else { return };
    if String::from_utf8_lossy(&installed.stdout).lines().any(|t| t.trim() == "wasm32-wasip2") {
        return;
    }
    println!("cargo:warning=installing the wasm32-wasip2 target (rustup target add wasm32-wasip2)");
    let added = Command::new("rustup").args(["target", "add", "wasm32-wasip2"]).status();
    assert!(
        added.is_ok_and(|s| s.success()),
        "cannot add the wasm32-wasip2 target; run `rustup target add wasm32-wasip2`"
    );
}

/// Package names of the crates in `dir/*`, and ask cargo to rerun when they or the SDK change.
pub fn packages_in(workspace: &Path, dir: &str) -> Vec<(String, String)> {
    for watched in ["sdk", "wit", dir] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(workspace.join(dir)).expect("read component directory") {
        let path = entry.expect("directory entry").path();
        let manifest = path.join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
        let name = text
            .lines()
            .find_map(|l| l.strip_prefix("name = ").map(|n| n.trim_matches('"').to_string()))
            .expect("package name in Cargo.toml");
        let short = path.file_name().unwrap().to_string_lossy().into_owned();
        found.push((short, name));
    }
    found.sort();
    found
}
