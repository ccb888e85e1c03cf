//! Small inline SVG icons (no icon font: every glyph renders on every system).

use yew::prelude::*;

/// The icons the UI uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    /// Go to the first step.
    First,
    /// One step back.
    Prev,
    /// Play.
    Play,
    /// Pause.
    Pause,
    /// One step forward.
    Next,
    /// Go to the last step.
    Last,
    /// A closed padlock: TLS.
    Lock,
    /// An open padlock: cleartext.
    Unlock,
}

/// An icon, `1em` square, hidden from assistive technology (its control has a label).
pub fn icon(which: Icon) -> Html {
    let d = match which {
        Icon::First => "M3 2h2v12H3zM14 2v12L6 8z",
        Icon::Prev => "M13 2v12L4 8z",
        Icon::Play => "M4 2v12l10-6z",
        Icon::Pause => "M3 2h4v12H3zM9 2h4v12H9z",
        Icon::Next => "M3 2v12l9-6z",
        Icon::Last => "M11 2h2v12h-2zM2 2v12l8-6z",
        Icon::Lock => "M4 7V5a4 4 0 0 1 8 0v2h1v8H3V7zm2 0h4V5a2 2 0 0 0-4 0z",
        Icon::Unlock => "M4 7V5a4 4 0 0 1 8 0h-2a2 2 0 0 0-4 0v2h7v8H3V7z",
    };
    html! {
        <svg class="icon" viewBox="0 0 16 16" width="1em" height="1em" aria-hidden="true" focusable="false">
            <path d={d} fill="currentColor" fill-rule="evenodd" />
        </svg>
    }
}
