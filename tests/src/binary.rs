//! The `community-messenger` binary under test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The binary, built from the workspace's current sources once per test
/// process: a test of another package cannot name it with
/// `CARGO_BIN_EXE_*`, so this asks Cargo to build it into the same target
/// directory (quick when it is up to date) and answers its path.
pub fn community_messenger() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        // Tests run from <target>/<profile>/deps/<name>-<hash>.
        let exe = std::env::current_exe().expect("the test executable's path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("a target directory above the test executable");
        let target_dir = profile_dir.parent().expect("the target directory");
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "--quiet", "-p", "community-messenger", "--bin"])
            .arg("community-messenger")
            .env("CARGO_TARGET_DIR", target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building community-messenger failed");
        profile_dir.join(format!(
            "community-messenger{}",
            std::env::consts::EXE_SUFFIX
        ))
    })
}
