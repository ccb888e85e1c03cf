//! The knowledge panels: what the client and the server know, with provenance badges; items
//! discarded at the handshake are struck through and fade; items kept against a rule are
//! flagged as violations.

use std::rc::Rc;

use starttls_protocol::knowledge::Provenance;
use starttls_sim::trace::Trace;
use yew::prelude::*;

use crate::components::icons::{Icon, icon};
use crate::view::knowledge::{ItemState, KnowledgeRow, Side, knowledge_rows, provenance_str};

/// Props of [`KnowledgePanel`].
#[derive(Properties, PartialEq)]
pub struct KnowledgeProps {
    /// The trace.
    pub trace: Rc<Trace>,
    /// The current step.
    pub index: usize,
    /// Which side.
    pub side: Side,
}

fn item(row: &KnowledgeRow) -> Html {
    let badge = match row.provenance {
        Provenance::Cleartext => {
            html! { <span class="badge prov-clear" title="learnt in cleartext">{ icon(Icon::Unlock) }{ " cleartext" }</span> }
        }
        Provenance::Tls => {
            html! { <span class="badge prov-tls" title="learnt under TLS">{ icon(Icon::Lock) }{ " TLS" }</span> }
        }
    };
    let note = match (row.state, row.rule) {
        (ItemState::Discarded, Some(rule)) => html! {
            <span class="item-note">{ "discarded: " }<span class="rule-id">{ rule.as_str() }</span></span>
        },
        (ItemState::Violation, Some(rule)) => html! {
            <span class="item-note">{ "⚠ kept against " }<span class="rule-id">{ rule.as_str() }</span></span>
        },
        _ => html! {},
    };
    html! {
        <li class={classes!("k-item", row.state.as_str(), row.fresh.then_some("fresh"))}
            data-testid="knowledge-item" data-key={row.key.clone()}
            data-provenance={provenance_str(row.provenance)} data-state={row.state.as_str()}>
            <span class="k-label">{ row.label }</span>
            { badge }
            <span class="k-value">{ &row.value }</span>
            { note }
        </li>
    }
}

/// What a panel says of a real peer in a lab session.
pub const REAL_PEER: &str = "A real peer on the network: what it learnt and what it discarded are not visible. The sequence shows what it sent.";

/// One side's knowledge.
#[component]
pub fn KnowledgePanel(props: &KnowledgeProps) -> Html {
    let (testid, title, actor) = match props.side {
        Side::Client => (
            "knowledge-client",
            "Client knows",
            starttls_sim::trace::Actor::Client,
        ),
        Side::Server => (
            "knowledge-server",
            "Server knows",
            starttls_sim::trace::Actor::Server,
        ),
    };
    if props.trace.is_real(actor) {
        return html! {
            <section class="panel knowledge" data-testid={testid} aria-label={title}>
                <h3>{ title }</h3>
                <p class="muted" data-testid="real-peer">{ REAL_PEER }</p>
            </section>
        };
    }
    let rows = knowledge_rows(&props.trace, props.index, props.side);
    html! {
        <section class="panel knowledge" data-testid={testid} aria-label={title}>
            <h3>{ title }</h3>
            <KnowledgeList {rows} />
        </section>
    }
}

/// Props of [`KnowledgeList`]: the rows, compared by value, so that a step that changes
/// nothing a side knows redraws nothing.
#[derive(Properties, PartialEq)]
struct KnowledgeListProps {
    rows: Vec<KnowledgeRow>,
}

/// The list of one side's items.
#[component]
fn KnowledgeList(props: &KnowledgeListProps) -> Html {
    if props.rows.is_empty() {
        html! { <p class="muted">{ "Nothing learnt from its peer." }</p> }
    } else {
        html! { <ul class="k-list">{ for props.rows.iter().map(item) }</ul> }
    }
}
