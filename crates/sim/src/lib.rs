//! The STARTTLS dialogue engine: both SMTP machines of `starttls-protocol`, real rustls
//! connections exchanging real TLS bytes through in-memory buffers, and a replayable trace.
//!
//! Nothing here touches a socket or the system clock: TLS certificates are checked against a
//! simulated clock ([`clock::SimClock`]), so the engine runs the same natively and in the
//! browser (`wasm32-unknown-unknown`).
#![forbid(unsafe_code)]

pub mod attacker;
pub mod audit;
pub mod clock;
pub mod compare;
pub mod console;
pub mod engine;
pub mod export;
pub mod handshake;
mod hex;
pub mod invariants;
pub mod live;
pub mod names;
pub mod pki;
pub mod scenario;
pub mod tls;
pub mod trace;
pub mod transcript;
pub mod wire;

pub use engine::Engine;
pub use handshake::{HandshakeFact, demo_handshake};
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
