//! The sequence diagram: three lanes (client, wire, server), one arrow per command, reply or
//! TLS flight, one note per key moment; the TLS handshake bracketed; cleartext and TLS told
//! apart by colour, line style and a lock glyph; the current step highlighted and scrolled
//! into view.
//!
//! Wide, it is an SVG (the `svg` module). On a phone it reflows as a vertical list of the same steps
//! with the lanes as badges (the `list` module); the SVG is still built, hidden, so that the SVG
//! export works at any width. Labels fit by one rule, [`FIT_RULE`] ([`LIST_RULE`] on a phone),
//! which the legend states.

mod list;
mod svg;

use std::rc::Rc;

use starttls_sim::trace::{Actor, Detail, Step, Trace};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;

use crate::hooks::use_media_query;
use crate::state::{Action, AppState};
use crate::view::labels::{FIT_RULE, LIST_RULE, actor_str, kind_str};

/// The width below which the diagram is a list (CSS pixels of the viewport).
pub const PHONE_QUERY: &str = "(max-width: 599px)";

/// Props of [`Diagram`].
#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    /// The trace.
    pub trace: Rc<Trace>,
    /// The current step.
    pub index: usize,
    /// Where intents go (a click on a step goes to it).
    pub dispatcher: UseReducerDispatcher<AppState>,
    /// Quiz mode: the steps after the current one are not drawn, so they cannot give the
    /// answer away.
    #[prop_or_default]
    pub hide_future: bool,
    /// The trace indices drawn, in order (every step, or the message-level ones).
    pub visible: Rc<Vec<usize>>,
    /// Compare mode: the step where the two dialogues part.
    #[prop_or_default]
    pub divergence: Option<usize>,
    /// Compare mode: a click selects a position, not a trace index.
    #[prop_or_default]
    pub by_position: bool,
    /// Presenter mode: the larger type, so fewer characters fit a line.
    #[prop_or_default]
    pub large: bool,
}

/// An `Rc` compared by pointer: the same trace or layout, not an equal one, so props
/// compare in constant time.
pub struct Shared<T>(pub Rc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Whether the attacker rewrites the flight of step `i` on its way (the engine marks the
/// attacker's next step `rewrites_previous`): the sender's arrow stops at the wire.
pub(crate) fn intercepted(trace: &Trace, i: usize) -> bool {
    matches!(
        trace.steps.get(i + 1),
        Some(Step { actor: Actor::Attacker, detail: Detail::Wire(v), .. }) if v.rewrites_previous
    )
}

/// A shown step's classes (actor, kind, TLS, violation, current, divergence, future).
pub(crate) fn row_class(step: &Step, current: bool, divergence: bool, future: bool) -> Classes {
    classes!(
        "step",
        format!("actor-{}", actor_str(step.actor)),
        format!("kind-{}", kind_str(step.kind)),
        if step.tls { "tls" } else { "clear" },
        step.violation.then_some("violation"),
        current.then_some("current"),
        divergence.then_some("divergence"),
        future.then_some("future"),
    )
}

/// A click, or Enter or Space, selects `target`.
pub(crate) fn step_callbacks(
    dispatcher: &UseReducerDispatcher<AppState>,
    target: usize,
) -> (Callback<MouseEvent>, Callback<KeyboardEvent>) {
    let d = dispatcher.clone();
    let onclick = Callback::from(move |_: MouseEvent| d.dispatch(Action::Goto(target)));
    let d = dispatcher.clone();
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            d.dispatch(Action::Goto(target));
        }
    });
    (onclick, onkeydown)
}

/// One shown step of the phone list.
pub(crate) struct Row<'a> {
    /// Its position among the shown steps (0-based).
    pub row: usize,
    /// Its trace index.
    pub index: usize,
    pub step: &'a Step,
    /// The decisions it stands for (steps up to the next shown one).
    pub annotations: usize,
    pub current: bool,
    /// The sender's flight that the attacker rewrites on its way: it stops at the wire.
    pub intercepted: bool,
    pub class: Classes,
    pub onclick: Callback<MouseEvent>,
}

impl Row<'_> {
    /// The step's full text, one focus or hover away.
    pub fn title(&self) -> String {
        format!("{}. {}", self.row + 1, self.step.text)
    }
}

fn rows<'a>(props: &'a DiagramProps) -> Vec<Row<'a>> {
    let trace = &props.trace;
    let visible = &props.visible;
    visible
        .iter()
        .enumerate()
        .filter(|&(_, &i)| !props.hide_future || i <= props.index)
        .map(|(row, &i)| {
            let step = &trace.steps[i];
            let upto = visible.get(row + 1).copied().unwrap_or(trace.steps.len());
            let current = i == props.index;
            let target = if props.by_position { row } else { i };
            let (onclick, _) = step_callbacks(&props.dispatcher, target);
            Row {
                row,
                index: i,
                step,
                annotations: upto.saturating_sub(i + 1),
                current,
                intercepted: intercepted(trace, i),
                class: row_class(step, current, props.divergence == Some(i), i > props.index),
                onclick,
            }
        })
        .collect()
}

/// The sequence diagram.
#[component]
pub fn Diagram(props: &DiagramProps) -> Html {
    let phone = use_media_query(PHONE_QUERY);
    let container = use_node_ref();
    {
        let container = container.clone();
        use_effect_with((props.index, props.trace.clone(), phone), move |_| {
            scroll_current_into_view(&container);
        });
    }
    let layout = use_memo(
        (
            Shared(props.trace.clone()),
            (*props.visible).clone(),
            props.large,
        ),
        |(trace, visible, large)| svg::Layout::new(&trace.0, visible, *large),
    );
    let visible = &props.visible;
    let current_row = visible.iter().rposition(|&v| v <= props.index).unwrap_or(0) + 1;
    let drawing = svg::draw(props, &layout, current_row);
    // Compare mode shows two diagrams: their heading ids carry the scenario.
    let title_id = if props.by_position {
        format!("diagram-title-{}", props.trace.scenario.id)
    } else {
        "diagram-title".to_string()
    };
    let body = if phone {
        html! {
            <>
                <div class="diagram-scroll diagram-list-scroll" ref={container}>
                    { list::draw(&rows(props), visible.len(), current_row) }
                </div>
                // Hidden, for the SVG export.
                <div class="diagram-scroll" hidden=true>{ drawing }</div>
            </>
        }
    } else {
        html! { <div class="diagram-scroll" ref={container}>{ drawing }</div> }
    };
    html! {
        <section class="panel diagram-panel" aria-labelledby={(!props.by_position).then(|| title_id.clone())}
            aria-label={props.by_position.then(|| format!("Sequence of {}", props.trace.scenario.title))}
            data-layout={if phone { "list" } else { "svg" }}>
            <h2 id={title_id}>{ "Sequence" }</h2>
            <p class="legend" data-testid="diagram-legend">
                { if phone { html! {
                    <span class="legend-fit">{ LIST_RULE }</span>
                } } else { html! {
                    <>
                        <span class="legend-clear" aria-hidden="true">{ "- - cleartext (open lock)" }</span>
                        <span class="legend-tls" aria-hidden="true">{ "— TLS (closed lock)" }</span>
                        <span class="legend-attack" aria-hidden="true">{ "— attacker" }</span>
                        <span class="legend-fit">{ FIT_RULE }</span>
                    </>
                } } }
            </p>
            { body }
        </section>
    }
}

/// Scrolls the diagram's own box (never the page) so that the current step is visible.
fn scroll_current_into_view(container: &NodeRef) {
    let Some(container) = container.cast::<HtmlElement>() else {
        return;
    };
    let Ok(Some(current)) = container.query_selector("[data-current='true']") else {
        return;
    };
    let Ok(current) = current.dyn_into::<web_sys::Element>() else {
        return;
    };
    let outer = container.get_bounding_client_rect();
    let row = current.get_bounding_client_rect();
    let margin = row.height() * 2.0;
    let top = f64::from(container.scroll_top());
    if row.top() < outer.top() + margin {
        let target = top - (outer.top() + margin - row.top());
        container.set_scroll_top(target.max(0.0) as i32);
    } else if row.bottom() > outer.bottom() - margin {
        let target = top + (row.bottom() - (outer.bottom() - margin));
        container.set_scroll_top(target as i32);
    }
}
