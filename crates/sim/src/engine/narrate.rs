//! Sentences for people: what each flight and each machine event means, with the rules it
//! applies. The engine decides; this module only words it.

use starttls_protocol::client::{ClientEvent, ClientOutcome};
use starttls_protocol::knowledge::{KnowledgeItem, KnowledgeKey, Provenance, escape_bytes};
use starttls_protocol::rules::RuleId;
use starttls_protocol::server::ServerEvent;
use starttls_protocol::tls::SecurityVerdict;

use crate::attacker::Attack;
use crate::trace::{Actor, Detail, Direction, SmtpItem, StepKind, WireView};
use crate::wire::{DecodedRecord, RecordView};

/// Bytes as text with `\r`, `\n` and `\xNN` escapes.
pub fn escape(bytes: &[u8]) -> String {
    escape_bytes(bytes)
}

fn side(actor: Actor) -> &'static str {
    match actor {
        Actor::Client => "client",
        Actor::Server => "server",
        Actor::Wire => "wire",
        Actor::Attacker => "attacker",
    }
}

fn key_name(key: KnowledgeKey) -> &'static str {
    match key {
        KnowledgeKey::ClientName => "the client's EHLO name",
        KnowledgeKey::ReversePath => "the envelope sender (MAIL FROM)",
        KnowledgeKey::Recipient => "an envelope recipient (RCPT TO)",
        KnowledgeKey::AuthIdentity => "the authenticated identity",
        KnowledgeKey::Greeting => "the server's greeting",
        KnowledgeKey::Extensions => "the server's extension list",
        KnowledgeKey::BufferedInput => "buffered input bytes",
    }
}

fn provenance(p: Provenance) -> &'static str {
    match p {
        Provenance::Cleartext => "in cleartext",
        Provenance::Tls => "under TLS",
    }
}

/// "The client learns …".
pub fn learnt(actor: Actor, item: &KnowledgeItem) -> String {
    format!(
        "The {} learns {} {}: {}",
        side(actor),
        key_name(item.key),
        provenance(item.provenance),
        item.value
    )
}

/// A flight's step: its kind, its sentence and its wire view.
pub struct FlightStep {
    pub kind: StepKind,
    pub text: String,
    pub view: WireView,
}

fn smtp_summary(items: &[SmtpItem]) -> Vec<String> {
    items
        .iter()
        .map(|i| match i {
            SmtpItem::Command { command } => command.to_line().trim_end().to_string(),
            SmtpItem::Message { octets } => {
                format!("<message, {octets} octets, ending in CRLF.CRLF>")
            }
            SmtpItem::Reply { reply, .. } => {
                if reply.lines.len() > 1 {
                    format!(
                        "{} {} (+{} extension lines)",
                        reply.code,
                        reply.lines[0],
                        reply.lines.len() - 1
                    )
                } else {
                    format!(
                        "{} {}",
                        reply.code,
                        reply.lines.first().map(String::as_str).unwrap_or_default()
                    )
                }
            }
            SmtpItem::Typed { line } => format!("{line} (typed at the console)"),
        })
        .collect()
}

fn record_summary(records: &[DecodedRecord]) -> String {
    let mut parts = Vec::new();
    let mut encrypted = 0;
    for r in records {
        match &r.view {
            RecordView::ClientHello {
                server_name,
                key_share_groups,
                supported_versions,
                ..
            } => parts.push(format!(
                "ClientHello (SNI {}, versions {}, key share {})",
                server_name.as_deref().unwrap_or("none"),
                if supported_versions.is_empty() {
                    "legacy".into()
                } else {
                    supported_versions.join("/")
                },
                key_share_groups.join("/")
            )),
            RecordView::ServerHello {
                version,
                cipher_suite,
                following,
                ..
            } => {
                parts.push(format!("ServerHello ({version}, {cipher_suite})"));
                parts.extend(following.iter().cloned());
            }
            RecordView::Handshake { messages } => parts.push(messages.join(", ")),
            RecordView::ChangeCipherSpec => parts.push("ChangeCipherSpec".into()),
            RecordView::Alert { level, description } => {
                parts.push(format!("{level} alert {description}"))
            }
            RecordView::Encrypted => encrypted += 1,
            RecordView::Malformed { reason } => parts.push(format!("malformed record ({reason})")),
        }
    }
    if encrypted > 0 {
        parts.push(format!(
            "{encrypted} encrypted record{}",
            if encrypted == 1 { "" } else { "s" }
        ));
    }
    parts.join(", ")
}

/// Words a flight.
pub fn flight(
    actor: Actor,
    direction: Direction,
    tls: bool,
    wire: &[u8],
    plaintext: Option<&[u8]>,
    records: Vec<DecodedRecord>,
    smtp: Vec<SmtpItem>,
) -> FlightStep {
    let who = side(actor);
    let lines = smtp_summary(&smtp);
    let kind = if lines.is_empty() {
        if tls {
            StepKind::TlsFlight
        } else {
            StepKind::Bytes
        }
    } else if direction == Direction::ClientToServer {
        StepKind::Command
    } else {
        StepKind::Reply
    };
    let what = if lines.is_empty() {
        String::new()
    } else {
        lines.join(" · ")
    };
    let text = if tls {
        let recs = record_summary(&records);
        if what.is_empty() {
            format!(
                "The {who} sends a TLS flight of {} bytes: {recs}.",
                wire.len()
            )
        } else {
            format!("Under TLS, the {who} sends {what} ({recs}).")
        }
    } else if what.is_empty() {
        format!("The {who} sends {} bytes: {}", wire.len(), escape(wire))
    } else {
        format!("The {who} sends {what}")
    };
    let attacker_reads = if tls {
        let visible = records
            .iter()
            .any(|r| !matches!(r.view, RecordView::Encrypted));
        if !visible {
            "record headers only (type, version, length): the payload is encrypted".into()
        } else {
            format!(
                "record headers and the cleartext handshake fields ({}); the rest is encrypted",
                record_summary(&records)
            )
        }
    } else {
        format!("everything: {}", escape(wire))
    };
    FlightStep {
        kind,
        text,
        view: WireView {
            records,
            plaintext: plaintext.map(escape),
            attacker_reads,
            rewrites_previous: false,
            smtp,
        },
    }
}

/// The rules an attack tests.
pub fn attack_rules(attack: &Attack) -> Vec<RuleId> {
    match attack {
        Attack::None => Vec::new(),
        Attack::StripStarttls => vec![RuleId::StripDefense],
        Attack::RewriteStarttls { .. } => vec![RuleId::CmdSyntax, RuleId::StripDefense],
        Attack::Replace220 { .. } => vec![RuleId::Client454Decide, RuleId::StripDefense],
        Attack::InjectCommands { .. } => vec![RuleId::ServerDiscard],
        Attack::InjectReplies { .. } => vec![RuleId::ClientDiscard],
        Attack::TamperEhlo { .. } => vec![RuleId::ClientDiscard, RuleId::ClientEhloAgain],
        Attack::FlipTlsByte { .. } => Vec::new(),
    }
}

/// How a machine event becomes a step.
pub struct Narration {
    pub kind: StepKind,
    pub text: String,
    pub rules: Vec<RuleId>,
    pub violation: bool,
    /// Not worth a step of its own (a state change no rule governs).
    pub skip: bool,
}

fn n(kind: StepKind, text: String, rules: Vec<RuleId>, violation: bool) -> Narration {
    Narration {
        kind,
        text,
        rules,
        violation,
        skip: false,
    }
}

fn verdict(who: &str, v: &SecurityVerdict) -> String {
    match v {
        SecurityVerdict::Unknown => format!("The {who} has no TLS session to judge yet."),
        SecurityVerdict::Acceptable {
            peer_authenticated: true,
        } => {
            format!("The {who} judges the TLS session good enough, with its peer authenticated.")
        }
        SecurityVerdict::Acceptable {
            peer_authenticated: false,
        } => {
            format!(
                "The {who} judges the TLS session good enough (privacy, without authenticating its peer)."
            )
        }
        SecurityVerdict::Insufficient { reason } => {
            format!("The {who} judges the TLS session insufficient: {reason}.")
        }
    }
}

/// How the client's session ended, in words.
pub fn outcome(o: &ClientOutcome) -> String {
    match o {
        ClientOutcome::Delivered {
            under_tls,
            accepted,
            ..
        } => format!(
            "The client is done: message delivered to {} {}.",
            accepted.join(", "),
            if *under_tls {
                "under TLS"
            } else {
                "in the clear"
            }
        ),
        ClientOutcome::Refused {
            code,
            text,
            command,
        } => format!(
            "The client gives up: the server answered{} with {code} {text}, not the reply it needed.",
            command.map(|c| format!(" {c}")).unwrap_or_default()
        ),
        ClientOutcome::QuitInsecure { reason } => {
            format!("The client quits: the TLS session is not good enough ({reason}).")
        }
        ClientOutcome::TlsUnavailable { reason } => {
            format!("The client quits: TLS is required and not available ({reason}).")
        }
        ClientOutcome::TlsFailed { reason } => {
            format!("The client aborts: the TLS handshake failed ({reason}).")
        }
        ClientOutcome::Aborted { reason } => format!("The client aborts: {reason}."),
    }
}

/// Words a machine event.
pub fn event(detail: &Detail) -> Narration {
    match detail {
        Detail::Server(e) => server(e),
        Detail::Client(e) => client(e),
        _ => Narration {
            kind: StepKind::Decision,
            text: String::new(),
            rules: Vec::new(),
            violation: false,
            skip: true,
        },
    }
}

/// A side forgets an item learnt before TLS (SERVER-DISCARD, CLIENT-DISCARD).
fn forgets(who: &str, item: &KnowledgeItem, rules: &[RuleId]) -> Narration {
    let text = format!(
        "The {who} forgets {} learnt {}: {}.",
        key_name(item.key),
        provenance(item.provenance),
        item.value
    );
    n(StepKind::KnowledgeDiscarded, text, rules.to_vec(), false)
}

/// A teaching toggle makes a side keep an item it must forget.
fn keeps(who: &str, item: &KnowledgeItem, broken: RuleId) -> Narration {
    let text = format!(
        "The {who} KEEPS {} learnt in cleartext ({}), breaking {}.",
        key_name(item.key),
        item.value,
        broken.as_str()
    );
    n(StepKind::KnowledgeDiscarded, text, vec![broken], true)
}

/// A teaching toggle makes a side break a rule in another way.
fn breaks(who: &str, rule: RuleId, detail: &str) -> Narration {
    n(
        StepKind::Decision,
        format!("The {who} breaks {}: {detail}.", rule.as_str()),
        vec![rule],
        true,
    )
}

fn state_change(who: &str, from: &str, on: &str, to: &str, rules: &[RuleId]) -> Narration {
    let mut step = n(
        StepKind::StateChange,
        format!("The {who} moves from {from} to {to} on {on}."),
        rules.to_vec(),
        false,
    );
    step.skip = rules.is_empty();
    step
}

fn server(e: &ServerEvent) -> Narration {
    use ServerEvent as E;
    match e {
        E::CommandReceived { command, under_tls } => n(
            StepKind::Command,
            format!(
                "The server reads {} {}.",
                command.to_line().trim_end(),
                if *under_tls {
                    "as a command under TLS"
                } else {
                    "in the clear"
                }
            ),
            Vec::new(),
            false,
        ),
        E::InputRejected { error, .. } => n(
            StepKind::Decision,
            format!("The server rejects the input: {error}."),
            Vec::new(),
            false,
        ),
        E::ReplySent { reply, rules, .. } => n(
            StepKind::Reply,
            format!("The server replies {} {}.", reply.code, reply.text()),
            rules.clone(),
            false,
        ),
        E::StateChanged {
            from,
            on,
            to,
            rules,
        } => state_change("server", from, on, to, rules),
        E::StartTls {
            buffered_plaintext,
            rules,
        } => n(
            StepKind::Decision,
            format!(
                "The server has said 220: the next bytes on the connection must be the TLS handshake{}.",
                if buffered_plaintext.end > buffered_plaintext.start {
                    format!(
                        " ({} plaintext bytes already arrived after STARTTLS: held, not read)",
                        buffered_plaintext.end - buffered_plaintext.start
                    )
                } else {
                    String::new()
                }
            ),
            rules.clone(),
            false,
        ),
        E::SecurityDecision { verdict: v, rules } => n(
            StepKind::Decision,
            verdict("server", v),
            rules.clone(),
            false,
        ),
        E::KnowledgeDiscarded { item, rules } => forgets("server", item, rules),
        E::KnowledgeKept { item, broken_rule } => keeps("server", item, *broken_rule),
        E::PlaintextDiscarded { bytes, rules, .. } => n(
            StepKind::KnowledgeDiscarded,
            format!("The server throws away the plaintext that arrived after STARTTLS: {bytes}"),
            rules.clone(),
            false,
        ),
        E::PlaintextRetained {
            bytes, broken_rule, ..
        } => n(
            StepKind::KnowledgeDiscarded,
            format!(
                "The server KEEPS the plaintext that arrived after STARTTLS and will run it as if it came under TLS: {bytes} (breaking {}; CVE-2011-0411).",
                broken_rule.as_str()
            ),
            vec![*broken_rule],
            true,
        ),
        E::RuleBroken { rule, detail } => breaks("server", *rule, detail),
        E::Authenticated {
            username,
            under_tls,
        } => n(
            StepKind::Decision,
            format!(
                "The server authenticates {username} {}.",
                if *under_tls {
                    "under TLS"
                } else {
                    "in the clear"
                }
            ),
            Vec::new(),
            false,
        ),
        E::MessageAccepted {
            reverse_path,
            recipients,
            under_tls,
            ..
        } => n(
            StepKind::Decision,
            format!(
                "The server accepts a message from <{reverse_path}> for {} {}.",
                recipients.join(", "),
                if *under_tls {
                    "under TLS"
                } else {
                    "in the clear"
                }
            ),
            Vec::new(),
            false,
        ),
        E::TlsFailed { reason } => n(
            StepKind::Close,
            format!("The server's TLS handshake failed ({reason}); it closes the connection."),
            Vec::new(),
            false,
        ),
        E::Closed { reason } => n(
            StepKind::Close,
            format!("The server closes the connection: {reason}."),
            Vec::new(),
            false,
        ),
        #[allow(unreachable_patterns)]
        _ => n(
            StepKind::Decision,
            "An event this version of the playground does not describe.".into(),
            Vec::new(),
            false,
        ),
    }
}

fn client(e: &ClientEvent) -> Narration {
    use ClientEvent as E;
    match e {
        E::ReplyReceived { reply, under_tls } => n(
            StepKind::Reply,
            format!(
                "The client reads the reply {} {} {}.",
                reply.code,
                reply.text(),
                if *under_tls {
                    "as if it came under TLS"
                } else {
                    "in the clear"
                }
            ),
            Vec::new(),
            false,
        ),
        E::CommandSent { command, rules, .. } => n(
            StepKind::Command,
            format!("The client sends {}.", command.to_line().trim_end()),
            rules.clone(),
            false,
        ),
        E::MessageSent { octets, rules, .. } => n(
            StepKind::Command,
            format!("The client sends the message ({octets} octets)."),
            rules.clone(),
            false,
        ),
        E::StateChanged {
            from,
            on,
            to,
            rules,
        } => state_change("client", from, on, to, rules),
        E::StartTls {
            buffered_plaintext,
            rules,
        } => n(
            StepKind::Decision,
            format!(
                "The client read 220: it starts the TLS handshake before any other command{}.",
                if buffered_plaintext.end > buffered_plaintext.start {
                    format!(
                        " ({} bytes arrived after the 220: held, not read as replies)",
                        buffered_plaintext.end - buffered_plaintext.start
                    )
                } else {
                    String::new()
                }
            ),
            rules.clone(),
            false,
        ),
        E::SecurityDecision { verdict: v, rules } => n(
            StepKind::Decision,
            verdict("client", v),
            rules.clone(),
            false,
        ),
        E::KnowledgeDiscarded { item, rules } => forgets("client", item, rules),
        E::KnowledgeKept { item, broken_rule } => keeps("client", item, *broken_rule),
        E::PlaintextDiscarded { bytes, rules, .. } => n(
            StepKind::KnowledgeDiscarded,
            format!("The client throws away the bytes that arrived after the 220: {bytes}"),
            rules.clone(),
            false,
        ),
        E::PlaintextRetained {
            bytes, broken_rule, ..
        } => n(
            StepKind::KnowledgeDiscarded,
            format!(
                "The client KEEPS the bytes that arrived after the 220 and will read them as replies under TLS: {bytes} (breaking {}).",
                broken_rule.as_str()
            ),
            vec![*broken_rule],
            true,
        ),
        E::RuleBroken { rule, detail } => breaks("client", *rule, detail),
        E::StarttlsAdvertisedUnderTls { rules } => n(
            StepKind::Decision,
            "The server advertised STARTTLS under TLS: the client flags it and ignores it.".into(),
            rules.clone(),
            true,
        ),
        E::TlsNotUsed {
            reply_code,
            decision,
            rules,
        } => n(
            StepKind::Decision,
            format!(
                "TLS is not available ({}); by its policy the client decides to {}.",
                reply_code
                    .map(|c| format!("reply {c}"))
                    .unwrap_or_else(|| "STARTTLS not advertised".into()),
                match decision {
                    starttls_protocol::client::TlsFallback::ContinueInClear => "go on in the clear",
                    starttls_protocol::client::TlsFallback::Quit => "quit",
                }
            ),
            rules.clone(),
            false,
        ),
        E::TlsDowngradeWarning { peer, rules } => n(
            StepKind::Decision,
            format!("Warning: {peer} used TLS before and does not offer it now."),
            rules.clone(),
            false,
        ),
        E::AuthSkipped { reason } => n(
            StepKind::Decision,
            format!("The client does not authenticate: {reason}."),
            Vec::new(),
            false,
        ),
        E::ProtocolViolation { error } => n(
            StepKind::Decision,
            format!("The client finds the server's input wrong: {error}."),
            Vec::new(),
            false,
        ),
        E::TlsFailed { reason, rules } => n(
            StepKind::Decision,
            format!("The client's TLS handshake failed: {reason}."),
            rules.clone(),
            false,
        ),
        E::Finished { outcome: o } => n(StepKind::Close, outcome(o), Vec::new(), false),
        #[allow(unreachable_patterns)]
        _ => n(
            StepKind::Decision,
            "An event this version of the playground does not describe.".into(),
            Vec::new(),
            false,
        ),
    }
}
