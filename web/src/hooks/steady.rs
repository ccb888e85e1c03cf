//! A panel that keeps, for the whole dialogue, the tallest height it has had (up to a cap in
//! the style sheet), so that stepping does not make the panels below it jump. Without it, the
//! explanation's height changes at almost every step, and every panel under it moves, which
//! the browser also pays for: it repaints all of them.

use web_sys::HtmlElement;
use yew::prelude::*;

/// The custom property set on the element, in pixels. The style sheet turns it into a
/// `min-height`, capped there, so that one long step does not leave every later one with a
/// screenful of blank panel.
pub const STEADY_PROPERTY: &str = "--steady-height";

/// What the hook remembers: the dialogue and the width it measured in, and the tallest height.
#[derive(Default)]
struct Tallest {
    key: usize,
    width: i32,
    height: i32,
}

/// Keeps the element behind `node` at least as tall as it has been since `key` (the dialogue
/// shown: a new key starts over) last changed, or since the element's width did (a wider panel
/// wraps its text into fewer lines).
#[hook]
pub fn use_steady_height(node: NodeRef, key: usize) {
    let tallest = use_mut_ref(Tallest::default);
    use_effect(move || {
        if let Some(element) = node.cast::<HtmlElement>() {
            steady(&element, key, &mut tallest.borrow_mut());
        }
    });
}

fn steady(element: &HtmlElement, key: usize, tallest: &mut Tallest) {
    let style = element.style();
    let width = element.offset_width();
    if tallest.key != key || tallest.width != width {
        let _ = style.remove_property(STEADY_PROPERTY);
        *tallest = Tallest {
            key,
            width,
            height: 0,
        };
    }
    let height = element.offset_height();
    if height > tallest.height {
        tallest.height = height;
        let _ = style.set_property(STEADY_PROPERTY, &format!("{height}px"));
    }
}

/// The key of a dialogue: the address of its shared trace.
pub fn key_of<T>(shared: &std::rc::Rc<T>) -> usize {
    std::rc::Rc::as_ptr(shared) as usize
}
