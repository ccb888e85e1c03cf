//! Supplementary RFC 5321 / RFC 2034 rules and the memory caps.

use crate::common::{codes, feed_server, server, talk};
use starttls_protocol::PeerError;
use starttls_protocol::limits::{EVENT_QUEUE_CAP, EVENT_STEP_MAX, INPUT_BUFFER_CAP, OUTGOING_CAP};
use starttls_protocol::rules::RuleId;
use starttls_protocol::server::{ServerEvent, ServerPolicy};

#[test]
fn rule_smtp_line_limit_long_command_line_gets_500() {
    let mut s = server(ServerPolicy::default());
    let long = format!("NOOP {}\r\nNOOP\r\n", "x".repeat(600));
    let (out, events) = talk(&mut s, &long);
    assert_eq!(out, "500 5.5.2 Line too long\r\n250 2.0.0 Ok\r\n");
    assert!(events.iter().any(|e| matches!(e, ServerEvent::ReplySent { rules, .. } if rules.contains(&RuleId::SmtpLineLimit))));
}

#[test]
fn rule_smtp_line_limit_a_line_that_never_ends_stays_bounded() {
    let mut s = server(ServerPolicy::default());
    let chunk = vec![b'A'; 64 * 1024];
    for _ in 0..64 {
        assert_eq!(s.receive(&chunk), chunk.len());
        assert!(s.buffered_len() <= INPUT_BUFFER_CAP);
    }
    assert!(s.take_outgoing().is_empty());
    let (out, _) = talk(&mut s, "\r\nNOOP\r\n");
    assert_eq!(out, "500 5.5.2 Line too long\r\n250 2.0.0 Ok\r\n");
}

#[test]
fn rule_smtp_line_limit_ten_thousand_pipelined_commands_stay_bounded() {
    let mut s = server(ServerPolicy::default());
    let flight = "NOOP\r\n".repeat(10_000);
    let mut rest = flight.as_bytes();
    let mut replies = 0;
    while !rest.is_empty() {
        let n = s.receive(rest);
        rest = &rest[n..];
        assert!(s.buffered_len() <= INPUT_BUFFER_CAP);
        assert!(s.pending_events() <= EVENT_QUEUE_CAP + EVENT_STEP_MAX);
        assert!(s.snapshot().pending_outgoing <= OUTGOING_CAP + 512);
        while s.poll_event().is_some() {}
        replies += codes(&String::from_utf8(s.take_outgoing()).unwrap()).len();
    }
    while s.poll_event().is_some() {}
    replies += codes(&String::from_utf8(s.take_outgoing()).unwrap()).len();
    assert_eq!(replies, 10_000);
}

#[test]
fn rule_smtp_rcpt_limit_101st_recipient_gets_452() {
    let mut s = server(ServerPolicy::default());
    let mut input = String::from("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n");
    for i in 0..101 {
        input.push_str(&format!("RCPT TO:<r{i}@d.example>\r\n"));
    }
    let mut events = Vec::new();
    feed_server(&mut s, input.as_bytes(), &mut events);
    let rcpt: Vec<u16> = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::ReplySent {
                reply,
                in_reply_to: Some(starttls_protocol::command::Verb::Rcpt),
                ..
            } => Some(reply.code),
            _ => None,
        })
        .collect();
    assert_eq!(rcpt.len(), 101);
    assert!(rcpt[..100].iter().all(|&c| c == 250));
    assert_eq!(rcpt[100], 452);
}

#[test]
fn rule_smtp_reply_codes_500_501_503() {
    let mut s = server(ServerPolicy::default());
    let (out, _) = talk(
        &mut s,
        "FROB\r\nEHLO\r\nRCPT TO:<a@b.example>\r\nDATA\r\nEHLO c.example\r\nMAIL FROM:<a@b.example>\r\nMAIL FROM:<a@b.example>\r\nDATA\r\n",
    );
    assert_eq!(codes(&out), [500, 501, 503, 503, 250, 250, 503, 503]);
    assert!(out.starts_with("500 5.5.2 Syntax error, command unrecognized\r\n"));
}

#[test]
fn rule_smtp_crlf_bare_lf_nul_and_8bit_get_500_naming_the_fault() {
    let table: &[(&[u8], &str)] = &[
        (
            b"NOOP\n",
            "500 5.5.2 Syntax error: bare LF received (lines must end with CRLF)\r\n",
        ),
        (
            b"NO\rOP\r\n",
            "500 5.5.2 Syntax error: bare CR received (CR is only allowed before LF)\r\n",
        ),
        (
            b"NOOP\0\r\n",
            "500 5.5.2 Syntax error: NUL character in command\r\n",
        ),
        (
            b"NOOP \xC3\xA9\r\n",
            "500 5.5.2 Syntax error: 8-bit octet 0xC3 in command (commands are 7-bit ASCII)\r\n",
        ),
        (
            b"NOOP \x07\r\n",
            "500 5.5.2 Syntax error: control character 0x07 in command\r\n",
        ),
    ];
    for (input, expected) in table {
        let mut s2 = server(ServerPolicy::default());
        let n = s2.receive(input);
        assert_eq!(n, input.len());
        let out = String::from_utf8(s2.take_outgoing()).unwrap();
        assert_eq!(&out, expected);
        let rejected = std::iter::from_fn(|| s2.poll_event())
            .any(|e| matches!(e, ServerEvent::InputRejected { .. }));
        assert!(rejected);
    }
    assert!(matches!(
        starttls_protocol::command::parse_command(b"NOOP\n")
            .unwrap_err()
            .error,
        PeerError::BareLf
    ));
}

#[test]
fn rule_esc_2034_codes_whether_or_not_the_client_used_ehlo() {
    let mut s = server(ServerPolicy::default());
    let (out, _) = talk(
        &mut s,
        "NOOP\r\nHELO c.example\r\nNOOP\r\nEHLO c.example\r\nNOOP\r\n",
    );
    // RFC 2034: codes on every 2xx/4xx/5xx reply but the greeting and the HELO/EHLO replies,
    // regardless of whether or not EHLO is employed by the client.
    assert!(
        out.starts_with(
            "220 mx.example.net ESMTP\r\n250 2.0.0 Ok\r\n250 mx.example.net\r\n250 2.0.0 Ok\r\n"
        ) || out.starts_with("250 2.0.0 Ok\r\n250 mx.example.net\r\n250 2.0.0 Ok\r\n"),
        "{out}"
    );
    assert!(out.ends_with("250 2.0.0 Ok\r\n"), "{out}");
    // The EHLO reply itself carries none.
    assert!(out.contains("250-mx.example.net at your service\r\n"));
}
