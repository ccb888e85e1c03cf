//! Sentences for people: what each flight and each machine event means, with the rules it
//! applies. The engine decides; this module only words it: `flight` the wire, `events`
//! the machines' events and decisions; here, the words both use.

mod events;
#[cfg(feature = "engine")]
mod flight;

pub use events::*;
#[cfg(feature = "engine")]
pub use flight::*;

use starttls_protocol::knowledge::{KnowledgeItem, KnowledgeKey, Provenance, escape_bytes};

use crate::trace::Actor;

/// Bytes as text with `\r`, `\n` and `\xNN` escapes.
pub fn escape(bytes: &[u8]) -> String {
    escape_bytes(bytes)
}

/// A real peer's flight past the trace's budget (`REMOTE_BYTES_KEPT`).
pub fn flight_not_kept(actor: Actor, len: usize, budget: usize) -> String {
    format!(
        "The {} sends {len} more bytes. The trace does not keep them: it keeps the first {} KiB a real peer sends.",
        side(actor),
        budget / 1024
    )
}

/// The most bytes a sentence quotes; the rest is counted, not shown (the wire view has them).
pub const QUOTE_MAX: usize = 512;

/// Bytes as [`escape`] writes them, at most [`QUOTE_MAX`] of them.
pub fn quote(bytes: &[u8]) -> String {
    if bytes.len() <= QUOTE_MAX {
        return escape(bytes);
    }
    format!(
        "{}… (the first {QUOTE_MAX} bytes)",
        escape(&bytes[..QUOTE_MAX])
    )
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
