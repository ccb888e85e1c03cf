//! Real clients (swaks, msmtp, smtplib) against the lab's server: delivery, 530, the limits,
//! and what each does when the server injects replies or lists STARTTLS under TLS.

use super::*;

#[test]
fn swaks_delivers_under_tls_to_the_compliant_lab_server() {
    let lab = Lab::start("swaks", &[]);
    let out = swaks(&lab, &["--tls"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("250 2.0.0"), "{}", text(&out));
    let printed = lab.stop_after(1);
    assert!(
        printed.contains("TLS 1.3") && printed.contains("delivered 1 under TLS"),
        "{printed}"
    );
    assert!(
        printed.contains("swaks"),
        "the session line names the client software: {printed}"
    );
}

#[test]
fn python_smtplib_starttls_delivers_under_tls() {
    let lab = Lab::start("smtplib", &[]);
    let script = format!(
        "import smtplib, ssl\n\
         ctx = ssl.create_default_context()\n\
         ctx.check_hostname = False\n\
         ctx.verify_mode = ssl.CERT_NONE\n\
         s = smtplib.SMTP('127.0.0.1', {}, timeout=20)\n\
         s.ehlo('client.example.org')\n\
         s.starttls(context=ctx)\n\
         s.ehlo('client.example.org')\n\
         s.sendmail('alice@example.org', ['bob@example.test'], 'Subject: hi\\r\\nX-Mailer: smtplib\\r\\n\\r\\nhello\\r\\n')\n\
         s.quit()\n",
        lab.port
    );
    let out = run(Command::new("python3").args(["-c", &script]));
    assert!(out.status.success(), "{}", text(&out));
    let printed = lab.stop_after(1);
    assert!(printed.contains("delivered 1 under TLS"), "{printed}");
}

#[test]
fn msmtp_with_starttls_delivers_under_tls() {
    let lab = Lab::start("msmtp", &[]);
    let mut child = Command::new("msmtp")
        .args(["--host=127.0.0.1", &format!("--port={}", lab.port)])
        .args([
            "--tls=on",
            "--tls-starttls=on",
            "--tls-certcheck=off",
            "--auth=off",
        ])
        .args([
            "--domain=client.example.org",
            "--from=alice@example.org",
            "--timeout=20",
            "bob@example.test",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("msmtp (README's test command installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Subject: hi\r\n\r\nhello from msmtp\r\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let printed = lab.stop_after(1);
    assert!(printed.contains("delivered 1 under TLS"), "{printed}");
}

#[test]
fn a_lab_server_that_requires_tls_gives_a_cleartext_mail_530_5_7_0() {
    let lab = Lab::start("530", &["--scenario", "tls-required-530"]);
    let out = swaks(&lab, &[]);
    assert!(!out.status.success(), "swaks must fail: {}", text(&out));
    assert!(text(&out).contains("530 5.7.0"), "{}", text(&out));
    let (printed, traces) = lab.stop_with_traces(1);
    assert!(
        printed.contains("nothing delivered") && printed.contains("530"),
        "{printed}"
    );
    let trace = &traces[0];
    assert!(trace.outcome.reply_codes.contains(&530));
}

#[test]
fn one_connection_beyond_the_session_limit_gets_421_4_3_2_and_the_server_goes_on() {
    let lab = Lab::start("limit", &["--max-sessions", "1"]);
    let mut first = TcpStream::connect(lab.server()).unwrap();
    first
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut greeting = [0u8; 64];
    let n = first.read(&mut greeting).unwrap();
    assert!(greeting[..n].starts_with(b"220 "));
    let mut second = TcpStream::connect(lab.server()).unwrap();
    second
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut refused = String::new();
    let _ = second.read_to_string(&mut refused);
    assert!(refused.starts_with("421 4.3.2 "), "{refused:?}");
    // The first session goes on, and ends as the client wants.
    first.write_all(b"QUIT\r\n").unwrap();
    let mut rest = String::new();
    let _ = first.read_to_string(&mut rest);
    assert!(rest.starts_with("221 "), "{rest:?}");
    let printed = lab.stop_after(1);
    assert!(printed.contains("1 connections refused (421)"), "{printed}");
}

#[test]
fn an_idle_client_is_closed_after_the_idle_timeout() {
    let lab = Lab::start("idle", &["--idle-timeout", "1"]);
    let mut stream = TcpStream::connect(lab.server()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut all = Vec::new();
    // The server closes the connection: read_to_end returns, no fixed sleep.
    let _ = stream.read_to_end(&mut all);
    assert!(all.starts_with(b"220 "));
    let printed = lab.stop_after(1);
    assert!(
        printed.contains("closed by the lab: idle timeout"),
        "{printed}"
    );
}

/// Response injection (the forged EHLO reply the attacker appends to the 220 to STARTTLS,
/// CLIENT-DISCARD): what each real client does, from its output and the lab's trace.
#[test]
fn response_injection_smtplib_discards_msmtp_refuses_swaks_reads_the_forged_reply() {
    let lab = Lab::start(
        "response-injection",
        &["--scenario", "response-injection-compliant"],
    );
    // smtplib throws the buffered bytes away: its EHLO under TLS gets the real reply.
    let py = smtplib(&lab);
    assert!(py.status.success(), "{}", text(&py));
    assert!(
        !text(&py).contains("forged") && text(&py).contains("at your service"),
        "{}",
        text(&py)
    );
    // msmtp sees bytes after the 220 and gives up before TLS.
    let ms = msmtp(&lab);
    assert!(!ms.status.success(), "{}", text(&ms));
    assert!(text(&ms).contains("STARTTLS failed"), "{}", text(&ms));
    // swaks reads the forged lines, sent in the clear, as the reply to its EHLO under TLS:
    // every reply after it is one behind, and the message is never sent.
    let sw = swaks(&lab, &["--tls"]);
    let version =
        String::from_utf8_lossy(&run(Command::new("swaks").arg("--version")).stdout).to_string();
    let read_forged = text(&sw).contains("<~  250-mail.example.test forged");
    let (printed, traces) = lab.stop_with_traces(3);
    let lines: Vec<&str> = printed
        .lines()
        .filter(|l| l.starts_with("session "))
        .collect();
    assert_eq!(lines.len(), 3, "{printed}");
    assert!(
        lines[0].contains("delivered 1 under TLS"),
        "smtplib: {printed}"
    );
    assert!(
        lines[1].contains("no TLS; nothing delivered"),
        "msmtp: {printed}"
    );
    assert!(
        lines[2].contains("nothing delivered") == read_forged,
        "swaks {version}: {printed}\n{}",
        text(&sw)
    );
    if version.contains("20201014.0") {
        assert!(
            read_forged,
            "swaks 20201014.0 reads the injected reply under TLS\n{}",
            text(&sw)
        );
    }
    // The lab's own traces say so too: it held its reply to each client's EHLO under TLS,
    // and wrote whether the client sent on without it.
    let verdict = |t: &Trace| -> Vec<bool> {
        t.steps
            .iter()
            .filter(|s| {
                s.actor == Actor::Client && s.rules.contains(&RuleId::ClientDiscard) && s.tls
            })
            .map(|s| s.violation)
            .collect()
    };
    assert_eq!(
        verdict(&traces[0]),
        [false],
        "smtplib waited for the real reply"
    );
    assert_eq!(
        verdict(&traces[1]),
        Vec::<bool>::new(),
        "msmtp never started TLS"
    );
    assert_eq!(verdict(&traces[2]), [read_forged], "swaks {version}");
    assert_eq!(
        traces[2]
            .outcome
            .rules_broken
            .contains(&RuleId::ClientDiscard),
        read_forged
    );
    assert_eq!(
        lines[2].contains("CLIENT-DISCARD"),
        read_forged,
        "{printed}"
    );
    assert!(!lines[0].contains("CLIENT-DISCARD"), "{printed}");
}

/// A server that lists STARTTLS under TLS (NO-STARTTLS-AFTER broken): no real client here
/// sends STARTTLS again (NO-TLS-TWICE kept), and each delivers.
#[test]
fn starttls_listed_under_tls_no_real_client_sends_it_twice() {
    let lab = Lab::start(
        "after-tls",
        &["--set", "server.teaching.advertise_starttls_after_tls=true"],
    );
    assert!(swaks(&lab, &["--tls"]).status.success());
    assert!(smtplib(&lab).status.success());
    assert!(msmtp(&lab).status.success());
    let (_, traces) = lab.stop_with_traces(3);
    for trace in traces {
        assert!(
            trace
                .outcome
                .rules_broken
                .iter()
                .any(|r| r.as_str() == "NO-STARTTLS-AFTER")
        );
        let again = trace.steps.iter().any(|s| {
            s.actor == Actor::Client
                && s.tls
                && matches!(&s.detail, starttls_sim::trace::Detail::Wire(v)
                    if v.smtp.iter().any(|i| matches!(i, starttls_sim::trace::SmtpItem::Command { command: starttls_protocol::command::Command::StartTls, .. })))
        });
        assert!(!again, "a client sent STARTTLS under TLS");
        assert_eq!(trace.outcome.accepted.len(), 1);
    }
}
