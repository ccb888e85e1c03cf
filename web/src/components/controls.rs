//! Step controls: first, previous, play/pause with a speed, next, last, a scrubber and the
//! step counter.

use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::components::icons::{Icon, icon};
use crate::state::{Action, AppState, SPEEDS};

/// Props of [`Controls`].
#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    /// The current step.
    pub index: usize,
    /// The number of steps.
    pub len: usize,
    /// Whether playback runs.
    pub playing: bool,
    /// Milliseconds per step.
    pub speed_ms: u32,
    /// "Detail: every decision" is on.
    pub detail: bool,
    /// Where intents go.
    pub dispatcher: UseReducerDispatcher<AppState>,
}

/// The transport bar.
#[component]
pub fn Controls(props: &ControlsProps) -> Html {
    let d = props.dispatcher.clone();
    let send = move |action: Action| {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(action.clone()))
    };
    let on_scrub = {
        let d = props.dispatcher.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                && let Ok(i) = input.value().parse::<usize>()
            {
                d.dispatch(Action::GotoPosition(i.saturating_sub(1)));
            }
        })
    };
    let on_speed = {
        let d = props.dispatcher.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
                && let Ok(ms) = select.value().parse::<u32>()
            {
                d.dispatch(Action::SetSpeed(ms));
            }
        })
    };
    let empty = props.len == 0;
    let at_start = empty || props.index == 0;
    let at_end = empty || props.index + 1 >= props.len;
    let current = if empty { 0 } else { props.index + 1 };
    html! {
        <div class="controls" role="group" aria-label="Step controls">
            <button type="button" data-testid="step-first" title="First step (Home)"
                aria-label="First step" disabled={at_start} onclick={send(Action::First)}>{ icon(Icon::First) }</button>
            <button type="button" data-testid="step-prev" title="Previous step (←)"
                aria-label="Previous step" disabled={at_start} onclick={send(Action::Prev)}>{ icon(Icon::Prev) }</button>
            <button type="button" class="play" data-testid="step-play" title="Play or pause (Space)"
                aria-label={if props.playing { "Pause" } else { "Play" }}
                aria-pressed={props.playing.to_string()}
                data-playing={props.playing.to_string()}
                disabled={empty} onclick={send(Action::TogglePlay)}>
                { if props.playing { icon(Icon::Pause) } else { icon(Icon::Play) } }
                <span>{ if props.playing { "Pause" } else { "Play" } }</span>
            </button>
            <button type="button" data-testid="step-next" title="Next step (→)"
                aria-label="Next step" disabled={at_end} onclick={send(Action::Next)}>{ icon(Icon::Next) }</button>
            <button type="button" data-testid="step-last" title="Last step (End)"
                aria-label="Last step" disabled={at_end} onclick={send(Action::Last)}>{ icon(Icon::Last) }</button>
            <label class="speed">
                <span class="label">{ "Speed" }</span>
                <select data-testid="step-speed" onchange={on_speed}>
                    { for SPEEDS.iter().map(|(ms, label)| html! {
                        <option value={ms.to_string()} selected={*ms == props.speed_ms}>{ *label }</option>
                    }) }
                </select>
            </label>
            <input type="range" class="scrubber" data-testid="step-scrubber" aria-label="Step"
                min="1" max={props.len.max(1).to_string()} value={current.to_string()}
                disabled={empty} oninput={on_scrub} />
            <output class="counter" data-testid="step-counter" aria-label="Step counter">
                { format!("{current} / {}", props.len) }
            </output>
            <button type="button" class="detail-level" data-testid="detail-level"
                aria-pressed={props.detail.to_string()}
                title="Show every decision and state change as a step of its own, or one step per message"
                onclick={send(Action::ToggleDetail)}>
                { if props.detail { "Detail: every decision" } else { "Detail: messages" } }
            </button>
        </div>
    }
}
