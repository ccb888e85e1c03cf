//! The engine in headless Chromium: rustls and ring run on wasm32 with the simulated clock,
//! and whole dialogues (the happy path and an attack) reach their expected outcomes.
#![cfg(feature = "engine")]
#![cfg(target_arch = "wasm32")]

use starttls_sim::{Engine, scenario};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn demo_handshake_runs_in_the_browser() {
    let fact = starttls_sim::demo_handshake().expect("handshake in the browser");
    assert_eq!(fact.version, "TLS 1.3");
    assert!(fact.suite.starts_with("TLS_AES_"));
    assert!(fact.client_records >= 2 && fact.server_records >= 3);
}

fn check(id: &str) -> starttls_sim::Trace {
    let s = scenario::find(id).expect("scenario");
    let trace = Engine::simulate(&s).expect("simulate");
    if let Err(misses) = s.expected.check(&trace.outcome) {
        panic!("{id}: {misses:?}");
    }
    trace
}

#[wasm_bindgen_test]
fn happy_path_delivers_under_tls_in_the_browser() {
    let trace = check("happy-path");
    assert!(trace.outcome.tls_established);
    assert!(trace.steps.iter().any(|s| s.tls));
}

#[wasm_bindgen_test]
fn command_injection_against_a_vulnerable_server_in_the_browser() {
    let trace = check("command-injection-vulnerable");
    assert!(trace.outcome.injected_command_run);
    let compliant = check("command-injection-compliant");
    assert!(!compliant.outcome.injected_command_run);
}

#[wasm_bindgen_test]
fn every_scenario_reaches_its_outcome_in_the_browser() {
    for s in scenario::catalogue().expect("catalogue") {
        check(&s.id);
    }
}
