//! The first screen, rendered by Yew in headless Chromium.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn first_screen_shows_a_real_tls13_handshake() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<starttls_web::App>::with_root(root.clone()).render();
    yew::scheduler::flush().await;

    let card = root
        .query_selector("[data-testid=handshake-fact]")
        .unwrap()
        .expect("card rendered");
    // The handshake runs in a task after the first render: wait for it (at most 10 s).
    for _ in 0..1000 {
        if card.get_attribute("data-state").as_deref() != Some("running") {
            break;
        }
        yew::platform::time::sleep(std::time::Duration::from_millis(10)).await;
        yew::scheduler::flush().await;
    }
    assert_eq!(
        card.get_attribute("data-state").as_deref(),
        Some("done"),
        "{}",
        card.inner_html()
    );
    let text = |id: &str| {
        root.query_selector(&format!("[data-testid={id}]"))
            .unwrap()
            .expect(id)
            .text_content()
            .unwrap_or_default()
    };
    assert_eq!(text("handshake-version"), "TLS 1.3");
    assert!(text("handshake-suite").starts_with("TLS_AES_"));
    assert!(text("handshake-client-records").parse::<u32>().unwrap() >= 2);
    assert!(text("handshake-server-records").parse::<u32>().unwrap() >= 3);
    assert_eq!(text("app-title"), "STARTTLS Playground");
}
