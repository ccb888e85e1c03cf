//! The STARTTLS Playground's browser UI.
//!
//! A thin Yew app in the shape of yew's `function_todomvc`: components render what the
//! `starttls-sim` engine computes and dispatch intents; no protocol logic lives here.
#![forbid(unsafe_code)]

pub mod components;

use components::handshake_fact::HandshakeFactCard;
use yew::prelude::*;

/// The application root.
#[component]
pub fn App() -> Html {
    html! {
        <main class="app">
            <header class="app-header">
                <h1 data-testid="app-title">{ "STARTTLS Playground" }</h1>
                <p class="tagline" data-testid="app-tagline">
                    { "See how SMTP's STARTTLS (RFC 3207) really works, by running it: real TLS, real SMTP state machines, and an attacker on the wire." }
                </p>
            </header>
            <HandshakeFactCard />
        </main>
    }
}

/// Mounts [`App`] on the document body, after installing the panic hook so that a defect
/// shows in the console instead of a silent blank page.
pub fn start() {
    console_error_panic_hook::set_once();
    yew::Renderer::<App>::new().render();
}
