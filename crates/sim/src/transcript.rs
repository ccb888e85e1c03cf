//! The transcript: a trace as text, with swaks-like markers.
//!
//! | marker | meaning |
//! |---|---|
//! | `->` / `<-` | client / server bytes in cleartext |
//! | `~>` / `<~` | client / server bytes under TLS |
//! | `**` | the attacker |
//! | `!!` | enforcement (530, 554), discards, and rules broken |
//! | `==` | decisions, state changes and knowledge learnt |

use std::fmt::Write as _;

use crate::trace::{Actor, Detail, Direction, SmtpItem, Step, StepKind, Trace};

fn marker(step: &Step) -> &'static str {
    match (step.actor, step.direction, step.tls) {
        (Actor::Attacker, ..) => "**",
        (_, Some(Direction::ClientToServer), false) => "->",
        (_, Some(Direction::ServerToClient), false) => "<-",
        (_, Some(Direction::ClientToServer), true) => "~>",
        (_, Some(Direction::ServerToClient), true) => "<~",
        _ if step.violation
            || matches!(step.kind, StepKind::KnowledgeDiscarded | StepKind::Alert) =>
        {
            "!!"
        }
        _ => "==",
    }
}

fn rules(step: &Step) -> String {
    if step.rules.is_empty() {
        String::new()
    } else {
        format!(
            "  [{}]",
            step.rules
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// One line per SMTP unit of a flight, or the step's sentence.
fn lines(step: &Step) -> Vec<String> {
    let Detail::Wire(view) = &step.detail else {
        return vec![step.text.clone()];
    };
    if view.smtp.is_empty() {
        return vec![step.text.clone()];
    }
    let mut out = Vec::new();
    for item in &view.smtp {
        match item {
            SmtpItem::Command { command } => out.push(command.to_line().trim_end().to_string()),
            SmtpItem::Message { octets } => out.push(format!(
                "<message: {octets} octets, dot-stuffed, ending CRLF.CRLF>"
            )),
            SmtpItem::Typed { line } => out.push(format!("{line}    (typed at the console)")),
            SmtpItem::Reply { reply, .. } => {
                let bytes = reply.to_bytes();
                out.extend(String::from_utf8_lossy(&bytes).lines().map(String::from));
            }
        }
    }
    out
}

/// Renders a trace. With `mask`, numbers that change from run to run (TLS flight sizes) are
/// replaced by `<n>`, for golden files.
pub fn render(trace: &Trace, mask: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "=== {} ({})", trace.scenario.title, trace.scenario.id);
    for step in &trace.steps {
        let m = marker(step);
        let body = lines(step);
        for (i, line) in body.iter().enumerate() {
            let line = if mask && step.kind == StepKind::TlsFlight {
                mask_numbers(line)
            } else {
                line.clone()
            };
            let suffix = if i + 1 == body.len() {
                rules(step)
            } else {
                String::new()
            };
            let _ = writeln!(out, "{m} {line}{suffix}");
        }
        if let Detail::Wire(view) = &step.detail {
            for item in &view.smtp {
                if let SmtpItem::Reply { reply, in_reply_to } = item
                    && matches!(reply.code, 530 | 554)
                {
                    let _ = writeln!(
                        out,
                        "!! {} enforced: {} refused with {}{}",
                        reply.code,
                        in_reply_to
                            .map(|v| v.to_string())
                            .unwrap_or_else(|| "the command".into()),
                        reply.code,
                        reply.enhanced.map(|e| format!(" {e}")).unwrap_or_default()
                    );
                }
            }
        }
    }
    let o = &trace.outcome;
    let _ = writeln!(
        out,
        "=== outcome: {}",
        match &o.client {
            Some(c) => crate::engine::narrate::outcome(c),
            None => "the client did not finish".into(),
        }
    );
    out
}

fn mask_numbers(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_number = false;
    for word in line.split_inclusive(' ') {
        let digits = word.trim_end().trim_end_matches([',', ':', ')', '.']);
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && digits.len() >= 2 {
            out.push_str(&word.replacen(digits, "<n>", 1));
            in_number = true;
        } else {
            out.push_str(word);
            in_number = false;
        }
    }
    let _ = in_number;
    out
}
