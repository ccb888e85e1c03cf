//! The server machine fed arbitrary byte chunks, interleaved with the TLS layer's
//! `tls_established` and `tls_failed`.
//!
//! Input: the first byte chooses the policy (require TLS, how STARTTLS is offered, the
//! teaching toggles); the rest is the client's bytes, where `0xFF` means "the handshake
//! completed" and `0xFE` "the handshake failed". So a golden transcript's client side, with
//! `0xFF` after its STARTTLS, is a seed as it stands.
//!
//! Asserted, as far as this side can see (rule IDs of `rfc3207-rules.md`):
//! - REQUIRE-530: a compliant server that requires TLS never gives a positive reply to MAIL,
//!   RCPT, DATA or VRFY before TLS.
//! - SERVER-DISCARD: no byte received before the handshake is read as a command after it.
//! - NO-STARTTLS-AFTER: an EHLO reply under TLS does not list STARTTLS.
//! - Buffers stay within `limits`.
#![no_main]

mod chunks;

use libfuzzer_sys::fuzz_target;
use starttls_protocol::TlsSummary;
use starttls_protocol::command::Verb;
use starttls_protocol::limits::{
    EVENT_QUEUE_CAP, EVENT_STEP_MAX, INPUT_BUFFER_CAP, OUTGOING_CAP, REPLY_LINE_MAX,
    REPLY_LINES_MAX,
};
use starttls_protocol::server::{Server, ServerEvent, ServerPolicy, ServerTeaching, StarttlsOffer};

fn policy(cfg: u8) -> ServerPolicy {
    ServerPolicy {
        require_tls: cfg & 1 != 0,
        starttls: match (cfg >> 1) & 3 {
            0 | 1 => StarttlsOffer::Offered,
            2 => StarttlsOffer::NotOffered,
            _ => StarttlsOffer::TemporarilyUnavailable,
        },
        teaching: ServerTeaching {
            process_plaintext_after_starttls: cfg & 0x08 != 0,
            keep_pre_tls_knowledge: cfg & 0x10 != 0,
            advertise_starttls_after_tls: cfg & 0x20 != 0,
        },
        ..ServerPolicy::default()
    }
}

/// Drains events and output, checking each, until nothing is left: taking the outgoing
/// bytes resumes processing of input already taken, which may queue more events. `fresh` is
/// false while no byte has been fed since the handshake completed.
fn drain(
    server: &mut Server,
    compliant: bool,
    require_tls: bool,
    advertise_after: bool,
    fresh: bool,
) {
    loop {
        drain_once(server, compliant, require_tls, advertise_after, fresh);
        if server.pending_events() == 0 {
            return;
        }
    }
}

fn drain_once(
    server: &mut Server,
    compliant: bool,
    require_tls: bool,
    advertise_after: bool,
    fresh: bool,
) {
    assert!(server.buffered_len() <= INPUT_BUFFER_CAP);
    // The documented bound (`limits::EVENT_STEP_MAX`): the step in progress completes.
    assert!(server.pending_events() <= EVENT_QUEUE_CAP + EVENT_STEP_MAX);
    let tls = server.is_tls_active();
    while let Some(event) = server.poll_event() {
        match &event {
            ServerEvent::CommandReceived { under_tls, .. } if *under_tls && compliant && !fresh => {
                panic!(
                    "SERVER-DISCARD: a command read after the handshake from bytes sent before it"
                )
            }
            ServerEvent::ReplySent {
                reply, in_reply_to, ..
            } => {
                let verb = *in_reply_to;
                if compliant && require_tls && !tls && reply.code < 400 {
                    assert!(
                        !matches!(
                            verb,
                            Some(Verb::Mail | Verb::Rcpt | Verb::Data | Verb::Vrfy)
                        ),
                        "REQUIRE-530: {reply:?} to {verb:?} before TLS"
                    );
                }
                if tls && !advertise_after && verb == Some(Verb::Ehlo) && reply.code == 250 {
                    assert!(
                        !reply.lines.iter().skip(1).any(|l| l
                            .split_whitespace()
                            .next()
                            .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))),
                        "NO-STARTTLS-AFTER: {reply:?}"
                    );
                }
            }
            _ => {}
        }
    }
    // The documented bound (`limits`): OUTGOING_CAP, plus one reply (or command line).
    let out = server.take_outgoing().len();
    assert!(
        out <= OUTGOING_CAP + REPLY_LINES_MAX * (REPLY_LINE_MAX + 2),
        "{out} bytes outgoing"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&cfg, rest)) = data.split_first() else {
        return;
    };
    let p = policy(cfg);
    let compliant = cfg & 0x38 == 0;
    let (require_tls, advertise_after) = (p.require_tls, p.teaching.advertise_starttls_after_tls);
    let Ok(mut server) = Server::new(p) else {
        return;
    };
    drain(&mut server, compliant, require_tls, advertise_after, true);
    let mut fresh = true;
    chunks::split(rest, |piece| match piece {
        chunks::Piece::Bytes(mut input) => {
            while !input.is_empty() {
                let n = server.receive(input);
                if n > 0 {
                    fresh = true;
                }
                drain(&mut server, compliant, require_tls, advertise_after, fresh);
                if n == 0 {
                    break;
                }
                input = &input[n..];
            }
        }
        chunks::Piece::Established => {
            if server
                .tls_established(TlsSummary::verified("mail.example.test"))
                .is_ok()
            {
                fresh = false;
            }
            drain(&mut server, compliant, require_tls, advertise_after, fresh);
        }
        chunks::Piece::Failed => {
            let _ = server.tls_failed("the fuzzer's handshake failed");
            drain(&mut server, compliant, require_tls, advertise_after, fresh);
        }
    });
});
