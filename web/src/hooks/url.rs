//! The address bar follows the view: `history.replaceState` with the current query, so that a
//! reload, or a copied address, reproduces the view (see [`crate::view::permalink`]). The
//! update waits until the view has been still for a moment, to keep it out of the way of a
//! step change and within the browser's rate limit on history updates during playback.

use gloo::timers::callback::Timeout;
use yew::prelude::*;

/// How long the view must stay unchanged before the address bar follows it.
pub const URL_SYNC_DELAY_MS: u32 = 250;

fn replace_query(query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    if location.search().unwrap_or_default() == query {
        return;
    }
    let url = format!("{}{}", location.pathname().unwrap_or_default(), query);
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// Replaces the page's query with `query` once it has not changed for
/// [`URL_SYNC_DELAY_MS`] (unless `enabled` is false, e.g. for an imported trace, which no URL
/// can hold).
#[hook]
pub fn use_url_sync(query: String, enabled: bool) {
    use_effect_with((query, enabled), |(query, enabled)| {
        let query = query.clone();
        let timeout =
            enabled.then(|| Timeout::new(URL_SYNC_DELAY_MS, move || replace_query(&query)));
        // A newer view cancels the pending update.
        move || drop(timeout)
    });
}
