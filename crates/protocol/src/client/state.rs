//! The client's state: one enum whose variants carry exactly the data valid in
//! them, and the transition table the client follows.

use super::event::{ClientOutcome, RecipientRejection};
use crate::command::Command;
use crate::rules::RuleId as R;
use crate::transition::{Transition, any, row};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The mail transaction in progress (MAIL, RCPT..., DATA), possibly pipelined.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Transaction {
    /// Commands not sent yet.
    pub unsent: VecDeque<Command>,
    /// Commands sent whose replies are outstanding, oldest first.
    pub awaiting: VecDeque<Command>,
    /// MAIL was accepted.
    pub mail_accepted: bool,
    /// Recipients accepted.
    pub accepted: Vec<String>,
    /// Recipients refused.
    pub rejected: Vec<RecipientRejection>,
    /// The first refusal (of MAIL or DATA), if any: (command, code, text).
    pub refusal: Option<(Command, u16, String)>,
    /// DATA got 354 and the message was sent.
    pub data_sent: bool,
}

/// The client's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientState {
    /// Connected; waiting for the 220 greeting.
    AwaitGreeting,
    /// EHLO sent.
    AwaitEhlo,
    /// HELO sent (the server refused EHLO).
    AwaitHelo,
    /// STARTTLS sent; nothing else may follow it in its group ([`R::PipelineLast`]).
    AwaitStarttls,
    /// 220 received; the caller runs the handshake ([`R::ClientHandshakeNext`]).
    TlsHandshake,
    /// AUTH PLAIN sent.
    AwaitAuth,
    /// MAIL/RCPT/DATA in progress.
    Transaction(Transaction),
    /// Message text sent; waiting for the final reply.
    AwaitDataEnd {
        accepted: Vec<String>,
        rejected: Vec<RecipientRejection>,
    },
    /// QUIT sent; the outcome is decided.
    AwaitQuit { outcome: ClientOutcome },
    /// The session is over.
    Closed { outcome: ClientOutcome },
}

impl ClientState {
    /// The state's identifier, as in [`TRANSITIONS`].
    pub fn id(&self) -> ClientStateId {
        match self {
            ClientState::AwaitGreeting => ClientStateId::AwaitGreeting,
            ClientState::AwaitEhlo => ClientStateId::AwaitEhlo,
            ClientState::AwaitHelo => ClientStateId::AwaitHelo,
            ClientState::AwaitStarttls => ClientStateId::AwaitStarttls,
            ClientState::TlsHandshake => ClientStateId::TlsHandshake,
            ClientState::AwaitAuth => ClientStateId::AwaitAuth,
            ClientState::Transaction(_) => ClientStateId::Transaction,
            ClientState::AwaitDataEnd { .. } => ClientStateId::AwaitDataEnd,
            ClientState::AwaitQuit { .. } => ClientStateId::AwaitQuit,
            ClientState::Closed { .. } => ClientStateId::Closed,
        }
    }
}

/// The client's states, without their data: the rows of [`TRANSITIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ClientStateId {
    /// Connected; waiting for the 220 greeting.
    AwaitGreeting,
    /// EHLO sent.
    AwaitEhlo,
    /// HELO sent (the server refused EHLO).
    AwaitHelo,
    /// STARTTLS sent.
    AwaitStarttls,
    /// 220 received; the handshake runs ([`R::ClientHandshakeNext`]).
    TlsHandshake,
    /// AUTH PLAIN sent.
    AwaitAuth,
    /// MAIL, RCPT and DATA in progress.
    Transaction,
    /// Message text sent; waiting for the final reply.
    AwaitDataEnd,
    /// QUIT sent; the outcome is decided.
    AwaitQuit,
    /// The session is over.
    Closed,
}

impl ClientStateId {
    /// Every state, in the order a diagram draws them.
    pub const ALL: &'static [ClientStateId] = &[
        ClientStateId::AwaitGreeting,
        ClientStateId::AwaitEhlo,
        ClientStateId::AwaitHelo,
        ClientStateId::AwaitStarttls,
        ClientStateId::TlsHandshake,
        ClientStateId::AwaitAuth,
        ClientStateId::Transaction,
        ClientStateId::AwaitDataEnd,
        ClientStateId::AwaitQuit,
        ClientStateId::Closed,
    ];

    /// The state's name, e.g. `"AwaitStarttls"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientStateId::AwaitGreeting => "AwaitGreeting",
            ClientStateId::AwaitEhlo => "AwaitEhlo",
            ClientStateId::AwaitHelo => "AwaitHelo",
            ClientStateId::AwaitStarttls => "AwaitStarttls",
            ClientStateId::TlsHandshake => "TlsHandshake",
            ClientStateId::AwaitAuth => "AwaitAuth",
            ClientStateId::Transaction => "Transaction",
            ClientStateId::AwaitDataEnd => "AwaitDataEnd",
            ClientStateId::AwaitQuit => "AwaitQuit",
            ClientStateId::Closed => "Closed",
        }
    }
}

impl std::fmt::Display for ClientStateId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The command the client sends next, when a reply leaves it a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Next {
    /// STARTTLS.
    Starttls,
    /// AUTH PLAIN.
    Auth,
    /// MAIL (the mail transaction).
    Mail,
    /// QUIT.
    Quit,
}

impl Next {
    /// The state the client waits in after sending that command.
    pub fn state(self) -> ClientStateId {
        match self {
            Next::Starttls => ClientStateId::AwaitStarttls,
            Next::Auth => ClientStateId::AwaitAuth,
            Next::Mail => ClientStateId::Transaction,
            Next::Quit => ClientStateId::AwaitQuit,
        }
    }

    /// The command's verb as text.
    pub fn as_str(self) -> &'static str {
        match self {
            Next::Starttls => "STARTTLS",
            Next::Auth => "AUTH",
            Next::Mail => "MAIL",
            Next::Quit => "QUIT",
        }
    }
}

/// What moves the client from one state to another: a reply read in a given situation
/// (with the command it sends next), or a call of its caller. As fine as the rules need:
/// a 454 to STARTTLS is not a 501 to STARTTLS, nor a refusal of a second STARTTLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClientTrigger {
    /// The 220 greeting.
    Greeting,
    /// A greeting other than 220.
    GreetingRefused,
    /// 250 to EHLO in the clear, listing STARTTLS or with TLS not wanted.
    EhloAccepted(Next),
    /// 250 to EHLO in the clear without STARTTLS, TLS wanted.
    StarttlsNotAdvertised(Next),
    /// 250 to EHLO in the clear listing STARTTLS, which this client never uses.
    TlsNotWanted(Next),
    /// 250 to EHLO under TLS.
    EhloUnderTls(Next),
    /// 5xx to EHLO (other than 530 and 554): try HELO.
    EhloRefused,
    /// Any other failure of EHLO.
    EhloFailed,
    /// 250 to HELO.
    HeloAccepted(Next),
    /// 250 to HELO, TLS wanted (HELO has no way to offer STARTTLS).
    HeloWithoutStarttls(Next),
    /// A refusal of HELO.
    HeloRefused,
    /// 220 to STARTTLS.
    Starttls220,
    /// 454 to STARTTLS: TLS temporarily unavailable.
    Starttls454(Next),
    /// 454 to STARTTLS with TLS required: QUIT.
    Starttls454Required,
    /// Another refusal of STARTTLS (501, 502, 5xx, …) in the clear.
    StarttlsRefused(Next),
    /// Another refusal of STARTTLS with TLS required: QUIT.
    StarttlsRefusedRequired,
    /// A refusal of a STARTTLS sent while TLS was already active.
    SecondStarttlsRefused(Next),
    /// The caller reports a handshake judged good enough.
    TlsEstablished,
    /// The caller reports a handshake judged insufficient.
    TlsInsufficient,
    /// A handshake, with the keep-knowledge teaching toggle on.
    TlsEstablishedKept(Next),
    /// The caller reports a handshake that started and failed.
    TlsFailed,
    /// The caller reports that the handshake could not start.
    TlsCouldNotStart,
    /// 235 to AUTH.
    AuthAccepted,
    /// 530 to AUTH: STARTTLS first.
    Auth530,
    /// Another refusal of AUTH.
    AuthRefused,
    /// 354 to DATA: the message text follows.
    Data354,
    /// A 530 ends the transaction: STARTTLS first.
    Transaction530,
    /// The transaction cannot go on (a refusal, or no recipient accepted).
    TransactionFailed,
    /// The reply to the message text.
    DataEnd,
    /// The reply to QUIT.
    QuitReply,
    /// 421: the server is closing the connection.
    Reply421,
    /// A malformed or unexpected reply.
    PeerViolation,
}

impl ClientTrigger {
    /// A short technical label, e.g. `"454 to STARTTLS; MAIL next"`, for tables and detail lines.
    pub fn label(self) -> String {
        let next = |label: &str, n: Next| format!("{label}; {} next", n.as_str());
        match self {
            ClientTrigger::Greeting => "220 greeting".into(),
            ClientTrigger::GreetingRefused => "greeting not 220".into(),
            ClientTrigger::EhloAccepted(n) => next("250 to EHLO", n),
            ClientTrigger::StarttlsNotAdvertised(n) => next("250 to EHLO without STARTTLS", n),
            ClientTrigger::TlsNotWanted(n) => next("250 to EHLO, TLS never used", n),
            ClientTrigger::EhloUnderTls(n) => next("250 to EHLO under TLS", n),
            ClientTrigger::EhloRefused => "5xx to EHLO".into(),
            ClientTrigger::EhloFailed => "EHLO failed".into(),
            ClientTrigger::HeloAccepted(n) => next("250 to HELO", n),
            ClientTrigger::HeloWithoutStarttls(n) => next("250 to HELO, no STARTTLS", n),
            ClientTrigger::HeloRefused => "HELO refused".into(),
            ClientTrigger::Starttls220 => "220 to STARTTLS".into(),
            ClientTrigger::Starttls454(n) => next("454 to STARTTLS", n),
            ClientTrigger::Starttls454Required => "454 to STARTTLS, TLS required".into(),
            ClientTrigger::StarttlsRefused(n) => next("STARTTLS refused", n),
            ClientTrigger::StarttlsRefusedRequired => "STARTTLS refused, TLS required".into(),
            ClientTrigger::SecondStarttlsRefused(n) => next("STARTTLS under TLS refused", n),
            ClientTrigger::TlsEstablished => "handshake complete".into(),
            ClientTrigger::TlsInsufficient => "handshake complete, security too low".into(),
            ClientTrigger::TlsEstablishedKept(n) => {
                next("handshake complete (teaching: knowledge kept)", n)
            }
            ClientTrigger::TlsFailed => "handshake failed".into(),
            ClientTrigger::TlsCouldNotStart => "handshake could not start".into(),
            ClientTrigger::AuthAccepted => "235 to AUTH".into(),
            ClientTrigger::Auth530 => "530 to AUTH".into(),
            ClientTrigger::AuthRefused => "AUTH refused".into(),
            ClientTrigger::Data354 => "354 to DATA".into(),
            ClientTrigger::Transaction530 => "530 in the transaction".into(),
            ClientTrigger::TransactionFailed => "transaction failed".into(),
            ClientTrigger::DataEnd => "reply to the message".into(),
            ClientTrigger::QuitReply => "reply to QUIT".into(),
            ClientTrigger::Reply421 => "421".into(),
            ClientTrigger::PeerViolation => "malformed or unexpected reply".into(),
        }
    }
}

/// One row of the client's table.
pub type ClientTransition = Transition<ClientStateId, ClientTrigger>;

use ClientStateId as S;
use ClientTrigger as T;

/// The client's transition table: every state change the client makes is the row for its
/// `(from, on)` pair (looked up by the machine, and checked by the tests in release builds
/// too). A row without `from` applies in any state. Changes that keep the state are not rows.
pub const TRANSITIONS: &[ClientTransition] = &[
    row(S::AwaitGreeting, T::Greeting, S::AwaitEhlo, &[]),
    row(S::AwaitGreeting, T::GreetingRefused, S::AwaitQuit, &[]),
    row(
        S::AwaitEhlo,
        T::EhloAccepted(Next::Starttls),
        S::AwaitStarttls,
        &[R::ExtKeyword],
    ),
    row(S::AwaitEhlo, T::EhloAccepted(Next::Auth), S::AwaitAuth, &[]),
    row(
        S::AwaitEhlo,
        T::EhloAccepted(Next::Mail),
        S::Transaction,
        &[],
    ),
    row(S::AwaitEhlo, T::TlsNotWanted(Next::Auth), S::AwaitAuth, &[]),
    row(
        S::AwaitEhlo,
        T::TlsNotWanted(Next::Mail),
        S::Transaction,
        &[],
    ),
    row(
        S::AwaitEhlo,
        T::StarttlsNotAdvertised(Next::Auth),
        S::AwaitAuth,
        &[R::StripDefense],
    ),
    row(
        S::AwaitEhlo,
        T::StarttlsNotAdvertised(Next::Mail),
        S::Transaction,
        &[R::StripDefense],
    ),
    row(
        S::AwaitEhlo,
        T::StarttlsNotAdvertised(Next::Quit),
        S::AwaitQuit,
        &[R::StripDefense],
    ),
    row(
        S::AwaitEhlo,
        T::EhloUnderTls(Next::Starttls),
        S::AwaitStarttls,
        &[R::NoTlsTwice],
    ),
    row(S::AwaitEhlo, T::EhloUnderTls(Next::Auth), S::AwaitAuth, &[]),
    row(
        S::AwaitEhlo,
        T::EhloUnderTls(Next::Mail),
        S::Transaction,
        &[],
    ),
    row(S::AwaitEhlo, T::EhloRefused, S::AwaitHelo, &[]),
    row(S::AwaitEhlo, T::EhloFailed, S::AwaitQuit, &[]),
    row(
        S::AwaitHelo,
        T::HeloAccepted(Next::Mail),
        S::Transaction,
        &[],
    ),
    row(
        S::AwaitHelo,
        T::HeloWithoutStarttls(Next::Mail),
        S::Transaction,
        &[R::StripDefense],
    ),
    row(
        S::AwaitHelo,
        T::HeloWithoutStarttls(Next::Quit),
        S::AwaitQuit,
        &[R::StripDefense],
    ),
    row(S::AwaitHelo, T::HeloRefused, S::AwaitQuit, &[]),
    row(
        S::AwaitStarttls,
        T::Starttls220,
        S::TlsHandshake,
        &[R::Cmd220, R::ClientHandshakeNext],
    ),
    row(
        S::AwaitStarttls,
        T::Starttls454(Next::Auth),
        S::AwaitAuth,
        &[R::Cmd454, R::Client454Decide],
    ),
    row(
        S::AwaitStarttls,
        T::Starttls454(Next::Mail),
        S::Transaction,
        &[R::Cmd454, R::Client454Decide],
    ),
    row(
        S::AwaitStarttls,
        T::Starttls454(Next::Quit),
        S::AwaitQuit,
        &[R::Cmd454, R::Client454Decide],
    ),
    row(
        S::AwaitStarttls,
        T::StarttlsRefused(Next::Auth),
        S::AwaitAuth,
        &[R::StripDefense],
    ),
    row(
        S::AwaitStarttls,
        T::StarttlsRefused(Next::Mail),
        S::Transaction,
        &[R::StripDefense],
    ),
    row(
        S::AwaitStarttls,
        T::StarttlsRefused(Next::Quit),
        S::AwaitQuit,
        &[],
    ),
    row(
        S::AwaitStarttls,
        T::Starttls454Required,
        S::AwaitQuit,
        &[R::Cmd454, R::Client454Decide, R::StripDefense],
    ),
    row(
        S::AwaitStarttls,
        T::StarttlsRefusedRequired,
        S::AwaitQuit,
        &[R::StripDefense],
    ),
    row(
        S::AwaitStarttls,
        T::SecondStarttlsRefused(Next::Auth),
        S::AwaitAuth,
        &[R::NoTlsTwice],
    ),
    row(
        S::AwaitStarttls,
        T::SecondStarttlsRefused(Next::Mail),
        S::Transaction,
        &[R::NoTlsTwice],
    ),
    row(
        S::TlsHandshake,
        T::TlsEstablished,
        S::AwaitEhlo,
        &[R::Reset, R::ClientEhloAgain],
    ),
    row(
        S::TlsHandshake,
        T::TlsInsufficient,
        S::AwaitQuit,
        &[R::ClientQuitInsecure],
    ),
    row(
        S::TlsHandshake,
        T::TlsEstablishedKept(Next::Starttls),
        S::AwaitStarttls,
        &[],
    ),
    row(
        S::TlsHandshake,
        T::TlsEstablishedKept(Next::Auth),
        S::AwaitAuth,
        &[],
    ),
    row(
        S::TlsHandshake,
        T::TlsEstablishedKept(Next::Mail),
        S::Transaction,
        &[],
    ),
    row(
        S::TlsHandshake,
        T::TlsFailed,
        S::Closed,
        &[R::Client454Decide],
    ),
    row(
        S::TlsHandshake,
        T::TlsCouldNotStart,
        S::Closed,
        &[R::ClientHandshakeNext],
    ),
    row(S::AwaitAuth, T::AuthAccepted, S::Transaction, &[]),
    row(S::AwaitAuth, T::Auth530, S::AwaitStarttls, &[R::Require530]),
    row(S::AwaitAuth, T::AuthRefused, S::AwaitQuit, &[]),
    row(
        S::Transaction,
        T::Data354,
        S::AwaitDataEnd,
        &[R::SmtpDotStuffing],
    ),
    row(
        S::Transaction,
        T::Transaction530,
        S::AwaitStarttls,
        &[R::Require530],
    ),
    row(S::Transaction, T::TransactionFailed, S::AwaitQuit, &[]),
    row(S::AwaitDataEnd, T::DataEnd, S::AwaitQuit, &[]),
    row(S::AwaitQuit, T::QuitReply, S::Closed, &[]),
    any(T::Reply421, S::Closed, &[]),
    any(T::PeerViolation, S::Closed, &[]),
];
