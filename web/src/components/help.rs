//! The list of keyboard shortcuts (`?`).

use yew::prelude::*;

use crate::hooks::SHORTCUTS;
use crate::state::{Action, AppState};

/// Props of [`Help`].
#[derive(Properties, PartialEq)]
pub struct HelpProps {
    /// Where intents go.
    pub dispatcher: UseReducerDispatcher<AppState>,
}

/// The shortcuts dialog.
#[component]
pub fn Help(props: &HelpProps) -> Html {
    let close = {
        let d = props.dispatcher.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::CloseHelp))
    };
    let button = use_node_ref();
    {
        let button = button.clone();
        use_effect_with((), move |_| {
            if let Some(b) = button.cast::<web_sys::HtmlElement>() {
                let _ = b.focus();
            }
        });
    }
    html! {
        <div class="help" role="dialog" aria-modal="false" aria-labelledby="help-title" data-testid="shortcuts">
            <h2 id="help-title">{ "Keyboard shortcuts" }</h2>
            <dl>
                { for SHORTCUTS.iter().map(|s| html! {
                    <><dt><kbd>{ s.keys }</kbd></dt><dd>{ s.does }</dd></>
                }) }
            </dl>
            <button type="button" ref={button} onclick={close}>{ "Close" }</button>
        </div>
    }
}
