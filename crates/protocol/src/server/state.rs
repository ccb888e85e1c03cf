//! The server's state: one enum whose variants carry exactly the data valid in
//! them, and the transition table the server follows.

use crate::data::DataReceiver;
use crate::knowledge::{KnowledgeItem, KnowledgeKey, Learnt};
use crate::rules::RuleId as R;
use crate::transition::{Transition, t};

/// What the server knows about the client once it has sent EHLO or HELO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    /// The EHLO/HELO argument.
    pub client_name: Learnt<String>,
    /// EHLO (true) or HELO (false).
    pub esmtp: bool,
    /// ENHANCEDSTATUSCODES was advertised in the reply to this EHLO (RFC 2034).
    pub esc: bool,
    /// The identity authenticated with AUTH PLAIN.
    pub auth: Option<Learnt<String>>,
}

/// The envelope of the mail transaction in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    pub reverse_path: Learnt<String>,
    pub recipients: Vec<Learnt<String>>,
}

/// The server's SMTP state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServerState {
    /// After the 220 greeting (or after a TLS handshake, [`R::Reset`]): no EHLO yet.
    Initial,
    /// After EHLO or HELO.
    Ready { session: Session },
    /// After MAIL: collecting recipients.
    Transaction {
        session: Session,
        envelope: Envelope,
    },
    /// After `354`: receiving the message text.
    Data {
        session: Session,
        envelope: Envelope,
        receiver: DataReceiver,
    },
    /// After `334` to `AUTH PLAIN` without initial response: the next line is the response.
    AuthChallenge { session: Session },
    /// After `220` to STARTTLS: the caller runs the handshake. Holds what was known
    /// before, to discard (or, with a teaching toggle, keep) when it completes.
    TlsHandshake {
        session: Option<Session>,
        envelope: Option<Envelope>,
    },
    /// After QUIT or a failed handshake.
    Closed,
}

impl ServerState {
    /// The state's name, as in [`TRANSITIONS`].
    pub fn name(&self) -> &'static str {
        match self {
            ServerState::Initial => "Initial",
            ServerState::Ready { .. } => "Ready",
            ServerState::Transaction { .. } => "Transaction",
            ServerState::Data { .. } => "Data",
            ServerState::AuthChallenge { .. } => "AuthChallenge",
            ServerState::TlsHandshake { .. } => "TlsHandshake",
            ServerState::Closed => "Closed",
        }
    }

    pub fn session(&self) -> Option<&Session> {
        match self {
            ServerState::Ready { session }
            | ServerState::Transaction { session, .. }
            | ServerState::Data { session, .. }
            | ServerState::AuthChallenge { session } => Some(session),
            ServerState::TlsHandshake { session, .. } => session.as_ref(),
            ServerState::Initial | ServerState::Closed => None,
        }
    }

    pub fn envelope(&self) -> Option<&Envelope> {
        match self {
            ServerState::Transaction { envelope, .. } | ServerState::Data { envelope, .. } => {
                Some(envelope)
            }
            ServerState::TlsHandshake { envelope, .. } => envelope.as_ref(),
            _ => None,
        }
    }

    /// The knowledge items this state holds (the buffered input is added by the server).
    pub fn knowledge(&self) -> Vec<KnowledgeItem> {
        let mut items = Vec::new();
        if let Some(s) = self.session() {
            items.push(s.client_name.item(KnowledgeKey::ClientName, Clone::clone));
            if let Some(a) = &s.auth {
                items.push(a.item(KnowledgeKey::AuthIdentity, Clone::clone));
            }
        }
        if let Some(e) = self.envelope() {
            items.push(
                e.reverse_path
                    .item(KnowledgeKey::ReversePath, |p| format!("<{p}>")),
            );
            for r in &e.recipients {
                items.push(r.item(KnowledgeKey::Recipient, |p| format!("<{p}>")));
            }
        }
        items
    }
}

/// Trigger name for a completed handshake.
pub(crate) const ON_TLS: &str = "tls_established";
/// Trigger name for a completed handshake with the keep-knowledge teaching toggle on.
pub(crate) const ON_TLS_KEEP: &str = "tls_established (teaching: pre-TLS knowledge kept)";
/// Trigger name for a failed handshake.
pub(crate) const ON_TLS_FAILED: &str = "tls_failed";
/// Trigger name for the end of mail data.
pub(crate) const ON_END_OF_DATA: &str = "end of data";
/// Trigger name for the AUTH PLAIN response line.
pub(crate) const ON_AUTH_RESPONSE: &str = "AUTH response";

/// The server's transition table: every state change the server makes is a row
/// here (checked in debug builds and by the tests). Changes that keep the state
/// name (EHLO in Ready, RCPT in Transaction) are not listed.
pub const TRANSITIONS: &[Transition] = &[
    t("Initial", "EHLO", "Ready", &[]),
    t("Initial", "HELO", "Ready", &[]),
    t("Initial", "STARTTLS", "TlsHandshake", &[R::Cmd220]),
    t("Initial", "QUIT", "Closed", &[]),
    t("Ready", "MAIL", "Transaction", &[]),
    t("Ready", "AUTH", "AuthChallenge", &[]),
    t("Ready", "STARTTLS", "TlsHandshake", &[R::Cmd220]),
    t("Ready", "QUIT", "Closed", &[]),
    t("Transaction", "DATA", "Data", &[]),
    t("Transaction", "RSET", "Ready", &[]),
    t("Transaction", "EHLO", "Ready", &[]),
    t("Transaction", "HELO", "Ready", &[]),
    t("Transaction", "STARTTLS", "TlsHandshake", &[R::Cmd220]),
    t("Transaction", "QUIT", "Closed", &[]),
    t("Data", ON_END_OF_DATA, "Ready", &[R::SmtpDotStuffing]),
    t("AuthChallenge", ON_AUTH_RESPONSE, "Ready", &[]),
    t(
        "TlsHandshake",
        ON_TLS,
        "Initial",
        &[R::Reset, R::ServerDiscard, R::DecideAfter],
    ),
    t("TlsHandshake", ON_TLS_KEEP, "Initial", &[R::DecideAfter]),
    t("TlsHandshake", ON_TLS_KEEP, "Ready", &[R::DecideAfter]),
    t(
        "TlsHandshake",
        ON_TLS_KEEP,
        "Transaction",
        &[R::DecideAfter],
    ),
    t("TlsHandshake", ON_TLS_FAILED, "Closed", &[]),
];
