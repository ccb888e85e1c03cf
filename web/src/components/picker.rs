//! The scenario picker, grouped into basics, policies and attacks.

use std::rc::Rc;

use starttls_sim::scenario::Group;
use wasm_bindgen::JsCast;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::state::{Action, AppState, ScenarioEntry};

/// Props of [`ScenarioPicker`] and [`CompareWith`].
#[derive(Properties, PartialEq)]
pub struct PickerProps {
    /// The catalogue.
    pub catalogue: Rc<Vec<ScenarioEntry>>,
    /// The chosen scenario (for [`CompareWith`], the one a comparison starts from).
    pub selected: AttrValue,
    /// Where intents go.
    pub dispatcher: UseReducerDispatcher<AppState>,
}

const GROUPS: &[(Group, &str)] = &[
    (Group::Basics, "Basics"),
    (Group::Policies, "Policies"),
    (Group::Attacks, "Attacks"),
];

/// A `<select>` of every scenario, in `<optgroup>`s.
#[component]
pub fn ScenarioPicker(props: &PickerProps) -> Html {
    let onchange = {
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
            {
                dispatcher.dispatch(Action::Select(select.value()));
            }
        })
    };
    html! {
        <label class="picker">
            <span class="label">{ "Scenario" }</span>
            <select data-testid="scenario-select" {onchange}>
                { for GROUPS.iter().map(|(group, name)| html! {
                    <optgroup label={*name}>
                        { for props.catalogue.iter().filter(|s| s.group == *group).map(|s| html! {
                            <option value={s.id.clone()} selected={*s.id == *props.selected}>
                                { &s.title }
                            </option>
                        }) }
                    </optgroup>
                }) }
            </select>
        </label>
    }
}

/// "Compare with…": a `<select>` of the `selected` scenario's suggested partner first, then
/// every other scenario. A component of its own, so that a step change does not rebuild its
/// options.
#[component]
pub fn CompareWith(props: &PickerProps) -> Html {
    let current = props.selected.to_string();
    let suggested: Vec<&str> = starttls_sim::compare::SUGGESTED
        .iter()
        .filter_map(|(a, b)| {
            if *a == current {
                Some(*b)
            } else if *b == current {
                Some(*a)
            } else {
                None
            }
        })
        .collect();
    let onchange = {
        let d = props.dispatcher.clone();
        let from = current.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
                && !select.value().is_empty()
            {
                d.dispatch(Action::Compare(Some((from.clone(), select.value()))));
            }
        })
    };
    html! {
        <label class="compare-with">
            <span class="label">{ "Compare with…" }</span>
            <select data-testid="compare-with" {onchange}>
                <option value="" selected=true>{ "—" }</option>
                { for suggested.iter().map(|id| html! { <option value={id.to_string()}>{ format!("{id} (suggested)") }</option> }) }
                { for props.catalogue.iter().filter(|s| s.id != current && !suggested.contains(&s.id.as_str())).map(|s| html! {
                    <option value={s.id.clone()}>{ &s.id }</option>
                }) }
            </select>
        </label>
    }
}
