//! What the machines know about TLS. TLS itself is the caller's job: a machine
//! says when the handshake must start (a `StartTls` event) and the caller reports
//! the result with `tls_established(TlsSummary)` or `tls_failed(reason)`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A TLS protocol version, ordered from oldest to newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TlsVersion {
    /// TLS 1.2 (RFC 5246).
    #[serde(rename = "TLS1.2")]
    Tls12,
    /// TLS 1.3 (RFC 8446).
    #[serde(rename = "TLS1.3")]
    Tls13,
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsVersion::Tls12 => "TLS 1.2",
            TlsVersion::Tls13 => "TLS 1.3",
        })
    }
}

/// A summary of a negotiated TLS session, handed to both machines by the caller
/// when the handshake completes. Each side judges it ([`RuleId::DecideAfter`]).
///
/// [`RuleId::DecideAfter`]: crate::rules::RuleId::DecideAfter
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsSummary {
    /// The negotiated protocol version.
    pub version: TlsVersion,
    /// The cipher suite (IANA name), e.g. `TLS_AES_128_GCM_SHA256`.
    pub cipher_suite: String,
    /// The key-exchange group, e.g. `X25519`, if known.
    pub key_exchange_group: Option<String>,
    /// Whether the client verified the server's certificate chain against its trust anchors.
    pub server_certificate_verified: bool,
    /// The DNS names (subject alternative names) of the server certificate, as verified.
    pub server_certificate_names: Vec<String>,
    /// Whether the client presented a certificate.
    pub client_certificate_presented: bool,
    /// Whether the server verified the client's certificate chain.
    pub client_certificate_verified: bool,
}

impl TlsSummary {
    /// A TLS 1.3 session whose server certificate is verified for `server_name`
    /// and with no client certificate; handy for tests and simulations.
    pub fn verified(server_name: &str) -> Self {
        TlsSummary {
            version: TlsVersion::Tls13,
            cipher_suite: "TLS_AES_128_GCM_SHA256".into(),
            key_exchange_group: Some("X25519".into()),
            server_certificate_verified: true,
            server_certificate_names: vec![server_name.to_string()],
            client_certificate_presented: false,
            client_certificate_verified: false,
        }
    }

    /// Whether the verified server certificate names `host`
    /// ([`RuleId::CertName`](crate::rules::RuleId::CertName), RFC 7817 §3, RFC 6125 §6.4).
    ///
    /// Comparison ignores ASCII case and a trailing dot; a wildcard `*.` matches
    /// exactly one whole left-most label. An unverified certificate names nothing.
    pub fn names_host(&self, host: &str) -> bool {
        self.server_certificate_verified
            && self
                .server_certificate_names
                .iter()
                .any(|name| name_matches(name, host))
    }
}

/// RFC 6125 §6.4 matching of one certificate DNS name against a reference host.
pub fn name_matches(presented: &str, reference: &str) -> bool {
    let p = presented.trim_end_matches('.').to_ascii_lowercase();
    let r = reference.trim_end_matches('.').to_ascii_lowercase();
    if p.is_empty() || r.is_empty() {
        return false;
    }
    if let Some(rest) = p.strip_prefix("*.") {
        // The wildcard covers exactly one label, and never a bare public suffix.
        match r.split_once('.') {
            Some((label, tail)) => !label.is_empty() && tail == rest && rest.contains('.'),
            None => false,
        }
    } else {
        p == r
    }
}

/// Whether TLS is active ([`RuleId::BothKnowTls`]: each machine always knows).
///
/// [`RuleId::BothKnowTls`]: crate::rules::RuleId::BothKnowTls
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TlsState {
    /// No TLS: the session is in the clear.
    Off,
    /// `220` to STARTTLS was sent (server) or received (client); the handshake is the caller's to run.
    Handshaking,
    /// TLS is active with this session.
    On(TlsSummary),
}

impl TlsState {
    /// `true` once the handshake has completed.
    pub fn is_active(&self) -> bool {
        matches!(self, TlsState::On(_))
    }
}

/// A machine's judgement of the TLS session ([`RuleId::DecideAfter`]).
///
/// [`RuleId::DecideAfter`]: crate::rules::RuleId::DecideAfter
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecurityVerdict {
    /// No TLS session has completed yet.
    Unknown,
    /// The session is good enough to go on.
    Acceptable {
        /// Whether the peer was authenticated (server: a verified client certificate;
        /// client: a verified server certificate naming the expected host).
        peer_authenticated: bool,
    },
    /// The session falls short of the policy; the reason says how.
    Insufficient {
        /// A human-readable reason, e.g. "TLS 1.2 is below the minimum TLS 1.3".
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_cert_name_matching_follows_rfc6125() {
        assert!(name_matches("mail.example.com", "MAIL.example.com."));
        assert!(name_matches("*.example.com", "mx1.example.com"));
        assert!(!name_matches("*.example.com", "a.b.example.com"));
        assert!(!name_matches("*.example.com", "example.com"));
        assert!(!name_matches("*.com", "example.com"));
        assert!(!name_matches("mail.example.com", "mail.example.org"));
        let mut s = TlsSummary::verified("mx.example.net");
        assert!(s.names_host("mx.example.net"));
        s.server_certificate_verified = false;
        assert!(!s.names_host("mx.example.net"));
    }
}
