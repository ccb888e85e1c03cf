//! The machines' events and state changes, in plain sentences.

use super::*;
use starttls_protocol::client::{ClientEvent, ClientOutcome, ClientTrigger, Next};
use starttls_protocol::knowledge::KnowledgeItem;
use starttls_protocol::rules::RuleId;
use starttls_protocol::server::{ServerEvent, ServerTrigger};
use starttls_protocol::tls::SecurityVerdict;

use crate::trace::{Detail, StepKind};

/// How a machine event becomes a step.
pub struct Narration {
    pub kind: StepKind,
    pub text: String,
    /// The secondary line: state names and the table row, for the curious.
    pub technical: Option<String>,
    pub rules: Vec<RuleId>,
    pub violation: bool,
    /// Not worth a step of its own (a state change no rule governs, or an event the next
    /// step already tells).
    pub skip: bool,
}

fn n(kind: StepKind, text: String, rules: Vec<RuleId>, violation: bool) -> Narration {
    Narration {
        kind,
        text,
        technical: None,
        rules,
        violation,
        skip: false,
    }
}

fn skipped() -> Narration {
    Narration {
        kind: StepKind::Decision,
        text: String::new(),
        technical: None,
        rules: Vec::new(),
        violation: false,
        skip: true,
    }
}

fn verdict(who: &str, v: &SecurityVerdict) -> String {
    match v {
        SecurityVerdict::Unknown => format!("The {who} has no TLS session to judge yet."),
        SecurityVerdict::Acceptable {
            peer_authenticated: true,
        } => format!(
            "Right after the handshake the {who} judges the TLS session good enough: private, and its peer authenticated."
        ),
        SecurityVerdict::Acceptable {
            peer_authenticated: false,
        } => format!(
            "Right after the handshake the {who} judges the TLS session good enough: private, though it has not authenticated its peer."
        ),
        SecurityVerdict::Insufficient { reason } => format!(
            "Right after the handshake the {who} judges the TLS session not good enough: {reason}."
        ),
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
            "The client is done: the server accepted its message for {} {}.",
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
            format!("The client quits: it requires TLS and cannot have it ({reason}).")
        }
        ClientOutcome::TlsFailed { reason } => {
            format!("The client's session ends without TLS: {reason}.")
        }
        ClientOutcome::Aborted { reason } => format!("The client aborts: {reason}."),
    }
}

/// Words a machine event.
pub fn event(detail: &Detail) -> Narration {
    match detail {
        Detail::Server(e) => server(e),
        Detail::Client(e) => client(e),
        _ => skipped(),
    }
}

/// A side forgets an item learnt before TLS (SERVER-DISCARD, CLIENT-DISCARD).
fn forgets(who: &str, item: &KnowledgeItem, rules: &[RuleId]) -> Narration {
    let text = format!(
        "The {who} forgets {} it learnt {}: {}.",
        key_name(item.key),
        provenance(item.provenance),
        item.value
    );
    n(StepKind::KnowledgeDiscarded, text, rules.to_vec(), false)
}

/// A teaching toggle makes a side keep an item it must forget.
fn keeps(who: &str, item: &KnowledgeItem, broken: RuleId) -> Narration {
    let text = format!(
        "Against the rules (this {who} is deliberately non-compliant here), it keeps {} it learnt in the clear: {}.",
        key_name(item.key),
        item.value
    );
    n(StepKind::KnowledgeDiscarded, text, vec![broken], true)
}

/// A teaching toggle makes a side break a rule in another way.
fn breaks(who: &str, rule: RuleId, detail: &str) -> Narration {
    n(
        StepKind::Decision,
        format!("Against the rules (this {who} is deliberately non-compliant here): {detail}."),
        vec![rule],
        true,
    )
}

fn then(next: Next) -> &'static str {
    match next {
        Next::Starttls => "STARTTLS",
        Next::Auth => "AUTH",
        Next::Mail => "the mail transaction (MAIL FROM)",
        Next::Quit => "QUIT",
    }
}

/// The plain sentence for a client state change that a rule governs.
fn client_change(on: ClientTrigger) -> Option<String> {
    use ClientTrigger as T;
    Some(match on {
        T::EhloAccepted(Next::Starttls) => {
            "STARTTLS is in the server's extension list, so the client asks for TLS before anything else.".into()
        }
        T::StarttlsNotAdvertised(Next::Quit) => {
            "STARTTLS is missing from the server's extension list, and this client requires TLS for this server: it sends QUIT instead of the mail.".into()
        }
        T::StarttlsNotAdvertised(next) => format!(
            "STARTTLS is missing from the server's extension list. This client uses TLS only when it is offered, so it goes on in the clear with {}: anyone on the path can read and change the session.",
            then(next)
        ),
        T::TlsNotWanted(next) => format!(
            "STARTTLS is offered, but this client is configured never to use TLS: it goes on in the clear with {}.",
            then(next)
        ),
        T::EhloUnderTls(Next::Starttls) | T::TlsEstablishedKept(Next::Starttls) => {
            "The client asks for STARTTLS again although TLS is already active.".into()
        }
        T::HeloWithoutStarttls(Next::Quit) => {
            "The server only accepted HELO, which cannot offer STARTTLS, and this client requires TLS: it sends QUIT.".into()
        }
        T::HeloWithoutStarttls(next) => format!(
            "The server only accepted HELO, which cannot offer STARTTLS; using TLS only when offered, the client goes on in the clear with {}.",
            then(next)
        ),
        T::Starttls220 => {
            "The client reads 220: it must start the TLS handshake now, before any other command.".into()
        }
        T::Starttls454(Next::Quit) => {
            "The client reads 454 to its STARTTLS: TLS is not available right now. By its local policy the client gives up for now and sends QUIT.".into()
        }
        T::Starttls454(next) => format!(
            "The client reads 454 to its STARTTLS: TLS is not available right now. By its local policy the client goes on in the clear with {}.",
            then(next)
        ),
        T::Starttls454Required => {
            "The client reads 454 to its STARTTLS: TLS is not available right now. This client requires TLS, so it sends QUIT rather than the mail in the clear.".into()
        }
        T::StarttlsRefused(next) => format!(
            "The client's STARTTLS was refused. Using TLS only when it can, the client goes on in the clear with {}.",
            then(next)
        ),
        T::StarttlsRefusedRequired => {
            "The client's STARTTLS was refused, and this client requires TLS: it sends QUIT rather than the mail in the clear.".into()
        }
        T::SecondStarttlsRefused(next) => format!(
            "The server refused the second STARTTLS; the client carries on under the TLS session it has, with {}.",
            then(next)
        ),
        T::TlsEstablished => {
            "With TLS up, the client starts the SMTP session again from the beginning: its first command under TLS is a new EHLO.".into()
        }
        T::TlsInsufficient => {
            "The TLS session is not good enough for this client, so its first and only command under TLS is QUIT.".into()
        }
        T::TlsFailed => {
            "The handshake started and failed, so this connection cannot carry mail. Whether to retry later, elsewhere, or (if its policy allows) in the clear is the client's local policy.".into()
        }
        T::TlsCouldNotStart => {
            "The client cannot start the handshake, so it aborts the connection without sending any other command.".into()
        }
        T::Auth530 => {
            "The server wants TLS before AUTH (530): the client sends STARTTLS.".into()
        }
        T::Transaction530 => {
            "The server refuses the transaction until TLS is active (530): the client sends STARTTLS.".into()
        }
        T::Data354 => {
            "The server said 354: the client sends the message, doubling any period that starts a line.".into()
        }
        T::Greeting => "The client reads the 220 greeting and introduces itself with EHLO.".into(),
        T::GreetingRefused => "The greeting is not 220: the client sends QUIT.".into(),
        T::EhloAccepted(next) | T::HeloAccepted(next) => format!(
            "The server accepted the client's greeting: the client goes on with {}.",
            then(next)
        ),
        T::EhloUnderTls(next) => format!(
            "Under TLS the server answered the new EHLO: the client goes on with {}.",
            then(next)
        ),
        T::TlsEstablishedKept(next) => format!(
            "Against the rules, the client skips the new EHLO and goes on with {}, using what it learnt in the clear.",
            then(next)
        ),
        T::EhloRefused => "The server refused EHLO: the client falls back to HELO.".into(),
        T::EhloFailed => "The client cannot go on after its EHLO: it sends QUIT.".into(),
        T::HeloRefused => "The server refused HELO too: the client sends QUIT.".into(),
        T::AuthAccepted => "Authenticated: the client starts the mail transaction.".into(),
        T::AuthRefused => "Authentication failed: the client sends QUIT.".into(),
        T::TransactionFailed => "The transaction cannot go on: the client sends QUIT.".into(),
        T::DataEnd => "The server answered the message: the client sends QUIT.".into(),
        T::QuitReply => "The server answered QUIT: the client's session is over.".into(),
        T::Reply421 => "The server is closing the connection (421): the session is over.".into(),
        T::PeerViolation => {
            "The server's reply is malformed or out of place: the client ends the session.".into()
        }
    })
}

/// The plain sentence for a server state change that a rule governs.
fn server_change(on: ServerTrigger) -> Option<String> {
    use ServerTrigger as T;
    Some(match on {
        T::Starttls220 => {
            "The server answers 220 to STARTTLS: from now on it reads the next bytes as the TLS handshake, not as SMTP commands.".into()
        }
        T::Starttls220UnderTls => {
            "Although TLS is already active, the server answers 220 to the new STARTTLS.".into()
        }
        T::TlsEstablished => {
            "With TLS up, the server is back in its initial state, as right after its greeting: it waits for a new EHLO.".into()
        }
        T::EndOfData => {
            "A line with a single period ends the message; the server removes the periods the client doubled.".into()
        }
        T::Ehlo | T::Helo => {
            "The server has answered the client's greeting: it is ready for a mail transaction.".into()
        }
        T::Mail => "The server accepted MAIL: a mail transaction is open.".into(),
        T::Rset => "RSET: the server drops the mail transaction.".into(),
        T::Data354 => {
            "The server said 354: what follows, up to a line with a single period, is the message.".into()
        }
        T::Auth334 => "The server waits for the AUTH response.".into(),
        T::AuthResponse => "The server has read the AUTH response.".into(),
        T::Quit => "The server answered QUIT: the session is over.".into(),
        T::TlsEstablishedKept(_) => {
            "Against the rules, the server does not reset its session after the handshake.".into()
        }
        T::TlsFailed => "The server's handshake failed: the session is over.".into(),
    })
}

/// A state change: its sentence, and the table row on the technical line.
fn state_change(
    who: &str,
    text: Option<String>,
    (from, to, on): (&str, &str, &str),
    rules: &[RuleId],
) -> Narration {
    match text {
        Some(text) => Narration {
            kind: StepKind::StateChange,
            text,
            technical: Some(format!("{who}: {from} → {to} ({on})")),
            rules: rules.to_vec(),
            violation: false,
            skip: false,
        },
        None => skipped(),
    }
}

/// A state change the table does not allow (a defect of the playground).
fn table_miss(who: &str, (from, to, on): (&str, &str, &str), says: Option<&str>) -> Narration {
    Narration {
        kind: StepKind::Decision,
        text: format!(
            "A defect of the playground: the {who} changed state in a way its transition table does not allow. Please report it."
        ),
        technical: Some(format!(
            "{who}: {from} → {to} on {on}; the table says {}",
            says.unwrap_or("nothing")
        )),
        rules: Vec::new(),
        violation: true,
        skip: false,
    }
}

fn held(
    who: &str,
    after: &str,
    range: &starttls_protocol::knowledge::ByteRange,
    role: &str,
    discard: Option<RuleId>,
) -> Narration {
    let len = range.end - range.start;
    if len == 0 {
        return skipped();
    }
    match discard {
        Some(rule) => n(
            StepKind::Decision,
            format!(
                "{len} bytes of plaintext arrived after {after}, before the handshake: the {who} holds them unread, will not {role}, and will discard them once TLS is up."
            ),
            vec![rule],
            false,
        ),
        None => n(
            StepKind::Decision,
            format!(
                "{len} bytes of plaintext arrived after {after}, before the handshake: the {who} keeps them in its input buffer."
            ),
            Vec::new(),
            false,
        ),
    }
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
            format!(
                "The server replies {} {}.",
                reply.code,
                reply.lines.join(" / ")
            ),
            rules.clone(),
            false,
        ),
        E::StateChanged {
            from,
            on,
            to,
            rules,
        } => state_change(
            "server",
            server_change(*on),
            (from.as_str(), to.as_str(), on.label()),
            rules,
        ),
        E::TableMiss(m) => table_miss(
            "server",
            (m.from.as_str(), m.to.as_str(), m.on.label()),
            m.table_says.map(|s| s.as_str()),
        ),
        E::StartTls {
            buffered_plaintext,
            discard_at_handshake,
        } => held(
            "server",
            "STARTTLS",
            buffered_plaintext,
            "run them as commands",
            discard_at_handshake.then_some(RuleId::ServerDiscard),
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
            format!(
                "The server throws away the plaintext that arrived after STARTTLS, unread: {bytes}"
            ),
            rules.clone(),
            false,
        ),
        E::PlaintextRetained {
            bytes, broken_rule, ..
        } => n(
            StepKind::KnowledgeDiscarded,
            format!(
                "Against the rules (the bug of CVE-2011-0411), the server keeps the plaintext that arrived after STARTTLS and will run it as if it came under TLS: {bytes}"
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
                recipients
                    .iter()
                    .map(|r| format!("<{r}>"))
                    .collect::<Vec<_>>()
                    .join(", "),
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
                reply.lines.join(" / "),
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
        } => state_change(
            "client",
            client_change(*on),
            (from.as_str(), to.as_str(), &on.label()),
            rules,
        ),
        E::TableMiss(m) => table_miss(
            "client",
            (m.from.as_str(), m.to.as_str(), &m.on.label()),
            m.table_says.map(|s| s.as_str()),
        ),
        E::StartTls {
            buffered_plaintext,
            discard_at_handshake,
        } => held(
            "client",
            "the 220",
            buffered_plaintext,
            "read them as replies",
            discard_at_handshake.then_some(RuleId::ClientDiscard),
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
            format!("The client throws away the bytes that arrived after the 220, unread: {bytes}"),
            rules.clone(),
            false,
        ),
        E::PlaintextRetained {
            bytes, broken_rule, ..
        } => n(
            StepKind::KnowledgeDiscarded,
            format!(
                "Against the rules (this client is deliberately non-compliant here), it keeps the bytes that arrived after the 220 and will read them as replies given under TLS: {bytes}"
            ),
            vec![*broken_rule],
            true,
        ),
        E::RuleBroken { rule, detail } => breaks("client", *rule, detail),
        E::StarttlsAdvertisedUnderTls { rules } => n(
            StepKind::Decision,
            "The server listed STARTTLS in its EHLO reply under TLS, which it must not: the client notes it and ignores it.".into(),
            rules.clone(),
            true,
        ),
        // The state change that follows tells the decision, with its rules.
        E::TlsNotUsed { .. } => skipped(),
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
        E::TlsFailed { reason, started } => n(
            StepKind::Decision,
            if *started {
                format!("The client's TLS handshake failed: {reason}.")
            } else {
                format!("The client could not start the TLS handshake: {reason}.")
            },
            Vec::new(),
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
