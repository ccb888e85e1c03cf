//! `cargo xtask pki`: generates the simulation's test PKI with rcgen and writes it as PEM
//! under `crates/sim/pki/`, where `starttls-sim` embeds it at build time.
//!
//! The validity windows are chosen around the simulation's fixed clock (2026-06-01): every
//! certificate is valid then, except `expired`, which ended in 2021.

use std::fs;
use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, date_time_ymd,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn params(
    common_name: &str,
    sans: &[&str],
    from: (i32, u8, u8),
    to: (i32, u8, u8),
) -> Result<CertificateParams> {
    let mut p = CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "STARTTLS Playground test PKI");
    dn.push(DnType::CommonName, common_name);
    p.distinguished_name = dn;
    p.not_before = date_time_ymd(from.0, from.1, from.2);
    p.not_after = date_time_ymd(to.0, to.1, to.2);
    Ok(p)
}

fn leaf(mut p: CertificateParams, client: bool) -> CertificateParams {
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![if client {
        ExtendedKeyUsagePurpose::ClientAuth
    } else {
        ExtendedKeyUsagePurpose::ServerAuth
    }];
    p.use_authority_key_identifier_extension = true;
    p
}

/// Writes every certificate and key of the test PKI into `out`.
pub fn generate(out: &Path) -> Result<()> {
    fs::create_dir_all(out)?;
    let valid = ((2025, 1, 1), (2035, 1, 1));

    let mut ca_params = params("STARTTLS Playground Test CA", &[], valid.0, valid.1)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    fs::write(out.join("ca.pem"), ca.pem())?;

    let signed = |name: &str, sans: &[&str], from, to, client: bool| -> Result<()> {
        let key = KeyPair::generate()?;
        let cert = leaf(
            params(sans.first().copied().unwrap_or(name), sans, from, to)?,
            client,
        )
        .signed_by(&key, &ca)?;
        fs::write(out.join(format!("{name}.pem")), cert.pem())?;
        fs::write(out.join(format!("{name}.key.pem")), key.serialize_pem())?;
        println!("xtask pki: wrote {name}.pem for {sans:?}");
        Ok(())
    };
    signed("server", &["mail.example.test"], valid.0, valid.1, false)?;
    signed("wrong-name", &["mx.other.test"], valid.0, valid.1, false)?;
    signed(
        "expired",
        &["mail.example.test"],
        (2020, 1, 1),
        (2021, 1, 1),
        false,
    )?;
    signed("client", &["client.example.test"], valid.0, valid.1, true)?;

    let key = KeyPair::generate()?;
    let cert = leaf(
        params(
            "mail.example.test",
            &["mail.example.test"],
            valid.0,
            valid.1,
        )?,
        false,
    )
    .self_signed(&key)?;
    fs::write(out.join("self-signed.pem"), cert.pem())?;
    fs::write(out.join("self-signed.key.pem"), key.serialize_pem())?;
    println!(
        "xtask pki: wrote ca.pem, self-signed.pem into {}",
        out.display()
    );
    Ok(())
}
