//! Two-machine tests: a client and a server talking through `Pair`, with an
//! optional man in the middle on the cleartext part of the wire.

use crate::common::{Dir, Pair};
use starttls_protocol::client::{ClientEvent, ClientOutcome, ClientPolicy, ClientScript, TlsMode};
use starttls_protocol::reply::Extension;
use starttls_protocol::rules::RuleId;
use starttls_protocol::server::{ServerEvent, ServerPolicy};
use starttls_protocol::transition;

fn delivered(p: &Pair) -> (bool, bool) {
    match p.client.outcome() {
        Some(ClientOutcome::Delivered { under_tls, .. }) => (true, *under_tls),
        _ => (false, false),
    }
}

#[test]
fn rfc3207_section5_example_dialogue() {
    let server = ServerPolicy {
        hostname: "mail.imc.org".into(),
        greeting: "SMTP service ready".into(),
        ehlo_greeting: "offers a warm hug of welcome".into(),
        extensions_before_tls: vec![
            Extension::keyword("8BITMIME"),
            Extension::keyword("STARTTLS"),
            Extension::keyword("DSN"),
        ],
        extensions_after_tls: vec![Extension::keyword("8BITMIME"), Extension::keyword("DSN")],
        ..ServerPolicy::default()
    };
    let client = ClientPolicy {
        expected_server_name: "mail.imc.org".into(),
        ..ClientPolicy::default()
    };
    let script = ClientScript {
        ehlo_name: "mail.example.com".into(),
        ..ClientScript::default()
    };
    let mut p = Pair::new(server, client, script);
    p.summary = starttls_protocol::TlsSummary::verified("mail.imc.org");
    p.run();
    let f = &p.flights;
    let text = |i: usize| String::from_utf8_lossy(&f[i].bytes).into_owned();
    assert_eq!(text(0), "220 mail.imc.org SMTP service ready\r\n");
    assert_eq!(text(1), "EHLO mail.example.com\r\n");
    assert_eq!(
        text(2),
        "250-mail.imc.org offers a warm hug of welcome\r\n250-8BITMIME\r\n250-STARTTLS\r\n250 DSN\r\n"
    );
    assert_eq!(text(3), "STARTTLS\r\n");
    assert_eq!(text(4), "220 Ready to start TLS\r\n");
    assert!(!f[4].under_tls);
    // <TLS negotiation>; then the client starts over with EHLO, under TLS.
    assert_eq!(text(5), "EHLO mail.example.com\r\n");
    assert!(f[5].under_tls);
    assert!(!text(6).contains("STARTTLS"));
    assert_eq!(delivered(&p), (true, true));
    assert!(p.server.is_closed() && p.client.is_finished());
}

#[test]
fn rule_both_know_tls_at_every_step_of_a_session() {
    let mut p = Pair::default_pair();
    p.run();
    assert_eq!(p.tls_disagreements, 0);
    assert_eq!(delivered(&p), (true, true));
    assert!(p.server_events.iter().any(|e| matches!(
        e,
        ServerEvent::MessageAccepted {
            under_tls: true,
            ..
        }
    )));
}

#[test]
fn rule_strip_defense_stripping_attack_against_both_client_modes() {
    let strip = |dir: Dir, _tls: bool, bytes: Vec<u8>| {
        if dir == Dir::ToClient {
            String::from_utf8(bytes)
                .unwrap()
                .replace("250-STARTTLS\r\n", "")
                .replace("250 STARTTLS\r\n", "250 X-STRIPPED\r\n")
                .into_bytes()
        } else {
            bytes
        }
    };
    // Opportunistic: the lesson — mail goes in the clear.
    let mut p = Pair::default_pair();
    p.tamper = Some(Box::new(strip));
    p.run();
    assert_eq!(delivered(&p), (true, false));
    // Required: the client refuses and QUITs before any mail.
    let mut p = Pair::new(
        ServerPolicy::default(),
        ClientPolicy {
            tls: TlsMode::Required,
            ..ClientPolicy::default()
        },
        ClientScript::default(),
    );
    p.tamper = Some(Box::new(strip));
    p.run();
    assert!(matches!(
        p.client.outcome(),
        Some(ClientOutcome::TlsUnavailable { .. })
    ));
    assert!(!p.wire(Dir::ToServer).contains("MAIL FROM"));
}

#[test]
fn rule_server_discard_command_injection_attack_is_defeated() {
    // The attacker appends commands to the client's STARTTLS flight.
    let inject = |dir: Dir, _tls: bool, mut bytes: Vec<u8>| {
        if dir == Dir::ToServer && bytes == b"STARTTLS\r\n" {
            bytes.extend_from_slice(
                b"MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@example.net>\r\n",
            );
        }
        bytes
    };
    let mut p = Pair::default_pair();
    p.tamper = Some(Box::new(inject));
    p.run();
    assert!(
        p.server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::PlaintextDiscarded { .. }))
    );
    assert!(!p.server_events.iter().any(|e| matches!(e,
        ServerEvent::CommandReceived { command: starttls_protocol::Command::Mail { reverse_path, .. }, .. } if reverse_path.contains("evil"))));
    assert_eq!(delivered(&p), (true, true));
    // With the CVE-2011-0411 toggle, the injected MAIL runs "under TLS", and the replies
    // desynchronise the client.
    let mut server = ServerPolicy::default();
    server.teaching.process_plaintext_after_starttls = true;
    let mut p = Pair::new(server, ClientPolicy::default(), ClientScript::default());
    p.tamper = Some(Box::new(inject));
    p.run();
    assert!(p.server_events.iter().any(|e| matches!(e,
        ServerEvent::CommandReceived { command: starttls_protocol::Command::Mail { reverse_path, .. }, under_tls: true } if reverse_path.contains("evil"))));
    assert_ne!(delivered(&p), (true, true));
}

#[test]
fn rule_client_discard_response_injection_attack_is_defeated() {
    let inject = |dir: Dir, _tls: bool, mut bytes: Vec<u8>| {
        if dir == Dir::ToClient && bytes.ends_with(b"220 2.0.0 Ready to start TLS\r\n") {
            bytes.extend_from_slice(b"250-mx.example.net\r\n250 AUTH PLAIN\r\n");
        }
        bytes
    };
    let mut p = Pair::default_pair();
    p.tamper = Some(Box::new(inject));
    p.run();
    assert!(
        p.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::PlaintextDiscarded { .. }))
    );
    assert_eq!(delivered(&p), (true, true));
}

#[test]
fn rule_ext_may_differ_knowledge_poisoning_is_undone_by_the_second_ehlo() {
    // The attacker edits the cleartext EHLO reply; the client asks again under TLS.
    let poison = |dir: Dir, _tls: bool, bytes: Vec<u8>| {
        if dir == Dir::ToClient {
            String::from_utf8(bytes)
                .unwrap()
                .replace("250-PIPELINING\r\n", "250-PIPELINING\r\n250-X-POISON\r\n")
                .into_bytes()
        } else {
            bytes
        }
    };
    let mut p = Pair::default_pair();
    p.tamper = Some(Box::new(poison));
    p.run();
    let discarded_poison = p.client_events.iter().any(|e| {
        matches!(e,
        ClientEvent::KnowledgeDiscarded { item, .. } if item.value.contains("X-POISON"))
    });
    assert!(discarded_poison);
    assert!(p.client.ehlo_reply().is_none_or(|e| !e.has("X-POISON")));
}

#[test]
fn rule_require_530_pair_client_gets_through_with_tls() {
    let mut p = Pair::new(
        ServerPolicy::requiring_tls(),
        ClientPolicy::default(),
        ClientScript::default(),
    );
    p.run();
    assert_eq!(delivered(&p), (true, true));
    // A client that never uses TLS is refused and QUITs.
    let mut p = Pair::new(
        ServerPolicy::requiring_tls(),
        ClientPolicy {
            tls: TlsMode::Never,
            ..ClientPolicy::default()
        },
        ClientScript::default(),
    );
    p.run();
    assert!(matches!(
        p.client.outcome(),
        Some(ClientOutcome::Refused { code: 530, .. })
    ));
}

#[test]
fn rule_smtp_dot_stuffing_body_survives_the_round_trip() {
    let body = "Subject: dots\r\n\r\n.leading dot\r\n..two\r\n.\r\nend\r\n";
    let script = ClientScript {
        body: body.into(),
        ..ClientScript::default()
    };
    let mut p = Pair::new(ServerPolicy::default(), ClientPolicy::default(), script);
    p.run();
    let got = p.server_events.iter().find_map(|e| match e {
        ServerEvent::MessageAccepted { body, .. } => Some(body.clone()),
        _ => None,
    });
    assert_eq!(got.as_deref(), Some(body));
    assert!(
        p.wire(Dir::ToServer)
            .contains("\r\n..leading dot\r\n...two\r\n..\r\nend\r\n.\r\n")
    );
}

#[test]
fn transitions_tables_cover_every_observed_state_change() {
    use starttls_protocol::client::TRANSITIONS as CLIENT;
    use starttls_protocol::server::TRANSITIONS as SERVER;
    let mut pairs = vec![
        Pair::default_pair(),
        Pair::new(
            ServerPolicy::requiring_tls(),
            ClientPolicy::default(),
            ClientScript::default(),
        ),
        Pair::new(
            ServerPolicy::default(),
            ClientPolicy {
                tls: TlsMode::Never,
                pipelining: false,
                ..ClientPolicy::default()
            },
            ClientScript::default(),
        ),
        Pair::new(
            ServerPolicy::default(),
            ClientPolicy::strict("other.example"),
            ClientScript::default(),
        ),
    ];
    let mut seen = 0;
    for p in &mut pairs {
        p.run();
        for e in &p.server_events {
            if let ServerEvent::StateChanged {
                from,
                on,
                to,
                rules,
            } = e
            {
                let row = transition::lookup(SERVER, *from, *on).expect("server row");
                assert_eq!(row.to, *to);
                assert_eq!(row.rules, rules.as_slice());
                seen += 1;
            }
        }
        for e in &p.client_events {
            if let ClientEvent::StateChanged {
                from,
                on,
                to,
                rules,
            } = e
            {
                let row = transition::lookup(CLIENT, *from, *on).expect("client row");
                assert_eq!(row.to, *to);
                assert_eq!(row.rules, rules.as_slice());
                seen += 1;
            }
        }
    }
    assert!(seen > 20);
    // The tables serialize for the UI.
    let json = serde_json::to_value(SERVER).unwrap();
    assert_eq!(json[0]["from"], "Initial");
    assert!(SERVER.iter().any(|t| t.rules.contains(&RuleId::Reset)));
    // Each (from, on) pair has one row: the table decides.
    assert!(transition::duplicates(SERVER).is_empty());
    assert!(transition::duplicates(CLIENT).is_empty());
}

/// The table rows a simulated dialogue cannot reach (the engine's client always sends EHLO
/// first and its server never refuses EHLO), driven here with scripted peers, so that every
/// row of both tables is reached by some test.
#[test]
fn table_rows_only_scripted_peers_reach() {
    use crate::common::{hear, server, talk};
    use starttls_protocol::client::Client;
    use starttls_protocol::client::{ClientStateId as CS, ClientTrigger as CT, Next};
    use starttls_protocol::server::{
        Kept, SecondStarttlsReply, ServerStateId as SS, ServerTeaching, ServerTrigger as ST,
    };
    use starttls_protocol::tls::TlsSummary;
    let took_client = |events: &[ClientEvent], from: CS, on: CT| {
        events.iter().any(|e| matches!(e, ClientEvent::StateChanged { from: f, on: o, .. } if *f == from && *o == on))
    };
    let took_server = |events: &[ServerEvent], from: SS, on: ST| {
        events.iter().any(|e| matches!(e, ServerEvent::StateChanged { from: f, on: o, .. } if *f == from && *o == on))
    };
    let tls = TlsSummary::verified("mx.example.net");
    let keep = ServerPolicy {
        teaching: ServerTeaching {
            keep_pre_tls_knowledge: true,
            ..ServerTeaching::default()
        },
        ..ServerPolicy::default()
    };
    // Server: STARTTLS before EHLO, kept knowledge of nothing.
    let mut s = server(keep.clone());
    talk(&mut s, "STARTTLS\r\n");
    s.tls_established(tls.clone()).unwrap();
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(took_server(
        &events,
        SS::TlsHandshake,
        ST::TlsEstablishedKept(Kept::Nothing)
    ));
    // Server: STARTTLS inside a transaction, kept envelope.
    let mut s = server(keep);
    talk(
        &mut s,
        "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nSTARTTLS\r\n",
    );
    s.tls_established(tls.clone()).unwrap();
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(took_server(
        &events,
        SS::TlsHandshake,
        ST::TlsEstablishedKept(Kept::Envelope)
    ));
    // Server: aiosmtpd's 220 to a STARTTLS under TLS, right after the handshake.
    let mut s = server(ServerPolicy {
        second_starttls: SecondStarttlsReply::Aiosmtpd220,
        ..ServerPolicy::default()
    });
    talk(&mut s, "EHLO c.example\r\nSTARTTLS\r\n");
    s.tls_established(tls.clone()).unwrap();
    let (_, events) = talk(&mut s, "STARTTLS\r\n");
    assert!(took_server(&events, SS::Initial, ST::Starttls220UnderTls));

    let fresh = || {
        Client::new(
            ClientPolicy {
                expected_server_name: "mx.example.net".into(),
                ..ClientPolicy::default()
            },
            ClientScript::default(),
        )
        .unwrap()
    };
    // Client: a greeting that is not 220.
    let mut c = fresh();
    let (_, events) = hear(&mut c, "554 no service here\r\n");
    assert!(took_client(&events, CS::AwaitGreeting, CT::GreetingRefused));
    // Client: EHLO refused, HELO accepted without STARTTLS (TLS when possible), then 421.
    let mut c = fresh();
    hear(&mut c, "220 mx.example.net ESMTP\r\n");
    let (out, events) = hear(&mut c, "502 5.5.1 EHLO not implemented\r\n");
    assert!(took_client(&events, CS::AwaitEhlo, CT::EhloRefused));
    assert!(out.starts_with("HELO "));
    let (_, events) = hear(&mut c, "250 mx.example.net\r\n");
    assert!(took_client(
        &events,
        CS::AwaitHelo,
        CT::HeloWithoutStarttls(Next::Mail)
    ));
    let (_, events) = hear(&mut c, "421 4.3.2 shutting down\r\n");
    assert!(events.iter().any(|e| matches!(
        e,
        ClientEvent::StateChanged {
            on: CT::Reply421,
            ..
        }
    )));
    // Client: HELO refused; and HELO accepted with TLS required, or not wanted.
    let mut c = fresh();
    hear(&mut c, "220 mx.example.net ESMTP\r\n");
    hear(&mut c, "500 5.5.2 what?\r\n");
    let (_, events) = hear(&mut c, "550 5.7.1 go away\r\n");
    assert!(took_client(&events, CS::AwaitHelo, CT::HeloRefused));
    for (mode, on) in [
        (
            starttls_protocol::client::TlsMode::Required,
            CT::HeloWithoutStarttls(Next::Quit),
        ),
        (
            starttls_protocol::client::TlsMode::Never,
            CT::HeloAccepted(Next::Mail),
        ),
    ] {
        let mut c = Client::new(
            ClientPolicy {
                expected_server_name: "mx.example.net".into(),
                tls: mode,
                ..ClientPolicy::default()
            },
            ClientScript::default(),
        )
        .unwrap();
        hear(&mut c, "220 mx.example.net ESMTP\r\n");
        hear(&mut c, "500 5.5.2 what?\r\n");
        let (_, events) = hear(&mut c, "250 mx.example.net\r\n");
        assert!(took_client(&events, CS::AwaitHelo, on), "{mode:?}");
    }
    // Client: a malformed reply.
    let mut c = fresh();
    let (_, events) = hear(&mut c, "hello there\r\n");
    assert!(events.iter().any(|e| matches!(
        e,
        ClientEvent::StateChanged {
            on: CT::PeerViolation,
            ..
        }
    )));
}
