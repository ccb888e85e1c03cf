//! The client machine fed arbitrary reply bytes in chunks, interleaved with the TLS layer's
//! `tls_established` and `tls_failed`.
//!
//! Input: the first byte chooses the policy (TLS never, when possible, or required; the
//! teaching toggles); the rest is the server's bytes, where `0xFF` means "the handshake
//! completed" and `0xFE` "the handshake failed", so a golden transcript's server side is a
//! seed as it stands.
//!
//! Asserted, as far as this side can see:
//! - CLIENT-DISCARD: no byte received before the handshake is read as a reply after it.
//! - NO-TLS-TWICE: a compliant client never sends STARTTLS while TLS is active.
//! - STRIP-DEFENSE: a client that requires TLS never sends MAIL in the clear.
//! - Buffers stay within `limits`.
#![no_main]

mod chunks;

use libfuzzer_sys::fuzz_target;
use starttls_protocol::client::{
    Client, ClientEvent, ClientPolicy, ClientScript, ClientTeaching, TlsMode,
};
use starttls_protocol::limits::{
    EVENT_QUEUE_CAP, EVENT_STEP_MAX, INPUT_BUFFER_CAP, OUTGOING_CAP, REPLY_LINE_MAX,
    REPLY_LINES_MAX,
};
use starttls_protocol::{Command, TlsSummary};

struct Watch {
    compliant: bool,
    required: bool,
}

/// Drains events and output, checking each, until nothing is left: taking the outgoing
/// bytes resumes processing of input already taken, which may queue more events.
fn drain(client: &mut Client, w: &Watch, fresh: bool) {
    loop {
        drain_once(client, w, fresh);
        if client.pending_events() == 0 {
            return;
        }
    }
}

fn drain_once(client: &mut Client, w: &Watch, fresh: bool) {
    assert!(client.buffered_len() <= INPUT_BUFFER_CAP);
    // The documented bound (`limits::EVENT_STEP_MAX`): the step in progress completes.
    assert!(client.pending_events() <= EVENT_QUEUE_CAP + EVENT_STEP_MAX);
    while let Some(event) = client.poll_event() {
        match &event {
            ClientEvent::ReplyReceived { under_tls, .. } if *under_tls && w.compliant && !fresh => {
                panic!("CLIENT-DISCARD: a reply read after the handshake from bytes sent before it")
            }
            ClientEvent::CommandSent {
                command, under_tls, ..
            } => {
                if w.compliant && *under_tls {
                    assert_ne!(*command, Command::StartTls, "NO-TLS-TWICE");
                }
                if w.required && !*under_tls {
                    assert!(
                        !matches!(command, Command::Mail { .. }),
                        "STRIP-DEFENSE: MAIL in the clear by a client that requires TLS"
                    );
                }
            }
            _ => {}
        }
    }
    // The documented bound (`limits`): OUTGOING_CAP, plus one reply (or command line).
    let out = client.take_outgoing().len();
    assert!(
        out <= OUTGOING_CAP + REPLY_LINES_MAX * (REPLY_LINE_MAX + 2),
        "{out} bytes outgoing"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&cfg, rest)) = data.split_first() else {
        return;
    };
    let policy = ClientPolicy {
        tls: match cfg & 3 {
            0 => TlsMode::Never,
            1 => TlsMode::Opportunistic,
            _ => TlsMode::Required,
        },
        pipelining: cfg & 0x04 != 0,
        teaching: ClientTeaching {
            keep_pre_tls_knowledge: cfg & 0x08 != 0,
            accept_replies_buffered_after_220: cfg & 0x10 != 0,
            send_starttls_twice: cfg & 0x20 != 0,
        },
        ..ClientPolicy::default()
    };
    let w = Watch {
        compliant: cfg & 0x38 == 0,
        required: policy.tls == TlsMode::Required,
    };
    let Ok(mut client) = Client::new(policy, ClientScript::default()) else {
        return;
    };
    drain(&mut client, &w, true);
    let mut fresh = true;
    chunks::split(rest, |piece| match piece {
        chunks::Piece::Bytes(mut input) => {
            while !input.is_empty() {
                let n = client.receive(input);
                if n > 0 {
                    fresh = true;
                }
                drain(&mut client, &w, fresh);
                if n == 0 {
                    break;
                }
                input = &input[n..];
            }
        }
        chunks::Piece::Established => {
            if client
                .tls_established(TlsSummary::verified("mail.example.test"))
                .is_ok()
            {
                fresh = false;
            }
            drain(&mut client, &w, fresh);
        }
        chunks::Piece::Failed => {
            let _ = client.tls_failed("the fuzzer's handshake failed");
            drain(&mut client, &w, fresh);
        }
    });
});
