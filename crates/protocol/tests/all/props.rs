//! Property tests, each with at least 1,000 cases.

use crate::common::{Pair, ehlo_reply};
use proptest::prelude::*;
use starttls_protocol::client::{
    Client, ClientEvent, ClientPolicy, ClientScript, TlsFallback, TlsMode,
};
use starttls_protocol::command::Verb;
use starttls_protocol::limits::{EVENT_QUEUE_CAP, EVENT_STEP_MAX, INPUT_BUFFER_CAP, OUTGOING_CAP};
use starttls_protocol::reply::Extension;
use starttls_protocol::server::{
    SecondStarttlsReply, Server, ServerEvent, ServerPolicy, StarttlsOffer,
};
use starttls_protocol::{Command, TlsSummary};

const PRE_TLS_LINES: &[&str] = &[
    "EHLO c.example",
    "HELO c.example",
    "MAIL FROM:<a@b.example>",
    "MAIL FROM:<>",
    "RCPT TO:<r@d.example>",
    "RSET",
    "NOOP",
    "VRFY bob",
    "HELP",
    "AUTH PLAIN AGJvYgBzZWNyZXQ=",
    "STARTTLS x",
    "Subject: hi",
    ".",
];

const ANY_LINES: &[&str] = &[
    "EHLO c.example",
    "HELO c.example",
    "MAIL FROM:<a@b.example>",
    "RCPT TO:<r@d.example>",
    "DATA",
    "RSET",
    "NOOP",
    "VRFY bob",
    "HELP",
    "STARTTLS",
    "AUTH PLAIN",
    "AUTH PLAIN AGJvYgBzZWNyZXQ=",
    "QUIT",
    ".",
    "..x",
];

fn line_from(table: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(table).prop_map(str::to_string),
        1 => "[ -~]{0,30}",
    ]
}

fn lines(table: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(line_from(table), 0..max).prop_map(|v| {
        let mut s = v.join("\r\n");
        if !s.is_empty() {
            s.push_str("\r\n");
        }
        s
    })
}

fn extensions() -> impl Strategy<Value = Vec<Extension>> {
    proptest::sample::subsequence(
        vec![
            "PIPELINING",
            "STARTTLS",
            "AUTH PLAIN",
            "8BITMIME",
            "ENHANCEDSTATUSCODES",
            "DSN",
        ],
        0..6,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|e| match e.split_once(' ') {
                Some((k, p)) => Extension::new(k, &[p]),
                None => Extension::keyword(e),
            })
            .collect()
    })
}

fn server_policy() -> impl Strategy<Value = ServerPolicy> {
    (
        extensions(),
        extensions(),
        any::<bool>(),
        prop_oneof![
            Just(SecondStarttlsReply::BadSequence503),
            Just(SecondStarttlsReply::Postfix554),
            Just(SecondStarttlsReply::OpenSmtpd503),
            Just(SecondStarttlsReply::Aiosmtpd220),
        ],
        any::<bool>(),
    )
        .prop_map(|(before, after, require, second, advertise_after)| {
            let mut p = ServerPolicy {
                extensions_before_tls: before,
                extensions_after_tls: after,
                require_tls: require,
                publicly_referenced: !require,
                second_starttls: second,
                ..ServerPolicy::default()
            };
            p.teaching.advertise_starttls_after_tls = advertise_after;
            p
        })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(1000)
    }
}

fn drain_server(s: &mut Server) -> Vec<ServerEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn feed(s: &mut Server, bytes: &[u8]) -> Vec<ServerEvent> {
    let mut events = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = s.receive(rest);
        rest = &rest[n..];
        events.extend(drain_server(s));
        let _ = s.take_outgoing();
    }
    events.extend(drain_server(s));
    events
}

proptest! {
    #![proptest_config(config())]

    /// 1. REQUIRE-530: with TLS required, no 2xx or 3xx to MAIL, RCPT, DATA or VRFY before TLS.
    #[test]
    fn prop_require_530_no_positive_reply_to_mail_rcpt_data_vrfy_before_tls(input in lines(ANY_LINES, 40)) {
        let mut s = Server::new(ServerPolicy::requiring_tls()).unwrap();
        let events = feed(&mut s, input.as_bytes());
        prop_assert!(!s.is_tls_active());
        for e in &events {
            if let ServerEvent::ReplySent { reply, in_reply_to: Some(verb), .. } = e
                && matches!(verb, Verb::Mail | Verb::Rcpt | Verb::Data | Verb::Vrfy)
            {
                prop_assert!(reply.code >= 400, "{verb:?} got {}", reply);
            }
            let accepted = matches!(e, ServerEvent::MessageAccepted { .. });
            prop_assert!(!accepted);
        }
    }

    /// 2. NO-STARTTLS-AFTER: STARTTLS is never advertised after TLS (toggle off).
    #[test]
    fn prop_no_starttls_after_never_advertised_under_tls(
        mut policy in server_policy(),
        pre in lines(PRE_TLS_LINES, 10),
        post in lines(ANY_LINES, 20),
    ) {
        policy.teaching.advertise_starttls_after_tls = false;
        let mut s = Server::new(policy).unwrap();
        feed(&mut s, format!("{pre}STARTTLS\r\n").as_bytes());
        prop_assert_eq!(s.state_name(), "TlsHandshake");
        s.tls_established(TlsSummary::verified("mx.example.net")).unwrap();
        let events = feed(&mut s, format!("EHLO c.example\r\n{post}").as_bytes());
        let mut ehlo_replies = 0;
        for e in &events {
            if let ServerEvent::ReplySent { reply, in_reply_to: Some(Verb::Ehlo), .. } = e
                && reply.code == 250
            {
                ehlo_replies += 1;
                prop_assert!(reply.lines.iter().all(|l| !l.eq_ignore_ascii_case("STARTTLS")), "{}", reply);
            }
        }
        prop_assert!(ehlo_replies >= 1);
    }

    /// 3. SERVER-DISCARD: after the handshake, no byte received before it is interpreted.
    #[test]
    fn prop_server_discard_no_pre_handshake_byte_is_interpreted(
        pre in lines(PRE_TLS_LINES, 8),
        injected in proptest::collection::vec(any::<u8>(), 0..300),
        late in lines(ANY_LINES, 5),
        k in 1usize..5,
    ) {
        let mut s = Server::new(ServerPolicy::default()).unwrap();
        let mut flight = format!("{pre}STARTTLS\r\n").into_bytes();
        flight.extend_from_slice(&injected);
        feed(&mut s, &flight);
        prop_assert_eq!(s.state_name(), "TlsHandshake");
        feed(&mut s, late.as_bytes());
        s.tls_established(TlsSummary::verified("mx.example.net")).unwrap();
        let _ = s.take_outgoing();
        let at_handshake = drain_server(&mut s);
        let interpreted_at_handshake = at_handshake.iter().any(|e| matches!(e,
            ServerEvent::CommandReceived { .. } | ServerEvent::InputRejected { .. } | ServerEvent::ReplySent { .. }));
        prop_assert!(!interpreted_at_handshake);
        let events = feed(&mut s, "NOOP post\r\n".repeat(k).as_bytes());
        let interpreted: Vec<_> = events.iter().filter(|e| matches!(e,
            ServerEvent::CommandReceived { .. } | ServerEvent::InputRejected { .. })).collect();
        prop_assert_eq!(interpreted.len(), k);
        for e in interpreted {
            let is_post_noop = matches!(e, ServerEvent::CommandReceived { command: Command::Noop { argument: Some(a) }, under_tls: true } if a == "post");
            prop_assert!(is_post_noop);
        }
    }

    /// 3b. CLIENT-DISCARD: bytes after the 220 are never read as replies.
    #[test]
    fn prop_client_discard_no_pre_handshake_byte_is_interpreted(
        injected in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut c = Client::new(ClientPolicy::default(), ClientScript::default()).unwrap();
        let mut flight = b"220 mx.example.net ESMTP\r\n".to_vec();
        let _ = c.receive(&flight);
        let _ = c.take_outgoing();
        flight = ehlo_reply(&["STARTTLS"]).into_bytes();
        let _ = c.receive(&flight);
        prop_assert_eq!(c.take_outgoing(), b"STARTTLS\r\n".to_vec());
        let mut flight = b"220 Ready to start TLS\r\n".to_vec();
        flight.extend_from_slice(&injected);
        prop_assert_eq!(c.receive(&flight), flight.len());
        while c.poll_event().is_some() {}
        c.tls_established(TlsSummary::verified("mx.example.net")).unwrap();
        let at_handshake: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
        let read_at_handshake = at_handshake.iter().any(|e| matches!(e, ClientEvent::ReplyReceived { .. } | ClientEvent::ProtocolViolation { .. }));
        prop_assert!(!read_at_handshake);
        prop_assert_eq!(c.take_outgoing(), b"EHLO client.example.org\r\n".to_vec());
        let reply = "250 mx.example.net post-tls\r\n";
        let _ = c.receive(reply.as_bytes());
        let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
        let read: Vec<_> = events.iter().filter_map(|e| match e {
            ClientEvent::ReplyReceived { reply, .. } => Some(reply.text()),
            _ => None,
        }).collect();
        prop_assert_eq!(read, vec!["mx.example.net post-tls".to_string()]);
    }

    /// 4. NO-TLS-TWICE: the client never sends STARTTLS while TLS is active (toggle off).
    #[test]
    fn prop_no_tls_twice_client_never_sends_starttls_under_tls(
        policy in server_policy(),
        offer in prop_oneof![Just(StarttlsOffer::Offered), Just(StarttlsOffer::NotOffered),
                             Just(StarttlsOffer::TemporarilyUnavailable), Just(StarttlsOffer::AdvertisedButUnavailable)],
        mode in prop_oneof![Just(TlsMode::Never), Just(TlsMode::Opportunistic), Just(TlsMode::Required)],
        pipelining in any::<bool>(),
        on_454 in prop_oneof![Just(TlsFallback::ContinueInClear), Just(TlsFallback::Quit)],
    ) {
        let mut policy = policy;
        policy.starttls = offer;
        if policy.require_tls && offer == StarttlsOffer::NotOffered {
            policy.starttls = StarttlsOffer::Offered;
        }
        let client = ClientPolicy { tls: mode, pipelining, on_454, ..ClientPolicy::default() };
        let mut p = Pair::new(policy, client, ClientScript::default());
        p.run();
        for e in &p.client_events {
            let twice = matches!(e, ClientEvent::CommandSent { command: Command::StartTls, under_tls: true, .. });
            prop_assert!(!twice);
        }
        prop_assert_eq!(p.tls_disagreements, 0);
        prop_assert!(p.client.outcome().is_some());
    }

    /// 5. Arbitrary bytes never panic either machine, and buffers stay within their caps.
    #[test]
    fn prop_arbitrary_bytes_never_panic_and_stay_bounded(
        policy in server_policy(),
        chunks in proptest::collection::vec(prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..700),
            lines(ANY_LINES, 12).prop_map(String::into_bytes),
        ], 0..12),
        handshake_at in proptest::option::of(0usize..12),
        drain_every in 1usize..4,
    ) {
        let mut s = Server::new(policy).unwrap();
        let mut c = Client::new(ClientPolicy::default(), ClientScript::default()).unwrap();
        let _ = c.receive(b"220 mx.example.net hi\r\n");
        for (i, chunk) in chunks.iter().enumerate() {
            if handshake_at == Some(i) {
                let _ = s.tls_established(TlsSummary::verified("mx.example.net"));
                let _ = c.tls_established(TlsSummary::verified("mx.example.net"));
            }
            let mut rest = &chunk[..];
            let mut guard = 0;
            while !rest.is_empty() && guard < 10_000 {
                let n = s.receive(rest);
                rest = &rest[n..];
                guard += 1;
                prop_assert!(s.buffered_len() <= INPUT_BUFFER_CAP);
                prop_assert!(s.pending_events() <= EVENT_QUEUE_CAP + EVENT_STEP_MAX);
                prop_assert!(s.snapshot().pending_outgoing <= OUTGOING_CAP + 4096);
                if n == 0 || i % drain_every == 0 {
                    while s.poll_event().is_some() {}
                    let _ = s.take_outgoing();
                }
            }
            prop_assert!(rest.is_empty());
            let mut rest = &chunk[..];
            while !rest.is_empty() {
                let n = c.receive(rest);
                rest = &rest[n..];
                prop_assert!(c.buffered_len() <= INPUT_BUFFER_CAP);
                prop_assert!(c.pending_events() <= EVENT_QUEUE_CAP + EVENT_STEP_MAX);
                while c.poll_event().is_some() {}
                let _ = c.take_outgoing();
            }
            let _ = serde_json::to_string(&s.snapshot()).unwrap();
            let _ = serde_json::to_string(&c.snapshot()).unwrap();
        }
    }
}
