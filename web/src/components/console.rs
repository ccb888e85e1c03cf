//! The console: type a client command, or an attacker injection, after the current step, and
//! see the resulting steps appended.

use starttls_sim::trace::Direction;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::state::{Action, AppState, ConsoleInput, typed_bytes};

/// Props of [`Console`].
#[derive(Properties, PartialEq)]
pub struct ConsoleProps {
    /// The current step, from 0.
    pub index: usize,
    /// Entries typed so far.
    pub entries: usize,
    /// Whether a trace is loaded.
    pub enabled: bool,
    /// Where intents go.
    pub dispatcher: UseReducerDispatcher<AppState>,
}

/// The console form.
#[component]
pub fn Console(props: &ConsoleProps) -> Html {
    let input = use_node_ref();
    let mode = use_node_ref();
    let onsubmit = {
        let input = input.clone();
        let mode = mode.clone();
        let d = props.dispatcher.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(field) = input.cast::<HtmlInputElement>() else {
                return;
            };
            let text = field.value();
            if text.trim().is_empty() {
                return;
            }
            let which = mode
                .cast::<HtmlSelectElement>()
                .map(|s| s.value())
                .unwrap_or_default();
            let entry = match which.as_str() {
                "inject-c2s" => {
                    ConsoleInput::Injection(Direction::ClientToServer, typed_bytes(&text))
                }
                "inject-s2c" => {
                    ConsoleInput::Injection(Direction::ServerToClient, typed_bytes(&text))
                }
                _ => ConsoleInput::ClientLine(text),
            };
            d.dispatch(Action::Console(entry));
            field.set_value("");
        })
    };
    html! {
        <section class="panel console" aria-labelledby="console-title">
            <h2 id="console-title">{ "Console" }</h2>
            <form {onsubmit}>
                <label class="console-mode">
                    <span class="label">{ "Who types" }</span>
                    <select ref={mode} data-testid="console-mode">
                        <option value="client" selected=true>{ "the client: an SMTP line" }</option>
                        <option value="inject-c2s">{ "the attacker: bytes to the server" }</option>
                        <option value="inject-s2c">{ "the attacker: bytes to the client" }</option>
                    </select>
                </label>
                <label class="console-line">
                    <span class="label">{ format!("After step {}", props.index + 1) }</span>
                    <input ref={input} type="text" data-testid="console-input" disabled={!props.enabled}
                        placeholder="NOOP, or for the attacker: RSET\\r\\n" autocomplete="off" spellcheck="false" />
                </label>
                <button type="submit" data-testid="console-send" disabled={!props.enabled}>{ "Send" }</button>
            </form>
            <p class="muted">{ format!("{} console entr{} in this run. The new steps are appended where the dialogue stood; the policies' Reset clears them.",
                props.entries, if props.entries == 1 { "y" } else { "ies" }) }</p>
        </section>
    }
}
