//! Hooks that connect the state to the browser: the keyboard and the playback timer.

mod keyboard;
mod playback;

pub use keyboard::{SHORTCUTS, Shortcut, shortcut_for, use_keyboard};
pub use playback::use_playback;
