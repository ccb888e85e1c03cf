//! The policies panel: the server, client, TLS and attacker settings of the engine's policy
//! types. A change re-simulates at once and keeps the step position where it still exists.

use std::rc::Rc;

use serde_json::Value;
use starttls_sim::scenario::Scenario;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::state::{Action, AppState};
use crate::view::labels::truncate;
use crate::view::policy::{Field, FieldKind, policy_groups, selected_choice};

/// Props of [`Policies`].
#[derive(Properties, PartialEq)]
pub struct PoliciesProps {
    /// The effective scenario (after overrides), when valid.
    pub scenario: Option<Rc<Scenario>>,
    /// The overrides in force.
    pub overrides: Vec<(String, String)>,
    /// Where intents go.
    pub dispatcher: UseReducerDispatcher<AppState>,
}

fn lookup(root: &Value, key: &str) -> Value {
    root.pointer(&format!("/{}", key.replace('.', "/")))
        .cloned()
        .unwrap_or(Value::Null)
}

fn field(f: &Field, root: &Value, changed: bool, d: &UseReducerDispatcher<AppState>) -> Html {
    let current = lookup(root, f.key);
    let testid = format!("policy-{}", f.key);
    let key = f.key.to_string();
    let kind_class = match f.kind {
        FieldKind::Toggle => "toggle",
        FieldKind::Select(_) => "select",
    };
    let control = match &f.kind {
        FieldKind::Toggle => {
            let d = d.clone();
            let onchange = Callback::from(move |e: Event| {
                if let Some(input) = e
                    .target()
                    .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                {
                    d.dispatch(Action::SetOverride(
                        key.clone(),
                        input.checked().to_string(),
                    ));
                }
            });
            html! {
                <input type="checkbox" data-testid={testid} checked={current == Value::Bool(true)} {onchange} />
            }
        }
        FieldKind::Select(choices) => {
            let selected = selected_choice(choices, &current);
            let values: Vec<String> = choices.iter().map(|c| c.value.to_string()).collect();
            let d = d.clone();
            let onchange = Callback::from(move |e: Event| {
                if let Some(select) = e
                    .target()
                    .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
                    && let Ok(i) = select.value().parse::<usize>()
                    && let Some(v) = values.get(i)
                {
                    d.dispatch(Action::SetOverride(key.clone(), v.clone()));
                }
            });
            html! {
                <select data-testid={testid} key={current.to_string()} {onchange}>
                    { if selected.is_none() {
                        html! { <option value="current" selected=true>{ format!("as the scenario sets it: {}", truncate(&current.to_string(), 40)) }</option> }
                    } else { html! {} } }
                    { for choices.iter().enumerate().map(|(i, c)| html! {
                        <option value={i.to_string()} selected={selected == Some(i)}>{ &c.label }</option>
                    }) }
                </select>
            }
        }
    };
    html! {
        <label class={classes!("field", kind_class, f.teaching.then_some("teaching"), changed.then_some("changed"))}>
            { control }
            <span class="field-label">
                { f.label }
                { for f.rule.map(|r| html! { <>{ " " }<span class="rule-id">{ r.as_str() }</span></> }) }
            </span>
        </label>
    }
}

/// The policies panel.
#[component]
pub fn Policies(props: &PoliciesProps) -> Html {
    let groups = use_memo((), |_| policy_groups());
    let root = props
        .scenario
        .as_ref()
        .and_then(|s| serde_json::to_value(s.as_ref()).ok())
        .unwrap_or(Value::Null);
    let reset = {
        let d = props.dispatcher.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::ResetOverrides))
    };
    html! {
        <section class="panel policies" data-testid="policy-panel" aria-labelledby="policies-title">
            <h2 id="policies-title">{ "Policies" }</h2>
            <p class="muted">{ "Change a setting: the dialogue runs again at once, and the step position is kept where it still exists." }</p>
            <div class="policy-groups">
                { for groups.iter().map(|g| html! {
                    <fieldset>
                        <legend>{ g.title }</legend>
                        { for g.fields.iter().map(|f| {
                            let changed = props.overrides.iter().any(|(k, _)| k == f.key);
                            field(f, &root, changed, &props.dispatcher)
                        }) }
                    </fieldset>
                }) }
            </div>
            <p class="overrides" data-testid="policy-overrides">
                { if props.overrides.is_empty() {
                    html! { <span class="muted">{ "As the scenario defines them." }</span> }
                } else {
                    html! {
                        <>
                            { format!("{} change(s): ", props.overrides.len()) }
                            { for props.overrides.iter().map(|(k, v)| html! { <code>{ format!("{k}={v} ") }</code> }) }
                            <button type="button" data-testid="policy-reset" onclick={reset}>{ "Reset" }</button>
                        </>
                    }
                } }
            </p>
        </section>
    }
}
