//! Sentences for people: what each flight and each machine event means, with the rules it
//! applies. The engine decides; this module only words it.

use starttls_protocol::client::{ClientEvent, ClientOutcome, ClientTrigger, Next};
use starttls_protocol::knowledge::{KnowledgeItem, KnowledgeKey, Provenance, escape_bytes};
use starttls_protocol::rules::RuleId;
use starttls_protocol::server::{ServerEvent, ServerTrigger};
use starttls_protocol::tls::SecurityVerdict;

use crate::attacker::Attack;
use crate::trace::{
    Actor, Detail, Direction, Protection, SmtpItem, StepKind, TlsMessage, WireView,
};
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
    let who = side(actor);
    let how = provenance(item.provenance);
    match item.key {
        KnowledgeKey::BufferedInput => format!(
            "The {who} now holds, unread in its input buffer, bytes that arrived {how}: {}",
            item.value
        ),
        KnowledgeKey::Extensions => match item.value.split_once(": ") {
            Some((host, list)) => format!("The {who} learns, {how}, that {host} offers {list}."),
            None => format!("The {who} learns, {how}, that the server offers no extension."),
        },
        _ => format!(
            "The {who} learns {} {how}: {}",
            key_name(item.key),
            item.value
        ),
    }
}

/// A flight's step: its kind, its sentence and its wire view.
pub struct FlightStep {
    pub kind: StepKind,
    pub text: String,
    pub technical: Option<String>,
    pub view: WireView,
}

fn smtp_summary(items: &[SmtpItem]) -> Vec<String> {
    items
        .iter()
        .map(|i| match i {
            SmtpItem::Command { command, .. } => command.to_line().trim_end().to_string(),
            SmtpItem::Message { octets, .. } => {
                format!("the message ({octets} octets, ending in CRLF.CRLF)")
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

/// "A, B and C".
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn names_with(messages: &[TlsMessage], p: Protection) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m.protection == p && m.name != "application data")
        .map(|m| m.name.clone())
        .collect()
}

/// The TLS messages of a flight, in words: what is clear, what a dummy, what encrypted.
pub fn tls_messages(who: &str, messages: &[TlsMessage]) -> String {
    let mut parts = Vec::new();
    let clear = names_with(messages, Protection::Cleartext);
    if !clear.is_empty() {
        parts.push(format!("{} in the clear", and_list(&clear)));
    }
    if messages.iter().any(|m| m.protection == Protection::Dummy) {
        parts.push(
            "a ChangeCipherSpec that means nothing in TLS 1.3 (a dummy for middleboxes, RFC 8446 Appendix D.4)"
                .into(),
        );
    }
    let hs = names_with(messages, Protection::HandshakeKeys);
    if !hs.is_empty() {
        parts.push(format!(
            "{}, encrypted under the {who}'s handshake keys",
            and_list(&hs)
        ));
    }
    let app = names_with(messages, Protection::ApplicationKeys);
    if !app.is_empty() {
        parts.push(format!(
            "{}, encrypted under the {who}'s application traffic keys",
            and_list(&app)
        ));
    }
    let negotiated = names_with(messages, Protection::NegotiatedKeys);
    if !negotiated.is_empty() {
        parts.push(format!(
            "{}, encrypted under the newly negotiated keys",
            and_list(&negotiated)
        ));
    }
    and_list(&parts)
}

/// What an observer on the wire learns from a TLS flight.
fn observer(records: &[DecodedRecord]) -> String {
    let mut readable = Vec::new();
    let mut opaque = 0;
    let mut opaque_bytes = 0usize;
    for r in records {
        match &r.view {
            RecordView::ClientHello {
                server_name,
                key_share_groups,
                supported_versions,
                ..
            } => {
                let mut facts = vec![format!(
                    "the server name {}",
                    server_name.as_deref().unwrap_or("(none)")
                )];
                if !supported_versions.is_empty() {
                    facts.push(format!("versions {}", and_list(supported_versions)));
                }
                if !key_share_groups.is_empty() {
                    facts.push(format!("a key share for {}", and_list(key_share_groups)));
                }
                readable.push(format!("ClientHello ({})", facts.join(", ")));
            }
            RecordView::ServerHello {
                version,
                cipher_suite,
                key_share_group,
                following,
            } => {
                let mut facts = vec![version.clone(), cipher_suite.clone()];
                if let Some(g) = key_share_group {
                    facts.push(g.clone());
                }
                readable.push(format!("ServerHello ({})", facts.join(", ")));
                readable.extend(following.iter().cloned());
            }
            RecordView::Handshake { messages } => readable.extend(messages.iter().cloned()),
            RecordView::ChangeCipherSpec => readable.push("ChangeCipherSpec".into()),
            RecordView::Alert { description, .. } => {
                readable.push(format!("the alert {description}"))
            }
            RecordView::Encrypted => {
                opaque += 1;
                opaque_bytes += usize::from(r.header.length);
            }
            RecordView::Malformed { .. } => readable.push("a malformed record".into()),
        }
    }
    let mut parts = Vec::new();
    if !readable.is_empty() {
        parts.push(and_list(&readable));
    }
    if opaque > 0 {
        parts.push(format!(
            "{opaque} encrypted record{} ({opaque_bytes} bytes) it cannot read, only their headers",
            if opaque == 1 { "" } else { "s" }
        ));
    }
    and_list(&parts)
}

/// Words a flight.
#[allow(clippy::too_many_arguments)]
pub fn flight(
    actor: Actor,
    direction: Direction,
    wire: &[u8],
    plaintext: Option<&[u8]>,
    records: Vec<DecodedRecord>,
    smtp: Vec<SmtpItem>,
    messages: Vec<TlsMessage>,
) -> FlightStep {
    let who = side(actor);
    let lines = smtp_summary(&smtp);
    let tls_records = !records.is_empty();
    let kind = if lines.is_empty() {
        if tls_records {
            StepKind::TlsFlight
        } else {
            StepKind::Bytes
        }
    } else if direction == Direction::ClientToServer {
        StepKind::Command
    } else {
        StepKind::Reply
    };
    let what = lines.join(" · ");
    let handshake_part: Vec<TlsMessage> = messages
        .iter()
        .filter(|m| m.name != "application data")
        .cloned()
        .collect();
    let text = if tls_records {
        let tls_words = tls_messages(who, &handshake_part);
        match (what.is_empty(), tls_words.is_empty()) {
            (true, _) => format!("The {who} sends {tls_words}."),
            (false, true) => format!("Under TLS, the {who} sends {what}."),
            (false, false) => {
                format!("The {who} sends {tls_words}; right behind it, encrypted, {what}.")
            }
        }
    } else if what.is_empty() {
        format!("The {who} sends {} bytes: {}", wire.len(), escape(wire))
    } else {
        format!("The {who} sends {what}.")
    };
    let attacker_reads = if tls_records {
        format!("{} ({} bytes in all)", observer(&records), wire.len())
    } else {
        format!("everything, in the clear: {}", escape(wire))
    };
    let technical = tls_records.then(|| {
        format!(
            "{} record{}, {} bytes on the wire",
            records.len(),
            if records.len() == 1 { "" } else { "s" },
            wire.len()
        )
    });
    FlightStep {
        kind,
        text,
        technical,
        view: WireView {
            records,
            plaintext: plaintext.map(escape),
            attacker_reads,
            rewrites_previous: false,
            smtp,
            messages,
            diff: Vec::new(),
        },
    }
}

/// What an attacker can do with a flight it rewrote.
pub fn attacker_reads_rewrite(tls: bool) -> String {
    if tls {
        "only record headers: the payload is encrypted; it can corrupt it, not read or forge it"
            .into()
    } else {
        "everything, and it can rewrite it".into()
    }
}

/// What the attacker can read of bytes it wrote itself.
pub const ATTACKER_WROTE_IT: &str = "everything: the attacker wrote it";

/// The attacker's rewrite, told from the receiver's side.
pub fn attack(attack: &Attack, receiver: Actor, tls: bool) -> String {
    let to = side(receiver);
    if tls {
        format!(
            "The attacker {}. The {to} receives a record that no longer decrypts.",
            attack.describe()
        )
    } else {
        format!(
            "The attacker {}. The {to} receives the changed flight as if its peer had sent it.",
            attack.describe()
        )
    }
}

/// Bytes typed into the wire at the attacker console.
pub fn injected(bytes: &[u8]) -> String {
    format!(
        "The attacker injects {} bytes: {}",
        bytes.len(),
        escape(bytes)
    )
}

/// A vulnerable server runs a command the attacker injected in the clear.
pub fn injected_command_run(line: &str) -> String {
    format!(
        "The server runs the attacker's {line}, written in the clear before the handshake, as if the client had sent it under TLS."
    )
}

/// A vulnerable client reads a reply the attacker injected in the clear.
pub fn injected_reply_read(text: &str, code: u16, last: bool) -> String {
    let mut s = format!(
        "The client reads the attacker's {code} {text}, written in the clear before the handshake, as if the server had sent it under TLS."
    );
    if last {
        s.push_str(
            " From here on it is out of step: it takes each real reply for the answer to a later command.",
        );
    }
    s
}

/// A side sees its peer close the connection.
pub fn peer_closed(actor: Actor) -> String {
    match actor {
        Actor::Client => {
            "The server has closed the connection: the client's session ends without a final reply."
                .into()
        }
        _ => "The client has closed the connection: the server's session ends.".into(),
    }
}

/// A side asked for a second handshake inside TLS.
pub fn nested_handshake(actor: Actor) -> String {
    format!(
        "The {} would now need a second TLS handshake inside the first; the simulation cannot nest handshakes, so the session ends here.",
        side(actor)
    )
}

/// A side's handshake completed.
pub fn tls_established(actor: Actor, s: &starttls_protocol::tls::TlsSummary) -> String {
    // In TLS 1.3 the client sends its Finished last; in TLS 1.2 the server does.
    let own_finished_pending = matches!(
        (actor, s.version),
        (Actor::Client, starttls_protocol::tls::TlsVersion::Tls13)
            | (Actor::Server, starttls_protocol::tls::TlsVersion::Tls12)
    );
    let lead = if own_finished_pending {
        "has checked its peer's Finished, so its handshake is done (its own Finished goes out in its next flight)"
    } else {
        "has checked its peer's Finished, so its handshake is complete"
    };
    format!(
        "The {} {lead}: {}, cipher suite {}{}. From here on it knows TLS is active.",
        side(actor),
        s.version,
        s.cipher_suite,
        s.key_exchange_group
            .as_ref()
            .map(|g| format!(", key exchange {g}"))
            .unwrap_or_default()
    )
}

/// rustls's finding about the server certificate, when the SMTP client decides.
pub fn certificate_finding(problem: &str) -> String {
    format!(
        "rustls checked the server certificate and found that {problem}. As this client is configured, rustls lets the handshake finish and the SMTP client judges the session."
    )
}

/// A certificate problem in words.
pub fn certificate_problem(e: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match e {
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "the certificate does not name the host the client asked for".into()
        }
        C::UnknownIssuer => {
            "the certificate is not signed by an authority the client trusts".into()
        }
        C::Expired | C::ExpiredContext { .. } => "the certificate has expired".into(),
        C::NotValidYet | C::NotValidYetContext { .. } => "the certificate is not valid yet".into(),
        C::Revoked => "the certificate has been revoked".into(),
        C::BadSignature => "the certificate's signature is wrong".into(),
        C::BadEncoding => "the certificate cannot be parsed".into(),
        _ => "the certificate is not acceptable".into(),
    }
}

/// A rustls error in words, without Debug output.
pub fn tls_error(e: &rustls::Error) -> String {
    use rustls::Error as E;
    match e {
        E::InvalidCertificate(c) => certificate_problem(c),
        E::AlertReceived(a) => format!("the peer sent the alert {}", crate::names::alert(*a)),
        E::DecryptError => {
            "a record failed to decrypt, so it was altered on the wire: the alert is bad_record_mac"
                .into()
        }
        E::PeerIncompatible(_) => {
            "the two sides have no TLS version or cipher suite in common".into()
        }
        E::PeerMisbehaved(_) => "the peer broke the TLS protocol".into(),
        E::InvalidMessage(_) => "a TLS message was malformed".into(),
        E::InappropriateMessage { .. } | E::InappropriateHandshakeMessage { .. } => {
            "a TLS message arrived where it does not belong".into()
        }
        E::NoCertificatesPresented => "the peer presented no certificate".into(),
        _ => "the TLS connection failed".into(),
    }
}

/// rustls refused what it read.
pub fn tls_refused(actor: Actor, worded: &str, alert_received: bool) -> String {
    if alert_received {
        format!("The {}'s TLS connection ends: {worded}.", side(actor))
    } else {
        format!(
            "The {}'s rustls refuses the TLS data ({worded}). It sends an alert and closes the connection.",
            side(actor)
        )
    }
}

/// A side's TLS connection died after the handshake.
pub fn tls_dead(actor: Actor) -> String {
    format!(
        "The {}'s TLS connection is dead: it closes the connection.",
        side(actor)
    )
}

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

fn state_change(who: &str, text: Option<String>, technical: String, rules: &[RuleId]) -> Narration {
    match text {
        Some(text) => Narration {
            kind: StepKind::StateChange,
            text,
            technical: Some(technical),
            rules: rules.to_vec(),
            violation: false,
            skip: false,
        },
        _ => {
            let _ = who;
            skipped()
        }
    }
}

fn table_miss(who: &str, technical: String) -> Narration {
    Narration {
        kind: StepKind::Decision,
        text: format!(
            "A defect of the playground: the {who} changed state in a way its transition table does not allow. Please report it."
        ),
        technical: Some(technical),
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
            format!("server: {from} → {to} ({})", on.label()),
            rules,
        ),
        E::TableMiss(m) => table_miss(
            "server",
            format!(
                "server: {} → {} on {}; the table says {}",
                m.from,
                m.to,
                m.on.label(),
                m.table_says.map(|s| s.as_str()).unwrap_or("nothing")
            ),
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
            format!("client: {from} → {to} ({})", on.label()),
            rules,
        ),
        E::TableMiss(m) => table_miss(
            "client",
            format!(
                "client: {} → {} on {}; the table says {}",
                m.from,
                m.to,
                m.on.label(),
                m.table_says
                    .map(|s| s.as_str())
                    .unwrap_or("nothing")
            ),
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
