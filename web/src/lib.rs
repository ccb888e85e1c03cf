//! The STARTTLS Playground's browser UI.
//!
//! A thin Yew app in the shape of yew's `function_todomvc`: [`state`] is a `Reducible` around
//! the trace that the `starttls-sim` engine computes; [`components`] render it and dispatch
//! intents; [`hooks`] connect the keyboard and the playback timer; [`view`] holds the small
//! pure functions from the trace to what is shown. No protocol logic lives here.
#![forbid(unsafe_code)]

pub mod components;
pub mod engine;
pub mod hooks;
pub mod state;
pub mod view;

use std::rc::Rc;

use components::compare::CompareView;
use components::console::Console;
use components::controls::Controls;
use components::diagram::Diagram;
use components::enforcement::Enforcement;
use components::error_panel::ErrorPanel;
use components::explanation::Explanation;
use components::exports::{Exports, import_file};
use components::handshake_fact::HandshakeFactCard;
use components::help::Help;
use components::knowledge::KnowledgePanel;
use components::lesson::LessonPanel;
use components::live::LivePanel;
use components::picker::{CompareWith, ScenarioPicker};
use components::policies::Policies;
use components::quiz::QuizCard;
use components::share::ShareBar;
use components::state_diagram::StateDiagram;
use components::summary::ScenarioSummary;
use components::wire::WirePanel;
use hooks::{FrameInfo, use_keyboard, use_live, use_playback, use_post_height, use_url_sync};
use state::{Action, AppState};
use view::knowledge::Side;
use wasm_bindgen::prelude::*;
use yew::prelude::*;

/// How long the first render waits for the precomputed traces at most, in milliseconds.
pub const PRECOMPUTED_WAIT_MS: u32 = 3000;

/// The `performance.mark` set once the first interactive render is done.
pub const READY_MARK: &str = "app-interactive";

/// The page's query string (`?…`), or an empty one.
pub fn url_search() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// The scenario named by `?scenario=<id>` in the page's URL, if any.
pub fn url_scenario() -> Option<String> {
    scenario_param(&url_search())
}

/// The value of `scenario` in a query string such as `?scenario=happy-path&x=1`.
pub fn scenario_param(search: &str) -> Option<String> {
    view::permalink::parse_query(search).query.scenario
}

/// Whether the engine answers now (`window.wasmBindings.engine_ready()`; in the shipped build,
/// once the engine module has loaded).
#[wasm_bindgen]
pub fn engine_ready() -> bool {
    engine::is_loaded()
}

/// A measuring hook for the end-to-end suite, reachable as
/// `window.wasmBindings.simulate_scenario_ms(id, runs)`: runs the engine on scenario `id`
/// `runs` times (at least once) and returns the median wall time of one run in milliseconds,
/// measured with `performance.now`; `NaN` for an unknown scenario, a failed run, or an engine
/// that has not loaded. In the shipped build a run includes the trace's crossing from the
/// engine module in compact form.
#[wasm_bindgen]
pub fn simulate_scenario_ms(id: &str, runs: u32) -> f64 {
    let Ok(scenario) = starttls_sim::scenario::find(id) else {
        return f64::NAN;
    };
    let Some(perf) = web_sys::window().and_then(|w| w.performance()) else {
        return f64::NAN;
    };
    let mut times = Vec::with_capacity(runs.max(1) as usize);
    for _ in 0..runs.max(1) {
        let t0 = perf.now();
        if engine::compute(&scenario, &[]).is_err() {
            return f64::NAN;
        }
        times.push(perf.now() - t0);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Loads the engine module (or retries a failed load), then tells the state.
fn load_engine(d: UseReducerDispatcher<AppState>) {
    wasm_bindgen_futures::spawn_local(async move {
        match engine::load().await {
            Ok(()) => d.dispatch(Action::EngineReady),
            Err(why) => d.dispatch(Action::EngineFailed(why)),
        }
    });
}

/// Sets `class` on the `<html>` element while `on` (presenter and embed modes restyle the root
/// font size and the page background).
fn root_class(class: &str, on: bool) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = if on {
            root.class_list().add_1(class)
        } else {
            root.class_list().remove_1(class)
        };
    }
}

/// The application root.
#[component]
pub fn App() -> Html {
    let state = use_reducer(|| AppState::from_query(&url_search()));
    let dispatcher = state.dispatcher();
    let view = state.view;
    use_keyboard(dispatcher.clone(), view.present);
    use_playback(state.playing, state.speed_ms, dispatcher.clone());
    let root = use_node_ref();
    use_post_height(
        root.clone(),
        view.embed,
        FrameInfo {
            scenario: state.scenario_id.clone(),
            step: state.position() + 1,
            steps: state.visible_len(),
        },
    );
    use_url_sync(
        state.query(true),
        state.imported.is_none() && state.live.is_none(),
    );
    let send = use_live(
        state.live.as_ref().map(|l| l.url.clone()),
        dispatcher.clone(),
    );
    use_effect_with((view.embed, view.present), |&(embed, present)| {
        root_class("embed", embed);
        root_class("present", present);
    });
    {
        let d = dispatcher.clone();
        use_effect_with((), move |_| {
            if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
                let _ = perf.mark(READY_MARK);
            }
            // The engine module, after the first render: what waits for it is then computed.
            load_engine(d);
        });
    }
    let reader = use_mut_ref(|| None);
    let dragging = use_state(|| false);

    let step = state
        .trace
        .as_ref()
        .and_then(|t| t.steps.get(state.index))
        .cloned();
    let announcement = step
        .as_ref()
        .map(|s| {
            format!(
                "Step {} of {}: {}",
                state.position() + 1,
                state.visible_len(),
                s.text
            )
        })
        .unwrap_or_default();
    let toggle_help = {
        let d = dispatcher.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::ToggleHelp))
    };
    let title = state
        .trace
        .as_ref()
        .map(|t| t.scenario.title.clone())
        .unwrap_or_default();
    let summary = state
        .scenario
        .as_ref()
        .map(|s| html! { <ScenarioSummary scenario={s.clone()} /> });
    let dismiss = {
        let d = dispatcher.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::DismissNotices))
    };
    let notices = (!state.notices.is_empty() || state.import_error.is_some()).then(|| html! {
        <section class="panel notices" role="status" data-testid="notices">
            <ul>
                { for state.notices.iter().map(|n| html! { <li data-testid="url-notice">{ n }</li> }) }
                { for state.import_error.iter().map(|e| html! { <li class="error" data-testid="import-error">{ e }</li> }) }
            </ul>
            <button type="button" data-testid="notices-dismiss" onclick={dismiss}>{ "Dismiss" }</button>
        </section>
    });
    let controls = match &state.compare {
        Some(c) => html! {
            <Controls index={state.compare_pos} len={c.len()} playing={state.playing}
                speed_ms={state.speed_ms} detail={false} dispatcher={dispatcher.clone()} />
        },
        None => html! {
            <Controls index={state.position()} len={state.visible_len()} playing={state.playing}
                speed_ms={state.speed_ms} detail={state.detailed()} dispatcher={dispatcher.clone()} />
        },
    };
    let compare_with = html! {
        <CompareWith catalogue={state.catalogue.clone()} selected={AttrValue::from(state.scenario_id.clone())}
            dispatcher={dispatcher.clone()} />
    };
    let quiz = match (&state.trace, view.quiz) {
        (Some(trace), true) => html! {
            <QuizCard trace={trace.clone()} index={state.index} quiz={state.quiz.clone()} dispatcher={dispatcher.clone()} />
        },
        _ => html! {},
    };
    let full = !view.embed && !view.present;
    let workspace = match (&state.compare, &state.trace, step) {
        (Some(c), _, _) => html! {
            <CompareView comparison={c.clone()} position={state.compare_pos} dispatcher={dispatcher.clone()} large={view.present} />
        },
        (None, trace, step) => match (trace, step) {
            (Some(trace), Some(step)) => {
                let knowledge = (full || view.knowledge).then(|| html! {
                <div class="knowledge-pair">
                    <KnowledgePanel trace={trace.clone()} index={state.index} side={Side::Client} />
                    <KnowledgePanel trace={trace.clone()} index={state.index} side={Side::Server} />
                </div>
            });
                let wire = (full || view.wire).then(|| html! { <WirePanel step={step.clone()} /> });
                // Each machine's state diagram, from the protocol crate's tables; off in embed and
                // presenter modes unless panels=states.
                let states = (full || view.states).then(|| html! {
                <details class="panel states-panel" open=true>
                    <summary><h2>{ "State diagrams" }</h2></summary>
                    <div class="state-pair">
                        <StateDiagram trace={trace.clone()} index={state.index} side={Side::Client} />
                        <StateDiagram trace={trace.clone()} index={state.index} side={Side::Server} />
                    </div>
                </details>
            });
                html! {
                    <main class="workspace" data-testid="workspace">
                        <Diagram trace={trace.clone()} index={state.index} dispatcher={dispatcher.clone()}
                            hide_future={view.quiz} visible={Rc::new(state.visible())} large={view.present} />
                        <div class="inspector">
                            { quiz }
                            <Explanation trace={trace.clone()} at={state.index} upto={state.annotations(state.index).end}
                                index={state.position()} len={state.visible_len()} />
                            { if view.embed { html! {} } else { html! {
                                <Enforcement step={step.clone()}
                                    real={(trace.is_real(starttls_sim::trace::Actor::Client), trace.is_real(starttls_sim::trace::Actor::Server))} />
                            } } }
                            { for knowledge }
                            { for states }
                            { for wire }
                        </div>
                    </main>
                }
            }
            _ => html! {},
        },
    };
    // While the engine module loads, what waits for it says so (a moment, on a fast link).
    let engine_loading = if state.waiting() {
        html! {
            <section class="panel engine-loading" role="status" data-testid="engine-loading">
                <p>{ "Loading the engine (rustls, ring and the SMTP state machines) into this page: the dialogue appears as soon as it has run." }</p>
            </section>
        }
    } else {
        html! {}
    };
    // A failed load: why, and a retry (the loader starts over after a failure).
    let engine_failed = state.engine_failure.as_ref().map(|why| {
        let d = dispatcher.clone();
        let retry = Callback::from(move |_: MouseEvent| load_engine(d.clone()));
        html! {
            <section class="panel engine-failed" role="alert" data-testid="engine-failed">
                <p>{ format!("Policy changes, the console, comparisons, imports and exports need the engine, and {why}.") }</p>
                <button type="button" data-testid="engine-retry" onclick={retry}>{ "Load the engine again" }</button>
            </section>
        }
    });
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if !*dragging {
                dragging.set(true);
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            if e.related_target().is_none() {
                dragging.set(false);
            }
        })
    };
    let ondrop = {
        let dragging = dragging.clone();
        let d = dispatcher.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            if let Some(file) = e
                .data_transfer()
                .and_then(|t| t.files())
                .and_then(|f| f.get(0))
            {
                import_file(file, &reader, d.clone());
            }
        })
    };

    if view.embed {
        let open_full = format!("{}{}", components::share::page_base(), state.query(false));
        return html! {
            <div class={classes!("app", "embed", view.present.then_some("present"))} ref={root} data-testid="app" data-mode="embed">
                <header class="embed-header">
                    <h1 class="embed-heading">
                        <a class="embed-title" href={open_full} target="_blank" rel="noopener" data-testid="embed-title">
                            { title }
                        </a>
                    </h1>
                    { controls }
                </header>
                <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announcer">{ announcement }</div>
                { for notices }
                { for state.error.as_ref().map(|e| html! {
                    <ErrorPanel message={AttrValue::from(e.clone())} dispatcher={dispatcher.clone()} />
                }) }
                { engine_loading.clone() }
                { workspace }
            </div>
        };
    }

    let lab_session = |lab: &starttls_sim::trace::LabSession| {
        let (peer_side, own_side) = match lab.remote {
            starttls_sim::trace::Actor::Server => ("server", "client"),
            starttls_sim::trace::Actor::Client => ("client", "server"),
            _ => {
                return html! {
                    <p data-testid="lab-session" data-remote="both">
                        { format!(
                            "A lab proxy session over real TCP, started {}: a real client at {} and a real server at {}, with the playground on the wire between them as the attacker. Neither side's state is visible: the panels show what each sent and what the attacker changed.",
                            lab.started, lab.peer, lab.local
                        ) }
                    </p>
                };
            }
        };
        let software = lab
            .software
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        html! {
            <p data-testid="lab-session" data-remote={peer_side}>
                { format!(
                    "A lab session over real TCP, started {}: the {peer_side} was a real one at {}{software}, talking to the playground's {own_side} at {}. The {peer_side}'s own state is not visible: its panels show what it sent, not what it decided.",
                    lab.started, lab.peer, lab.local
                ) }
            </p>
        }
    };
    let imported = state.imported.as_ref().map(|name| {
        let d = dispatcher.clone();
        let id = state.scenario_id.clone();
        let back = Callback::from(move |_: MouseEvent| d.dispatch(Action::Select(id.clone())));
        html! {
            <section class="panel imported" data-testid="imported-banner">
                <p>
                    <strong>{ format!("Imported trace: {name}") }</strong>
                    { format!(" ({} steps). Policies and the console work on simulations.", state.len()) }
                </p>
                { for state.trace.as_ref().and_then(|t| t.lab.as_ref()).map(lab_session) }
                <button type="button" data-testid="back-to-simulation" onclick={back}>{ "Back to the simulation" }</button>
            </section>
        }
    });
    let live = state.live.as_ref().map(|live| {
        html! {
            <>
                <LivePanel live={live.clone()} catalogue={state.catalogue.clone()}
                    dispatcher={dispatcher.clone()} send={send.clone()} />
                { for live.shown().map(|s| html! {
                    <section class="panel imported">{ lab_session(s.trace.lab.as_ref().unwrap_or(&s.lab)) }</section>
                }) }
            </>
        }
    });
    let simulation = state.imported.is_none() && state.live.is_none();
    html! {
        <div class={classes!("app", view.present.then_some("present"), dragging.then_some("dragging"))}
            ref={root} data-testid="app" data-mode={if view.present { "present" } else { "full" }}
            {ondragover} {ondragleave} {ondrop}>
            <header class="app-header">
                <div class="brand">
                    <h1 data-testid="app-title">{ "STARTTLS Playground" }</h1>
                    <p class="tagline" data-testid="app-tagline">
                        { "See how SMTP's STARTTLS (RFC 3207) really works, by running it: real TLS, real SMTP state machines, and an attacker on the wire." }
                    </p>
                </div>
                <div class="toolbar">
                    { if state.live.is_none() { html! {
                        <ScenarioPicker catalogue={state.catalogue.clone()}
                            selected={AttrValue::from(state.scenario_id.clone())}
                            dispatcher={dispatcher.clone()} />
                    } } else { html! {} } }
                    { controls }
                    { if state.compare.is_none() && state.live.is_none() { compare_with } else { html! {} } }
                    <button type="button" class="help-button" data-testid="help-button"
                        aria-expanded={state.help_open.to_string()} title="Keyboard shortcuts (?)"
                        onclick={toggle_help}>{ "?" }<span class="sr-only">{ " Keyboard shortcuts" }</span></button>
                </div>
                <ShareBar query={AttrValue::from(state.query(false))} title={AttrValue::from(title.clone())}
                    view={view} has_console={!state.console.is_empty()} imported={state.imported.is_some()}
                    dispatcher={dispatcher.clone()} />
                { for summary }
            </header>
            <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announcer">{ announcement }</div>
            { if state.help_open { html! { <Help dispatcher={dispatcher.clone()} /> } } else { html! {} } }
            { for notices }
            { for imported }
            { for live }
            { for state.error.as_ref().map(|e| html! {
                <ErrorPanel message={AttrValue::from(e.clone())} dispatcher={dispatcher.clone()} />
            }) }
            { engine_loading }
            { for engine_failed }
            { if view.lesson { html! {
                <LessonPanel catalogue={state.catalogue.clone()} scenario_id={AttrValue::from(state.scenario_id.clone())}
                    dispatcher={dispatcher.clone()} />
            } } else { html! {} } }
            { workspace }
            { if view.present { html! {} } else { html! {
                <>
                    <div class="lower">
                        { if !simulation { html! {} } else { html! {
                            <>
                                <Policies scenario={state.scenario.clone()} overrides={state.overrides.clone()}
                                    dispatcher={dispatcher.clone()} />
                                <Console index={state.index} entries={state.console.len()}
                                    enabled={state.trace.is_some()} dispatcher={dispatcher.clone()} />
                            </>
                        } } }
                        <Exports trace={state.trace.clone()} now_unix={state.scenario.as_ref().map(|s| s.tls.now_unix)}
                            dispatcher={dispatcher.clone()} />
                    </div>
                    <footer class="app-footer">
                        <HandshakeFactCard engine_failed={state.engine_failure.is_some()} />
                    </footer>
                </>
            } } }
            { if *dragging { html! { <div class="drop-overlay" aria-hidden="true">{ "Drop a trace (.json) to import it" }</div> } } else { html! {} } }
        </div>
    }
}

/// Mounts [`App`] on the document body, after installing the panic hook so that a defect
/// shows in the console instead of a silent blank page.
pub fn start() {
    console_error_panic_hook::set_once();
    // The precomputed traces the first view needs, then the first render (a trace that cannot
    // be fetched is computed by the engine once it has loaded). A fetch that stalls does not
    // hold the page: the first render happens after `PRECOMPUTED_WAIT_MS` at the latest.
    let wanted = engine::precomputed::wanted(&url_search());
    let rendered = Rc::new(std::cell::Cell::new(false));
    let render = {
        let rendered = rendered.clone();
        move || {
            if !rendered.replace(true) {
                yew::Renderer::<App>::new().render();
            }
        }
    };
    let fallback = {
        let render = render.clone();
        gloo::timers::callback::Timeout::new(PRECOMPUTED_WAIT_MS, render)
    };
    wasm_bindgen_futures::spawn_local(async move {
        for problem in engine::precomputed::fetch(&wanted).await {
            gloo::console::debug!(format!("no precomputed trace: {problem}"));
        }
        drop(fallback);
        render();
    });
}
