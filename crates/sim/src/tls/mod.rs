//! The TLS side of a scenario ([`TlsSettings`]) and, with the `engine` feature, building the
//! rustls side of a simulation from it: configurations, a server-certificate verifier that
//! records what it found, and the [`TlsSummary`] each SMTP machine is handed when the
//! handshake completes (DECIDE-AFTER).
//!
//! [`TlsSummary`]: starttls_protocol::tls::TlsSummary

use serde::{Deserialize, Serialize};
use starttls_protocol::tls::TlsVersion;

use crate::clock::SimClock;
use crate::pki::ServerIdentity;

#[cfg(feature = "engine")]
mod config;
#[cfg(feature = "engine")]
pub use config::*;

/// Who judges the server certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertCheck {
    /// rustls verifies chain, validity and name, and aborts the handshake with an alert when
    /// any fails (what a strict MTA does inside its TLS library).
    #[default]
    Rustls,
    /// rustls records what it found and lets the handshake finish; the SMTP client machine
    /// then decides whether the session is good enough (DECIDE-AFTER, CLIENT-QUIT-INSECURE).
    SmtpDecides,
}

/// The TLS side of a scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsSettings {
    /// The certificate the server presents.
    pub server_identity: ServerIdentity,
    /// Versions the server enables.
    pub server_versions: Vec<TlsVersion>,
    /// Versions the client enables.
    pub client_versions: Vec<TlsVersion>,
    /// Whether the server asks for a client certificate (optional: a client without one
    /// still completes the handshake, and the SMTP server judges it, SERVER-554).
    pub request_client_certificate: bool,
    /// Whether the client presents its certificate when asked.
    pub client_certificate: bool,
    /// Who judges the server certificate.
    pub cert_check: CertCheck,
    /// The simulated clock, seconds since the Unix epoch.
    pub now_unix: u64,
    /// The lab's own server certificate chain and key, PEM (`lab server --cert/--key`), in
    /// place of `server_identity`: RSA or ECDSA, as [`Self::real_peer_crypto`] allows. Never
    /// part of a scenario file.
    #[serde(skip)]
    pub server_pem: Option<(String, String)>,
    /// The lab client's trust anchors, PEM (`lab client --ca`), in place of the test CA.
    #[serde(skip)]
    pub roots_pem: Option<String>,
    /// The peer is real software (a lab session): offer all of *ring*'s suites, groups and
    /// signature schemes (RSA, P-384 too), as real certificates need, instead of the test
    /// PKI's restricted `provider()`. Native builds only: the browser never talks to a real
    /// peer, so its build leaves that code out and ignores this.
    #[serde(skip)]
    pub real_peer_crypto: bool,
}

impl Default for TlsSettings {
    fn default() -> Self {
        Self {
            server_identity: ServerIdentity::Valid,
            server_versions: vec![TlsVersion::Tls13, TlsVersion::Tls12],
            client_versions: vec![TlsVersion::Tls13, TlsVersion::Tls12],
            request_client_certificate: false,
            client_certificate: false,
            cert_check: CertCheck::Rustls,
            now_unix: SimClock::default().unix_seconds,
            server_pem: None,
            roots_pem: None,
            real_peer_crypto: false,
        }
    }
}

/// How many TLS 1.3 session tickets the server sends after the handshake (rustls's default,
/// set explicitly so that the wire view can name them: RFC 8446 §4.6.1).
pub const TLS13_TICKETS: usize = 2;
