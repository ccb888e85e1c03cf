//! The sequence diagram, in SVG: three lanes (client, wire, server), one arrow per command,
//! reply or TLS flight, one note per decision; the TLS handshake bracketed; cleartext and TLS
//! told apart by colour, line style and a lock glyph; the current step highlighted and
//! scrolled into view.

use std::rc::Rc;

use starttls_sim::trace::{Actor, Detail, Direction, Step, Trace};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;

use crate::state::{Action, AppState};
use crate::view::enforcement::reply_summary;
use crate::view::labels::{actor_str, arrow_label, handshake_span, kind_str, note_label};

const WIDTH: f64 = 640.0;
const CLIENT_X: f64 = 90.0;
const WIRE_X: f64 = 340.0;
const SERVER_X: f64 = 590.0;
const TOP: f64 = 56.0;
const ROW: f64 = 30.0;

fn row_y(i: usize) -> f64 {
    TOP + ROW * i as f64 + ROW / 2.0
}

fn lane_x(actor: Actor) -> f64 {
    match actor {
        Actor::Client => CLIENT_X,
        Actor::Server => SERVER_X,
        Actor::Wire | Actor::Attacker => WIRE_X,
    }
}

/// A padlock, closed (TLS) or open (cleartext), centred on (x, y).
fn lock(x: f64, y: f64, closed: bool) -> Html {
    let shackle = if closed {
        format!("M{} {} v-3 a3.5 3.5 0 0 1 7 0 v3", x - 3.5, y - 1.0)
    } else {
        format!("M{} {} v-3 a3.5 3.5 0 0 1 7 0 v-1", x - 3.5, y - 1.0)
    };
    let class = if closed { "lock closed" } else { "lock open" };
    html! {
        <g class={class} aria-hidden="true">
            <path d={shackle} />
            <rect x={(x - 5.5).to_string()} y={(y - 1.0).to_string()} width="11" height="8" rx="1.5" />
        </g>
    }
}

/// An arrow. `intercepted`: the attacker rewrites this flight, so it stops at the wire lane
/// and the attacker's step carries it on to the receiver.
fn arrow(step: &Step, y: f64, intercepted: bool) -> Html {
    let direction = step.direction.unwrap_or(Direction::ClientToServer);
    let (x1, x2) = match (step.actor, direction) {
        (Actor::Client | Actor::Server, _) if intercepted => (lane_x(step.actor), WIRE_X),
        (Actor::Attacker | Actor::Wire, Direction::ClientToServer) => (WIRE_X, SERVER_X),
        (Actor::Attacker | Actor::Wire, Direction::ServerToClient) => (WIRE_X, CLIENT_X),
        (_, Direction::ClientToServer) => (CLIENT_X, SERVER_X),
        (_, Direction::ServerToClient) => (SERVER_X, CLIENT_X),
    };
    let sign = if x2 > x1 { 1.0 } else { -1.0 };
    let tip = x2 - sign * 2.0;
    let head = format!(
        "{},{} {},{} {},{}",
        tip,
        y,
        tip - sign * 9.0,
        y - 5.0,
        tip - sign * 9.0,
        y + 5.0
    );
    let label_x = (x1 + x2) / 2.0;
    let lock_x = x1 + sign * 16.0;
    html! {
        <>
            <line class="arrow-line" x1={(x1 + sign * 26.0).to_string()} y1={y.to_string()}
                x2={(tip - sign * 6.0).to_string()} y2={y.to_string()} />
            <polygon class="arrow-head" points={head} />
            { lock(lock_x, y - 3.0, step.tls) }
            <text class="arrow-label" x={label_x.to_string()} y={(y - 5.0).to_string()}
                text-anchor="middle">{ arrow_label(step) }</text>
        </>
    }
}

fn note(step: &Step, y: f64) -> Html {
    let x = lane_x(step.actor);
    let (tx, anchor) = match step.actor {
        Actor::Client => (x + 12.0, "start"),
        Actor::Server => (x - 12.0, "end"),
        _ => (x, "middle"),
    };
    let marker = if step.violation { "⚠ " } else { "" };
    html! {
        <>
            <circle class="note-dot" cx={x.to_string()} cy={y.to_string()} r="5" />
            <text class="note-label" x={tx.to_string()} y={(y + 4.0).to_string()}
                text-anchor={anchor}>{ format!("{marker}{}", note_label(step)) }</text>
        </>
    }
}

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
}

/// The sequence diagram.
#[component]
pub fn Diagram(props: &DiagramProps) -> Html {
    let container = use_node_ref();
    {
        let container = container.clone();
        use_effect_with((props.index, props.trace.clone()), move |_| {
            scroll_current_into_view(&container);
        });
    }
    let trace = &props.trace;
    let visible = &props.visible;
    // The row of trace index `i`: the shown step it belongs to.
    let row_of = |i: usize| visible.iter().rposition(|&v| v <= i).unwrap_or(0);
    let height = TOP + ROW * visible.len() as f64 + 16.0;
    let span = handshake_span(trace);
    let bracket = span.filter(|(start, _)| !props.hide_future || *start <= props.index).map(|(start, end)| {
        let end = if props.hide_future { end.min(props.index) } else { end };
        let top = row_y(row_of(start)) - ROW / 2.0 + 2.0;
        let bottom = row_y(row_of(end)) + ROW / 2.0 - 2.0;
        let mid = (top + bottom) / 2.0;
        html! {
            <g class="handshake" data-testid="handshake-bracket">
                <rect class="handshake-band" x="34" y={top.to_string()} width={(WIDTH - 40.0).to_string()}
                    height={(bottom - top).to_string()} rx="6" />
                <path class="handshake-bracket" d={format!("M30 {top} h-8 V{bottom} h8")} />
                <text class="handshake-label" x="14" y={mid.to_string()} text-anchor="middle"
                    transform={format!("rotate(-90 14 {mid})")}>{ "TLS handshake" }</text>
            </g>
        }
    });
    let rows = visible.iter().enumerate().filter(|&(_, &i)| !props.hide_future || i <= props.index).map(|(row, &i)| {
        let step = &trace.steps[i];
        let y = row_y(row);
        // The decisions this message stands for, up to the next shown step.
        let upto = visible.get(row + 1).copied().unwrap_or(trace.steps.len());
        let annotations = upto.saturating_sub(i + 1);
        let current = i == props.index;
        let target = if props.by_position { row } else { i };
        let intercepted = matches!(
            trace.steps.get(i + 1),
            Some(Step { actor: Actor::Attacker, detail: Detail::Wire(v), .. }) if v.rewrites_previous
        );
        let onclick = {
            let d = props.dispatcher.clone();
            Callback::from(move |_: MouseEvent| d.dispatch(Action::Goto(target)))
        };
        let class = classes!(
            "step",
            format!("actor-{}", actor_str(step.actor)),
            format!("kind-{}", kind_str(step.kind)),
            if step.tls { "tls" } else { "clear" },
            step.violation.then_some("violation"),
            current.then_some("current"),
            (props.divergence == Some(i)).then_some("divergence"),
            (i > props.index).then_some("future"),
        );
        let replies = reply_summary(step).join(";");
        let onkeydown = {
            let d = props.dispatcher.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    d.dispatch(Action::Goto(target));
                }
            })
        };
        let dots = "•".repeat(annotations.min(6));
        let marks = (annotations > 0).then(|| html! {
            <text class="annotation-marks" x={(WIDTH - 6.0).to_string()} y={(y + 4.0).to_string()}
                text-anchor="end" aria-hidden="true">{ dots }</text>
        });
        html! {
            <g {class} data-testid="diagram-step" data-index={i.to_string()}
                tabindex="0" role="button"
                aria-current={current.then_some("step")} {onkeydown}
                data-annotations={annotations.to_string()}
                data-divergence={(props.divergence == Some(i)).to_string()}
                data-intercepted={intercepted.to_string()}
                data-actor={actor_str(step.actor)} data-tls={step.tls.to_string()}
                data-kind={kind_str(step.kind)} data-violation={step.violation.to_string()}
                data-replies={replies} data-current={current.to_string()} {onclick}>
                <title>{ format!("{}. {}", row + 1, step.text) }</title>
                <rect class="row-bg" x="0" y={(y - ROW / 2.0).to_string()} width={WIDTH.to_string()}
                    height={ROW.to_string()} />
                <text class="row-num" x="44" y={(y + 4.0).to_string()} text-anchor="start">{ row + 1 }</text>
                { if step.direction.is_some() { arrow(step, y, intercepted) } else { note(step, y) } }
                { for marks }
            </g>
        }
    });
    html! {
        <section class="panel diagram-panel" aria-labelledby="diagram-title">
            <h2 id="diagram-title">{ "Sequence" }</h2>
            <p class="legend" aria-hidden="true">
                <span class="legend-clear">{ "- - cleartext (open lock)" }</span>
                <span class="legend-tls">{ "— TLS (closed lock)" }</span>
                <span class="legend-attack">{ "— attacker" }</span>
            </p>
            <div class="diagram-scroll" ref={container}>
                <svg data-testid="diagram" class="diagram" role="group"
                    aria-label={format!("Sequence diagram of {} steps; step {} is highlighted", visible.len(), row_of(props.index) + 1)}
                    viewBox={format!("0 0 {WIDTH} {height}")} width="100%"
                    style={format!("aspect-ratio: {WIDTH} / {height}")}>
                    { for bracket }
                    <g class="lanes" aria-hidden="true">
                        <text class="lane-title" x={CLIENT_X.to_string()} y="22" text-anchor="middle">{ "Client" }</text>
                        <text class="lane-title" x={WIRE_X.to_string()} y="22" text-anchor="middle">{ "Wire (attacker)" }</text>
                        <text class="lane-title" x={SERVER_X.to_string()} y="22" text-anchor="middle">{ "Server" }</text>
                        <line class="lane" x1={CLIENT_X.to_string()} y1="34" x2={CLIENT_X.to_string()} y2={height.to_string()} />
                        <line class="lane wire" x1={WIRE_X.to_string()} y1="34" x2={WIRE_X.to_string()} y2={height.to_string()} />
                        <line class="lane" x1={SERVER_X.to_string()} y1="34" x2={SERVER_X.to_string()} y2={height.to_string()} />
                    </g>
                    { for rows }
                </svg>
            </div>
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
