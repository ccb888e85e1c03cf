//! The STARTTLS Playground's browser UI.
//!
//! A thin Yew app in the shape of yew's `function_todomvc`: [`state`] is a `Reducible` around
//! the trace that the `starttls-sim` engine computes; [`components`] render it and dispatch
//! intents; [`hooks`] connect the keyboard and the playback timer; [`view`] holds the small
//! pure functions from the trace to what is shown. No protocol logic lives here.
#![forbid(unsafe_code)]

pub mod components;
pub mod hooks;
pub mod state;
pub mod view;

use components::console::Console;
use components::controls::Controls;
use components::diagram::Diagram;
use components::enforcement::Enforcement;
use components::error_panel::ErrorPanel;
use components::explanation::Explanation;
use components::handshake_fact::HandshakeFactCard;
use components::help::Help;
use components::knowledge::KnowledgePanel;
use components::picker::ScenarioPicker;
use components::policies::Policies;
use components::wire::WirePanel;
use hooks::{use_keyboard, use_playback};
use state::{Action, AppState};
use view::knowledge::Side;
use yew::prelude::*;

/// The `performance.mark` set once the first interactive render is done.
pub const READY_MARK: &str = "app-interactive";

/// The scenario named by `?scenario=<id>` in the page's URL, if any.
pub fn url_scenario() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    scenario_param(&search)
}

/// The value of `scenario` in a query string such as `?scenario=happy-path&x=1`.
pub fn scenario_param(search: &str) -> Option<String> {
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("scenario="))
        .filter(|id| !id.is_empty())
        .map(str::to_string)
}

/// The application root.
#[component]
pub fn App() -> Html {
    let state = use_reducer(|| AppState::new(url_scenario().as_deref()));
    let dispatcher = state.dispatcher();
    use_keyboard(dispatcher.clone());
    use_playback(state.playing, state.speed_ms, dispatcher.clone());
    use_effect_with((), |_| {
        if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
            let _ = perf.mark(READY_MARK);
        }
    });

    let step = state
        .trace
        .as_ref()
        .and_then(|t| t.steps.get(state.index))
        .cloned();
    let announcement = step
        .as_ref()
        .map(|s| format!("Step {} of {}: {}", state.index + 1, state.len(), s.text))
        .unwrap_or_default();
    let toggle_help = {
        let d = dispatcher.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::ToggleHelp))
    };
    let summary = state.scenario.as_ref().map(|s| {
        html! {
            <details class="scenario-summary" data-testid="scenario-summary">
                <summary><strong>{ &s.title }</strong>{ " — what it shows" }</summary>
                <p>{ &s.summary }</p>
                <ul>{ for s.goals.iter().map(|g| html! { <li>{ g }</li> }) }</ul>
            </details>
        }
    });

    html! {
        <div class="app">
            <header class="app-header">
                <div class="brand">
                    <h1 data-testid="app-title">{ "STARTTLS Playground" }</h1>
                    <p class="tagline" data-testid="app-tagline">
                        { "See how SMTP's STARTTLS (RFC 3207) really works, by running it: real TLS, real SMTP state machines, and an attacker on the wire." }
                    </p>
                </div>
                <div class="toolbar">
                    <ScenarioPicker catalogue={state.catalogue.clone()}
                        selected={AttrValue::from(state.scenario_id.clone())}
                        dispatcher={dispatcher.clone()} />
                    <Controls index={state.index} len={state.len()} playing={state.playing}
                        speed_ms={state.speed_ms} dispatcher={dispatcher.clone()} />
                    <button type="button" class="help-button" data-testid="help-button"
                        aria-expanded={state.help_open.to_string()} title="Keyboard shortcuts (?)"
                        onclick={toggle_help}>{ "?" }<span class="sr-only">{ " Keyboard shortcuts" }</span></button>
                </div>
                { for summary }
            </header>
            <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announcer">{ announcement }</div>
            { if state.help_open { html! { <Help dispatcher={dispatcher.clone()} /> } } else { html! {} } }
            { for state.error.as_ref().map(|e| html! {
                <ErrorPanel message={AttrValue::from(e.clone())} dispatcher={dispatcher.clone()} />
            }) }
            { match (&state.trace, step) {
                (Some(trace), Some(step)) => html! {
                    <main class="workspace" data-testid="workspace">
                        <Diagram trace={trace.clone()} index={state.index} dispatcher={dispatcher.clone()} />
                        <div class="inspector">
                            <Explanation step={step.clone()} index={state.index} len={state.len()} />
                            <Enforcement step={step.clone()} />
                            <div class="knowledge-pair">
                                <KnowledgePanel trace={trace.clone()} index={state.index} side={Side::Client} />
                                <KnowledgePanel trace={trace.clone()} index={state.index} side={Side::Server} />
                            </div>
                            <WirePanel step={step} />
                        </div>
                    </main>
                },
                _ => html! {},
            } }
            <div class="lower">
                <Policies scenario={state.scenario.clone()} overrides={state.overrides.clone()}
                    dispatcher={dispatcher.clone()} />
                <Console index={state.index} entries={state.console.len()}
                    enabled={state.trace.is_some()} dispatcher={dispatcher.clone()} />
            </div>
            <footer class="app-footer">
                <HandshakeFactCard />
            </footer>
        </div>
    }
}

/// Mounts [`App`] on the document body, after installing the panic hook so that a defect
/// shows in the console instead of a silent blank page.
pub fn start() {
    console_error_panic_hook::set_once();
    yew::Renderer::<App>::new().render();
}
