//! The workspace's binaries under test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The `community-messenger` binary, built from the workspace's current
/// sources once per test process.
pub fn community_messenger() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| build("community-messenger"))
}

/// The `loadgen` binary (its `crowd` runs copies of itself).
pub fn loadgen() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| build("loadgen"))
}

/// A test of another package cannot name a binary with `CARGO_BIN_EXE_*`,
/// so this asks Cargo to build it into the same target directory (quick
/// when it is up to date) and answers its path.
///
/// It builds every binary with every test target, not just `-p` one: a
/// build that includes tests turns on the features dev-dependencies ask
/// for (tokio's `test-util`, messenger-core's `testing`), so a build of the
/// binary's package alone would compile most of the graph a second time (minutes on
/// two cores), while this one is what `cargo test --workspace` already
/// built.
fn build(bin: &str) -> PathBuf {
    // Tests run from <target>/<profile>/deps/<name>-<hash>.
    let exe = std::env::current_exe().expect("the test executable's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("a target directory above the test executable");
    let target_dir = profile_dir.parent().expect("the target directory");
    let mut cmd = Command::new(env!("CARGO"));
    // With PostgreSQL and Redis in: the cluster tests run nodes of it.
    cmd.args(["build", "--quiet", "--workspace", "--bins", "--tests"])
        .args(["--features", "community-messenger/cluster"])
        .env("CARGO_TARGET_DIR", target_dir);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("cargo runs");
    assert!(status.success(), "building {bin} failed");
    profile_dir.join(format!("{bin}{}", std::env::consts::EXE_SUFFIX))
}
