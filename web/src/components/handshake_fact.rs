//! The first screen's proof of life: a real rustls TLS 1.3 handshake, run in this page.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use starttls_sim::HandshakeFact;
use yew::prelude::*;

/// The outcome of running the handshake in the page.
#[derive(Clone, PartialEq)]
enum Outcome {
    Running,
    Done { fact: HandshakeFact, millis: f64 },
    Failed(String),
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// The card's properties.
#[derive(Properties, PartialEq)]
pub struct HandshakeFactProps {
    /// Whether the engine module failed to load (and no retry has mended it yet).
    pub engine_failed: bool,
}

/// Runs the engine's `demo_handshake` once, in a task after the first render and the engine's
/// load, and shows what it negotiated: version, cipher suite, key-exchange group and record
/// counts. After a failed load, a retry that loads runs it again.
#[component]
pub fn HandshakeFactCard(props: &HandshakeFactProps) -> Html {
    let outcome = use_state(|| Outcome::Running);
    {
        let outcome = outcome.clone();
        use_effect_with(props.engine_failed, move |&failed| {
            // Once the engine has loaded, in a task of its own after the first render's
            // effects: the first render and its `app-interactive` mark do not wait for it, and
            // input that arrives meanwhile can run before it. The card, at the foot of the
            // page, fills in a moment later.
            let slot: Rc<RefCell<Option<Timeout>>> = Rc::default();
            let gone = Rc::new(Cell::new(false));
            // While the load has failed, the card keeps its message.
            if !failed {
                if *outcome != Outcome::Running {
                    outcome.set(Outcome::Running);
                }
                let (slot, gone) = (slot.clone(), gone.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    if let Err(why) = crate::engine::load().await {
                        if !gone.get() {
                            outcome.set(Outcome::Failed(why));
                        }
                        return;
                    }
                    if gone.get() {
                        return;
                    }
                    *slot.borrow_mut() = Some(Timeout::new(0, move || {
                        let start = now_ms();
                        let result = crate::engine::demo_handshake();
                        let millis = now_ms() - start;
                        outcome.set(match result {
                            Ok(fact) => Outcome::Done { fact, millis },
                            Err(e) => Outcome::Failed(e.to_string()),
                        });
                    }));
                });
            }
            move || {
                gone.set(true);
                slot.borrow_mut().take();
            }
        });
    }
    let body = match &*outcome {
        Outcome::Running => html! { <p>{ "Running a TLS 1.3 handshake in this page…" }</p> },
        Outcome::Failed(e) => {
            html! { <p class="error" role="alert">{ format!("The handshake failed: {e}") }</p> }
        }
        Outcome::Done { fact, millis } => html! {
            <>
                <p class="fact-line">
                    { "A real rustls TLS handshake just ran in this page, between a client and a server in memory: " }
                    <strong data-testid="handshake-version">{ &fact.version }</strong>
                    { " with " }
                    <strong data-testid="handshake-suite">{ &fact.suite }</strong>
                    { " over " }
                    <strong data-testid="handshake-group">{ &fact.group }</strong>
                    { "." }
                </p>
                <dl class="fact-grid">
                    <dt>{ "Client records" }</dt><dd data-testid="handshake-client-records">{ fact.client_records }</dd>
                    <dt>{ "Server records" }</dt><dd data-testid="handshake-server-records">{ fact.server_records }</dd>
                    <dt>{ "Flights" }</dt><dd>{ fact.flights }</dd>
                    <dt>{ "Bytes on the wire" }</dt><dd>{ fact.bytes }</dd>
                    <dt>{ "Time in this page" }</dt><dd data-testid="handshake-ms">{ format!("{millis:.1} ms") }</dd>
                </dl>
            </>
        },
    };
    let state = match &*outcome {
        Outcome::Running => "running",
        Outcome::Done { .. } => "done",
        Outcome::Failed(_) => "error",
    };
    html! {
        <section class="card" data-testid="handshake-fact" data-state={state} aria-live="polite">
            <h2>{ "Real TLS, in your browser" }</h2>
            { body }
        </section>
    }
}
