//! Sans-IO SMTP client and server state machines with RFC 3207 (STARTTLS) semantics.
//!
//! This crate is the reference a teaching playground shows: every rule of the
//! RFC 3207 catalogue is enforced here, named by its [`rules::RuleId`], cited in the
//! events that apply it, and proven by a test named after it.
//!
//! It knows nothing of sockets, clocks or TLS libraries: bytes go in, events and
//! bytes come out, and TLS is a capability of the caller. The machines say when
//! the handshake must start ([`server::ServerEvent::StartTls`],
//! [`client::ClientEvent::StartTls`]) and accept a [`tls::TlsSummary`] of the
//! negotiated session when it completes. It builds for native targets and for
//! `wasm32-unknown-unknown`, with no unsafe code.
//!
//! # Modules
//!
//! - [`server`] and [`client`]: the two machines, their policies, events and snapshots.
//! - [`command`], [`reply`], [`data`], [`line`](mod@line): strict parsers and serializers.
//! - [`rules`]: the rules catalogue ([`rules::ALL`]), serializable for a UI.
//! - [`tls`], [`knowledge`]: the TLS summary and verdicts; what each side has learnt.
//! - [`limits`]: RFC 5321 limits and the memory caps.
//!
//! # Why not `smtp-proto`
//!
//! We evaluated `smtp-proto` 0.2.5 (Stalwart Labs), a fast and widely used parser.
//! It does not give the strict control this crate needs: its request parser treats
//! a bare LF as a line end and skips CR as whitespace; `STARTTLS` skips anything up to
//! the LF, so `STARTTLS junk` is accepted instead of getting `501` (CMD-SYNTAX); its
//! line cap is 4096 octets rather than RFC 5321's 512 (command and reply lines); and its
//! `Error` enum (`NeedsMoreData`, `SyntaxError { syntax: &'static str }`, …) neither tells
//! a NUL from an 8-bit octet or a bare LF nor separates the peer's faults from ours, and is
//! not serde-serializable. Its EHLO parser folds extensions into bit flags, losing unknown
//! keywords and exact parameters. So this crate has its own small parser
//! ([`command::parse_command`], [`reply::parse_reply`]) returning complete-or-partial
//! results and exact errors, tested against RFC 3207 and RFC 5321 transcripts.
//!
//! # Example: the RFC 3207 §5 dialogue through both machines
//!
//! ```
//! use starttls_protocol::client::{Client, ClientEvent, ClientPolicy, ClientScript, ClientOutcome};
//! use starttls_protocol::reply::Extension;
//! use starttls_protocol::server::{Server, ServerEvent, ServerPolicy};
//! use starttls_protocol::tls::TlsSummary;
//!
//! let policy = ServerPolicy {
//!     hostname: "mail.imc.org".into(),
//!     greeting: "SMTP service ready".into(),
//!     ehlo_greeting: "offers a warm hug of welcome".into(),
//!     extensions_before_tls: vec![
//!         Extension::keyword("8BITMIME"),
//!         Extension::keyword("STARTTLS"),
//!         Extension::keyword("DSN"),
//!     ],
//!     extensions_after_tls: vec![Extension::keyword("8BITMIME"), Extension::keyword("DSN")],
//!     ..ServerPolicy::default()
//! };
//! let mut server = Server::new(policy).unwrap();
//! let script = ClientScript { ehlo_name: "mail.example.com".into(), ..ClientScript::default() };
//! let client_policy = ClientPolicy { expected_server_name: "mail.imc.org".into(), ..ClientPolicy::default() };
//! let mut client = Client::new(client_policy, script).unwrap();
//!
//! let mut transcript = String::new();
//! let summary = TlsSummary::verified("mail.imc.org");
//! for _ in 0..50 {
//!     let s2c = server.take_outgoing();
//!     if !s2c.is_empty() {
//!         transcript += &format!("S: {}", String::from_utf8_lossy(&s2c));
//!     }
//!     assert_eq!(client.receive(&s2c), s2c.len());
//!     let c2s = client.take_outgoing();
//!     if !c2s.is_empty() {
//!         transcript += &format!("C: {}", String::from_utf8_lossy(&c2s));
//!     }
//!     assert_eq!(server.receive(&c2s), c2s.len());
//!     let client_events: Vec<_> = std::iter::from_fn(|| client.poll_event()).collect();
//!     let server_events: Vec<_> = std::iter::from_fn(|| server.poll_event()).collect();
//!     // The server asks for TLS first (after its 220); the client once it reads the 220.
//!     if server_events.iter().any(|e| matches!(e, ServerEvent::StartTls { .. })) {
//!         let s2c = server.take_outgoing(); // "220 Go ahead"-style reply
//!         transcript += &format!("S: {}", String::from_utf8_lossy(&s2c));
//!         assert_eq!(client.receive(&s2c), s2c.len());
//!         assert!(std::iter::from_fn(|| client.poll_event())
//!             .any(|e| matches!(e, ClientEvent::StartTls { .. })));
//!         transcript += "<TLS negotiation>\n";
//!         server.tls_established(summary.clone()).unwrap();
//!         client.tls_established(summary.clone()).unwrap();
//!     }
//!     if client_events.iter().any(|e| matches!(e, ClientEvent::Finished { .. })) {
//!         break;
//!     }
//! }
//! assert!(transcript.contains("S: 220 mail.imc.org SMTP service ready\r\n"));
//! assert!(transcript.contains("C: EHLO mail.example.com\r\n"));
//! assert!(transcript.contains(
//!     "S: 250-mail.imc.org offers a warm hug of welcome\r\n250-8BITMIME\r\n250-STARTTLS\r\n250 DSN\r\n"
//! ));
//! assert!(transcript.contains("C: STARTTLS\r\n"));
//! assert!(transcript.contains("S: 220 Ready to start TLS\r\n<TLS negotiation>\nC: EHLO mail.example.com\r\n"));
//! assert!(matches!(client.outcome(), Some(ClientOutcome::Delivered { under_tls: true, .. })));
//! ```
#![forbid(unsafe_code)]

pub mod base64;
pub mod client;
pub mod command;
pub mod data;
pub mod error;
mod inbox;
pub mod knowledge;
pub mod limits;
pub mod line;
pub mod reply;
pub mod rules;
pub mod server;
pub mod tls;
pub mod transition;

pub use client::{Client, ClientEvent, ClientOutcome, ClientPolicy, ClientScript};
pub use command::Command;
pub use error::{ConfigError, LocalError, PeerError};
pub use knowledge::{KnowledgeItem, KnowledgeKey, Provenance};
pub use reply::{EhloReply, EnhancedStatus, Extension, Reply};
pub use rules::{Rule, RuleId};
pub use server::{Server, ServerEvent, ServerPolicy};
pub use tls::{SecurityVerdict, TlsState, TlsSummary, TlsVersion};
