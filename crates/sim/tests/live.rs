//! Live interaction for the UI console: branch from a step, push a client line or an attacker
//! injection, and get new steps appended without recomputing what came before.
#![cfg(feature = "engine")]

use starttls_sim::trace::{Actor, Direction, StepKind};
use starttls_sim::{Engine, scenario};

#[test]
fn a_console_line_appends_steps_from_the_current_point() {
    let s = scenario::find("happy-path").unwrap();
    let mut engine = Engine::new(&s).unwrap();
    engine.run_steps(3).unwrap();
    let before = engine.trace();
    let n = before.steps.len();
    assert!(n >= 3);
    engine.push_client_line("NOOP").unwrap();
    engine.run().unwrap();
    let after = engine.trace();
    assert_eq!(
        &after.steps[..n],
        &before.steps[..],
        "the prefix is kept as it was"
    );
    let typed = after.steps[n..]
        .iter()
        .find(|st| st.actor == Actor::Client && st.kind == StepKind::Command)
        .unwrap();
    assert!(typed.text.contains("NOOP"), "{}", typed.text);
}

#[test]
fn an_injection_under_tls_is_detected_by_rustls() {
    let s = scenario::find("happy-path").unwrap();
    let mut engine = Engine::new(&s).unwrap();
    // Run until the client's TLS is up and it has sent its second EHLO.
    engine.run_steps(28).unwrap();
    assert!(engine.trace().steps.iter().any(|st| st.tls));
    engine
        .push_injection(Direction::ClientToServer, b"RSET\r\n")
        .unwrap();
    engine.run().unwrap();
    let trace = engine.trace();
    assert!(trace.steps.iter().any(|st| st.actor == Actor::Attacker));
    assert!(
        trace.steps.iter().any(|st| st.kind == StepKind::Alert),
        "rustls rejects the injected bytes"
    );
}

#[test]
fn overrides_change_policies_and_unknown_keys_list_the_valid_ones() {
    let s = scenario::find("happy-path").unwrap();
    let err =
        scenario::with_overrides(&s, &[("server.require_tlss".into(), "true".into())]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("unknown key \"server.require_tlss\""), "{msg}");
    assert!(msg.contains("require_tls"), "{msg}");

    // rule PUBLIC-NO-REQUIRE: requiring TLS on a publicly referenced server is rejected.
    let bad =
        scenario::with_overrides(&s, &[("server.require_tls".into(), "true".into())]).unwrap();
    let err = Engine::new(&bad)
        .err()
        .expect("invalid configuration")
        .to_string();
    assert!(err.contains("PUBLIC-NO-REQUIRE"), "{err}");

    let never = scenario::with_overrides(&s, &[("client.tls".into(), "Never".into())]).unwrap();
    let trace = Engine::simulate(&never).unwrap();
    assert!(!trace.outcome.tls_established);
    assert!(
        scenario::find("no-such-scenario")
            .unwrap_err()
            .to_string()
            .contains("happy-path")
    );
}
