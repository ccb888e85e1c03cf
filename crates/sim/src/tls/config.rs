//! Building the rustls side of a simulation from its [`TlsSettings`].

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientConnection, WebPkiServerVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::server::{ServerConnection, WebPkiClientVerifier};
use rustls::time_provider::TimeProvider;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, ServerConfig, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use serde::{Deserialize, Serialize};
use starttls_protocol::tls::{TlsSummary, TlsVersion};

use super::{CertCheck, TLS13_TICKETS, TlsSettings};
use crate::SimError;
use crate::clock::SimClock;
use crate::pki::{ServerIdentity, client_identity, roots};

/// The crypto the simulation offers: *ring*, restricted to what the test PKI needs. The
/// certificates are ECDSA P-256, so RSA and P-384 are left out, which keeps their code out of
/// the browser build. TLS 1.3 suites all stay; TLS 1.2 keeps its ECDHE-ECDSA suites.
pub fn provider() -> Arc<CryptoProvider> {
    use rustls::crypto::ring::{cipher_suite as cs, kx_group};
    Arc::new(CryptoProvider {
        cipher_suites: vec![
            cs::TLS13_AES_256_GCM_SHA384,
            cs::TLS13_AES_128_GCM_SHA256,
            cs::TLS13_CHACHA20_POLY1305_SHA256,
            cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        kx_groups: vec![kx_group::X25519, kx_group::SECP256R1],
        signature_verification_algorithms: VERIFY_ALGS,
        secure_random: &RingKeys,
        key_provider: &RingKeys,
    })
}

/// The crypto for `settings`: [`provider`], or all of *ring*'s for a real peer
/// ([`TlsSettings::real_peer_crypto`]).
fn provider_for(settings: &TlsSettings) -> Arc<CryptoProvider> {
    #[cfg(not(target_arch = "wasm32"))]
    if settings.real_peer_crypto {
        return Arc::new(rustls::crypto::ring::default_provider());
    }
    let _ = settings;
    provider()
}

/// Signature checks for the test PKI: ECDSA P-256 with SHA-256 (and Ed25519).
static VERIFY_ALGS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[webpki::ring::ECDSA_P256_SHA256, webpki::ring::ED25519],
    mapping: &[
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[webpki::ring::ECDSA_P256_SHA256],
        ),
        (SignatureScheme::ED25519, &[webpki::ring::ED25519]),
    ],
};

/// Randomness and private keys from *ring*, ECDSA and EdDSA keys only.
#[derive(Debug)]
struct RingKeys;

impl rustls::crypto::SecureRandom for RingKeys {
    fn fill(&self, buf: &mut [u8]) -> Result<(), rustls::crypto::GetRandomFailed> {
        use ring::rand::SecureRandom as _;
        ring::rand::SystemRandom::new()
            .fill(buf)
            .map_err(|_| rustls::crypto::GetRandomFailed)
    }
}

impl rustls::crypto::KeyProvider for RingKeys {
    fn load_private_key(
        &self,
        key_der: rustls_pki_types::PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn rustls::sign::SigningKey>, rustls::Error> {
        rustls::crypto::ring::sign::any_ecdsa_type(&key_der)
    }
}

fn versions(vs: &[TlsVersion]) -> Vec<&'static rustls::SupportedProtocolVersion> {
    vs.iter()
        .map(|v| match v {
            TlsVersion::Tls12 => &rustls::version::TLS12,
            TlsVersion::Tls13 => &rustls::version::TLS13,
        })
        .collect()
}

/// What the client's verifier found out about the server certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertFinding {
    /// The chain leads to a trusted root and is valid now.
    pub chain_verified: bool,
    /// It is also valid for the name the client asked for.
    pub name_matches: bool,
    /// rustls's verdict in words, when it was not a plain success.
    pub problem: Option<String>,
}

/// The TLS secrets of a session in the NSS key log format, so that Wireshark can decrypt an
/// exported capture. Filled by rustls through [`rustls::KeyLog`].
#[derive(Debug, Default)]
pub struct KeyLogRecorder {
    lines: Mutex<Vec<String>>,
}

impl KeyLogRecorder {
    /// The recorded lines, `LABEL <client_random hex> <secret hex>`.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl rustls::KeyLog for KeyLogRecorder {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if let Ok(mut lines) = self.lines.lock() {
            lines.push(format!(
                "{label} {} {}",
                crate::hex::encode(client_random),
                crate::hex::encode(secret)
            ));
        }
    }
}

/// Where the client's verifier writes its [`CertFinding`], shared with the engine.
pub type SharedFinding = Arc<Mutex<Option<CertFinding>>>;

/// A verifier that asks rustls's WebPKI verifier, records the finding, and either passes the
/// verdict on ([`CertCheck::Rustls`]) or lets the handshake finish ([`CertCheck::SmtpDecides`]).
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    mode: CertCheck,
    finding: SharedFinding,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let finding = match &result {
            Ok(_) => CertFinding {
                chain_verified: true,
                name_matches: true,
                problem: None,
            },
            Err(rustls::Error::InvalidCertificate(
                e @ (CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. }),
            )) => CertFinding {
                chain_verified: true,
                name_matches: false,
                problem: Some(crate::narrate::certificate_problem(e)),
            },
            Err(e) => CertFinding {
                chain_verified: false,
                name_matches: false,
                problem: Some(crate::narrate::tls_error(e)),
            },
        };
        if let Ok(mut slot) = self.finding.lock() {
            *slot = Some(finding);
        }
        match self.mode {
            CertCheck::Rustls => result,
            CertCheck::SmtpDecides => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn tls_err(e: impl std::fmt::Display) -> SimError {
    SimError::Config(e.to_string())
}

/// Builds the server's connection: created when it sends `220` (CMD-220).
pub fn server_connection(settings: &TlsSettings) -> Result<ServerConnection, SimError> {
    let provider = provider_for(settings);
    let time: Arc<dyn TimeProvider> = Arc::new(SimClock {
        unix_seconds: settings.now_unix,
    });
    let builder = ServerConfig::builder_with_details(provider.clone(), time)
        .with_protocol_versions(&versions(&settings.server_versions))?;
    let builder = if settings.request_client_certificate {
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots()?), provider)
            .allow_unauthenticated()
            .build()
            .map_err(tls_err)?;
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let (chain, key) = match &settings.server_pem {
        Some((chain, key)) => crate::pki::load_pair(chain, key)?,
        None => settings.server_identity.load()?,
    };
    let mut config = builder.with_single_cert(chain, key)?;
    config.send_tls13_tickets = TLS13_TICKETS;
    Ok(ServerConnection::new(Arc::new(config))?)
}

/// Builds the client's connection to `server_name`: created when it reads `220`.
pub fn client_connection(
    settings: &TlsSettings,
    server_name: &str,
    key_log: Arc<KeyLogRecorder>,
) -> Result<(ClientConnection, SharedFinding), SimError> {
    let provider = provider_for(settings);
    let time: Arc<dyn TimeProvider> = Arc::new(SimClock {
        unix_seconds: settings.now_unix,
    });
    let finding = Arc::new(Mutex::new(None));
    let anchors = match &settings.roots_pem {
        Some(pem) => crate::pki::roots_from(pem)?,
        None => roots()?,
    };
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(anchors), provider.clone())
        .build()
        .map_err(tls_err)?;
    let verifier = Arc::new(RecordingVerifier {
        inner,
        mode: settings.cert_check,
        finding: finding.clone(),
    });
    let builder = ClientConfig::builder_with_details(provider, time)
        .with_protocol_versions(&versions(&settings.client_versions))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = if settings.client_certificate {
        let (chain, key) = client_identity()?;
        builder.with_client_auth_cert(chain, key)?
    } else {
        builder.with_no_client_auth()
    };
    config.key_log = key_log;
    let name = ServerName::try_from(server_name.to_string())
        .map_err(|e| SimError::Config(format!("server name {server_name:?}: {e}")))?;
    Ok((ClientConnection::new(Arc::new(config), name)?, finding))
}

fn version_of(v: Option<rustls::ProtocolVersion>) -> TlsVersion {
    match v {
        Some(rustls::ProtocolVersion::TLSv1_2) => TlsVersion::Tls12,
        _ => TlsVersion::Tls13,
    }
}

fn suite_name(conn: &rustls::CommonState) -> (String, Option<String>) {
    (
        conn.negotiated_cipher_suite()
            .map(|s| crate::names::suite(s.suite()))
            .unwrap_or_default(),
        conn.negotiated_key_exchange_group()
            .map(|g| crate::names::group(g.name())),
    )
}

/// The summary the client machine judges: what it learnt of the server's certificate.
pub fn client_summary(
    conn: &ClientConnection,
    finding: Option<CertFinding>,
    identity: ServerIdentity,
) -> TlsSummary {
    let (cipher_suite, key_exchange_group) = suite_name(conn);
    let finding = finding.unwrap_or_default();
    TlsSummary {
        version: version_of(conn.protocol_version()),
        cipher_suite,
        key_exchange_group,
        server_certificate_verified: finding.chain_verified,
        server_certificate_names: identity.dns_names().iter().map(|s| s.to_string()).collect(),
        client_certificate_presented: false,
        client_certificate_verified: false,
    }
}

/// The summary the server machine judges: whether a client certificate was presented and
/// verified (rustls verified it against the test CA when it was presented).
pub fn server_summary(conn: &ServerConnection) -> TlsSummary {
    let (cipher_suite, key_exchange_group) = suite_name(conn);
    let presented = conn.peer_certificates().is_some_and(|c| !c.is_empty());
    TlsSummary {
        version: version_of(conn.protocol_version()),
        cipher_suite,
        key_exchange_group,
        server_certificate_verified: false,
        server_certificate_names: Vec::new(),
        client_certificate_presented: presented,
        client_certificate_verified: presented,
    }
}
