//! What the client tells its caller: events, its outcome, and snapshots.

use super::policy::TlsFallback;
use super::state::{ClientStateId, ClientTrigger};
use crate::command::{Command, Verb};
use crate::error::PeerError;
use crate::knowledge::{ByteRange, KnowledgeItem};
use crate::reply::Reply;
use crate::rules::RuleId;
use crate::tls::{SecurityVerdict, TlsState};
use crate::transition::TableMiss;
use serde::{Deserialize, Serialize};

/// A recipient the server refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientRejection {
    /// The forward-path.
    pub recipient: String,
    /// The reply code.
    pub code: u16,
}

/// How the client's session ended; a simulation asserts on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientOutcome {
    /// The message was accepted (`250` after the final `.`).
    Delivered {
        /// Recipients the server accepted.
        accepted: Vec<String>,
        /// Recipients it refused.
        rejected: Vec<RecipientRejection>,
        /// Whether the transaction ran under TLS.
        under_tls: bool,
        /// Whether the client had authenticated with AUTH PLAIN.
        authenticated: bool,
    },
    /// The server refused (a 4xx or 5xx the client could not get past).
    Refused {
        /// The command refused, if known.
        command: Option<Verb>,
        /// The reply code.
        code: u16,
        /// The reply text.
        text: String,
    },
    /// The TLS session fell short of the policy; the client sent QUIT ([`RuleId::ClientQuitInsecure`](crate::rules::RuleId::ClientQuitInsecure)).
    QuitInsecure {
        /// Why the session was not good enough.
        reason: String,
    },
    /// TLS was required but could not be had; the client sent QUIT ([`RuleId::StripDefense`](crate::rules::RuleId::StripDefense),
    /// [`RuleId::Client454Decide`](crate::rules::RuleId::Client454Decide)).
    TlsUnavailable {
        /// Why (not advertised, 454, refused).
        reason: String,
    },
    /// The caller reported a failed handshake; the client aborted ([`RuleId::ClientHandshakeNext`](crate::rules::RuleId::ClientHandshakeNext)).
    TlsFailed {
        /// The caller's reason.
        reason: String,
    },
    /// The session broke off: a malformed or unexpected reply, or `421`.
    Aborted {
        /// Why.
        reason: String,
    },
}

/// One thing the client did or decided. Drain them with
/// [`Client::poll_event`](crate::client::Client::poll_event). Each decision carries
/// the rules it applies (`rules`), or the rule a teaching toggle made it break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientEvent {
    /// A complete reply was read.
    ReplyReceived {
        /// The reply.
        reply: Reply,
        /// Whether it arrived under TLS (or was read as if it had).
        under_tls: bool,
    },
    /// A command was queued in the outgoing bytes.
    CommandSent {
        /// The command.
        command: Command,
        /// Whether under TLS.
        under_tls: bool,
        /// The rules applied (e.g. [`RuleId::PipelineLast`](crate::rules::RuleId::PipelineLast) for a STARTTLS that ends its group).
        rules: Vec<RuleId>,
    },
    /// The message text (dot-stuffed, with the final `.`) was queued.
    MessageSent {
        /// Octets queued.
        octets: usize,
        /// Whether under TLS.
        under_tls: bool,
        /// [`RuleId::SmtpDotStuffing`](crate::rules::RuleId::SmtpDotStuffing).
        rules: Vec<RuleId>,
    },
    /// The client's state changed (a row of [`TRANSITIONS`](crate::client::TRANSITIONS)).
    StateChanged {
        /// The state before.
        from: ClientStateId,
        /// The trigger.
        on: ClientTrigger,
        /// The state after.
        to: ClientStateId,
        /// The rules of the row.
        rules: Vec<RuleId>,
    },
    /// A defect: the client changed state without a row of
    /// [`TRANSITIONS`](crate::client::TRANSITIONS) for it. Never expected; tests fail on it.
    TableMiss(TableMiss<ClientStateId, ClientTrigger>),
    /// Start TLS now: `220` arrived; the next bytes must be the TLS handshake
    /// ([`RuleId::Cmd220`](crate::rules::RuleId::Cmd220), [`RuleId::ClientHandshakeNext`](crate::rules::RuleId::ClientHandshakeNext)). Any bytes that arrived
    /// after the `220` are held, never read as replies, and discarded at the handshake.
    StartTls {
        /// Plaintext received after the `220` so far.
        buffered_plaintext: ByteRange,
        /// Whether the client will discard it at the handshake (`false` only under the
        /// teaching toggle that reads replies buffered after the 220).
        discard_at_handshake: bool,
    },
    /// The client judged the TLS session ([`RuleId::DecideAfter`](crate::rules::RuleId::DecideAfter), [`RuleId::CertName`](crate::rules::RuleId::CertName)).
    SecurityDecision {
        /// The judgement.
        verdict: SecurityVerdict,
        /// The rules applied.
        rules: Vec<RuleId>,
    },
    /// Knowledge learnt before TLS was discarded ([`RuleId::ClientDiscard`](crate::rules::RuleId::ClientDiscard), [`RuleId::Reset`](crate::rules::RuleId::Reset)).
    KnowledgeDiscarded {
        /// The item.
        item: KnowledgeItem,
        /// The rules applied.
        rules: Vec<RuleId>,
    },
    /// Knowledge learnt before TLS was kept because a teaching toggle is on.
    KnowledgeKept {
        /// The item.
        item: KnowledgeItem,
        /// The rule this breaks.
        broken_rule: RuleId,
    },
    /// Plaintext received after `220` was discarded at the handshake ([`RuleId::ClientDiscard`](crate::rules::RuleId::ClientDiscard)):
    /// the defence against response injection.
    PlaintextDiscarded {
        /// Stream offsets.
        range: ByteRange,
        /// The bytes (escaped).
        bytes: String,
        /// The rules applied.
        rules: Vec<RuleId>,
    },
    /// Plaintext received after `220` will be read as replies under TLS (teaching toggle).
    PlaintextRetained {
        /// Stream offsets.
        range: ByteRange,
        /// The bytes (escaped).
        bytes: String,
        /// The rule this breaks.
        broken_rule: RuleId,
    },
    /// A teaching toggle made the client break a rule in another way.
    RuleBroken {
        /// The rule.
        rule: RuleId,
        /// What happened.
        detail: String,
    },
    /// The server listed STARTTLS in an EHLO reply under TLS ([`RuleId::NoStarttlsAfter`](crate::rules::RuleId::NoStarttlsAfter));
    /// the client ignores it.
    StarttlsAdvertisedUnderTls {
        /// [`RuleId::NoStarttlsAfter`](crate::rules::RuleId::NoStarttlsAfter).
        rules: Vec<RuleId>,
    },
    /// TLS could not be had (not advertised, `454`, or STARTTLS refused); the client decided
    /// by policy ([`RuleId::Client454Decide`](crate::rules::RuleId::Client454Decide), [`RuleId::StripDefense`](crate::rules::RuleId::StripDefense)).
    TlsNotUsed {
        /// The reply to STARTTLS, or `None` if STARTTLS was not advertised.
        reply_code: Option<u16>,
        /// The decision (the rules are on the state change that follows).
        decision: TlsFallback,
    },
    /// A peer remembered to use TLS does not now ([`RuleId::RecordTls`](crate::rules::RuleId::RecordTls)).
    TlsDowngradeWarning {
        /// The peer.
        peer: String,
        /// [`RuleId::RecordTls`](crate::rules::RuleId::RecordTls).
        rules: Vec<RuleId>,
    },
    /// The script has credentials but the client did not authenticate.
    AuthSkipped {
        /// Why.
        reason: String,
    },
    /// The server sent something malformed or unexpected; the client aborts.
    ProtocolViolation {
        /// What was wrong.
        error: PeerError,
    },
    /// The caller reported a failed handshake ([`RuleId::ClientHandshakeNext`](crate::rules::RuleId::ClientHandshakeNext): abort;
    /// [`RuleId::Client454Decide`](crate::rules::RuleId::Client454Decide): retry later or go on in clear on a new connection).
    TlsFailed {
        /// The caller's reason.
        reason: String,
        /// Whether the handshake had started (`false`: it could not start).
        started: bool,
    },
    /// The session is over with this outcome: send the outgoing bytes, then close.
    Finished {
        /// The outcome.
        outcome: ClientOutcome,
    },
}

/// A serializable view of the client at one moment, for a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSnapshot {
    /// The state name (as in [`TRANSITIONS`](crate::client::TRANSITIONS)).
    pub state: ClientStateId,
    /// Whether TLS is off, handshaking or on ([`RuleId::BothKnowTls`](crate::rules::RuleId::BothKnowTls)).
    pub tls: TlsState,
    /// The judgement of the TLS session.
    pub verdict: SecurityVerdict,
    /// What the client knows about the server, with provenance.
    pub knowledge: Vec<KnowledgeItem>,
    /// Input bytes held but not interpreted.
    pub buffered_input: usize,
    /// Outgoing bytes not yet taken.
    pub pending_outgoing: usize,
    /// Replies processed so far.
    pub replies_processed: u64,
    /// The outcome, once the session is over (or decided).
    pub outcome: Option<ClientOutcome>,
}
