//! The policies panel's fields: dotted keys into the engine's scenario (the keys
//! `starttls_sim::scenario::with_overrides` takes), and the values of the engine's own policy
//! types, serialized with serde so that the UI never spells a variant by hand.

use serde_json::Value;
use starttls_protocol::client::{TlsFallback, TlsMode};
use starttls_protocol::rules::RuleId;
use starttls_protocol::server::{SecondStarttlsReply, StarttlsOffer};
use starttls_protocol::tls::TlsVersion;
use starttls_sim::attacker::Attack;
use starttls_sim::pki::ServerIdentity;
use starttls_sim::tls::CertCheck;

/// One choice of a select: its JSON value and a label.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The value as JSON.
    pub value: Value,
    /// A label for people.
    pub label: String,
}

/// How a field is edited.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    /// A checkbox on a boolean.
    Toggle,
    /// A select among values.
    Select(Vec<Choice>),
}

/// One field of the panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The dotted key, e.g. `server.require_tls`.
    pub key: &'static str,
    /// A label for people.
    pub label: &'static str,
    /// The rule the field is about.
    pub rule: Option<RuleId>,
    /// Whether turning it on makes the side non-compliant (a teaching toggle).
    pub teaching: bool,
    /// How it is edited.
    pub kind: FieldKind,
}

/// A titled group of fields.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldGroup {
    /// The title.
    pub title: &'static str,
    /// The fields.
    pub fields: Vec<Field>,
}

fn choices<T: serde::Serialize>(values: &[(T, &str)]) -> FieldKind {
    FieldKind::Select(
        values
            .iter()
            .filter_map(|(v, label)| {
                serde_json::to_value(v).ok().map(|value| Choice {
                    value,
                    label: (*label).to_string(),
                })
            })
            .collect(),
    )
}

fn toggle(key: &'static str, label: &'static str, rule: Option<RuleId>) -> Field {
    Field {
        key,
        label,
        rule,
        teaching: false,
        kind: FieldKind::Toggle,
    }
}

fn teaching(key: &'static str, label: &'static str, rule: RuleId) -> Field {
    Field {
        key,
        label,
        rule: Some(rule),
        teaching: true,
        kind: FieldKind::Toggle,
    }
}

fn select(key: &'static str, label: &'static str, rule: Option<RuleId>, kind: FieldKind) -> Field {
    Field {
        key,
        label,
        rule,
        teaching: false,
        kind,
    }
}

fn versions() -> FieldKind {
    choices(&[
        (None, "any"),
        (Some(TlsVersion::Tls12), "TLS 1.2"),
        (Some(TlsVersion::Tls13), "TLS 1.3"),
    ])
}

/// The attacker presets: one per mode, with the payloads the catalogue uses.
pub fn attack_presets() -> Vec<(Attack, &'static str)> {
    vec![
        (Attack::None, "none"),
        (Attack::StripStarttls, "strip STARTTLS from the EHLO reply"),
        (
            Attack::InjectCommands {
                payload: "MAIL FROM:<mallory@evil.test>\r\n".into(),
            },
            "inject a command after STARTTLS",
        ),
        (
            Attack::InjectReplies {
                payload: "250-mail.example.test forged\r\n250 AUTH PLAIN LOGIN\r\n".into(),
            },
            "inject replies after the 220",
        ),
        (
            Attack::Replace220 {
                reply: "454 4.7.0 TLS not available".into(),
            },
            "answer STARTTLS with 454",
        ),
        (
            Attack::RewriteStarttls {
                to: "STARTTLS now".into(),
            },
            "rewrite STARTTLS to STARTTLS now",
        ),
        (
            Attack::TamperEhlo {
                add: vec!["AUTH PLAIN LOGIN".into()],
                remove: vec!["STARTTLS".into()],
            },
            "tamper with the EHLO list",
        ),
        (
            Attack::FlipTlsByte { from_client: true },
            "flip a byte of an encrypted record",
        ),
    ]
}

/// Every field of the panel, grouped by side.
pub fn policy_groups() -> Vec<FieldGroup> {
    vec![
        FieldGroup {
            title: "Server",
            fields: vec![
                toggle(
                    "server.require_tls",
                    "require TLS (530 until STARTTLS)",
                    Some(RuleId::Require530),
                ),
                toggle(
                    "server.publicly_referenced",
                    "publicly referenced (an MX)",
                    Some(RuleId::PublicNoRequire),
                ),
                select(
                    "server.starttls",
                    "STARTTLS",
                    Some(RuleId::Cmd454),
                    choices(&[
                        (StarttlsOffer::Offered, "offered"),
                        (StarttlsOffer::NotOffered, "not offered (502)"),
                        (StarttlsOffer::TemporarilyUnavailable, "unavailable (454)"),
                        (
                            StarttlsOffer::AdvertisedButUnavailable,
                            "advertised, then 454",
                        ),
                    ]),
                ),
                select(
                    "server.security.min_tls_version",
                    "minimum TLS version",
                    Some(RuleId::Server554),
                    versions(),
                ),
                toggle(
                    "server.security.require_client_certificate",
                    "require a client certificate (554 otherwise)",
                    Some(RuleId::Server554),
                ),
                select(
                    "server.second_starttls",
                    "reply to a second STARTTLS",
                    Some(RuleId::NoTlsTwice),
                    choices(&[
                        (
                            SecondStarttlsReply::BadSequence503,
                            "503 Bad sequence (default)",
                        ),
                        (SecondStarttlsReply::Postfix554, "554 (Postfix)"),
                        (SecondStarttlsReply::OpenSmtpd503, "503 (OpenSMTPD)"),
                        (SecondStarttlsReply::Aiosmtpd220, "220 (aiosmtpd)"),
                    ]),
                ),
                teaching(
                    "server.teaching.process_plaintext_after_starttls",
                    "non-compliant: run plaintext sent after STARTTLS",
                    RuleId::ServerDiscard,
                ),
                teaching(
                    "server.teaching.keep_pre_tls_knowledge",
                    "non-compliant: keep what it learnt before TLS",
                    RuleId::ServerDiscard,
                ),
                teaching(
                    "server.teaching.advertise_starttls_after_tls",
                    "non-compliant: list STARTTLS under TLS",
                    RuleId::NoStarttlsAfter,
                ),
            ],
        },
        FieldGroup {
            title: "Client",
            fields: vec![
                select(
                    "client.tls",
                    "use of STARTTLS",
                    Some(RuleId::StripDefense),
                    choices(&[
                        (TlsMode::Never, "never"),
                        (TlsMode::Opportunistic, "opportunistic"),
                        (TlsMode::Required, "required"),
                    ]),
                ),
                select(
                    "client.on_454",
                    "when TLS cannot be had",
                    Some(RuleId::Client454Decide),
                    choices(&[
                        (TlsFallback::ContinueInClear, "go on in the clear"),
                        (TlsFallback::Quit, "quit"),
                    ]),
                ),
                toggle(
                    "client.accept_unauthenticated_tls",
                    "accept an unauthenticated server",
                    Some(RuleId::DecideAfter),
                ),
                select(
                    "client.min_tls_version",
                    "minimum TLS version",
                    Some(RuleId::ClientQuitInsecure),
                    versions(),
                ),
                toggle(
                    "client.pipelining",
                    "pipeline commands",
                    Some(RuleId::PipelineLast),
                ),
                teaching(
                    "client.teaching.keep_pre_tls_knowledge",
                    "non-compliant: keep what it learnt before TLS",
                    RuleId::ClientDiscard,
                ),
                teaching(
                    "client.teaching.accept_replies_buffered_after_220",
                    "non-compliant: read replies buffered after the 220",
                    RuleId::ClientDiscard,
                ),
                teaching(
                    "client.teaching.send_starttls_twice",
                    "non-compliant: send STARTTLS under TLS",
                    RuleId::NoTlsTwice,
                ),
            ],
        },
        FieldGroup {
            title: "TLS",
            fields: vec![
                select(
                    "tls.server_identity",
                    "server certificate",
                    Some(RuleId::CertName),
                    choices(&[
                        (ServerIdentity::Valid, "valid"),
                        (ServerIdentity::WrongName, "wrong name"),
                        (ServerIdentity::SelfSigned, "self-signed"),
                        (ServerIdentity::Expired, "expired"),
                    ]),
                ),
                select(
                    "tls.cert_check",
                    "who judges it",
                    Some(RuleId::DecideAfter),
                    choices(&[
                        (CertCheck::Rustls, "rustls (alert)"),
                        (CertCheck::SmtpDecides, "the SMTP client"),
                    ]),
                ),
                toggle(
                    "tls.request_client_certificate",
                    "server asks for a client certificate",
                    None,
                ),
                toggle(
                    "tls.client_certificate",
                    "client presents its certificate",
                    None,
                ),
            ],
        },
        FieldGroup {
            title: "Attacker",
            fields: vec![select(
                "attacker",
                "on the wire",
                None,
                choices(
                    &attack_presets()
                        .iter()
                        .map(|(a, l)| (a.clone(), *l))
                        .collect::<Vec<_>>(),
                ),
            )],
        },
    ]
}

/// The index of the choice equal to `current`, if any (a scenario may use a payload no
/// preset has; the panel then shows the current value as an extra choice).
pub fn selected_choice(choices: &[Choice], current: &Value) -> Option<usize> {
    choices.iter().position(|c| c.value == *current)
}
