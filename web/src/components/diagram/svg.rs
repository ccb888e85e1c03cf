//! The diagram as an SVG: lanes, arrows with one label line per command or reply, notes
//! wrapped between their lane and the wire, each row as tall as its lines.

use std::rc::Rc;

use starttls_sim::trace::{Actor, Direction, Step, Trace};
use yew::prelude::*;

use super::{DiagramProps, Shared, intercepted, row_class, step_callbacks};
use crate::state::AppState;
use crate::view::enforcement::reply_summary;
use crate::view::labels::{actor_str, arrow_lines, chars_in, handshake_span, kind_str, note_lines};

/// The drawing's width, in its own units.
pub const WIDTH: f64 = 640.0;
/// The client's lane.
pub const CLIENT_X: f64 = 90.0;
/// The wire's lane, where the attacker sits.
pub const WIRE_X: f64 = 340.0;
/// The server's lane.
pub const SERVER_X: f64 = 590.0;
const TOP: f64 = 44.0;
const MIN_ROW: f64 = 30.0;
/// The room an arrow keeps free at each end (its lock, its head).
const ARROW_INSET: f64 = 24.0;
/// The gap between a note and a lane.
const NOTE_GAP: f64 = 12.0;

fn lane_x(actor: Actor) -> f64 {
    match actor {
        Actor::Client => CLIENT_X,
        Actor::Server => SERVER_X,
        Actor::Wire | Actor::Attacker => WIRE_X,
    }
}

/// Type sizes: the CSS sets the same (12 px, 15 px in presenter mode).
#[derive(Clone, Copy)]
struct Type {
    font: f64,
    line: f64,
}

impl Type {
    fn new(large: bool) -> Self {
        let font = if large { 15.0 } else { 12.0 };
        Type {
            font,
            line: (font * 1.3).round(),
        }
    }
}

/// Where an arrow runs, from the sender to the receiver, or to the wire when intercepted.
fn arrow_ends(step: &Step, intercepted: bool) -> (f64, f64) {
    let direction = step.direction.unwrap_or(Direction::ClientToServer);
    match (step.actor, direction) {
        (Actor::Client | Actor::Server, _) if intercepted => (lane_x(step.actor), WIRE_X),
        (Actor::Attacker | Actor::Wire, Direction::ClientToServer) => (WIRE_X, SERVER_X),
        (Actor::Attacker | Actor::Wire, Direction::ServerToClient) => (WIRE_X, CLIENT_X),
        (_, Direction::ClientToServer) => (CLIENT_X, SERVER_X),
        (_, Direction::ServerToClient) => (SERVER_X, CLIENT_X),
    }
}

/// A shown step, laid out.
enum Shape {
    Arrow {
        x1: f64,
        x2: f64,
        lines: Vec<String>,
    },
    Note {
        x: f64,
        tx: f64,
        anchor: &'static str,
        lines: Vec<String>,
    },
}

impl Shape {
    fn of(step: &Step, intercepted: bool, ty: &Type) -> Shape {
        if step.direction.is_some() {
            let (x1, x2) = arrow_ends(step, intercepted);
            let room = (x2 - x1).abs() - 2.0 * ARROW_INSET;
            return Shape::Arrow {
                x1,
                x2,
                lines: arrow_lines(step, chars_in(room, ty.font)),
            };
        }
        let x = lane_x(step.actor);
        let (tx, anchor, room) = match step.actor {
            Actor::Client => (x + NOTE_GAP, "start", WIRE_X - NOTE_GAP - (x + NOTE_GAP)),
            Actor::Server => (x - NOTE_GAP, "end", (x - NOTE_GAP) - (WIRE_X + NOTE_GAP)),
            _ => (x, "middle", 2.0 * (WIRE_X - CLIENT_X - 2.0 * NOTE_GAP)),
        };
        let mut chars = chars_in(room, ty.font);
        if step.violation {
            // Room for the warning sign, which may come from a wider fallback font.
            chars = chars.saturating_sub(3);
        }
        let mut lines = note_lines(step, chars);
        if step.violation
            && let Some(first) = lines.first_mut()
        {
            *first = format!("⚠ {first}");
        }
        Shape::Note {
            x,
            tx,
            anchor,
            lines,
        }
    }

    fn height(&self, ty: &Type) -> f64 {
        let n = match self {
            Shape::Arrow { lines, .. } | Shape::Note { lines, .. } => lines.len().max(1),
        };
        let extra = ty.line * (n - 1) as f64;
        match self {
            Shape::Arrow { .. } => 4.0 + ty.font + extra + 18.0,
            Shape::Note { .. } => (7.0 + ty.font + extra + 9.0).max(MIN_ROW),
        }
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

/// Draws one shape in the row starting at `top`; returns the drawing and the y of its mark.
fn shape(shape: &Shape, step: &Step, top: f64, ty: &Type) -> (Html, f64) {
    match shape {
        Shape::Arrow { x1, x2, lines } => {
            let (x1, x2) = (*x1, *x2);
            let first = top + 4.0 + ty.font;
            let y = first + ty.line * (lines.len().max(1) - 1) as f64 + 9.0;
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
            let mid = ((x1 + x2) / 2.0).to_string();
            let labels = lines.iter().enumerate().map(|(k, line)| {
                html! {
                    <text class="arrow-label" x={mid.clone()} y={(first + ty.line * k as f64).to_string()}
                        text-anchor="middle">{ line }</text>
                }
            });
            let drawing = html! {
                <>
                    <line class="arrow-line" x1={(x1 + sign * 26.0).to_string()} y1={y.to_string()}
                        x2={(tip - sign * 6.0).to_string()} y2={y.to_string()} />
                    <polygon class="arrow-head" points={head} />
                    { lock(x1 + sign * 16.0, y - 3.0, step.tls) }
                    { for labels }
                </>
            };
            (drawing, y + 4.0)
        }
        Shape::Note {
            x,
            tx,
            anchor,
            lines,
        } => {
            let first = top + 7.0 + ty.font;
            let labels = lines.iter().enumerate().map(|(k, line)| {
                html! {
                    <text class="note-label" x={tx.to_string()} y={(first + ty.line * k as f64).to_string()}
                        text-anchor={*anchor}>{ line }</text>
                }
            });
            let drawing = html! {
                <>
                    <circle class="note-dot" cx={x.to_string()} cy={(first - 4.0).to_string()} r="5" />
                    { for labels }
                </>
            };
            (drawing, first)
        }
    }
}

/// Where each shown step goes: its shape and its row's top, computed once per trace, view
/// and type size (not on every step change).
pub struct Layout {
    ty: Type,
    shapes: Vec<Shape>,
    /// The top of each row, and the bottom of the last.
    tops: Vec<f64>,
}

impl Layout {
    /// Lays out the shown steps `visible` of `trace`.
    pub fn new(trace: &Trace, visible: &[usize], large: bool) -> Layout {
        let ty = Type::new(large);
        let shapes: Vec<Shape> = visible
            .iter()
            .map(|&i| Shape::of(&trace.steps[i], intercepted(trace, i), &ty))
            .collect();
        let mut tops = Vec::with_capacity(shapes.len() + 1);
        let mut y = TOP;
        for s in &shapes {
            tops.push(y);
            y += s.height(&ty);
        }
        tops.push(y);
        Layout { ty, shapes, tops }
    }

    fn height(&self) -> f64 {
        self.tops.last().copied().unwrap_or(TOP) + 16.0
    }
}

/// Props of [`SvgRow`].
#[derive(Properties, PartialEq)]
pub struct SvgRowProps {
    pub trace: Shared<Trace>,
    pub layout: Shared<Layout>,
    /// The position among the shown steps.
    pub row: usize,
    /// The trace index.
    pub index: usize,
    /// What a click selects (a trace index, or a position in compare mode).
    pub target: usize,
    pub annotations: usize,
    pub current: bool,
    pub future: bool,
    pub divergence: bool,
    pub dispatcher: UseReducerDispatcher<AppState>,
}

/// One shown step of the SVG; re-rendered only when its own props change, so a step change
/// redraws two rows, not all of them.
#[component]
pub fn SvgRow(props: &SvgRowProps) -> Html {
    let layout = &props.layout.0;
    let ty = layout.ty;
    let step = &props.trace.0.steps[props.index];
    let (Some(s), Some(&top)) = (layout.shapes.get(props.row), layout.tops.get(props.row)) else {
        return html! {};
    };
    let intercepted = intercepted(&props.trace.0, props.index);
    let h = s.height(&ty);
    let (drawing, mark_y) = shape(s, step, top, &ty);
    let dots = "•".repeat(props.annotations.min(6));
    let marks = (props.annotations > 0).then(|| {
        html! {
            <text class="annotation-marks" x={(WIDTH - 6.0).to_string()} y={mark_y.to_string()}
                text-anchor="end" aria-hidden="true">{ dots }</text>
        }
    });
    let (onclick, onkeydown) = step_callbacks(&props.dispatcher, props.target);
    let class = row_class(step, props.current, props.divergence, props.future);
    html! {
        <g {class} data-testid="diagram-step" data-index={props.index.to_string()}
            tabindex="0" role="button"
            aria-current={props.current.then_some("step")} {onkeydown}
            data-annotations={props.annotations.to_string()}
            data-divergence={props.divergence.to_string()}
            data-intercepted={intercepted.to_string()}
            data-actor={actor_str(step.actor)} data-tls={step.tls.to_string()}
            data-kind={kind_str(step.kind)} data-violation={step.violation.to_string()}
            data-replies={reply_summary(step).join(";")} data-current={props.current.to_string()}
            {onclick}>
            <title>{ format!("{}. {}", props.row + 1, step.text) }</title>
            <rect class="row-bg" x="0" y={top.to_string()} width={WIDTH.to_string()}
                height={h.to_string()} />
            <text class="row-num" x="44" y={(top + 7.0 + ty.font).to_string()} text-anchor="start">{ props.row + 1 }</text>
            { drawing }
            { for marks }
        </g>
    }
}

/// The SVG of the shown steps.
pub fn draw(props: &DiagramProps, layout: &Rc<Layout>, current_row: usize) -> Html {
    let visible = &props.visible;
    let height = layout.height();
    let last = layout.shapes.len().saturating_sub(1);
    // The row of trace index `i`: the shown step it belongs to.
    let row_of = |i: usize| visible.iter().rposition(|&v| v <= i).unwrap_or(0).min(last);
    let tops = &layout.tops;
    let bracket = handshake_span(&props.trace)
        .filter(|(start, _)| !layout.shapes.is_empty() && (!props.hide_future || *start <= props.index))
        .map(|(start, end)| {
            let end = if props.hide_future { end.min(props.index) } else { end };
            let top = tops[row_of(start)] + 2.0;
            let bottom = tops[row_of(end) + 1] - 2.0;
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
    let trace = Shared(props.trace.clone());
    let shared = Shared(layout.clone());
    let len = props.trace.steps.len();
    let drawn = visible
        .iter()
        .enumerate()
        .filter(|&(_, &i)| !props.hide_future || i <= props.index)
        .map(|(row, &i)| {
            let upto = visible.get(row + 1).copied().unwrap_or(len);
            html! {
                <SvgRow key={i} trace={trace.clone()} layout={shared.clone()} {row} index={i}
                    target={if props.by_position { row } else { i }}
                    annotations={upto.saturating_sub(i + 1)} current={i == props.index}
                    future={i > props.index} divergence={props.divergence == Some(i)}
                    dispatcher={props.dispatcher.clone()} />
            }
        });
    html! {
        <svg data-testid="diagram" class={classes!("diagram", props.large.then_some("large"))} role="group"
            aria-label={format!("Sequence diagram of {} steps; step {current_row} is highlighted", visible.len())}
            viewBox={format!("0 0 {WIDTH} {height}")} width="100%">
            { for bracket }
            <g class="lanes" aria-hidden="true">
                <text class="lane-title" x={CLIENT_X.to_string()} y="20" text-anchor="middle">{ "Client" }</text>
                <text class="lane-title" x={WIRE_X.to_string()} y="20" text-anchor="middle">{ "Wire (attacker)" }</text>
                <text class="lane-title" x={SERVER_X.to_string()} y="20" text-anchor="middle">{ "Server" }</text>
                <line class="lane" x1={CLIENT_X.to_string()} y1="30" x2={CLIENT_X.to_string()} y2={height.to_string()} />
                <line class="lane wire" x1={WIRE_X.to_string()} y1="30" x2={WIRE_X.to_string()} y2={height.to_string()} />
                <line class="lane" x1={SERVER_X.to_string()} y1="30" x2={SERVER_X.to_string()} y2={height.to_string()} />
            </g>
            { for drawn }
        </svg>
    }
}
