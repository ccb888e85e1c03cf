//! The diagram on a phone: a vertical list of the same steps, the lanes as badges
//! ("Client → Server"), each command or reply of a flight on its own line, wrapped rather
//! than cut, so nothing scrolls sideways.

use starttls_sim::trace::{Actor, Direction};
use yew::prelude::*;

use super::Row;
use crate::view::labels::{arrow_items, note_text};

fn lane(actor: Actor) -> &'static str {
    match actor {
        Actor::Client => "Client",
        Actor::Server => "Server",
        Actor::Wire => "Wire",
        Actor::Attacker => "Attacker",
    }
}

/// "Client → Server", "Client → Wire" (intercepted), "Attacker → Server", or one lane for a
/// note.
fn lanes(row: &Row<'_>) -> String {
    let step = row.step;
    let Some(direction) = step.direction else {
        return lane(step.actor).to_string();
    };
    let to = if row.intercepted {
        "Wire"
    } else {
        match direction {
            Direction::ClientToServer => "Server",
            Direction::ServerToClient => "Client",
        }
    };
    format!("{} → {to}", lane(step.actor))
}

/// The list of rows.
pub fn draw(rows: &[Row<'_>], len: usize, current_row: usize) -> Html {
    let items = rows.iter().map(|row| {
        let step = row.step;
        let lines: Vec<String> = if step.direction.is_some() {
            arrow_items(step)
        } else {
            vec![note_text(step).to_string()]
        };
        let protection = if step.tls { "TLS" } else { "cleartext" };
        html! {
            <li class={row.class.clone()}>
                <button type="button" class="diagram-item" data-testid="diagram-item"
                    data-index={row.index.to_string()} data-current={row.current.to_string()}
                    data-intercepted={row.intercepted.to_string()}
                    aria-current={row.current.then_some("step")} title={row.title()}
                    onclick={row.onclick.clone()}>
                    <span class="item-head">
                        <span class="row-num">{ row.row + 1 }</span>
                        <span class="badge lane-badge">{ lanes(row) }</span>
                        { if step.direction.is_some() { html! {
                            <span class={classes!("badge", if step.tls { "tag-tls" } else { "tag-clear" })}>{ protection }</span>
                        } } else { html! {} } }
                        { if step.violation { html! { <span class="badge broken-tag">{ "rule broken" }</span> } } else { html! {} } }
                        { if row.annotations > 0 { html! {
                            <span class="item-marks">{ format!("+{} decision{}", row.annotations, if row.annotations == 1 { "" } else { "s" }) }</span>
                        } } else { html! {} } }
                    </span>
                    <span class="item-lines">
                        { for lines.iter().map(|l| html! { <span class="item-line">{ l }</span> }) }
                    </span>
                </button>
            </li>
        }
    });
    html! {
        <ol class="diagram-list" data-testid="diagram-list"
            aria-label={format!("Sequence of {len} steps; step {current_row} is current")}>
            { for items }
        </ol>
    }
}
