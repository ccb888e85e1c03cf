//! The server's state: one enum whose variants carry exactly the data valid in
//! them, and the transition table the server follows.

use crate::data::DataReceiver;
use crate::knowledge::{KnowledgeItem, KnowledgeKey, Learnt};
use crate::rules::RuleId as R;
use crate::transition::{Transition, row};
use serde::{Deserialize, Serialize};

/// What the server knows about the client once it has sent EHLO or HELO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    /// The EHLO/HELO argument.
    pub client_name: Learnt<String>,
    /// EHLO (true) or HELO (false).
    pub esmtp: bool,
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
    /// The state's identifier, as in [`TRANSITIONS`].
    pub fn id(&self) -> ServerStateId {
        match self {
            ServerState::Initial => ServerStateId::Initial,
            ServerState::Ready { .. } => ServerStateId::Ready,
            ServerState::Transaction { .. } => ServerStateId::Transaction,
            ServerState::Data { .. } => ServerStateId::Data,
            ServerState::AuthChallenge { .. } => ServerStateId::AuthChallenge,
            ServerState::TlsHandshake { .. } => ServerStateId::TlsHandshake,
            ServerState::Closed => ServerStateId::Closed,
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

/// The server's states, without their data: the rows of [`TRANSITIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ServerStateId {
    /// After the 220 greeting, or after a TLS handshake ([`R::Reset`]): no EHLO yet.
    Initial,
    /// After EHLO or HELO.
    Ready,
    /// After MAIL: collecting recipients.
    Transaction,
    /// After `354`: receiving the message text.
    Data,
    /// After `334` to AUTH PLAIN: the next line is the response.
    AuthChallenge,
    /// After `220` to STARTTLS: the handshake runs.
    TlsHandshake,
    /// After QUIT or a failed handshake.
    Closed,
}

impl ServerStateId {
    /// Every state, in the order a diagram draws them.
    pub const ALL: &'static [ServerStateId] = &[
        ServerStateId::Initial,
        ServerStateId::Ready,
        ServerStateId::Transaction,
        ServerStateId::Data,
        ServerStateId::AuthChallenge,
        ServerStateId::TlsHandshake,
        ServerStateId::Closed,
    ];

    /// The state's name, e.g. `"TlsHandshake"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ServerStateId::Initial => "Initial",
            ServerStateId::Ready => "Ready",
            ServerStateId::Transaction => "Transaction",
            ServerStateId::Data => "Data",
            ServerStateId::AuthChallenge => "AuthChallenge",
            ServerStateId::TlsHandshake => "TlsHandshake",
            ServerStateId::Closed => "Closed",
        }
    }
}

impl std::fmt::Display for ServerStateId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the server kept of its pre-TLS session under the keep-knowledge teaching toggle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kept {
    /// Nothing was known yet (no EHLO before STARTTLS).
    Nothing,
    /// The EHLO session.
    Session,
    /// The EHLO session and a mail transaction.
    Envelope,
}

/// What moves the server from one state to another: a command with the server's answer
/// to it, or a call of its caller. As fine as the rules need (a 220 to STARTTLS in the
/// clear is not the 220 to a STARTTLS under TLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ServerTrigger {
    /// EHLO, answered 250 with the extension list.
    Ehlo,
    /// HELO, answered 250.
    Helo,
    /// MAIL, accepted.
    Mail,
    /// RSET, inside a transaction.
    Rset,
    /// DATA, answered 354.
    Data354,
    /// The end of the message text (a line with a single period).
    EndOfData,
    /// AUTH PLAIN without an initial response, answered 334.
    Auth334,
    /// The AUTH PLAIN response line after a 334.
    AuthResponse,
    /// QUIT, answered 221.
    Quit,
    /// STARTTLS in the clear, answered 220.
    Starttls220,
    /// STARTTLS while TLS is already active, answered 220 (aiosmtpd's behaviour).
    Starttls220UnderTls,
    /// The caller reports a completed handshake.
    TlsEstablished,
    /// A completed handshake, with the keep-knowledge teaching toggle on.
    TlsEstablishedKept(Kept),
    /// The caller reports a failed handshake.
    TlsFailed,
}

impl ServerTrigger {
    /// A short technical label, e.g. `"STARTTLS → 220"`, for tables and detail lines.
    pub fn label(self) -> &'static str {
        match self {
            ServerTrigger::Ehlo => "EHLO → 250",
            ServerTrigger::Helo => "HELO → 250",
            ServerTrigger::Mail => "MAIL → 250",
            ServerTrigger::Rset => "RSET → 250",
            ServerTrigger::Data354 => "DATA → 354",
            ServerTrigger::EndOfData => "end of data",
            ServerTrigger::Auth334 => "AUTH → 334",
            ServerTrigger::AuthResponse => "AUTH response",
            ServerTrigger::Quit => "QUIT → 221",
            ServerTrigger::Starttls220 => "STARTTLS → 220",
            ServerTrigger::Starttls220UnderTls => "STARTTLS under TLS → 220",
            ServerTrigger::TlsEstablished => "handshake complete",
            ServerTrigger::TlsEstablishedKept(Kept::Nothing) => {
                "handshake complete (teaching: nothing to keep)"
            }
            ServerTrigger::TlsEstablishedKept(Kept::Session) => {
                "handshake complete (teaching: EHLO session kept)"
            }
            ServerTrigger::TlsEstablishedKept(Kept::Envelope) => {
                "handshake complete (teaching: session and envelope kept)"
            }
            ServerTrigger::TlsFailed => "handshake failed",
        }
    }
}

/// One row of the server's table.
pub type ServerTransition = Transition<ServerStateId, ServerTrigger>;

use ServerStateId as S;
use ServerTrigger as T;

/// The server's transition table: every state change the server makes is the row for its
/// `(from, on)` pair (looked up by the machine, and checked by the tests in release builds
/// too). Changes that keep the state (EHLO in Ready, RCPT in Transaction) are not rows.
pub const TRANSITIONS: &[ServerTransition] = &[
    row(S::Initial, T::Ehlo, S::Ready, &[]),
    row(S::Initial, T::Helo, S::Ready, &[]),
    row(S::Initial, T::Starttls220, S::TlsHandshake, &[R::Cmd220]),
    row(
        S::Initial,
        T::Starttls220UnderTls,
        S::TlsHandshake,
        &[R::NoTlsTwice],
    ),
    row(S::Initial, T::Quit, S::Closed, &[]),
    row(S::Ready, T::Mail, S::Transaction, &[]),
    row(S::Ready, T::Auth334, S::AuthChallenge, &[]),
    row(S::Ready, T::Starttls220, S::TlsHandshake, &[R::Cmd220]),
    row(
        S::Ready,
        T::Starttls220UnderTls,
        S::TlsHandshake,
        &[R::NoTlsTwice],
    ),
    row(S::Ready, T::Quit, S::Closed, &[]),
    row(S::Transaction, T::Data354, S::Data, &[]),
    row(S::Transaction, T::Rset, S::Ready, &[]),
    row(S::Transaction, T::Ehlo, S::Ready, &[]),
    row(S::Transaction, T::Helo, S::Ready, &[]),
    row(
        S::Transaction,
        T::Starttls220,
        S::TlsHandshake,
        &[R::Cmd220],
    ),
    row(S::Transaction, T::Quit, S::Closed, &[]),
    row(S::Data, T::EndOfData, S::Ready, &[R::SmtpDotStuffing]),
    row(S::AuthChallenge, T::AuthResponse, S::Ready, &[]),
    row(S::TlsHandshake, T::TlsEstablished, S::Initial, &[R::Reset]),
    row(
        S::TlsHandshake,
        T::TlsEstablishedKept(Kept::Nothing),
        S::Initial,
        &[],
    ),
    row(
        S::TlsHandshake,
        T::TlsEstablishedKept(Kept::Session),
        S::Ready,
        &[],
    ),
    row(
        S::TlsHandshake,
        T::TlsEstablishedKept(Kept::Envelope),
        S::Transaction,
        &[],
    ),
    row(S::TlsHandshake, T::TlsFailed, S::Closed, &[]),
];
