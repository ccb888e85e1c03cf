//! The scenario picker, grouped into basics, policies and attacks.

use std::rc::Rc;

use starttls_sim::scenario::Group;
use wasm_bindgen::JsCast;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::state::{Action, AppState, ScenarioEntry};

/// Props of [`ScenarioPicker`].
#[derive(Properties, PartialEq)]
pub struct PickerProps {
    /// The catalogue.
    pub catalogue: Rc<Vec<ScenarioEntry>>,
    /// The chosen scenario.
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
