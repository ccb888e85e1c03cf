//! Running the handshake: two rustls connections in memory, pumped flight by flight.

use std::sync::Arc;

use rustls::client::ClientConnection;
use rustls::server::ServerConnection;
use rustls::time_provider::TimeProvider;
use rustls::{ClientConfig, Connection, ServerConfig};
use rustls_pki_types::ServerName;

use super::HandshakeFact;
use crate::clock::SimClock;
use crate::pki::{SERVER_NAME, ServerIdentity, roots};
use crate::{SimError, wire};

/// A handshake never needs more flights than this; more means a stall.
const MAX_FLIGHTS: usize = 16;

/// Moves everything `from` wants to write into `to`; returns the flight.
fn flight(from: &mut Connection, to: &mut Connection) -> Result<Vec<u8>, SimError> {
    let mut bytes = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut bytes)
            .map_err(|e| SimError::Io(format!("write_tls: {e}")))?;
    }
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest)
            .map_err(|e| SimError::Io(format!("read_tls: {e}")))?;
        to.process_new_packets()?;
    }
    Ok(bytes)
}

/// One flight of bytes: what one side wrote before the other read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flight {
    /// `true` when the client wrote it.
    pub from_client: bool,
    /// The TLS bytes.
    pub bytes: Vec<u8>,
}

/// Pumps flights between `client` and `server` until the handshake is complete and neither
/// side has anything left to write.
pub fn pump(client: &mut Connection, server: &mut Connection) -> Result<Vec<Flight>, SimError> {
    let mut flights = Vec::new();
    for _ in 0..MAX_FLIGHTS {
        for from_client in [true, false] {
            let bytes = if from_client {
                flight(client, server)?
            } else {
                flight(server, client)?
            };
            if !bytes.is_empty() {
                flights.push(Flight { from_client, bytes });
            }
        }
        let done = !client.is_handshaking() && !server.is_handshaking();
        if done && !client.wants_write() && !server.wants_write() {
            return Ok(flights);
        }
    }
    Err(SimError::Stalled(flights.len()))
}

/// A client that trusts the test CA and a server presenting the valid `mail.example.test`
/// certificate, both TLS 1.3 only, on the simulated clock.
pub fn demo_pair() -> Result<(Connection, Connection), SimError> {
    let provider = crate::tls::provider();
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
    Ok((
        Connection::Client(ClientConnection::new(Arc::new(client_config), name)?),
        Connection::Server(ServerConnection::new(Arc::new(server_config))?),
    ))
}

/// Runs the [`demo_pair`] handshake and reports what it negotiated.
pub fn demo_handshake() -> Result<HandshakeFact, SimError> {
    let (mut client, mut server) = demo_pair()?;
    let flights = pump(&mut client, &mut server)?;
    let mut fact = HandshakeFact {
        version: String::new(),
        suite: String::new(),
        group: String::new(),
        client_records: 0,
        server_records: 0,
        flights: flights.len(),
        bytes: flights.iter().map(|f| f.bytes.len()).sum(),
    };
    for f in &flights {
        let n = wire::records(&f.bytes).0.len();
        if f.from_client {
            fact.client_records += n;
        } else {
            fact.server_records += n;
        }
    }
    let stalled = || SimError::Stalled(flights.len());
    fact.version = crate::names::version(client.protocol_version().ok_or_else(stalled)?);
    fact.suite = crate::names::suite(
        client
            .negotiated_cipher_suite()
            .ok_or_else(stalled)?
            .suite(),
    );
    fact.group = client
        .negotiated_key_exchange_group()
        .map(|g| crate::names::group(g.name()))
        .unwrap_or_default();
    Ok(fact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_view_decodes_client_hello_and_server_hello() {
        let (mut client, mut server) = demo_pair().unwrap();
        let flights = pump(&mut client, &mut server).unwrap();
        let mut from_client = wire::Decoder::default();
        let hello = from_client.decode_flight(&flights[0].bytes);
        match &hello[0].view {
            wire::RecordView::ClientHello {
                server_name,
                cipher_suites,
                supported_versions,
                key_share_groups,
            } => {
                assert_eq!(server_name.as_deref(), Some(SERVER_NAME));
                assert!(cipher_suites.iter().any(|s| s == "TLS_AES_256_GCM_SHA384"));
                assert_eq!(supported_versions, &["TLS 1.3"]);
                assert_eq!(key_share_groups.first().map(String::as_str), Some("x25519"));
            }
            other => panic!("expected a ClientHello, got {other:?}"),
        }
        let mut from_server = wire::Decoder::default();
        let reply = from_server.decode_flight(&flights[1].bytes);
        match &reply[0].view {
            wire::RecordView::ServerHello {
                version,
                cipher_suite,
                key_share_group,
                following,
            } => {
                assert!(following.is_empty(), "TLS 1.3 encrypts what follows");
                assert_eq!(version, "TLS 1.3");
                assert!(cipher_suite.starts_with("TLS_AES_"));
                assert_eq!(key_share_group.as_deref(), Some("x25519"));
            }
            other => panic!("expected a ServerHello, got {other:?}"),
        }
        assert!(
            reply[1..]
                .iter()
                .any(|r| r.view == wire::RecordView::Encrypted)
        );
    }

    #[test]
    fn demo_handshake_negotiates_tls13_with_real_records() {
        let fact = demo_handshake().expect("handshake");
        assert_eq!(fact.version, "TLS 1.3");
        assert!(fact.suite.starts_with("TLS_AES_"), "{}", fact.suite);
        assert_eq!(fact.group, "x25519");
        // ClientHello, then the client's Finished (with a compatibility CCS or not).
        assert!(fact.client_records >= 2, "{fact:?}");
        // ServerHello, then the encrypted flight, then session tickets.
        assert!(fact.server_records >= 3, "{fact:?}");
        assert!(fact.bytes > 1000, "{fact:?}");
    }
}
