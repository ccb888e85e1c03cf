//! The knowledge model: what each machine has learnt from its peer, where it
//! learnt it (in the clear or under TLS) and when.
//!
//! RFC 3207 §4.2 and §6 require each side to discard, when the handshake
//! completes, everything learnt before it ([`RuleId::ServerDiscard`],
//! [`RuleId::ClientDiscard`]). The machines report each discarded item as an
//! event, and list the items they hold in their snapshots.
//!
//! [`RuleId::ServerDiscard`]: crate::rules::RuleId::ServerDiscard
//! [`RuleId::ClientDiscard`]: crate::rules::RuleId::ClientDiscard

use serde::{Deserialize, Serialize};

/// Whether a piece of knowledge arrived in the clear or under TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Provenance {
    /// Learnt before the TLS handshake completed: an active attacker may have written it.
    Cleartext,
    /// Learnt under TLS.
    Tls,
}

/// What a knowledge item is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KnowledgeKey {
    /// Server: the argument of the client's EHLO or HELO.
    ClientName,
    /// Server: the reverse-path of MAIL FROM.
    ReversePath,
    /// Server: one forward-path of RCPT TO.
    Recipient,
    /// Server: the identity authenticated with AUTH PLAIN.
    AuthIdentity,
    /// Client: the server's 220 greeting.
    Greeting,
    /// Client: the server's EHLO reply (its domain and extension list).
    Extensions,
    /// Either side: input bytes received but not yet interpreted.
    BufferedInput,
}

/// One thing a machine has learnt from its peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeItem {
    /// What the item is about.
    pub key: KnowledgeKey,
    /// The value, as text (bytes are rendered with `\r`, `\n` and `\xNN` escapes).
    pub value: String,
    /// In the clear or under TLS.
    pub provenance: Provenance,
    /// The machine's input sequence number when it learnt the item: the number of
    /// command lines (server) or replies (client) it had processed, counting from 1.
    pub learnt_at: u64,
}

/// A value together with where and when it was learnt; the machines' states hold these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learnt<T> {
    /// The value.
    pub value: T,
    /// In the clear or under TLS.
    pub provenance: Provenance,
    /// Input sequence number (see [`KnowledgeItem::learnt_at`]).
    pub learnt_at: u64,
}

impl<T> Learnt<T> {
    /// Wraps a value learnt at `learnt_at`, under TLS if `tls`.
    pub fn new(value: T, tls: bool, learnt_at: u64) -> Self {
        Learnt {
            value,
            provenance: if tls {
                Provenance::Tls
            } else {
                Provenance::Cleartext
            },
            learnt_at,
        }
    }

    /// The knowledge item for this value under `key`, rendering it with `render`.
    pub fn item(&self, key: KnowledgeKey, render: impl FnOnce(&T) -> String) -> KnowledgeItem {
        KnowledgeItem {
            key,
            value: render(&self.value),
            provenance: self.provenance,
            learnt_at: self.learnt_at,
        }
    }
}

/// A range of a byte stream, as offsets from the first byte the machine received
/// (`start` inclusive, `end` exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteRange {
    /// Offset of the first byte.
    pub start: u64,
    /// Offset one past the last byte.
    pub end: u64,
}

impl ByteRange {
    /// Number of bytes in the range.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// `true` if the range holds no byte.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// Renders bytes as readable text: printable ASCII as is, `\r`, `\n`, `\t`, and `\xNN` otherwise.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02X}")),
        }
    }
    out
}
