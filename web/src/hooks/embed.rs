//! Embed mode: the page posts its content height to the parent window, so that the host page
//! can size the iframe. The message (documented in `docs/embedding.md`):
//!
//! ```json
//! { "type": "starttls-playground:height", "version": 1, "height": 812,
//!   "scenario": "happy-path", "step": 3, "steps": 43 }
//! ```
//!
//! It is posted when the content's size changes (a `ResizeObserver` on the app's root) and on
//! every step change, with the target origin `*` (the height of a public page is no secret).

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

/// The `type` of the height message.
pub const HEIGHT_MESSAGE: &str = "starttls-playground:height";

/// What the message says besides the height.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FrameInfo {
    /// The scenario id.
    pub scenario: String,
    /// The step shown, from 1.
    pub step: usize,
    /// The number of steps.
    pub steps: usize,
}

fn set(obj: &js_sys::Object, key: &str, value: JsValue) {
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str(key), &value);
}

/// Posts the height of `root` to the parent window, if there is one.
pub fn post_height(root: &web_sys::Element, info: &FrameInfo) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(Some(parent)) = window.parent() else {
        return;
    };
    if js_sys::Object::is(&parent, &window) {
        return;
    }
    let height = root.get_bounding_client_rect().height().ceil();
    let msg = js_sys::Object::new();
    set(&msg, "type", JsValue::from_str(HEIGHT_MESSAGE));
    set(&msg, "version", JsValue::from_f64(1.0));
    set(&msg, "height", JsValue::from_f64(height));
    set(&msg, "scenario", JsValue::from_str(&info.scenario));
    set(&msg, "step", JsValue::from_f64(info.step as f64));
    set(&msg, "steps", JsValue::from_f64(info.steps as f64));
    let _ = parent.post_message(&msg, "*");
}

/// While `enabled`, posts the height of `root` whenever it changes and whenever `info` does.
#[hook]
pub fn use_post_height(root: NodeRef, enabled: bool, info: FrameInfo) {
    let latest = use_mut_ref(FrameInfo::default);
    *latest.borrow_mut() = info.clone();
    {
        let root = root.clone();
        let latest = latest.clone();
        use_effect_with(enabled, move |&enabled| {
            let observer = enabled.then(|| observe(&root, latest)).flatten();
            move || {
                if let Some((observer, _closure)) = observer {
                    observer.disconnect();
                }
            }
        });
    }
    use_effect_with((enabled, info), move |(enabled, info)| {
        if *enabled && let Some(el) = root.cast::<web_sys::Element>() {
            post_height(&el, info);
        }
    });
}

type Observer = (web_sys::ResizeObserver, Closure<dyn FnMut(JsValue)>);

fn observe(root: &NodeRef, latest: Rc<RefCell<FrameInfo>>) -> Option<Observer> {
    let el = root.cast::<web_sys::Element>()?;
    let target = el.clone();
    let closure = Closure::<dyn FnMut(JsValue)>::new(move |_entries: JsValue| {
        post_height(&target, &latest.borrow());
    });
    let observer = web_sys::ResizeObserver::new(closure.as_ref().unchecked_ref()).ok()?;
    observer.observe(&el);
    Some((observer, closure))
}
