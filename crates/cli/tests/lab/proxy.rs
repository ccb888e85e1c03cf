//! The lab's proxy between a real client and a server, with each attacker mode.

use super::*;

/// A running `lab proxy` in front of `upstream`.
struct Proxy(Child, u16, BufReader<std::process::ChildStdout>, Scratch);

impl Proxy {
    fn start(upstream: &str, attack: &str) -> Proxy {
        Proxy::start_with(upstream, attack, &[])
    }

    fn start_with(upstream: &str, attack: &str, extra: &[&str]) -> Proxy {
        let dir = Scratch::new(&format!("proxy-{attack}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_starttls-playground"))
            .args([
                "lab",
                "proxy",
                "--listen",
                "127.0.0.1:0",
                "--upstream",
                upstream,
                "--attack",
                attack,
                "--traces",
            ])
            .arg(dir.path())
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the lab proxy starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        lines.read_line(&mut first).unwrap();
        let port = first
            .strip_prefix("lab proxy listening on 127.0.0.1:")
            .and_then(|r| r.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("first line: {first:?}"));
        Proxy(child, port, lines, dir)
    }

    /// The next session line.
    fn session(&mut self) -> String {
        let mut line = String::new();
        self.2.read_line(&mut line).unwrap();
        line
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

#[test]
fn the_proxy_strips_starttls_between_swaks_and_the_lab_server() {
    let lab = Lab::start("proxied", &[]);
    let mut proxy = Proxy::start(&lab.server(), "strip-starttls");
    let via = format!("127.0.0.1:{}", proxy.1);
    let swaks_via = |extra: &[&str]| {
        run(Command::new("swaks")
            .args([
                "--server",
                &via,
                "--from",
                "alice@example.org",
                "--to",
                "bob@example.test",
            ])
            .args(["--ehlo", "client.example.org", "--timeout", "20"])
            .args(extra))
    };
    // With --tls-optional swaks goes on in the clear: the downgrade works.
    let optional = swaks_via(&["--tls-optional"]);
    assert!(optional.status.success(), "{}", text(&optional));
    assert!(text(&optional).contains("250 2.0.0"), "{}", text(&optional));
    assert!(proxy.session().contains("deletes STARTTLS"));
    // With --tls swaks refuses to go on without STARTTLS.
    let required = swaks_via(&["--tls"]);
    assert!(!required.status.success(), "{}", text(&required));
    assert!(
        text(&required).contains("did not advertise STARTTLS"),
        "{}",
        text(&required)
    );
    assert!(proxy.session().contains("deletes STARTTLS"));
    // The proxy's trace shows the deleted line; the server's shows it sent.
    let first = std::fs::read_to_string(proxy.3.path().join("session-00001.json")).unwrap();
    let trace = Trace::from_json(&first).unwrap();
    assert_eq!(trace.lab.as_ref().map(|l| l.remote), Some(Actor::Wire));
    let stripped = trace
        .steps
        .iter()
        .find(|s| s.actor == Actor::Attacker)
        .expect("the attacker's step");
    match &stripped.detail {
        starttls_sim::trace::Detail::Wire(v) => assert!(
            v.diff.iter().any(|d| format!("{d:?}").contains("STARTTLS")),
            "{:?}",
            v.diff
        ),
        other => panic!("{other:?}"),
    }
    let (printed, traces) = lab.stop_with_traces(2);
    assert!(
        printed.contains("delivered 1 (1 in the clear)"),
        "{printed}"
    );
    let server_side = &traces[0];
    assert!(format!("{:?}", server_side.steps).contains("STARTTLS"));
}

/// Command injection through the proxy (CVE-2011-0411): the compliant lab server discards
/// the injected bytes and swaks delivers; the vulnerable one runs them under TLS.
#[test]
fn the_proxy_injects_commands_behind_starttls_and_the_lab_server_discards_or_runs_them() {
    for (vulnerable, expect) in [
        (false, "delivered 1 under TLS; rules broken: none"),
        (true, "rules broken: SERVER-DISCARD"),
    ] {
        let set = format!("server.teaching.process_plaintext_after_starttls={vulnerable}");
        let lab = Lab::start("injected", &["--set", &set]);
        let mut proxy = Proxy::start_with(
            &lab.server(),
            "inject-commands",
            &[
                "--set",
                "attacker.payload=\"RSET\\r\\nNOOP injected\\r\\n\"",
            ],
        );
        let out = run(Command::new("swaks")
            .args([
                "--server",
                &format!("127.0.0.1:{}", proxy.1),
                "--tls",
                "--timeout",
                "20",
            ])
            .args(["--from", "alice@example.org", "--to", "bob@example.test"]));
        assert_eq!(out.status.success(), !vulnerable, "{}", text(&out));
        assert!(proxy.session().contains("appends commands after STARTTLS"));
        let printed = lab.stop_after(1);
        assert!(
            printed.contains(expect),
            "vulnerable={vulnerable}: {printed}"
        );
    }
}

/// swaks through `proxy` with `extra` options.
fn swaks_through(proxy: &Proxy, extra: &[&str]) -> Output {
    run(Command::new("swaks")
        .args(["--server", &format!("127.0.0.1:{}", proxy.1)])
        .args(["--from", "alice@example.org", "--to", "bob@example.test"])
        .args(["--ehlo", "client.example.org", "--timeout", "20"])
        .args(extra))
}

/// The proxy's traces, one per session, in the order the sessions began.
fn proxy_traces(proxy: &Proxy, expected: usize) -> Vec<Trace> {
    read_traces(proxy.3.path(), expected)
}

/// The attacker's steps in a proxy trace.
fn attacks(trace: &Trace) -> Vec<String> {
    trace
        .steps
        .iter()
        .filter(|s| s.actor == Actor::Attacker)
        .map(|s| s.text.clone())
        .collect()
}

/// The proxy rewrites swaks's STARTTLS (CMD-SYNTAX): the lab server answers the rewritten
/// line with 501, and swaks, which insists on TLS, gives up.
#[test]
fn the_proxy_rewrites_starttls_and_the_server_answers_501() {
    let lab = Lab::start("rewritten", &[]);
    let mut proxy = Proxy::start_with(
        &lab.server(),
        "rewrite-starttls",
        &["--set", "attacker.to=\"STARTTLS now\""],
    );
    let out = swaks_through(&proxy, &["--tls"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("<** 501"), "{}", text(&out));
    assert!(proxy.session().contains("STARTTLS now"));
    let (_, traces) = lab.stop_with_traces(1);
    let server = &traces[0];
    assert!(server.outcome.reply_codes.contains(&501));
    assert!(!server.outcome.tls_established);
    assert_eq!(attacks(&proxy_traces(&proxy, 1)[0]).len(), 1);
}

/// The proxy replaces the 220 to STARTTLS with 454 (CLIENT-454-DECIDE): swaks with `--tls`
/// gives up; with `--tls-optional` it goes on in the clear, into a server that has started
/// TLS and reads its MAIL as a broken ClientHello.
#[test]
fn the_proxy_replaces_the_220_with_454_and_each_swaks_mode_decides() {
    let lab = Lab::start("replaced", &[]);
    let mut proxy = Proxy::start_with(
        &lab.server(),
        "replace220",
        &["--set", "attacker.reply=\"454 4.7.0 TLS not available\""],
    );
    let strict = swaks_through(&proxy, &["--tls"]);
    assert!(!strict.status.success(), "{}", text(&strict));
    assert!(text(&strict).contains("454 4.7.0"), "{}", text(&strict));
    assert!(proxy.session().contains("454 4.7.0"));
    let optional = swaks_through(&proxy, &["--tls-optional"]);
    assert!(text(&optional).contains("454 4.7.0"), "{}", text(&optional));
    assert!(
        !text(&optional).contains("250 2.0.0"),
        "nothing is delivered: {}",
        text(&optional)
    );
    proxy.session();
    let (printed, traces) = lab.stop_with_traces(2);
    for server in traces {
        assert!(server.outcome.accepted.is_empty(), "{printed}");
        assert!(!server.outcome.tls_established, "{printed}");
    }
    for trace in proxy_traces(&proxy, 2) {
        assert_eq!(attacks(&trace).len(), 1);
    }
}

/// Replies injected by the proxy behind the compliant server's 220 (CLIENT-DISCARD): smtplib
/// discards them and delivers; swaks 20201014.0 reads them under TLS.
#[test]
fn the_proxy_injects_replies_and_each_real_client_keeps_or_breaks_client_discard() {
    let lab = Lab::start("replies-injected", &[]);
    let mut proxy = Proxy::start_with(
        &lab.server(),
        "inject-replies",
        &[
            "--set",
            "attacker.payload=\"250-mail.example.test forged\\r\\n250 AUTH PLAIN LOGIN\\r\\n\"",
        ],
    );
    let py = smtplib_to(proxy.1);
    assert!(py.status.success(), "{}", text(&py));
    assert!(!text(&py).contains("forged"), "{}", text(&py));
    proxy.session();
    let sw = swaks_through(&proxy, &["--tls"]);
    let read_forged = text(&sw).contains("<~  250-mail.example.test forged");
    proxy.session();
    let version =
        String::from_utf8_lossy(&run(Command::new("swaks").arg("--version")).stdout).to_string();
    if version.contains("20201014.0") {
        assert!(read_forged, "{}", text(&sw));
    }
    let (_, servers) = lab.stop_with_traces(2);
    assert_eq!(servers[0].outcome.accepted.len(), 1, "smtplib delivers");
    assert_eq!(
        servers[1].outcome.accepted.is_empty(),
        read_forged,
        "swaks, one reply behind, never sends its message"
    );
    for trace in proxy_traces(&proxy, 2) {
        assert_eq!(attacks(&trace).len(), 1);
    }
}

/// The proxy edits the cleartext EHLO reply (knowledge poisoning): swaks sees the added AUTH
/// and no STARTTLS, and with `--tls-optional` delivers in the clear.
#[test]
fn the_proxy_tampers_with_the_ehlo_reply_and_swaks_believes_it() {
    let lab = Lab::start("tampered", &[]);
    let mut proxy = Proxy::start_with(
        &lab.server(),
        "tamper-ehlo",
        &[
            "--set",
            "attacker.add=[\"AUTH PLAIN LOGIN\"]",
            "--set",
            "attacker.remove=[\"STARTTLS\"]",
        ],
    );
    let out = swaks_through(&proxy, &["--tls-optional"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("<-  250-AUTH PLAIN LOGIN") || said.contains("<-  250 AUTH PLAIN LOGIN"),
        "{said}"
    );
    assert!(
        !said.contains("<-  250-STARTTLS") && !said.contains("<-  250 STARTTLS"),
        "{said}"
    );
    assert!(said.contains("Host did not advertise STARTTLS"), "{said}");
    proxy.session();
    let (printed, traces) = lab.stop_with_traces(1);
    let server = &traces[0];
    assert_eq!(server.outcome.accepted.len(), 1, "{printed}");
    assert!(
        !server.outcome.accepted[0].1,
        "delivered in the clear: {printed}"
    );
    let trace = &proxy_traces(&proxy, 1)[0];
    assert_eq!(attacks(trace).len(), 1);
}

/// The proxy flips a byte of an encrypted record, in each direction: the receiver's TLS
/// detects it (bad_record_mac) and no message gets through.
#[test]
fn the_proxy_flips_a_tls_record_byte_and_tls_detects_it() {
    for from_client in [true, false] {
        let lab = Lab::start(&format!("flipped-{from_client}"), &[]);
        let set = format!("attacker.from_client={from_client}");
        let mut proxy = Proxy::start_with(&lab.server(), "flip-tls-byte", &["--set", &set]);
        let out = swaks_through(&proxy, &["--tls"]);
        assert!(!out.status.success(), "{}", text(&out));
        assert!(proxy.session().contains("flips one byte"));
        let (printed, traces) = lab.stop_with_traces(1);
        let server = &traces[0];
        assert!(server.outcome.accepted.is_empty(), "{printed}");
        // From the client, the lab server's rustls finds the record does not authenticate;
        // from the server, swaks's OpenSSL does, and its alert reaches the lab server.
        let alert = server
            .steps
            .iter()
            .find(|s| s.kind == starttls_sim::trace::StepKind::Alert)
            .unwrap_or_else(|| panic!("an alert: {printed}"));
        assert!(alert.text.contains("bad_record_mac"), "{}", alert.text);
        assert_eq!(
            alert.text.contains("the peer sent"),
            !from_client,
            "{}",
            alert.text
        );
        assert_eq!(attacks(&proxy_traces(&proxy, 1)[0]).len(), 1);
    }
}
