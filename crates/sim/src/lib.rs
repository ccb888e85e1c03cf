//! The STARTTLS dialogue engine: both SMTP machines of `starttls-protocol`, real rustls
//! connections exchanging real TLS bytes through in-memory buffers, and a replayable trace.
//!
//! Nothing here touches a socket or the system clock: TLS certificates are checked against a
//! simulated clock ([`clock::SimClock`]), so the engine runs the same natively and in the
//! browser (`wasm32-unknown-unknown`).
//!
//! The `engine` feature (on by default) is the engine itself: rustls, *ring*, the test PKI
//! and the wire decoder. Without it the crate is the trace model alone ([`trace`],
//! [`scenario`], the wire views, [`compare`], [`export`], [`live`], the console's and the
//! handshake's types, and [`compact`], their binary form), with no TLS code: the page's own
//! wasm module is built that way, and the engine module (`crates/engine`) with it.
#![forbid(unsafe_code)]
// Without the `engine` feature only the trace model is built: the helpers that only the
// engine calls (narration, the attacker's rewrites) are then unused, and that is expected.
#![cfg_attr(not(feature = "engine"), allow(dead_code))]

pub mod attacker;
pub mod audit;
pub mod clock;
pub mod compact;
pub mod compare;
pub mod console;
#[cfg(feature = "engine")]
pub mod engine;
pub mod export;
pub mod handshake;
mod hex;
pub mod invariants;
pub mod live;
#[cfg(feature = "engine")]
pub mod names;
pub(crate) mod narrate;
pub mod pki;
pub mod scenario;
pub mod tls;
pub mod trace;
pub mod transcript;
pub mod wire;

#[cfg(feature = "engine")]
pub use engine::Engine;
pub use handshake::HandshakeFact;
#[cfg(feature = "engine")]
pub use handshake::demo_handshake;
pub use scenario::Scenario;
pub use trace::Trace;

/// What can go wrong while setting up or running a simulation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A PEM file of the embedded test PKI could not be parsed (a build defect).
    #[error("test PKI: {0}")]
    Pki(String),
    /// rustls refused a configuration or a connection.
    #[cfg(feature = "engine")]
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// A scenario or policy is invalid; the text names the field.
    #[error("configuration: {0}")]
    Config(String),
    /// Moving bytes between the in-memory buffers failed.
    #[error("in-memory transport: {0}")]
    Io(String),
    /// The in-memory handshake did not complete within the flight budget.
    #[error("the TLS handshake did not complete after {0} flights")]
    Stalled(usize),
}
