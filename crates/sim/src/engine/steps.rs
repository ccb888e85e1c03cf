//! Turning what happens into trace steps: the shown knowledge, learnt items, and the words.

use starttls_protocol::knowledge::KnowledgeItem;
use starttls_protocol::rules::RuleId;

use super::{Engine, MAX_STEPS, narrate};
use crate::trace::{Actor, Detail, Direction, Step, StepKind};

impl Engine {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push(
        &mut self,
        actor: Actor,
        kind: StepKind,
        direction: Option<Direction>,
        tls: bool,
        bytes: Option<Vec<u8>>,
        text: String,
        rules: Vec<RuleId>,
        violation: bool,
        detail: Detail,
    ) {
        if self.steps.len() >= MAX_STEPS {
            return;
        }
        let discarded = std::mem::take(&mut self.pending_discard);
        if !violation {
            let known = if actor == Actor::Client {
                &mut self.known.0
            } else {
                &mut self.known.1
            };
            known.retain(|k| !discarded.contains(k));
        }
        let step = Step {
            index: self.steps.len(),
            actor,
            kind,
            direction,
            tls,
            bytes,
            text,
            rules,
            violation,
            discarded,
            detail,
            client: self.client_snapshot(),
            server: self.server_snapshot(),
        };
        self.steps.push(step);
    }

    /// The client's snapshot, with the knowledge this trace has shown so far: the machine
    /// reports a batch of events at once, and its knowledge may already be ahead of the step.
    pub(super) fn client_snapshot(&self) -> starttls_protocol::client::ClientSnapshot {
        let mut snap = self.client.snapshot();
        snap.knowledge = self.known.0.clone();
        snap
    }

    /// The server's snapshot, with the knowledge shown so far (see [`Self::client_snapshot`]).
    pub(super) fn server_snapshot(&self) -> starttls_protocol::server::ServerSnapshot {
        let mut snap = self.server.snapshot();
        snap.knowledge = self.known.1.clone();
        snap
    }

    /// Brings the shown knowledge in line with the machines once a batch of events has been
    /// turned into steps: items a machine dropped without an event (an envelope after RSET or
    /// after the message) go quietly, and each new item gets a "knowledge learnt" step.
    pub(super) fn note_learnt(&mut self) {
        for actor in [Actor::Client, Actor::Server] {
            let now = if actor == Actor::Client {
                self.client.knowledge()
            } else {
                self.server.knowledge()
            };
            let known = if actor == Actor::Client {
                &mut self.known.0
            } else {
                &mut self.known.1
            };
            known.retain(|k| now.contains(k));
            let fresh: Vec<KnowledgeItem> =
                now.iter().filter(|i| !known.contains(i)).cloned().collect();
            for item in fresh {
                if self.steps.len() >= MAX_STEPS {
                    return;
                }
                if actor == Actor::Client {
                    self.known.0.push(item.clone());
                } else {
                    self.known.1.push(item.clone());
                }
                let tls = item.provenance == starttls_protocol::knowledge::Provenance::Tls;
                let text = narrate::learnt(actor, &item);
                self.push(
                    actor,
                    StepKind::KnowledgeLearnt,
                    None,
                    tls,
                    None,
                    text,
                    Vec::new(),
                    false,
                    Detail::Note,
                );
            }
        }
    }
}
