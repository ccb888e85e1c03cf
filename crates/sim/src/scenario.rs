//! Scenarios are data: JSON files in `crates/sim/scenarios/`, embedded at build time, each
//! merged over `base.json`. A scenario names the rules it demonstrates, the policies of both
//! sides, the attacker, the client's script and the outcome it must reach.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use starttls_protocol::client::{ClientPolicy, ClientScript};
use starttls_protocol::rules::RuleId;
use starttls_protocol::server::ServerPolicy;

use crate::SimError;
use crate::attacker::Attack;
use crate::tls::TlsSettings;
use crate::trace::Outcome;

/// How the catalogue groups scenarios in the UI's picker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// The protocol as specified.
    Basics,
    /// What server and client policies enforce.
    Policies,
    /// An attacker on the wire.
    Attacks,
}

/// How the client's session must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpectedEnd {
    /// The message was delivered.
    Delivered,
    /// The server refused and the client gave up.
    Refused,
    /// The client quit after judging the TLS session insufficient.
    QuitInsecure,
    /// The client quit because TLS could not be had.
    TlsUnavailable,
    /// The TLS handshake failed and the client aborted.
    TlsFailed,
    /// The session broke off.
    Aborted,
}

/// The outcome a scenario must reach; `None` fields are not checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Expected {
    /// How the client's session ends.
    pub end: Option<ExpectedEnd>,
    /// For `delivered`: whether under TLS.
    pub under_tls: Option<bool>,
    /// For `refused`: the code.
    pub refused_code: Option<u16>,
    /// Reply codes the server must have sent.
    pub replies_include: Vec<u16>,
    /// Whether the server ran an injected command.
    pub injected_command_run: Option<bool>,
    /// Whether the client read an injected reply.
    pub injected_reply_read: Option<bool>,
    /// Rules that must have been broken (empty: none may be).
    pub rules_broken: Vec<RuleId>,
    /// A TLS alert that must have been sent, e.g. `bad_record_mac`.
    pub alert: Option<String>,
    /// Whether the client flagged STARTTLS advertised under TLS.
    pub starttls_after_tls_flagged: Option<bool>,
    /// Whether the TLS handshake completed.
    pub tls_established: Option<bool>,
}

/// A primary source a scenario rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// What the source is, e.g. "RFC 3207 §4.2: Result of the STARTTLS command".
    pub title: String,
    /// Where to read it.
    pub url: String,
}

/// One scenario of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Stable id, used in URLs and on the command line.
    pub id: String,
    /// Picker group.
    pub group: Group,
    /// Title.
    pub title: String,
    /// One paragraph saying what happens and why it matters.
    pub summary: String,
    /// What a student should take away.
    pub goals: Vec<String>,
    /// The rules the scenario demonstrates.
    pub rules: Vec<RuleId>,
    /// The primary sources behind the scenario's claims (RFC sections, CVE records, vendor
    /// announcements, the peer's source code), shown with the lesson.
    #[serde(default)]
    pub sources: Vec<Source>,
    /// The server's policy.
    pub server: ServerPolicy,
    /// The client's policy.
    pub client: ClientPolicy,
    /// What the client sends.
    pub script: ClientScript,
    /// The TLS side: certificates, versions, who judges the certificate.
    pub tls: TlsSettings,
    /// The attacker on the wire.
    pub attacker: Attack,
    /// The outcome the scenario must reach.
    pub expected: Expected,
}

const BASE: &str = include_str!("../scenarios/base.json");

/// The embedded catalogue files, in presentation order.
const FILES: &[(&str, &str)] = &[
    ("happy-path", include_str!("../scenarios/happy-path.json")),
    (
        "tls-required-530",
        include_str!("../scenarios/tls-required-530.json"),
    ),
    (
        "tls-required-530-no-esc",
        include_str!("../scenarios/tls-required-530-no-esc.json"),
    ),
    (
        "starttls-parameter-501",
        include_str!("../scenarios/starttls-parameter-501.json"),
    ),
    (
        "tls-unavailable-454-opportunistic",
        include_str!("../scenarios/tls-unavailable-454-opportunistic.json"),
    ),
    (
        "tls-unavailable-454-required",
        include_str!("../scenarios/tls-unavailable-454-required.json"),
    ),
    (
        "server-554-no-client-cert",
        include_str!("../scenarios/server-554-no-client-cert.json"),
    ),
    (
        "server-554-tls12-below-minimum",
        include_str!("../scenarios/server-554-tls12-below-minimum.json"),
    ),
    (
        "client-quit-wrong-name",
        include_str!("../scenarios/client-quit-wrong-name.json"),
    ),
    (
        "cert-rejected-in-rustls",
        include_str!("../scenarios/cert-rejected-in-rustls.json"),
    ),
    (
        "second-starttls-compliant",
        include_str!("../scenarios/second-starttls-compliant.json"),
    ),
    (
        "second-starttls-postfix",
        include_str!("../scenarios/second-starttls-postfix.json"),
    ),
    (
        "second-starttls-opensmtpd",
        include_str!("../scenarios/second-starttls-opensmtpd.json"),
    ),
    (
        "second-starttls-aiosmtpd",
        include_str!("../scenarios/second-starttls-aiosmtpd.json"),
    ),
    (
        "starttls-advertised-after-tls",
        include_str!("../scenarios/starttls-advertised-after-tls.json"),
    ),
    (
        "strip-opportunistic",
        include_str!("../scenarios/strip-opportunistic.json"),
    ),
    (
        "strip-required",
        include_str!("../scenarios/strip-required.json"),
    ),
    (
        "command-injection-compliant",
        include_str!("../scenarios/command-injection-compliant.json"),
    ),
    (
        "command-injection-vulnerable",
        include_str!("../scenarios/command-injection-vulnerable.json"),
    ),
    (
        "response-injection-compliant",
        include_str!("../scenarios/response-injection-compliant.json"),
    ),
    (
        "response-injection-vulnerable",
        include_str!("../scenarios/response-injection-vulnerable.json"),
    ),
    (
        "ehlo-poisoning-compliant",
        include_str!("../scenarios/ehlo-poisoning-compliant.json"),
    ),
    (
        "ehlo-poisoning-vulnerable",
        include_str!("../scenarios/ehlo-poisoning-vulnerable.json"),
    ),
    (
        "replace-220-with-454",
        include_str!("../scenarios/replace-220-with-454.json"),
    ),
    (
        "tls12-handshake",
        include_str!("../scenarios/tls12-handshake.json"),
    ),
    (
        "corrupted-tls-record",
        include_str!("../scenarios/corrupted-tls-record.json"),
    ),
];

/// Merges `over` into `base`: objects merge key by key, anything else replaces.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v,
    }
}

fn parse(id: &str, text: &str) -> Result<Value, SimError> {
    merged(base()?, id, text)
}

fn base() -> Result<Value, SimError> {
    serde_json::from_str(BASE).map_err(|e| SimError::Config(format!("base.json: {e}")))
}

/// `text` laid over `base`.
fn merged(mut value: Value, id: &str, text: &str) -> Result<Value, SimError> {
    let over: Value =
        serde_json::from_str(text).map_err(|e| SimError::Config(format!("{id}.json: {e}")))?;
    merge(&mut value, over);
    Ok(value)
}

fn from_value(id: &str, value: Value) -> Result<Scenario, SimError> {
    serde_json::from_value(value).map_err(|e| SimError::Config(format!("scenario {id}: {e}")))
}

/// The ids of every scenario, in presentation order.
pub fn ids() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(id, _)| *id)
}

/// Every scenario of the catalogue.
pub fn catalogue() -> Result<Vec<Scenario>, SimError> {
    // base.json is parsed once for all of them (the page builds the catalogue at start-up).
    let base = base()?;
    FILES
        .iter()
        .map(|(id, text)| from_value(id, merged(base.clone(), id, text)?))
        .collect()
}

/// One scenario by id; an unknown id gets an error listing the valid ones.
pub fn find(id: &str) -> Result<Scenario, SimError> {
    let (_, text) = FILES.iter().find(|(i, _)| *i == id).ok_or_else(|| {
        SimError::Config(format!(
            "unknown scenario {id:?}; valid: {}",
            ids().collect::<Vec<_>>().join(", ")
        ))
    })?;
    from_value(id, parse(id, text)?)
}

/// Applies `key=value` overrides, where `key` is a dotted path into the scenario
/// (`server.require_tls`, `client.tls`, `attacker.mode`, `tls.server_versions`) and `value`
/// is JSON (`true`, `454`, `["TLS1.2"]`) or else a plain string. An unknown key gets an error
/// listing the valid keys at that level.
pub fn with_overrides(
    scenario: &Scenario,
    overrides: &[(String, String)],
) -> Result<Scenario, SimError> {
    let mut value = serde_json::to_value(scenario).map_err(|e| SimError::Config(e.to_string()))?;
    for (key, raw) in overrides {
        let parts: Vec<&str> = key.split('.').collect();
        let mut slot = &mut value;
        for (depth, part) in parts.iter().enumerate() {
            let obj = slot.as_object_mut().ok_or_else(|| {
                SimError::Config(format!(
                    "{key}: {} is not a section",
                    parts[..depth].join(".")
                ))
            })?;
            let is_last = depth + 1 == parts.len();
            // An attacker's fields depend on its mode: allow new keys there.
            let open = parts.first() == Some(&"attacker");
            if !(obj.contains_key(*part) || is_last && open) {
                let mut valid: Vec<&String> = obj.keys().collect();
                valid.sort();
                let valid: Vec<&str> = valid.into_iter().map(String::as_str).collect();
                return Err(SimError::Config(format!(
                    "unknown key {key:?}; valid at this level: {}",
                    valid.join(", ")
                )));
            }
            slot = obj.entry(part.to_string()).or_insert(Value::Null);
        }
        *slot = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.clone()));
    }
    serde_json::from_value(value).map_err(|e| SimError::Config(format!("after --set: {e}")))
}

impl Expected {
    /// Compares a dialogue's outcome with the expectation; the error lists every mismatch.
    pub fn check(&self, outcome: &Outcome) -> Result<(), Vec<String>> {
        use starttls_protocol::client::ClientOutcome as C;
        let mut bad = Vec::new();
        if let Some(end) = self.end {
            let ok = match (&outcome.client, end) {
                (Some(C::Delivered { under_tls, .. }), ExpectedEnd::Delivered) => {
                    self.under_tls.is_none_or(|want| want == *under_tls)
                }
                (Some(C::Refused { code, .. }), ExpectedEnd::Refused) => {
                    self.refused_code.is_none_or(|c| c == *code)
                }
                (Some(C::QuitInsecure { .. }), ExpectedEnd::QuitInsecure)
                | (Some(C::TlsUnavailable { .. }), ExpectedEnd::TlsUnavailable)
                | (Some(C::TlsFailed { .. }), ExpectedEnd::TlsFailed)
                | (Some(C::Aborted { .. }), ExpectedEnd::Aborted) => true,
                _ => false,
            };
            if !ok {
                bad.push(format!(
                    "expected end {end:?} (under_tls {:?}, code {:?}), got {:?}",
                    self.under_tls, self.refused_code, outcome.client
                ));
            }
        }
        for code in &self.replies_include {
            if !outcome.reply_codes.contains(code) {
                bad.push(format!(
                    "expected the server to reply {code}; it sent {:?}",
                    outcome.reply_codes
                ));
            }
        }
        let flag = |name: &str, want: Option<bool>, got: bool, bad: &mut Vec<String>| {
            if want.is_some_and(|w| w != got) {
                bad.push(format!("expected {name} = {want:?}, got {got}"));
            }
        };
        flag(
            "injected_command_run",
            self.injected_command_run,
            outcome.injected_command_run,
            &mut bad,
        );
        flag(
            "injected_reply_read",
            self.injected_reply_read,
            outcome.injected_reply_read,
            &mut bad,
        );
        flag(
            "starttls_after_tls_flagged",
            self.starttls_after_tls_flagged,
            outcome.starttls_after_tls_flagged,
            &mut bad,
        );
        flag(
            "tls_established",
            self.tls_established,
            outcome.tls_established,
            &mut bad,
        );
        let mut want = self.rules_broken.clone();
        let mut got = outcome.rules_broken.clone();
        want.sort_by_key(|r| r.as_str());
        got.sort_by_key(|r| r.as_str());
        got.dedup();
        if want != got {
            bad.push(format!("expected rules broken {want:?}, got {got:?}"));
        }
        if let Some(alert) = &self.alert
            && !outcome.alerts.iter().any(|a| a == alert)
        {
            bad.push(format!("expected alert {alert}, got {:?}", outcome.alerts));
        }
        if bad.is_empty() { Ok(()) } else { Err(bad) }
    }
}
