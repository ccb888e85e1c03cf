//! Enforcement: the `530` and `554` refusals a reply step carries, and each side's compact
//! state badges.

use starttls_protocol::rules::RuleId;
use starttls_protocol::tls::{SecurityVerdict, TlsState};
use starttls_sim::trace::{Detail, SmtpItem, Step, StepKind};

/// One refused command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The reply code: 530 or 554.
    pub code: u16,
    /// The enhanced status code, e.g. `5.7.0`.
    pub enhanced: Option<String>,
    /// The refused command's verb, e.g. `MAIL`.
    pub command: Option<String>,
    /// The reply text.
    pub text: String,
    /// The rule the server enforces.
    pub rule: Option<RuleId>,
    /// Why, in plain words.
    pub reason: String,
}

/// Every `530` or `554` reply in a reply step, in wire order.
pub fn refusals(step: &Step) -> Vec<Refusal> {
    if step.kind != StepKind::Reply {
        return Vec::new();
    }
    let Detail::Wire(view) = &step.detail else {
        return Vec::new();
    };
    view.smtp
        .iter()
        .filter_map(|item| match item {
            SmtpItem::Reply {
                reply,
                in_reply_to,
                rules,
            } if matches!(reply.code, 530 | 554) => {
                // The engine's citation on the reply says which rule refused: a 530 or 554 for
                // another reason (a second STARTTLS, say) is not enforcement of RFC 3207.
                let (rule, reason) = if rules.contains(&RuleId::Require530) {
                    (
                        Some(RuleId::Require530),
                        "This server requires TLS, and TLS is not active yet: it refuses every command but NOOP, EHLO, STARTTLS and QUIT until the client has run STARTTLS.".to_string(),
                    )
                } else if rules.contains(&RuleId::Server554) {
                    (
                        Some(RuleId::Server554),
                        match &step.server.verdict {
                            SecurityVerdict::Insufficient { reason } => format!(
                                "TLS is on, but the session falls short of the server's security policy ({reason}): it refuses every command but QUIT."
                            ),
                            _ => "TLS is on, but the session falls short of the server's security policy: it refuses every command but QUIT.".to_string(),
                        },
                    )
                } else {
                    (None, format!("The server refuses: {}", reply.text()))
                };
                Some(Refusal {
                    code: reply.code,
                    enhanced: reply.enhanced.map(|e| e.to_string()),
                    command: in_reply_to.map(|v| v.as_str().to_string()),
                    text: reply.text(),
                    rule,
                    reason,
                })
            }
            _ => None,
        })
        .collect()
}

/// Each SMTP reply of a step as `"<code> <VERB>"` (or just the code), for tests and titles.
pub fn reply_summary(step: &Step) -> Vec<String> {
    let Detail::Wire(view) = &step.detail else {
        return Vec::new();
    };
    view.smtp
        .iter()
        .filter_map(|item| match item {
            SmtpItem::Reply {
                reply, in_reply_to, ..
            } => Some(match in_reply_to {
                Some(v) => format!("{} {}", reply.code, v.as_str()),
                None => reply.code.to_string(),
            }),
            _ => None,
        })
        .collect()
}

/// A compact TLS badge: `off`, `handshaking` or `on`, with a label.
pub fn tls_badge(tls: &TlsState) -> (&'static str, String) {
    match tls {
        TlsState::Off => ("off", "TLS off".into()),
        TlsState::Handshaking => ("handshaking", "TLS handshaking".into()),
        TlsState::On(summary) => ("on", format!("TLS on: {}", summary.version)),
    }
}

/// A compact verdict badge: `unknown`, `acceptable` or `insufficient`, with a label.
pub fn verdict_badge(verdict: &SecurityVerdict) -> (&'static str, String) {
    match verdict {
        SecurityVerdict::Unknown => ("unknown", "verdict: not yet".into()),
        SecurityVerdict::Acceptable { peer_authenticated } => (
            "acceptable",
            if *peer_authenticated {
                "verdict: good enough, peer authenticated".into()
            } else {
                "verdict: good enough, peer not authenticated".into()
            },
        ),
        SecurityVerdict::Insufficient { reason } => {
            ("insufficient", format!("verdict: insufficient: {reason}"))
        }
    }
}
