//! Errors, split by whose fault they are: [`PeerError`] for bad input from the
//! other side, [`LocalError`] for a mistake by the caller (API misuse or an
//! invalid configuration, [`ConfigError`]).
//!
//! None of them is ever a panic: a machine turns a [`PeerError`] into a reply
//! (server) or an aborted session (client) and reports it as an event.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The peer sent something this crate refuses. The server answers these with the
/// reply code named on each variant; the client aborts the session.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum PeerError {
    /// A line longer than the limit (RFC 5321 §4.5.3.1.4-6). Server reply: 500.
    #[error("line too long (limit {limit} octets including CRLF)")]
    LineTooLong {
        /// The limit that was exceeded, CRLF included.
        limit: usize,
    },
    /// A LF not preceded by CR (RFC 5321 §2.3.8). Server reply: 500.
    #[error("bare LF received; lines must end with CRLF")]
    BareLf,
    /// A CR not followed by LF (RFC 5321 §2.3.8). Server reply: 500.
    #[error("bare CR received; CR is only allowed before LF")]
    BareCr,
    /// A NUL octet in a command or reply line. Server reply: 500.
    #[error("NUL character in command line")]
    Nul,
    /// A non-ASCII octet (0x80-0xFF) in a command or reply line (RFC 5321 §2.4). Server reply: 500.
    #[error("8-bit octet 0x{octet:02X} in command line; commands are 7-bit ASCII")]
    EightBit {
        /// The first offending octet.
        octet: u8,
    },
    /// Another control character in a command line. Server reply: 500.
    #[error("control character 0x{octet:02X} in command line")]
    Control {
        /// The offending octet.
        octet: u8,
    },
    /// The verb is not one this crate implements. Server reply: 500.
    #[error("command unrecognized: {verb}")]
    UnknownCommand {
        /// The verb as received (truncated to 32 characters).
        verb: String,
    },
    /// A known command with bad parameters. Server reply: 501 (504 for an AUTH mechanism).
    #[error("syntax error in {verb}: {detail}")]
    Syntax {
        /// The command verb.
        verb: crate::command::Verb,
        /// What is wrong, e.g. "no parameters allowed".
        detail: String,
    },
    /// AUTH with a mechanism other than PLAIN. Server reply: 504.
    #[error("authentication mechanism {mechanism} not supported")]
    UnsupportedMechanism {
        /// The mechanism named by the client.
        mechanism: String,
    },
    /// A reply line that does not follow RFC 5321 §4.2.
    #[error("malformed reply: {detail}")]
    MalformedReply {
        /// What is wrong.
        detail: String,
    },
    /// A reply arrived when the client had no command outstanding.
    #[error("unexpected reply {code} with no command outstanding")]
    UnexpectedReply {
        /// The reply code.
        code: u16,
    },
}

/// The caller's configuration is invalid; returned by the machines' constructors.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum ConfigError {
    /// [`RuleId::PublicNoRequire`](crate::rules::RuleId::PublicNoRequire): a publicly-referenced
    /// server (port 25, named by MX) must not require STARTTLS (RFC 3207 §4).
    #[error(
        "PUBLIC-NO-REQUIRE: a publicly-referenced server MUST NOT require STARTTLS (RFC 3207 §4); turn off `require_tls` or `publicly_referenced`"
    )]
    PublicServerRequiresTls,
    /// TLS is required but STARTTLS is never offered: no client could ever send mail.
    #[error("TLS is required but STARTTLS is not offered, so no mail could ever be accepted")]
    RequireWithoutStarttls,
    /// A text that goes on the wire contains CR, LF or another control character,
    /// which would let it inject protocol lines.
    #[error("{field} contains a control character or non-ASCII octet")]
    BadText {
        /// The policy field.
        field: String,
    },
    /// A host name is empty or not a plausible domain.
    #[error("{field} is not a valid domain: {value:?}")]
    BadDomain {
        /// The policy or script field.
        field: String,
        /// The value given.
        value: String,
    },
    /// An extension keyword does not match `(ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`.
    #[error("invalid EHLO keyword {keyword:?}")]
    BadExtension {
        /// The keyword given.
        keyword: String,
    },
    /// An address in the client script is not a valid path.
    #[error("invalid address {address:?} in the script: {detail}")]
    BadAddress {
        /// The address.
        address: String,
        /// Why it is refused.
        detail: String,
    },
}

/// The caller used the API wrongly or configured it wrongly (our fault, not the peer's).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum LocalError {
    /// Invalid configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `tls_established` or `tls_failed` was called while the machine had not asked
    /// for a TLS handshake.
    #[error("no TLS handshake is pending (the machine did not emit StartTls)")]
    NoHandshakePending,
    /// The session is closed; nothing more can happen on it.
    #[error("the session is closed")]
    Closed,
}
