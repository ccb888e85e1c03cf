//! A complete TLS 1.3 handshake between a rustls client and a rustls server, in memory.
//!
//! This is the fact the first screen shows: proof that rustls and ring run wherever the engine
//! runs, the browser included. The dialogue engine drives its TLS phase the same way: every
//! flight of bytes one side writes is read by the other, and nothing else.

use std::sync::Arc;

use rustls::client::ClientConnection;
use rustls::server::ServerConnection;
use rustls::time_provider::TimeProvider;
use rustls::{ClientConfig, Connection, ServerConfig};
use rustls_pki_types::ServerName;
use serde::{Deserialize, Serialize};

use crate::clock::SimClock;
use crate::pki::{SERVER_NAME, ServerIdentity, roots};
use crate::{SimError, wire};

/// A handshake never needs more flights than this; more means a stall.
const MAX_FLIGHTS: usize = 16;

/// What one in-memory handshake negotiated and how many records crossed the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeFact {
    /// The negotiated protocol version, e.g. `TLSv1_3`.
    pub version: String,
    /// The negotiated cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub suite: String,
    /// The key-exchange group, e.g. `X25519`.
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

/// Moves everything `from` wants to write into `to`; returns the flight.
fn flight(from: &mut Connection, to: &mut Connection) -> Result<Vec<u8>, SimError> {
    let mut bytes = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut bytes).map_err(|e| SimError::Pki(format!("write_tls: {e}")))?;
    }
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest).map_err(|e| SimError::Pki(format!("read_tls: {e}")))?;
        to.process_new_packets()?;
    }
    Ok(bytes)
}

/// Runs a TLS 1.3 handshake between a client that trusts the test CA and a server presenting
/// the valid `mail.example.test` certificate, on the simulated clock.
pub fn demo_handshake() -> Result<HandshakeFact, SimError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let time: Arc<dyn TimeProvider> = Arc::new(SimClock::default());
    let client_config = ClientConfig::builder_with_details(provider.clone(), time.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(roots()?)
        .with_no_client_auth();
    let (chain, key) = ServerIdentity::Valid.load()?;
    let server_config = ServerConfig::builder_with_details(provider, time)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    let name = ServerName::try_from(SERVER_NAME).map_err(|e| SimError::Pki(e.to_string()))?;
    let mut client = Connection::Client(ClientConnection::new(Arc::new(client_config), name)?);
    let mut server = Connection::Server(ServerConnection::new(Arc::new(server_config))?);

    let mut fact = HandshakeFact {
        version: String::new(),
        suite: String::new(),
        group: String::new(),
        client_records: 0,
        server_records: 0,
        flights: 0,
        bytes: 0,
    };
    for _ in 0..MAX_FLIGHTS {
        let c = flight(&mut client, &mut server)?;
        let s = flight(&mut server, &mut client)?;
        for (bytes, count) in [(&c, &mut fact.client_records), (&s, &mut fact.server_records)] {
            if !bytes.is_empty() {
                fact.flights += 1;
                fact.bytes += bytes.len();
                *count += wire::records(bytes).0.len();
            }
        }
        let done = !client.is_handshaking() && !server.is_handshaking();
        if done && !client.wants_write() && !server.wants_write() {
            fact.version = format!("{:?}", client.protocol_version().ok_or(SimError::Stalled(fact.flights))?);
            let suite = client.negotiated_cipher_suite().ok_or(SimError::Stalled(fact.flights))?;
            fact.suite = format!("{:?}", suite.suite());
            fact.group = client
                .negotiated_key_exchange_group()
                .map(|g| format!("{:?}", g.name()))
                .unwrap_or_default();
            return Ok(fact);
        }
    }
    Err(SimError::Stalled(fact.flights))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_handshake_negotiates_tls13_with_real_records() {
        let fact = demo_handshake().expect("handshake");
        assert_eq!(fact.version, "TLSv1_3");
        assert!(fact.suite.starts_with("TLS13_"), "{}", fact.suite);
        assert_eq!(fact.group, "X25519");
        // ClientHello, then the client's Finished (with a compatibility CCS or not).
        assert!(fact.client_records >= 2, "{fact:?}");
        // ServerHello, then the encrypted flight, then session tickets.
        assert!(fact.server_records >= 3, "{fact:?}");
        assert!(fact.bytes > 1000, "{fact:?}");
    }
}
