//! Decoding what is readable on the wire: cleartext handshake messages (ClientHello,
//! ServerHello, …), alerts, and which records are opaque.
//!
//! Record bodies are parsed with `tls-parser` (rusticata): a maintained, nom-based TLS
//! parser made for exactly this job. Names of suites, groups, versions and alerts come from
//! rustls's own enums, so the wire view and the negotiated summary always agree.

use serde::{Deserialize, Serialize};

use super::RecordHeader;

#[cfg(feature = "engine")]
mod decoder;
#[cfg(feature = "engine")]
pub use decoder::Decoder;

/// What an observer on the wire can read of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordView {
    /// A cleartext ClientHello.
    ClientHello {
        /// The SNI host name, if any.
        server_name: Option<String>,
        /// Offered cipher suites, in the client's order.
        cipher_suites: Vec<String>,
        /// The `supported_versions` extension, if any.
        supported_versions: Vec<String>,
        /// Groups for which the client sent a key share.
        key_share_groups: Vec<String>,
    },
    /// A cleartext ServerHello.
    ServerHello {
        /// The chosen version (`supported_versions` if present, else the legacy field).
        version: String,
        /// The chosen cipher suite.
        cipher_suite: String,
        /// The group of the server's key share (TLS 1.3).
        key_share_group: Option<String>,
        /// Handshake messages that follow in the same record (TLS 1.2: Certificate,
        /// ServerKeyExchange, ServerHelloDone, all readable on the wire).
        #[serde(default, skip_serializing_if = "crate::compact::skip_empty")]
        following: Vec<String>,
    },
    /// Other cleartext handshake messages (TLS 1.2: Certificate, ServerKeyExchange, …).
    Handshake {
        /// The message names, in order.
        messages: Vec<String>,
    },
    /// ChangeCipherSpec: in TLS 1.2 the sender encrypts from here on; in TLS 1.3 it is a
    /// middlebox-compatibility no-op.
    ChangeCipherSpec,
    /// A cleartext alert.
    Alert {
        /// `warning` or `fatal`.
        level: String,
        /// The alert description, e.g. `bad_record_mac`.
        description: String,
    },
    /// An encrypted record: only its header is readable on the wire.
    Encrypted,
    /// The bytes do not parse as the record type claims (for example after tampering).
    Malformed {
        /// What the parser said.
        reason: String,
    },
}

/// One record of a flight with its decoded view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecodedRecord {
    /// The 5-byte header.
    pub header: RecordHeader,
    /// What the wire shows of the body.
    pub view: RecordView,
}
