//! One spelling for TLS names everywhere a person reads them: versions as "TLS 1.3",
//! cipher suites by their IANA names ("TLS_AES_256_GCM_SHA384"), groups as IANA names
//! ("x25519", "secp256r1"), alerts as RFC 8446 spells them ("bad_record_mac").
//! Names come from rustls's own enums, so the wire view and the summary always agree.

/// "TLS 1.3", "TLS 1.2", … for a version code point.
pub fn version(v: rustls::ProtocolVersion) -> String {
    match u16::from(v) {
        0x0304 => "TLS 1.3".into(),
        0x0303 => "TLS 1.2".into(),
        0x0302 => "TLS 1.1".into(),
        0x0301 => "TLS 1.0".into(),
        0x0300 => "SSL 3.0".into(),
        other => format!("unknown version 0x{other:04x}"),
    }
}

/// The IANA name of a cipher suite: rustls's TLS 1.3 names lose their `13`.
pub fn suite(s: rustls::CipherSuite) -> String {
    match s.as_str() {
        Some(name) => match name.strip_prefix("TLS13_") {
            Some(rest) => format!("TLS_{rest}"),
            None => name.to_string(),
        },
        None => format!("unknown suite 0x{:04x}", u16::from(s)),
    }
}

/// The IANA name of a named group (RFC 8446 §4.2.7 spelling).
pub fn group(g: rustls::NamedGroup) -> String {
    match g.as_str() {
        Some("X25519") => "x25519".into(),
        Some("X448") => "x448".into(),
        Some(name) => name.to_string(),
        None => format!("unknown group 0x{:04x}", u16::from(g)),
    }
}

/// The RFC name of an alert description, e.g. `bad_record_mac`.
pub fn alert(a: rustls::AlertDescription) -> String {
    match a.as_str() {
        Some(name) => snake(name),
        None => format!("unknown alert {}", u8::from(a)),
    }
}

/// `BadRecordMac` → `bad_record_mac`, `UnknownCA` → `unknown_ca`.
fn snake(camel: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in camel.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_spelling() {
        assert_eq!(version(rustls::ProtocolVersion::TLSv1_3), "TLS 1.3");
        assert_eq!(
            suite(rustls::CipherSuite::TLS13_AES_256_GCM_SHA384),
            "TLS_AES_256_GCM_SHA384"
        );
        assert_eq!(
            suite(rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        );
        assert_eq!(group(rustls::NamedGroup::X25519), "x25519");
        assert_eq!(group(rustls::NamedGroup::secp256r1), "secp256r1");
        assert_eq!(
            alert(rustls::AlertDescription::BadRecordMac),
            "bad_record_mac"
        );
        assert_eq!(alert(rustls::AlertDescription::UnknownCA), "unknown_ca");
        assert_eq!(alert(rustls::AlertDescription::CloseNotify), "close_notify");
    }
}
