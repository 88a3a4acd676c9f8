//! The command line: every documented flag is there, bad input is refused
//! with a pointer to --help. (End-to-end tests of the running server are in the
//! workspace's `tests/` crate.)

use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_community-messenger"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn help_lists_every_setting_with_its_environment_variable() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for (flag, env) in [
        ("--addr", "MESSENGER_ADDR"),
        ("--db", "MESSENGER_DB"),
        ("--secure-cookies", "MESSENGER_SECURE_COOKIES"),
        ("--send-limit", "MESSENGER_SEND_LIMIT"),
        ("--register-limit", "MESSENGER_REGISTER_LIMIT"),
        ("--room-creation", "MESSENGER_ROOM_CREATION"),
        ("--metrics-addr", "MESSENGER_METRICS_ADDR"),
    ] {
        assert!(help.contains(flag), "{flag} missing from\n{help}");
        assert!(help.contains(env), "{env} missing from\n{help}");
    }
}

#[test]
fn bad_settings_are_refused_before_anything_starts() {
    for args in [
        &["--addr", "not-an-address"][..],
        &["--room-creation", "everyone"][..],
        &["--send-limit", "-1"][..],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("--help"), "{args:?}: {err}");
    }
}
