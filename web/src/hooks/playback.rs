//! Playback: a `gloo::timers` interval that ticks while the state says it is playing.

use gloo::timers::callback::Interval;
use yew::prelude::*;

use crate::state::{Action, AppState};

/// Ticks the state every `speed_ms` while `playing`.
#[hook]
pub fn use_playback(playing: bool, speed_ms: u32, dispatcher: UseReducerDispatcher<AppState>) {
    use_effect_with((playing, speed_ms), move |&(playing, speed_ms)| {
        let interval =
            playing.then(|| Interval::new(speed_ms, move || dispatcher.dispatch(Action::Tick)));
        move || drop(interval)
    });
}
