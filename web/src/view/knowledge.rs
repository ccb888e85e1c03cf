//! What each side's knowledge panel lists at a step: the items the side holds, the items it
//! discarded at the handshake (struck through), and the items it kept against a rule.

use starttls_protocol::knowledge::{KnowledgeItem, KnowledgeKey, Provenance};
use starttls_protocol::rules::RuleId;
use starttls_sim::trace::{Actor, Step, StepKind, Trace};

/// Which side's panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The SMTP client.
    Client,
    /// The SMTP server.
    Server,
}

/// How a knowledge item is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    /// Held, as the rules allow.
    Known,
    /// Forgotten at the handshake, as the rules require (struck through).
    Discarded,
    /// Held although a rule says it should have gone.
    Violation,
}

impl ItemState {
    /// The `data-state` value: `known`, `discarded` or `violation`.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Known => "known",
            ItemState::Discarded => "discarded",
            ItemState::Violation => "violation",
        }
    }
}

/// One row of a knowledge panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnowledgeRow {
    /// The item's key, as the engine names it (`ClientName`, `Extensions`, …).
    pub key: String,
    /// A label for people.
    pub label: &'static str,
    /// The value.
    pub value: String,
    /// Where it was learnt.
    pub provenance: Provenance,
    /// Known, discarded or violation.
    pub state: ItemState,
    /// The rule applied (discarded) or broken (violation).
    pub rule: Option<RuleId>,
    /// Whether the discard or the violation happened at this very step.
    pub fresh: bool,
}

/// `"cleartext"` or `"tls"`.
pub fn provenance_str(p: Provenance) -> &'static str {
    match p {
        Provenance::Cleartext => "cleartext",
        Provenance::Tls => "tls",
    }
}

/// The engine's name of a key (its serde form).
pub fn key_name(key: KnowledgeKey) -> String {
    format!("{key:?}")
}

/// A label for people.
pub fn key_label(key: KnowledgeKey) -> &'static str {
    match key {
        KnowledgeKey::ClientName => "client's EHLO name",
        KnowledgeKey::ReversePath => "envelope sender",
        KnowledgeKey::Recipient => "envelope recipient",
        KnowledgeKey::AuthIdentity => "authenticated identity",
        KnowledgeKey::Greeting => "server's greeting",
        KnowledgeKey::Extensions => "server's extension list",
        KnowledgeKey::BufferedInput => "bytes held, not yet read",
    }
}

/// What one step did to a side's knowledge, read from the engine's events.
enum Change<'a> {
    Discarded(&'a KnowledgeItem, Option<RuleId>),
    Kept(&'a KnowledgeItem, RuleId),
    PlaintextDiscarded(&'a str, Option<RuleId>),
    PlaintextRetained(&'a str, RuleId),
}

fn change(step: &Step, side: Side) -> Option<Change<'_>> {
    // The engine decided: a discard step names what it discarded (or, marked as a violation,
    // what the side kept against the rule it cites).
    let actor = match side {
        Side::Client => Actor::Client,
        Side::Server => Actor::Server,
    };
    if step.actor != actor || step.kind != StepKind::KnowledgeDiscarded {
        return None;
    }
    let item = step.discarded.first()?;
    let rule = step.rules.first().copied();
    Some(
        match (item.key == KnowledgeKey::BufferedInput, step.violation) {
            (false, false) => Change::Discarded(item, rule),
            (false, true) => Change::Kept(item, rule?),
            (true, false) => Change::PlaintextDiscarded(&item.value, rule),
            (true, true) => Change::PlaintextRetained(&item.value, rule?),
        },
    )
}

fn row(item: &KnowledgeItem, state: ItemState, rule: Option<RuleId>, fresh: bool) -> KnowledgeRow {
    KnowledgeRow {
        key: key_name(item.key),
        label: key_label(item.key),
        value: item.value.clone(),
        provenance: item.provenance,
        state,
        rule,
        fresh,
    }
}

fn buffered(bytes: &str, state: ItemState, rule: Option<RuleId>, fresh: bool) -> KnowledgeRow {
    KnowledgeRow {
        key: key_name(KnowledgeKey::BufferedInput),
        label: key_label(KnowledgeKey::BufferedInput),
        value: bytes.to_string(),
        provenance: Provenance::Cleartext,
        state,
        rule,
        fresh,
    }
}

/// The rule a side breaks by keeping cleartext knowledge under TLS.
fn discard_rule(side: Side) -> RuleId {
    match side {
        Side::Client => RuleId::ClientDiscard,
        Side::Server => RuleId::ServerDiscard,
    }
}

/// The rows of `side`'s panel at step `index`.
///
/// - Items in the step's snapshot are `known`, or `violation` when the side kept them
///   against a rule (a `KnowledgeKept` event) or still holds cleartext items once its TLS
///   is on.
/// - Items the side discarded at or before this step (since it last started TLS) are
///   `discarded`, until the post-TLS dialogue teaches it the same key again.
/// - Plaintext the side held after STARTTLS is `discarded` when thrown away, and a
///   `violation` when retained to be read as if it came under TLS.
pub fn knowledge_rows(trace: &Trace, index: usize, side: Side) -> Vec<KnowledgeRow> {
    let Some(step) = trace.steps.get(index) else {
        return Vec::new();
    };
    let (held, tls_on) = match side {
        Side::Client => (&step.client.knowledge, step.client.tls.is_active()),
        Side::Server => (&step.server.knowledge, step.server.tls.is_active()),
    };
    let history = &trace.steps[..=index];
    let kept: Vec<(&KnowledgeItem, RuleId)> = history
        .iter()
        .filter_map(|s| match change(s, side) {
            Some(Change::Kept(item, rule)) => Some((item, rule)),
            _ => None,
        })
        .collect();

    let mut rows: Vec<KnowledgeRow> = held
        .iter()
        .map(|item| {
            let kept_rule = kept
                .iter()
                .find(|(k, _)| {
                    k.key == item.key
                        && k.learnt_at == item.learnt_at
                        && k.provenance == item.provenance
                })
                .map(|(_, rule)| *rule);
            let held_in_clear_under_tls = tls_on && item.provenance == Provenance::Cleartext;
            match kept_rule {
                Some(rule) => row(item, ItemState::Violation, Some(rule), false),
                None if held_in_clear_under_tls => {
                    row(item, ItemState::Violation, Some(discard_rule(side)), false)
                }
                None => row(item, ItemState::Known, None, false),
            }
        })
        .collect();

    for (j, s) in history.iter().enumerate() {
        let fresh = j == index;
        match change(s, side) {
            Some(Change::Discarded(item, rule)) if !s.violation => {
                let refilled = held
                    .iter()
                    .any(|h| h.key == item.key && h.provenance == Provenance::Tls);
                if !refilled {
                    rows.push(row(item, ItemState::Discarded, rule, fresh));
                }
            }
            Some(Change::PlaintextDiscarded(bytes, rule)) => {
                rows.push(buffered(bytes, ItemState::Discarded, rule, fresh));
            }
            Some(Change::PlaintextRetained(bytes, rule)) => {
                rows.push(buffered(bytes, ItemState::Violation, Some(rule), fresh));
            }
            _ => {}
        }
    }
    rows
}
