//! Each machine's state diagram, drawn from the protocol crate's transition table (not a copy
//! of it): the states on a ring, one edge per pair of states that some row joins, the current
//! state and the row the dialogue took last highlighted.

use std::f64::consts::PI;
use std::rc::Rc;

use starttls_sim::trace::{TableRow, Trace};
use yew::prelude::*;

use crate::view::knowledge::Side;

const W: f64 = 320.0;
const H: f64 = 250.0;
const NODE_W: f64 = 96.0;
const NODE_H: f64 = 22.0;

/// The states and table rows of one side, as names: (states, rows of (from, label, to)),
/// `from` empty for a row that applies in any state.
fn table(side: Side) -> (Vec<&'static str>, Vec<(&'static str, String, &'static str)>) {
    match side {
        Side::Client => (
            starttls_protocol::client::ClientStateId::ALL
                .iter()
                .map(|s| s.as_str())
                .collect(),
            starttls_protocol::client::TRANSITIONS
                .iter()
                .map(|t| {
                    (
                        t.from.map_or("", |f| f.as_str()),
                        t.on.label(),
                        t.to.as_str(),
                    )
                })
                .collect(),
        ),
        Side::Server => (
            starttls_protocol::server::ServerStateId::ALL
                .iter()
                .map(|s| s.as_str())
                .collect(),
            starttls_protocol::server::TRANSITIONS
                .iter()
                .map(|t| {
                    (
                        t.from.map_or("", |f| f.as_str()),
                        t.on.label().to_string(),
                        t.to.as_str(),
                    )
                })
                .collect(),
        ),
    }
}

/// The row `side` took last, at or before step `index`: (from, trigger label, to).
fn last_row(
    trace: &Trace,
    index: usize,
    side: Side,
) -> Option<(&'static str, String, &'static str)> {
    trace.steps[..=index.min(trace.steps.len().saturating_sub(1))]
        .iter()
        .rev()
        .find_map(|s| match (s.row, side) {
            (Some(TableRow::Client { from, on, to }), Side::Client) => {
                Some((from.as_str(), on.label(), to.as_str()))
            }
            (Some(TableRow::Server { from, on, to }), Side::Server) => {
                Some((from.as_str(), on.label().to_string(), to.as_str()))
            }
            _ => None,
        })
}

/// Props of [`StateDiagram`].
#[derive(Properties, PartialEq)]
pub struct StateDiagramProps {
    /// The trace.
    pub trace: Rc<Trace>,
    /// The current step.
    pub index: usize,
    /// Whose table.
    pub side: Side,
}

/// One side's state diagram. It redraws only when the state it marks or the row it
/// highlights changes, not at every step (most steps change neither).
#[component]
pub fn StateDiagram(props: &StateDiagramProps) -> Html {
    let actor = match props.side {
        Side::Client => starttls_sim::trace::Actor::Client,
        Side::Server => starttls_sim::trace::Actor::Server,
    };
    if props.trace.is_real(actor) {
        let who = if actor == starttls_sim::trace::Actor::Client {
            "client"
        } else {
            "server"
        };
        return html! {
            <figure class="state-diagram" data-testid="state-diagram" data-side={who}>
                <figcaption>{ format!("The {who}'s states") }</figcaption>
                <p class="muted" data-testid="real-peer">{ crate::components::knowledge::REAL_PEER }</p>
            </figure>
        };
    }
    let Some(step) = props.trace.steps.get(props.index) else {
        return html! {};
    };
    let current = match props.side {
        Side::Client => step.client.state.as_str(),
        Side::Server => step.server.state.as_str(),
    };
    let taken = last_row(&props.trace, props.index, props.side);
    html! { <StateChart side={props.side} {current} {taken} /> }
}

/// Props of [`StateChart`]: exactly what the drawing depends on.
#[derive(Properties, PartialEq)]
struct StateChartProps {
    side: Side,
    current: &'static str,
    taken: Option<(&'static str, String, &'static str)>,
}

/// The drawing itself, for the current state and the row taken last.
#[component]
fn StateChart(props: &StateChartProps) -> Html {
    let current = props.current;
    let taken = &props.taken;
    let (states, rows) = table(props.side);
    let n = states.len() as f64;
    let pos = |name: &str| {
        let i = states.iter().position(|s| *s == name).unwrap_or(0) as f64;
        let a = -PI / 2.0 + 2.0 * PI * i / n;
        (
            W / 2.0 + (W / 2.0 - NODE_W / 2.0 - 4.0) * a.cos(),
            H / 2.0 + (H / 2.0 - NODE_H / 2.0 - 4.0) * a.sin(),
        )
    };
    // One edge per (from, to) pair, listing every trigger of the rows that join them.
    let mut edges: Vec<(&str, &str, Vec<String>)> = Vec::new();
    for (from, label, to) in rows.iter().filter(|(f, _, _)| !f.is_empty()) {
        match edges.iter_mut().find(|(f, t, _)| f == from && t == to) {
            Some((_, _, labels)) => labels.push(label.clone()),
            None => edges.push((from, to, vec![label.clone()])),
        }
    }
    let any: Vec<String> = rows
        .iter()
        .filter(|(f, _, _)| f.is_empty())
        .map(|(_, label, to)| format!("{label} → {to}"))
        .collect();
    let side_name = match props.side {
        Side::Client => "client",
        Side::Server => "server",
    };
    let edge_views = edges.iter().map(|(from, to, labels)| {
        let (x1, y1) = pos(from);
        let (x2, y2) = pos(to);
        let is_taken = taken.as_ref().is_some_and(|(f, _, t)| f == from && t == to);
        // Shorten the line to the node boxes' edges (approximately), leaving room for the head.
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let cut = 16.0;
        let (sx, sy) = (x1 + dx / len * cut, y1 + dy / len * cut);
        let (ex, ey) = (x2 - dx / len * cut, y2 - dy / len * cut);
        html! {
            <line class={classes!("transition", is_taken.then_some("transition-taken"))}
                data-testid={if is_taken { "transition-taken" } else { "transition" }}
                data-from={*from} data-to={*to}
                x1={sx.to_string()} y1={sy.to_string()} x2={ex.to_string()} y2={ey.to_string()}
                marker-end={format!("url(#arrow-{side_name})")}>
                <title>{ format!("{from} → {to}: {}", labels.join("; ")) }</title>
            </line>
        }
    });
    let node_views = states.iter().map(|name| {
        let (x, y) = pos(name);
        let is_current = *name == current;
        html! {
            <g class={classes!("state", is_current.then_some("state-current"))}
                data-testid={if is_current { "state-current" } else { "state" }} data-state={*name}>
                <rect x={(x - NODE_W / 2.0).to_string()} y={(y - NODE_H / 2.0).to_string()}
                    width={NODE_W.to_string()} height={NODE_H.to_string()} rx="5" />
                <text x={x.to_string()} y={(y + 4.0).to_string()} text-anchor="middle">{ *name }</text>
            </g>
        }
    });
    let caption = match &taken {
        Some((from, label, to)) => format!("Last transition: {from} → {to} ({label})."),
        None => "No transition yet.".to_string(),
    };
    html! {
        <figure class="state-diagram" data-testid="state-diagram" data-side={side_name}
            data-current={current}>
            <figcaption>{ format!("The {side_name}'s states: now {current}") }</figcaption>
            <svg viewBox={format!("0 0 {W} {H}")} width="100%" role="img"
                aria-label={format!("State diagram of the {side_name}, drawn from its transition table; current state {current}. {caption}")}>
                <defs>
                    <marker id={format!("arrow-{side_name}")} viewBox="0 0 10 10" refX="9" refY="5"
                        markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" class="transition-head" />
                    </marker>
                </defs>
                { for edge_views }
                { for node_views }
            </svg>
            <p class="state-caption" data-testid="state-caption">{ caption }</p>
            { if any.is_empty() { html! {} } else { html! {
                <p class="state-any">{ format!("In any state: {}.", any.join("; ")) }</p>
            } } }
        </figure>
    }
}
