//! The `starttls-playground` binary: `list`, `run` for every scenario, errors and exit codes.

use std::process::Command;

fn cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_starttls-playground"))
        .args(args)
        .output()
        .expect("run the CLI");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn list_shows_at_least_fifteen_scenarios_and_run_works_for_each() {
    let (code, out, _) = cli(&["list"]);
    assert_eq!(code, 0);
    let ids: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(ids.len() >= 15, "{out}");
    for id in ids {
        let (code, out, err) = cli(&["run", id]);
        assert_eq!(code, 0, "{id}: {err}");
        assert!(out.starts_with("=== "), "{id}: {out}");
        assert!(out.contains("\n=== outcome: "), "{id}");
    }
}

#[test]
fn run_json_is_a_trace_with_a_schema_version() {
    let (code, out, _) = cli(&["run", "happy-path", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema_version"], 2);
    assert!(v["steps"].as_array().unwrap().len() > 20);
}

#[test]
fn set_overrides_a_policy() {
    let (code, out, err) = cli(&["run", "happy-path", "--set", "client.tls=Never"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("STARTTLS  [PIPELINE-LAST]"), "{out}");
    assert!(
        out.contains(
            "=== outcome: The client is done: the server accepted its message for bob@example.test in the clear."
        ),
        "{out}"
    );
}

#[test]
fn errors_are_clear_and_exit_with_2() {
    let (code, _, err) = cli(&["run", "nope"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown scenario \"nope\"") && err.contains("happy-path"),
        "{err}"
    );
    let (code, _, err) = cli(&["run", "happy-path", "--set", "server.bogus=1"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("valid at this level") && err.contains("require_tls"),
        "{err}"
    );
    let (code, _, err) = cli(&["run", "happy-path", "--set", "server.require_tls=true"]);
    assert_eq!(code, 2);
    assert!(err.contains("PUBLIC-NO-REQUIRE"), "{err}");
    let (code, _, _) = cli(&["frobnicate"]);
    assert_eq!(code, 2);
    let (code, _, _) = cli(&[]);
    assert_eq!(code, 2);
}

#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_starttls-playground"))
        .args(["run", "happy-path"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is dropped here: the rest of the transcript meets a closed pipe.
    let out = child.wait_with_output().unwrap();
    assert!(first.starts_with("=== "), "{first}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0));
}
