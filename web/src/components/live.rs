//! The live view's panel: the connection's state, follow mode, the lab's sessions (newest
//! first), and, when the lab allows it, its policy. Every line of the list is the lab's
//! [`starttls_sim::live::SessionSummary`]; peer-supplied text is shown as text.

use std::rc::Rc;

use starttls_sim::live::PageMessage;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::state::live::{LiveEvent, LiveSession, LiveState, LiveStatus, outcome_id};
use crate::state::{Action, AppState, ScenarioEntry};

/// Props of [`LivePanel`].
#[derive(Properties, PartialEq)]
pub struct LiveProps {
    /// The live view.
    pub live: Rc<LiveState>,
    /// The scenarios a lab under `--allow-control` may be switched to.
    pub catalogue: Rc<Vec<ScenarioEntry>>,
    /// Where intents go.
    pub dispatcher: UseReducerDispatcher<AppState>,
    /// Sends a message to the lab.
    pub send: Callback<PageMessage>,
}

/// The window's list of step-to-render latencies, in milliseconds, for the end-to-end suite
/// (`window.__liveLatencies`).
fn record_latency(sent_unix_ms: u64) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let latency = js_sys::Date::now() - sent_unix_ms as f64;
    let key = wasm_bindgen::JsValue::from_str("__liveLatencies");
    let list = js_sys::Reflect::get(&window, &key)
        .ok()
        .and_then(|v| v.dyn_into::<js_sys::Array>().ok())
        .unwrap_or_else(|| {
            let a = js_sys::Array::new();
            let _ = js_sys::Reflect::set(&window, &key, &a);
            a
        });
    // Bounded: the newest thousand.
    if list.length() >= 1000 {
        list.shift();
    }
    list.push(&latency.into());
}

fn status_text(live: &LiveState) -> String {
    match &live.status {
        LiveStatus::Connected => match &live.lab {
            Some(lab) => format!(
                "Live: connected to a lab {} (policy {}){}.",
                match lab.mode.as_str() {
                    "proxy" => "proxy",
                    "client" => "client",
                    _ => "server",
                },
                lab.scenario,
                if lab.control {
                    "; this page may change its policy"
                } else {
                    ""
                }
            ),
            None => "Live: connected to the lab.".into(),
        },
        LiveStatus::Reconnecting { attempt: 0 } => {
            format!("Live: connecting to the lab at {}…", live.url)
        }
        LiveStatus::Reconnecting { attempt } => format!(
            "Live: the connection to the lab dropped. Reconnecting (attempt {attempt})… The sessions below stay."
        ),
        LiveStatus::Closed(why) => format!("Live: disconnected. {why}"),
    }
}

fn session_line(s: &LiveSession) -> String {
    let summary = &s.summary;
    let mut parts = vec![match &summary.software {
        Some(sw) => format!("{} ({sw})", summary.peer),
        None => summary.peer.clone(),
    }];
    parts.push(summary.tls.clone().unwrap_or_else(|| "no TLS".into()));
    parts.push(summary.outcome.words().into());
    parts.push(if summary.rules_broken.is_empty() {
        "no rule broken".into()
    } else {
        format!("rules broken: {}", summary.rules_broken.join(", "))
    });
    format!("#{} · {}", s.session, parts.join(" · "))
}

/// The live view's panel.
#[component]
pub fn LivePanel(props: &LiveProps) -> Html {
    let live = &props.live;
    // Once drawn, each step the latest batch added to the session shown has its latency.
    {
        let fresh = live.fresh_sent.clone();
        use_effect_with(live.batch, move |_| {
            for sent in fresh {
                record_latency(sent);
            }
        });
    }
    let follow = {
        let d = props.dispatcher.clone();
        Callback::from(move |_: Event| d.dispatch(Action::Live(LiveEvent::ToggleFollow)))
    };
    let policy = use_state(String::new);
    let control = live.lab.as_ref().filter(|l| l.control).map(|lab| {
        let onchange = {
            let policy = policy.clone();
            Callback::from(move |e: Event| {
                if let Some(select) = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
                {
                    policy.set(select.value());
                }
            })
        };
        let apply = {
            let (send, policy, current) = (props.send.clone(), policy.clone(), lab.scenario.clone());
            Callback::from(move |_: MouseEvent| {
                let scenario = if policy.is_empty() {
                    current.clone()
                } else {
                    (*policy).clone()
                };
                send.emit(PageMessage::SetPolicy {
                    scenario,
                    overrides: Vec::new(),
                });
            })
        };
        let chosen = if policy.is_empty() {
            lab.scenario.clone()
        } else {
            (*policy).clone()
        };
        html! {
            <div class="live-policy" data-testid="live-policy">
                <label>
                    <span class="label">{ "The lab's policy for new sessions" }</span>
                    <select data-testid="live-policy-select" {onchange}>
                        { for props.catalogue.iter().map(|s| html! {
                            <option value={s.id.clone()} selected={s.id == chosen}>{ format!("{} — {}", s.id, s.title) }</option>
                        }) }
                    </select>
                </label>
                <button type="button" data-testid="live-policy-apply" onclick={apply}>{ "Apply" }</button>
            </div>
        }
    });
    let sessions = live.sessions.iter().map(|s| {
        let key = s.key();
        let selected = live.selected.as_ref() == Some(&key);
        let d = props.dispatcher.clone();
        let onclick = Callback::from(move |_: MouseEvent| {
            d.dispatch(Action::Live(LiveEvent::Select(key.clone())))
        });
        html! {
            <li>
                <button type="button" class={classes!("live-session", selected.then_some("selected"))}
                    data-testid="live-session" data-outcome={outcome_id(s.summary.outcome)}
                    data-session={s.session.to_string()} aria-pressed={selected.to_string()} {onclick}>
                    { session_line(s) }
                </button>
            </li>
        }
    });
    html! {
        <section class="panel live" data-testid="live-panel" aria-label="Live sessions">
            <div class="live-head">
                <p class={classes!("live-status", live.status.state())} role="status"
                    data-testid="live-status" data-state={live.status.state()}>
                    { status_text(live) }
                </p>
                <label class="live-follow">
                    <input type="checkbox" data-testid="live-follow" checked={live.follow} onchange={follow} />
                    { " Follow new sessions and steps" }
                </label>
            </div>
            { for live.refused.as_ref().map(|r| html! { <p class="error" data-testid="live-refused">{ r }</p> }) }
            { for control }
            { if live.sessions.is_empty() { html! {
                <p class="live-empty" data-testid="live-empty">
                    { "No session yet: point a mail client at the lab, and its session appears here as it happens." }
                </p>
            } } else { html! {
                <ol class="live-sessions" data-testid="live-sessions">{ for sessions }</ol>
            } } }
        </section>
    }
}
