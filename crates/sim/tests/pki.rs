//! The test PKI against rustls's own verifier on the simulated clock: each identity gets the
//! verdict it is made for, and its declared names are the ones in the certificate.
#![cfg(feature = "engine")]

use std::sync::Arc;

use rustls::Connection;
use starttls_sim::handshake::pump;
use starttls_sim::pki::{SERVER_NAME, ServerIdentity};
use starttls_sim::tls::{
    CertCheck, CertFinding, KeyLogRecorder, TlsSettings, client_connection, server_connection,
};

fn finding(identity: ServerIdentity, name: &str) -> (CertFinding, bool) {
    let settings = TlsSettings {
        server_identity: identity,
        cert_check: CertCheck::SmtpDecides,
        ..TlsSettings::default()
    };
    let (client, shared) =
        client_connection(&settings, name, Arc::new(KeyLogRecorder::default())).unwrap();
    let server = server_connection(&settings).unwrap();
    let (mut c, mut s) = (Connection::Client(client), Connection::Server(server));
    let completed = pump(&mut c, &mut s).is_ok();
    let found = shared.lock().unwrap().clone().expect("the verifier ran");
    (found, completed)
}

#[test]
fn rule_cert_name_each_identity_gets_the_verdict_it_is_made_for() {
    let (valid, done) = finding(ServerIdentity::Valid, SERVER_NAME);
    assert!(
        done && valid.chain_verified && valid.name_matches && valid.problem.is_none(),
        "{valid:?}"
    );

    let (wrong, done) = finding(ServerIdentity::WrongName, SERVER_NAME);
    assert!(done, "SmtpDecides lets the handshake finish");
    assert!(wrong.chain_verified && !wrong.name_matches, "{wrong:?}");

    let (selfsigned, _) = finding(ServerIdentity::SelfSigned, SERVER_NAME);
    assert!(!selfsigned.chain_verified, "{selfsigned:?}");
    assert!(
        selfsigned
            .problem
            .as_deref()
            .unwrap_or_default()
            .contains("not signed by an authority the client trusts"),
        "{selfsigned:?}"
    );

    let (expired, _) = finding(ServerIdentity::Expired, SERVER_NAME);
    assert!(!expired.chain_verified, "{expired:?}");
    assert!(
        expired
            .problem
            .as_deref()
            .unwrap_or_default()
            .contains("has expired"),
        "{expired:?}"
    );
}

#[test]
fn declared_names_are_the_names_in_each_certificate() {
    for identity in ServerIdentity::ALL {
        for name in identity.dns_names() {
            let (f, _) = finding(identity, name);
            // Valid for its own names whenever the chain itself is fine.
            if f.chain_verified {
                assert!(
                    f.name_matches,
                    "{identity:?} should be valid for {name}: {f:?}"
                );
            }
        }
    }
    let (f, _) = finding(ServerIdentity::WrongName, "mx.other.test");
    assert!(f.chain_verified && f.name_matches, "{f:?}");
}

#[test]
fn rustls_mode_aborts_the_handshake_on_a_bad_certificate() {
    let settings = TlsSettings {
        server_identity: ServerIdentity::Expired,
        ..TlsSettings::default()
    };
    let (client, _) =
        client_connection(&settings, SERVER_NAME, Arc::new(KeyLogRecorder::default())).unwrap();
    let (mut c, mut s) = (
        Connection::Client(client),
        Connection::Server(server_connection(&settings).unwrap()),
    );
    let err = pump(&mut c, &mut s).unwrap_err().to_string();
    assert!(err.contains("Expired") || err.contains("expired"), "{err}");
}
