//! The error panel: an engine error is shown, never a blank page.

use yew::prelude::*;

use crate::state::{Action, AppState};

/// Props of [`ErrorPanel`].
#[derive(Properties, PartialEq)]
pub struct ErrorProps {
    /// The message.
    pub message: AttrValue,
    /// Where intents go (the panel offers to reset the policies).
    pub dispatcher: UseReducerDispatcher<AppState>,
}

/// A message and a way back.
#[component]
pub fn ErrorPanel(props: &ErrorProps) -> Html {
    let reset = {
        let d = props.dispatcher.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::ResetOverrides))
    };
    html! {
        <section class="panel error-panel" role="alert" data-testid="error-panel">
            <h2>{ "The simulation cannot run" }</h2>
            <p class="error">{ &props.message }</p>
            <button type="button" onclick={reset}>{ "Reset the policies" }</button>
        </section>
    }
}
