//! The engine in headless Chromium: rustls and ring run on wasm32 with the simulated clock.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn demo_handshake_runs_in_the_browser() {
    let fact = starttls_sim::demo_handshake().expect("handshake in the browser");
    assert_eq!(fact.version, "TLSv1_3");
    assert!(fact.suite.starts_with("TLS13_"));
    assert!(fact.client_records >= 2 && fact.server_records >= 3);
}
