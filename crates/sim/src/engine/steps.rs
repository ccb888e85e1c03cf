//! Turning what happens into trace steps: a named constructor for each step, the shown
//! knowledge, and the learnt items.

use starttls_protocol::knowledge::KnowledgeItem;
use starttls_protocol::rules::RuleId;

use super::{Engine, MAX_STEPS, Side, narrate};
use crate::trace::{Actor, Detail, Direction, Step, StepKind};

/// A step about to be pushed: built with named setters, everything else defaulted.
pub(crate) struct NewStep {
    actor: Actor,
    kind: StepKind,
    text: String,
    technical: Option<String>,
    direction: Option<Direction>,
    tls: bool,
    bytes: Option<Vec<u8>>,
    rules: Vec<RuleId>,
    violation: bool,
    discarded: Vec<KnowledgeItem>,
    detail: Detail,
}

impl NewStep {
    /// A step by `actor` of `kind`, with its main sentence.
    pub(crate) fn new(actor: Actor, kind: StepKind, text: String) -> Self {
        Self {
            actor,
            kind,
            text,
            technical: None,
            direction: None,
            tls: false,
            bytes: None,
            rules: Vec::new(),
            violation: false,
            discarded: Vec::new(),
            detail: Detail::Note,
        }
    }

    pub(crate) fn technical(mut self, line: Option<String>) -> Self {
        self.technical = line;
        self
    }

    pub(crate) fn direction(mut self, direction: Direction) -> Self {
        self.direction = Some(direction);
        self
    }

    pub(crate) fn tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    pub(crate) fn bytes(mut self, bytes: Vec<u8>) -> Self {
        self.bytes = Some(bytes);
        self
    }

    pub(crate) fn rules(mut self, rules: Vec<RuleId>) -> Self {
        self.rules = rules;
        self
    }

    /// A rule is broken here (a teaching toggle, or an attack).
    pub(crate) fn violation(mut self) -> Self {
        self.violation = true;
        self
    }

    pub(crate) fn violation_if(mut self, yes: bool) -> Self {
        self.violation = yes;
        self
    }

    pub(crate) fn discarded(mut self, items: Vec<KnowledgeItem>) -> Self {
        self.discarded = items;
        self
    }

    pub(crate) fn detail(mut self, detail: Detail) -> Self {
        self.detail = detail;
        self
    }
}

/// The table row a state change took.
fn table_row(detail: &Detail) -> Option<crate::trace::TableRow> {
    use crate::trace::TableRow;
    use starttls_protocol::client::ClientEvent;
    use starttls_protocol::server::ServerEvent;
    match detail {
        Detail::Client(e) => match e.as_ref() {
            ClientEvent::StateChanged { from, on, to, .. } => Some(TableRow::Client {
                from: *from,
                on: *on,
                to: *to,
            }),
            _ => None,
        },
        Detail::Server(e) => match e.as_ref() {
            ServerEvent::StateChanged { from, on, to, .. } => Some(TableRow::Server {
                from: *from,
                on: *on,
                to: *to,
            }),
            _ => None,
        },
        _ => None,
    }
}

/// The client's decision a step shows, read from the machine's event.
fn decision(detail: &Detail) -> Option<crate::trace::ClientDecision> {
    use crate::trace::ClientDecision as D;
    use starttls_protocol::client::{ClientEvent, ClientTrigger as T, Next};
    use starttls_protocol::tls::SecurityVerdict;
    let Detail::Client(e) = detail else {
        return None;
    };
    Some(match e.as_ref() {
        ClientEvent::StateChanged { on, .. } => match on {
            T::Starttls220 => D::StartHandshake,
            T::StarttlsNotAdvertised(Next::Quit)
            | T::HeloWithoutStarttls(Next::Quit)
            | T::Starttls454(Next::Quit)
            | T::Starttls454Required
            | T::StarttlsRefused(Next::Quit)
            | T::StarttlsRefusedRequired => D::QuitWithoutTls,
            T::StarttlsNotAdvertised(_)
            | T::HeloWithoutStarttls(_)
            | T::Starttls454(_)
            | T::StarttlsRefused(_) => D::ContinueInClear,
            T::TlsFailed | T::TlsCouldNotStart => D::AbortHandshake,
            _ => return None,
        },
        ClientEvent::SecurityDecision { verdict, .. } => match verdict {
            SecurityVerdict::Insufficient { .. } => D::QuitInsecure,
            _ => D::AcceptSession,
        },
        ClientEvent::StarttlsAdvertisedUnderTls { .. } => D::IgnoreStarttls,
        _ => return None,
    })
}

/// Whether a step is shown at message level (see [`Step::headline`]).
fn headline(step: &NewStep, previous: Option<&Step>) -> bool {
    use starttls_protocol::client::ClientEvent;
    use starttls_protocol::server::ServerEvent;
    let Some(previous) = previous else {
        return true;
    };
    match step.kind {
        _ if step.direction.is_some() || step.violation => true,
        StepKind::Alert => true,
        StepKind::KnowledgeDiscarded => {
            !(previous.kind == StepKind::KnowledgeDiscarded && previous.actor == step.actor)
        }
        _ => match &step.detail {
            Detail::Client(e) => matches!(
                e.as_ref(),
                ClientEvent::SecurityDecision { .. } | ClientEvent::Finished { .. }
            ),
            Detail::Server(e) => matches!(e.as_ref(), ServerEvent::SecurityDecision { .. }),
            _ => false,
        },
    }
}

impl Engine {
    /// Appends a step, with both sides' snapshots after it.
    pub(super) fn push(&mut self, step: NewStep) {
        if self.steps.len() >= MAX_STEPS {
            return;
        }
        if !step.violation
            && let Some(side) = match step.actor {
                Actor::Client => Some(Side::Client),
                Actor::Server => Some(Side::Server),
                _ => None,
            }
        {
            let discarded = &step.discarded;
            self.peer(side).known.retain(|k| !discarded.contains(k));
        }
        let headline = headline(&step, self.steps.last());
        let decision = decision(&step.detail);
        let row = table_row(&step.detail);
        let step = Step {
            index: self.steps.len(),
            headline,
            decision,
            row,
            actor: step.actor,
            kind: step.kind,
            direction: step.direction,
            tls: step.tls,
            bytes: step.bytes,
            text: step.text,
            technical: step.technical,
            rules: step.rules,
            violation: step.violation,
            discarded: step.discarded,
            detail: step.detail,
            at_ms: self.now_ms,
            client: self.client_snapshot(),
            server: self.server_snapshot(),
        };
        self.steps.push(step);
    }

    /// The client's snapshot, with the knowledge this trace has shown so far: the machine
    /// reports a batch of events at once, and its knowledge may already be ahead of the step.
    pub(super) fn client_snapshot(&self) -> starttls_protocol::client::ClientSnapshot {
        let mut snap = self.client.snapshot();
        snap.knowledge = self.peers[Side::Client as usize].known.clone();
        snap
    }

    /// The server's snapshot, with the knowledge shown so far (see [`Self::client_snapshot`]).
    pub(super) fn server_snapshot(&self) -> starttls_protocol::server::ServerSnapshot {
        let mut snap = self.server.snapshot();
        snap.knowledge = self.peers[Side::Server as usize].known.clone();
        snap
    }

    /// Brings the shown knowledge in line with the machines once a batch of events has been
    /// turned into steps: items a machine dropped without an event (an envelope after RSET or
    /// after the message) go quietly, and each new item gets a "knowledge learnt" step.
    pub(super) fn note_learnt(&mut self) {
        for side in [Side::Client, Side::Server] {
            let now = match side {
                Side::Client => self.client.knowledge(),
                Side::Server => self.server.knowledge(),
            };
            let known = &mut self.peer(side).known;
            known.retain(|k| now.contains(k));
            let fresh: Vec<KnowledgeItem> =
                now.iter().filter(|i| !known.contains(i)).cloned().collect();
            for item in fresh {
                if self.steps.len() >= MAX_STEPS {
                    return;
                }
                self.peer(side).known.push(item.clone());
                let tls = item.provenance == starttls_protocol::knowledge::Provenance::Tls;
                let actor = side.actor();
                self.push(
                    NewStep::new(
                        actor,
                        StepKind::KnowledgeLearnt,
                        narrate::learnt(actor, &item),
                    )
                    .tls(tls),
                );
            }
        }
    }
}
