//! A complete TLS 1.3 handshake between a rustls client and a rustls server, in memory.
//!
//! This is the fact the first screen shows: proof that rustls and ring run wherever the engine
//! runs, the browser included. The dialogue engine drives its TLS phase the same way: every
//! flight of bytes one side writes is read by the other, and nothing else.
//!
//! [`HandshakeFact`] is part of the trace model (a UI without the engine shows one); running
//! the handshake needs the `engine` feature.

use serde::{Deserialize, Serialize};

#[cfg(feature = "engine")]
mod run;
#[cfg(feature = "engine")]
pub use run::{Flight, demo_handshake, demo_pair, pump};

/// What one in-memory handshake negotiated and how many records crossed the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeFact {
    /// The negotiated protocol version, e.g. `TLS 1.3`.
    pub version: String,
    /// The negotiated cipher suite (IANA name), e.g. `TLS_AES_256_GCM_SHA384`.
    pub suite: String,
    /// The key-exchange group, e.g. `x25519`.
    pub group: String,
    /// TLS records the client wrote.
    pub client_records: usize,
    /// TLS records the server wrote (including the post-handshake session ticket).
    pub server_records: usize,
    /// Flights of bytes exchanged (one flight: what one side wrote before the other read).
    pub flights: usize,
    /// Bytes on the wire in both directions.
    pub bytes: usize,
}
