//! A CSS media query, followed as it changes (the phone layout of the diagram).

use gloo::events::EventListener;
use web_sys::MediaQueryList;
use yew::prelude::*;

fn media(query: &str) -> Option<MediaQueryList> {
    web_sys::window()?.match_media(query).ok()?
}

/// Whether `query` matches now; the component re-renders when that changes.
#[hook]
pub fn use_media_query(query: &'static str) -> bool {
    let matches = use_state(|| media(query).is_some_and(|m| m.matches()));
    {
        let matches = matches.clone();
        use_effect_with(query, move |query| {
            let listener = media(query).map(|list| {
                let target = list.clone();
                EventListener::new(&list, "change", move |_| matches.set(target.matches()))
            });
            move || drop(listener)
        });
    }
    *matches
}
