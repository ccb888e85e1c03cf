//! The client's state: one enum whose variants carry exactly the data valid in
//! them, and the transition table the client follows.

use super::event::{ClientOutcome, RecipientRejection};
use crate::command::Command;
use crate::rules::RuleId as R;
use crate::transition::{Transition, t};
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
    /// The state's name, as in [`TRANSITIONS`].
    pub fn name(&self) -> &'static str {
        match self {
            ClientState::AwaitGreeting => "AwaitGreeting",
            ClientState::AwaitEhlo => "AwaitEhlo",
            ClientState::AwaitHelo => "AwaitHelo",
            ClientState::AwaitStarttls => "AwaitStarttls",
            ClientState::TlsHandshake => "TlsHandshake",
            ClientState::AwaitAuth => "AwaitAuth",
            ClientState::Transaction(_) => "Transaction",
            ClientState::AwaitDataEnd { .. } => "AwaitDataEnd",
            ClientState::AwaitQuit { .. } => "AwaitQuit",
            ClientState::Closed { .. } => "Closed",
        }
    }
}

/// Trigger: a completed handshake judged good enough.
pub(crate) const ON_TLS: &str = "tls_established";
/// Trigger: a completed handshake judged insufficient.
pub(crate) const ON_TLS_INSECURE: &str = "tls_established (insufficient)";
/// Trigger: a completed handshake with the keep-knowledge teaching toggle on.
pub(crate) const ON_TLS_KEEP: &str = "tls_established (teaching: pre-TLS knowledge kept)";
/// Trigger: a failed handshake.
pub(crate) const ON_TLS_FAILED: &str = "tls_failed";
/// Trigger: a malformed or unexpected reply.
pub(crate) const ON_VIOLATION: &str = "protocol violation";
/// Trigger: `421` service not available.
pub(crate) const ON_421: &str = "421";

/// The trigger name for a reply: its class, `2xx` to `5xx`.
pub(crate) fn on_reply(code: u16) -> &'static str {
    match code / 100 {
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

/// The client's transition table: every state change the client makes is a row
/// here (checked in debug builds and by the tests). Replies are named by class;
/// `*` matches any state. Changes that keep the state name are not listed.
pub const TRANSITIONS: &[Transition] = &[
    t("AwaitGreeting", "2xx", "AwaitEhlo", &[]),
    t("AwaitGreeting", "2xx", "AwaitQuit", &[]),
    t("AwaitGreeting", "3xx", "AwaitQuit", &[]),
    t("AwaitGreeting", "4xx", "AwaitQuit", &[]),
    t("AwaitGreeting", "5xx", "AwaitQuit", &[]),
    t("AwaitEhlo", "2xx", "AwaitStarttls", &[R::ExtKeyword]),
    t("AwaitEhlo", "2xx", "AwaitAuth", &[]),
    t("AwaitEhlo", "2xx", "Transaction", &[]),
    t("AwaitEhlo", "2xx", "AwaitQuit", &[R::StripDefense]),
    t("AwaitEhlo", "3xx", "AwaitQuit", &[]),
    t("AwaitEhlo", "4xx", "AwaitQuit", &[]),
    t("AwaitEhlo", "5xx", "AwaitHelo", &[]),
    t("AwaitEhlo", "5xx", "AwaitQuit", &[]),
    t("AwaitHelo", "2xx", "Transaction", &[]),
    t("AwaitHelo", "2xx", "AwaitQuit", &[R::StripDefense]),
    t("AwaitHelo", "3xx", "AwaitQuit", &[]),
    t("AwaitHelo", "4xx", "AwaitQuit", &[]),
    t("AwaitHelo", "5xx", "AwaitQuit", &[]),
    t(
        "AwaitStarttls",
        "2xx",
        "TlsHandshake",
        &[R::Cmd220, R::ClientHandshakeNext],
    ),
    t("AwaitStarttls", "2xx", "AwaitAuth", &[R::Client454Decide]),
    t("AwaitStarttls", "2xx", "Transaction", &[R::Client454Decide]),
    t("AwaitStarttls", "2xx", "AwaitQuit", &[R::Client454Decide]),
    t("AwaitStarttls", "3xx", "AwaitAuth", &[R::Client454Decide]),
    t("AwaitStarttls", "3xx", "Transaction", &[R::Client454Decide]),
    t("AwaitStarttls", "3xx", "AwaitQuit", &[R::Client454Decide]),
    t("AwaitStarttls", "4xx", "AwaitAuth", &[R::Client454Decide]),
    t("AwaitStarttls", "4xx", "Transaction", &[R::Client454Decide]),
    t("AwaitStarttls", "4xx", "AwaitQuit", &[R::Client454Decide]),
    t("AwaitStarttls", "5xx", "AwaitAuth", &[R::Client454Decide]),
    t("AwaitStarttls", "5xx", "Transaction", &[R::Client454Decide]),
    t("AwaitStarttls", "5xx", "AwaitQuit", &[R::Client454Decide]),
    t(
        "TlsHandshake",
        ON_TLS,
        "AwaitEhlo",
        &[
            R::Reset,
            R::ClientDiscard,
            R::DecideAfter,
            R::ClientEhloAgain,
        ],
    ),
    t(
        "TlsHandshake",
        ON_TLS_INSECURE,
        "AwaitQuit",
        &[R::DecideAfter, R::ClientQuitInsecure],
    ),
    t(
        "TlsHandshake",
        ON_TLS_KEEP,
        "AwaitStarttls",
        &[R::DecideAfter],
    ),
    t("TlsHandshake", ON_TLS_KEEP, "AwaitAuth", &[R::DecideAfter]),
    t(
        "TlsHandshake",
        ON_TLS_KEEP,
        "Transaction",
        &[R::DecideAfter],
    ),
    t("TlsHandshake", ON_TLS_KEEP, "AwaitQuit", &[R::DecideAfter]),
    t("TlsHandshake", ON_TLS_KEEP, "AwaitEhlo", &[R::DecideAfter]),
    t(
        "TlsHandshake",
        ON_TLS_FAILED,
        "Closed",
        &[R::ClientHandshakeNext, R::Client454Decide],
    ),
    t("AwaitAuth", "2xx", "Transaction", &[]),
    t("AwaitAuth", "3xx", "AwaitQuit", &[]),
    t("AwaitAuth", "4xx", "AwaitQuit", &[]),
    t("AwaitAuth", "5xx", "AwaitQuit", &[]),
    t("AwaitAuth", "5xx", "AwaitStarttls", &[R::Require530]),
    t("Transaction", "2xx", "AwaitQuit", &[]),
    t("Transaction", "3xx", "AwaitDataEnd", &[R::SmtpDotStuffing]),
    t("Transaction", "3xx", "AwaitQuit", &[]),
    t("Transaction", "4xx", "AwaitQuit", &[]),
    t("Transaction", "5xx", "AwaitQuit", &[]),
    t("Transaction", "2xx", "AwaitStarttls", &[R::Require530]),
    t("Transaction", "3xx", "AwaitStarttls", &[R::Require530]),
    t("Transaction", "4xx", "AwaitStarttls", &[R::Require530]),
    t("Transaction", "5xx", "AwaitStarttls", &[R::Require530]),
    t("AwaitDataEnd", "2xx", "AwaitQuit", &[]),
    t("AwaitDataEnd", "3xx", "AwaitQuit", &[]),
    t("AwaitDataEnd", "4xx", "AwaitQuit", &[]),
    t("AwaitDataEnd", "5xx", "AwaitQuit", &[]),
    t("AwaitQuit", "2xx", "Closed", &[]),
    t("AwaitQuit", "3xx", "Closed", &[]),
    t("AwaitQuit", "4xx", "Closed", &[]),
    t("AwaitQuit", "5xx", "Closed", &[]),
    t("*", ON_421, "Closed", &[]),
    t("*", ON_VIOLATION, "Closed", &[]),
];
