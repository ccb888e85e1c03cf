//! Hooks that connect the state to the browser: the keyboard, the playback timer, the address
//! bar, the height messages of embed mode, media queries, the live view's WebSocket, and a
//! panel's steady height.

mod embed;
mod keyboard;
mod live;
mod media;
mod playback;
mod steady;
mod url;

pub use embed::{FrameInfo, HEIGHT_MESSAGE, post_height, use_post_height};
pub use keyboard::{SHORTCUTS, Shortcut, presenter_key, shortcut_for, use_keyboard};
pub use live::{retry_ms, use_live};
pub use media::use_media_query;
pub use playback::use_playback;
pub use steady::{key_of, use_steady_height};
pub use url::use_url_sync;
