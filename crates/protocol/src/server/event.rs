//! What the server tells its caller: events, and snapshots of its state.

use super::state::{ServerStateId, ServerTrigger};
use crate::command::{Command, Verb};
use crate::error::PeerError;
use crate::knowledge::{ByteRange, KnowledgeItem};
use crate::reply::Reply;
use crate::rules::RuleId;
use crate::tls::{SecurityVerdict, TlsState};
use crate::transition::TableMiss;
use serde::{Deserialize, Serialize};

/// One thing the server did or decided. Drain them with
/// [`Server::poll_event`](crate::server::Server::poll_event). Each decision carries
/// the rules it applies (`rules`), or the rule a teaching toggle made it break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerEvent {
    /// A command line was parsed.
    CommandReceived {
        /// The command.
        command: Command,
        /// Whether it arrived under TLS (or was interpreted as if it had).
        under_tls: bool,
    },
    /// A line could not be parsed as a command; a 5xx reply follows.
    InputRejected {
        /// What was wrong.
        error: PeerError,
        /// Whether it arrived under TLS.
        under_tls: bool,
    },
    /// A reply was queued in the outgoing bytes.
    ReplySent {
        /// The reply.
        reply: Reply,
        /// The verb of the command it answers, if the line was a command.
        in_reply_to: Option<Verb>,
        /// The rules applied.
        rules: Vec<RuleId>,
    },
    /// The SMTP state changed (a row of [`TRANSITIONS`](crate::server::TRANSITIONS)).
    StateChanged {
        /// The state before.
        from: ServerStateId,
        /// The trigger.
        on: ServerTrigger,
        /// The state after.
        to: ServerStateId,
        /// The rules of the row.
        rules: Vec<RuleId>,
    },
    /// A defect: the server changed state without a row of
    /// [`TRANSITIONS`](crate::server::TRANSITIONS) for it. Never expected; tests fail on it.
    TableMiss(TableMiss<ServerStateId, ServerTrigger>),
    /// Start TLS now: the `220` is in the outgoing bytes, and the next bytes on the
    /// connection belong to the TLS handshake ([`RuleId::Cmd220`](crate::rules::RuleId::Cmd220)). Send the outgoing
    /// bytes, run the handshake, then call `tls_established` or `tls_failed`.
    /// `buffered_plaintext` is the plaintext already received after the STARTTLS line:
    /// it is held, not interpreted, and will be discarded at the handshake
    /// ([`RuleId::ServerDiscard`](crate::rules::RuleId::ServerDiscard)). It can also be taken with `take_buffered_plaintext`.
    StartTls {
        /// Plaintext received after the STARTTLS line so far.
        buffered_plaintext: ByteRange,
        /// Whether the server will discard it at the handshake (`false` only under the
        /// CVE-2011-0411 teaching toggle).
        discard_at_handshake: bool,
    },
    /// The server judged the TLS session ([`RuleId::DecideAfter`](crate::rules::RuleId::DecideAfter)).
    SecurityDecision {
        /// The judgement.
        verdict: SecurityVerdict,
        /// [`RuleId::DecideAfter`](crate::rules::RuleId::DecideAfter), plus [`RuleId::Server554`](crate::rules::RuleId::Server554) when insufficient.
        rules: Vec<RuleId>,
    },
    /// A knowledge item learnt before TLS was discarded ([`RuleId::ServerDiscard`](crate::rules::RuleId::ServerDiscard)).
    KnowledgeDiscarded {
        /// The item.
        item: KnowledgeItem,
        /// The rules applied.
        rules: Vec<RuleId>,
    },
    /// A knowledge item learnt before TLS was kept because a teaching toggle is on.
    KnowledgeKept {
        /// The item.
        item: KnowledgeItem,
        /// The rule this breaks.
        broken_rule: RuleId,
    },
    /// Plaintext received after STARTTLS was thrown away at the handshake
    /// ([`RuleId::ServerDiscard`](crate::rules::RuleId::ServerDiscard)): the defence against command injection.
    PlaintextDiscarded {
        /// Stream offsets of the discarded bytes.
        range: ByteRange,
        /// The bytes held (escaped), at most the input cap.
        bytes: String,
        /// The rules applied.
        rules: Vec<RuleId>,
    },
    /// Plaintext received after STARTTLS will be interpreted as if it came under TLS
    /// (teaching toggle: CVE-2011-0411).
    PlaintextRetained {
        /// Stream offsets of the retained bytes.
        range: ByteRange,
        /// The bytes (escaped).
        bytes: String,
        /// The rule this breaks.
        broken_rule: RuleId,
    },
    /// A teaching toggle made the server break a rule in another way.
    RuleBroken {
        /// The rule broken.
        rule: RuleId,
        /// What happened.
        detail: String,
    },
    /// AUTH PLAIN succeeded.
    Authenticated {
        /// The authentication identity.
        username: String,
        /// Whether under TLS.
        under_tls: bool,
    },
    /// A message was accepted (`250` after the final `.`).
    MessageAccepted {
        /// The reverse-path.
        reverse_path: String,
        /// The forward-paths.
        recipients: Vec<String>,
        /// The message text (lossy UTF-8), dot-stuffing removed.
        body: String,
        /// Whether the whole transaction ran under TLS.
        under_tls: bool,
    },
    /// The caller reported a failed handshake; the session is over.
    TlsFailed {
        /// The caller's reason.
        reason: String,
    },
    /// The session is over: send the outgoing bytes, then close the connection.
    Closed {
        /// Why.
        reason: String,
    },
}

/// A serializable view of the server at one moment, for a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSnapshot {
    /// The SMTP state (as in [`TRANSITIONS`](crate::server::TRANSITIONS)).
    pub state: ServerStateId,
    /// Whether TLS is off, handshaking or on ([`RuleId::BothKnowTls`](crate::rules::RuleId::BothKnowTls)).
    pub tls: TlsState,
    /// The judgement of the TLS session.
    pub verdict: SecurityVerdict,
    /// What the server knows about the client, with provenance.
    pub knowledge: Vec<KnowledgeItem>,
    /// Input bytes held but not interpreted.
    pub buffered_input: usize,
    /// Outgoing bytes not yet taken.
    pub pending_outgoing: usize,
    /// Command lines processed so far.
    pub commands_processed: u64,
}
