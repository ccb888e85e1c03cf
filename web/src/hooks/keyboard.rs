//! Keyboard shortcuts, listened for on the document with `gloo::events`.

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{Element, KeyboardEvent};
use yew::prelude::*;

use crate::state::{Action, AppState};

/// One shortcut: its key names and what it does, for the help list.
pub struct Shortcut {
    /// The keys, as shown.
    pub keys: &'static str,
    /// What they do.
    pub does: &'static str,
}

/// The shortcuts, in the order of the help list.
pub const SHORTCUTS: &[Shortcut] = &[
    Shortcut {
        keys: "← / →",
        does: "previous / next step",
    },
    Shortcut {
        keys: "Home / End",
        does: "first / last step",
    },
    Shortcut {
        keys: "Space",
        does: "play / pause",
    },
    Shortcut {
        keys: "PageUp / PageDown",
        does: "previous / next step in presenter mode (a presentation clicker)",
    },
    Shortcut {
        keys: "1 – 4",
        does: "answer the quiz question",
    },
    Shortcut {
        keys: "?",
        does: "show or hide this list",
    },
    Shortcut {
        keys: "Esc",
        does: "close this list",
    },
    Shortcut {
        keys: "Tab",
        does: "move between controls (focus is always outlined)",
    },
];

/// The action for a key, given the tag of the focused element (shortcuts stay out of the
/// way of text fields, selects and, for Space, buttons, which Space already presses).
pub fn shortcut_for(key: &str, target_tag: &str) -> Option<Action> {
    let tag = target_tag.to_ascii_uppercase();
    let editing = matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT");
    match key {
        "Escape" => Some(Action::CloseHelp),
        _ if editing => None,
        "ArrowRight" => Some(Action::Next),
        "ArrowLeft" => Some(Action::Prev),
        "Home" => Some(Action::First),
        "End" => Some(Action::Last),
        " " | "Spacebar" if tag != "BUTTON" && tag != "A" && tag != "SUMMARY" => {
            Some(Action::TogglePlay)
        }
        "?" => Some(Action::ToggleHelp),
        "1" | "2" | "3" | "4" => key.parse::<usize>().ok().map(|n| Action::Answer(n - 1)),
        _ => None,
    }
}

/// The presenter's extra keys: PageUp and PageDown, which presentation clickers send. Like
/// the other shortcuts, they leave text fields and selects alone.
pub fn presenter_key(key: &str, target_tag: &str) -> Option<Action> {
    if matches!(
        target_tag.to_ascii_uppercase().as_str(),
        "INPUT" | "TEXTAREA" | "SELECT"
    ) {
        return None;
    }
    match key {
        "PageDown" => Some(Action::Next),
        "PageUp" => Some(Action::Prev),
        _ => None,
    }
}

/// Listens for the shortcuts on the document while the component is mounted; in presenter
/// mode, PageUp and PageDown step too.
#[hook]
pub fn use_keyboard(dispatcher: UseReducerDispatcher<AppState>, present: bool) {
    use_effect_with(present, move |&present| {
        let listener = web_sys::window()
            .and_then(|w| w.document())
            .map(|document| {
                EventListener::new_with_options(
                    &document,
                    "keydown",
                    EventListenerOptions::enable_prevent_default(),
                    move |event| {
                        let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
                            return;
                        };
                        if event.ctrl_key() || event.meta_key() || event.alt_key() {
                            return;
                        }
                        let tag = event
                            .target()
                            .and_then(|t| t.dyn_into::<Element>().ok())
                            .map(|e| e.tag_name())
                            .unwrap_or_default();
                        let key = event.key();
                        let action = shortcut_for(&key, &tag)
                            .or_else(|| present.then(|| presenter_key(&key, &tag)).flatten());
                        if let Some(action) = action {
                            event.prevent_default();
                            dispatcher.dispatch(action);
                        }
                    },
                )
            });
        move || drop(listener)
    });
}
