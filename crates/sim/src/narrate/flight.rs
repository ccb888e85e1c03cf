//! Flights on the wire: their TLS messages, what an observer reads, the attacker's rewrites,
//! and the TLS notes (handshake complete, certificate findings, errors).

use super::*;

use crate::attacker::Attack;
use crate::trace::{Actor, Direction, Protection, SmtpItem, StepKind, TlsMessage, WireView};
use crate::wire::{DecodedRecord, RecordView};

/// A flight's step: its kind, its sentence and its wire view.
pub struct FlightStep {
    pub kind: StepKind,
    pub text: String,
    pub technical: Option<String>,
    pub view: WireView,
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
    let lines: Vec<String> = smtp.iter().map(SmtpItem::summary).collect();
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
            (true, true) => format!("The {who} sends {} encrypted bytes.", wire.len()),
            (true, _) => format!("The {who} sends {tls_words}."),
            (false, true) => format!("Under TLS, the {who} sends {what}."),
            (false, false) => {
                format!("The {who} sends {tls_words}; right behind it, encrypted, {what}.")
            }
        }
    } else if what.is_empty() {
        format!("The {who} sends {} bytes: {}", wire.len(), quote(wire))
    } else {
        format!("The {who} sends {what}.")
    };
    let attacker_reads = if tls_records {
        format!("{} ({} bytes in all)", observer(&records), wire.len())
    } else {
        format!("everything, in the clear: {}", quote(wire))
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
