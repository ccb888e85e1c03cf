//! The lab's client against real servers (aiosmtpd, Postfix) and the lab's own server:
//! delivery, `--check`, and certificates.

use super::*;

#[test]
fn the_lab_client_delivers_to_the_lab_server_over_real_tcp() {
    let lab = Lab::start("pair", &[]);
    let dir = Scratch::new("client");
    let trace_file = dir.path().join("client.json");
    let out = lab_client(&[
        "--connect",
        &lab.server(),
        "--trace",
        trace_file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let transcript = text(&out);
    assert!(
        transcript.contains("~> EHLO client.example.org"),
        "{transcript}"
    );
    assert!(
        transcript.contains("<~ 250 2.0.0 Ok: queued"),
        "{transcript}"
    );
    let client = Trace::from_json(&std::fs::read_to_string(&trace_file).unwrap()).unwrap();
    assert_eq!(client.lab.as_ref().map(|l| l.remote), Some(Actor::Server));
    assert!(client.outcome.tls_established);
    let printed = lab.stop_after(1);
    assert!(printed.contains("delivered 1 under TLS"), "{printed}");
}

/// aiosmtpd (Debian's python3-aiosmtpd) on a free port, with the test PKI's certificate.
struct Aiosmtpd(Child, u16);

impl Aiosmtpd {
    fn start() -> Aiosmtpd {
        let port = free_port();
        let pki = concat!(env!("CARGO_MANIFEST_DIR"), "/../sim/pki");
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args([
                "--tlscert",
                &format!("{pki}/server.pem"),
                "--tlskey",
                &format!("{pki}/server.key.pem"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd (README's test command installs python3-aiosmtpd)");
        wait_listening(port);
        Aiosmtpd(child, port)
    }
}

impl Drop for Aiosmtpd {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

#[test]
fn the_lab_client_delivers_to_aiosmtpd_under_tls_and_names_its_software() {
    let server = Aiosmtpd::start();
    let dir = Scratch::new("aiosmtpd");
    let trace_file = dir.path().join("client.json");
    let out = lab_client(&[
        "--connect",
        &format!("127.0.0.1:{}", server.1),
        "--trace",
        trace_file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let trace = Trace::from_json(&std::fs::read_to_string(&trace_file).unwrap()).unwrap();
    assert!(trace.outcome.tls_established);
    assert!(
        matches!(
            trace.outcome.client,
            Some(starttls_protocol::client::ClientOutcome::Delivered {
                under_tls: true,
                ..
            })
        ),
        "{:?}",
        trace.outcome.client
    );
    let software = trace.lab.and_then(|l| l.software).unwrap_or_default();
    assert!(software.contains("Python SMTP"), "{software:?}");
}

/// `lab client --check` against `address`: (exit success, each line's tag and rule).
fn check(address: &str) -> (bool, Vec<(String, String)>, String) {
    let out = lab_client(&["--connect", address, "--check"]);
    let all = text(&out);
    let lines = all
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let tag = words.next()?;
            let rule = words.next()?;
            ["PASS", "FAIL", "SKIP"]
                .contains(&tag)
                .then(|| (tag.to_string(), rule.to_string()))
        })
        .collect();
    (out.status.success(), lines, all)
}

fn failed(lines: &[(String, String)]) -> Vec<&str> {
    lines
        .iter()
        .filter(|(t, _)| t == "FAIL")
        .map(|(_, r)| r.as_str())
        .collect()
}

#[test]
fn check_passes_a_compliant_lab_server_and_catches_each_vulnerable_toggle() {
    let lab = Lab::start("check-ok", &["--scenario", "tls-required-530"]);
    let (ok, lines, all) = check(&lab.server());
    assert!(ok, "{all}");
    assert_eq!(lines.len(), 7, "{all}");
    assert!(lines.iter().all(|(t, _)| t == "PASS"), "{all}");
    assert!(all.contains("7 passed, 0 failed, 0 skipped"), "{all}");
    lab.stop();
    for (set, rule) in [
        (
            "server.teaching.process_plaintext_after_starttls=true",
            "SERVER-DISCARD",
        ),
        ("server.teaching.keep_pre_tls_knowledge=true", "RESET"),
        (
            "server.teaching.advertise_starttls_after_tls=true",
            "NO-STARTTLS-AFTER",
        ),
        ("server.second_starttls=Aiosmtpd220", "NO-TLS-TWICE"),
    ] {
        let lab = Lab::start("check-toggle", &["--set", set]);
        let (ok, lines, all) = check(&lab.server());
        assert!(!ok, "{set}: --check must fail\n{all}");
        assert_eq!(failed(&lines), vec![rule], "{set}\n{all}");
        lab.stop();
    }
}

#[test]
fn check_against_aiosmtpd_reports_its_220_to_a_second_starttls() {
    let server = Aiosmtpd::start();
    let (ok, lines, all) = check(&format!("127.0.0.1:{}", server.1));
    assert!(!ok, "{all}");
    assert_eq!(failed(&lines), vec!["NO-TLS-TWICE"], "{all}");
    assert!(all.contains("accepted with 220"), "{all}");
    // aiosmtpd with a certificate requires STARTTLS, without enhanced status codes.
    assert!(
        lines.contains(&("PASS".into(), "REQUIRE-530".into())),
        "{all}"
    );
    assert!(
        lines.contains(&("SKIP".into(), "REQUIRE-530-ESC".into())),
        "{all}"
    );
}

/// Postfix (Debian's package) from a private configuration directory on a free loopback
/// port: its `master` runs in the foreground as this test's child, never as the system's
/// mail service, requires TLS (`smtpd_tls_security_level = encrypt`) with the test PKI's
/// certificate, and discards what it accepts.
struct Postfix(Child, u16, PathBuf);

impl Postfix {
    fn start() -> Postfix {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("starttls-lab-postfix-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let queue = dir.join("queue");
        let pki = concat!(env!("CARGO_MANIFEST_DIR"), "/../sim/pki");
        std::fs::create_dir_all(dir.join("data")).unwrap();
        for f in ["server.pem", "server.key.pem"] {
            std::fs::copy(format!("{pki}/{f}"), dir.join(f)).unwrap();
        }
        let d = dir.display();
        std::fs::write(
            dir.join("main.cf"),
            format!(
                "compatibility_level = 3.6\nqueue_directory = {d}/queue\ndata_directory = {d}/data\n\
                 mail_owner = postfix\nsetgid_group = postdrop\ninet_interfaces = 127.0.0.1\n\
                 inet_protocols = ipv4\nmyhostname = mail.example.test\nmydomain = example.test\n\
                 mydestination =\nrelay_domains = example.test\ndefault_transport = discard:lab\n\
                 relay_transport = discard:lab\nlocal_transport = discard:lab\nmynetworks = 127.0.0.0/8\n\
                 smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n\
                 smtpd_tls_security_level = encrypt\n\
                 smtpd_tls_chain_files = {d}/server.key.pem, {d}/server.pem\n\
                 maillog_file = /dev/stdout\nalias_maps =\nalias_database =\nbiff = no\n"
            ),
        )
        .unwrap();
        let services = [
            format!("127.0.0.1:{port} inet n - n - - smtpd"),
            "cleanup unix n - n - 0 cleanup".into(),
            "qmgr unix n - n 300 1 qmgr".into(),
            "rewrite unix - - n - - trivial-rewrite".into(),
            "bounce unix - - n - 0 bounce".into(),
            "defer unix - - n - 0 bounce".into(),
            "trace unix - - n - 0 bounce".into(),
            "verify unix - - n - 1 verify".into(),
            "flush unix n - n 1000? 0 flush".into(),
            "proxymap unix - - n - - proxymap".into(),
            "discard unix - - n - - discard".into(),
            "error unix - - n - - error".into(),
            "retry unix - - n - - error".into(),
            "anvil unix - - n - 1 anvil".into(),
            "scache unix - - n - 1 scache".into(),
            "tlsmgr unix - - n 1000? 1 tlsmgr".into(),
            "postlog unix-dgram n - n - 1 postlogd".into(),
        ];
        std::fs::write(dir.join("master.cf"), services.join("\n") + "\n").unwrap();
        let owned = [
            "active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming",
            "private", "saved", "trace",
        ];
        for q in owned.iter().chain(&["pid", "public", "maildrop"]) {
            std::fs::create_dir_all(queue.join(q)).unwrap();
        }
        let chown = |owner: &str, paths: &[&str]| {
            let status = Command::new("chown")
                .arg(owner)
                .args(paths.iter().map(|p| queue.join(p)))
                .status()
                .unwrap();
            assert!(
                status.success(),
                "chown {owner} (Postfix's queue needs its own user)"
            );
        };
        chown("postfix", &owned);
        chown("postfix:postdrop", &["public", "maildrop"]);
        chown("postfix", &["../data"]);
        let child = Command::new("/usr/lib/postfix/sbin/master")
            .args(["-d", "-c"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Postfix's master (README's test command installs postfix)");
        wait_listening(port);
        Postfix(child, port, dir)
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.2);
    }
}

#[test]
fn the_lab_client_delivers_to_postfix_and_check_reports_what_postfix_does() {
    let postfix = Postfix::start();
    let address = format!("127.0.0.1:{}", postfix.1);
    let out = lab_client(&["--connect", &address]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("<- 220 mail.example.test ESMTP Postfix"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("accepted its message for bob@example.test under TLS"),
        "{}",
        text(&out)
    );
    let (ok, lines, all) = check(&address);
    assert!(ok, "{all}");
    // Postfix with smtpd_tls_security_level = encrypt: 530 5.7.0 before TLS, 554 to a second
    // STARTTLS, and MAIL accepted without any EHLO (smtpd_helo_required = no), so RESET is
    // skipped rather than judged.
    for rule in [
        "CMD-SYNTAX",
        "REQUIRE-530",
        "REQUIRE-530-ESC",
        "NO-STARTTLS-AFTER",
        "NO-TLS-TWICE",
        "SERVER-DISCARD",
    ] {
        assert!(
            lines.contains(&("PASS".into(), rule.into())),
            "{rule}\n{all}"
        );
    }
    assert!(lines.contains(&("SKIP".into(), "RESET".into())), "{all}");
    assert!(all.contains("554 5.5.1"), "{all}");
}

#[test]
fn the_lab_server_presents_its_own_certificate_and_the_lab_client_trusts_a_given_ca() {
    let pki = concat!(env!("CARGO_MANIFEST_DIR"), "/../sim/pki");
    let (cert, key) = (
        format!("{pki}/self-signed.pem"),
        format!("{pki}/self-signed.key.pem"),
    );
    let lab = Lab::start("own-cert", &["--cert", &cert, "--key", &key]);
    // The test CA does not vouch for it: rustls refuses (CERT-NAME's check), exit 1.
    let refused = lab_client(&["--connect", &lab.server()]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("not signed by an authority the client trusts"),
        "{}",
        text(&refused)
    );
    // Trusting that certificate, the client delivers under TLS.
    let trusted = lab_client(&["--connect", &lab.server(), "--ca", &cert]);
    assert!(trusted.status.success(), "{}", text(&trusted));
    assert!(text(&trusted).contains("under TLS"), "{}", text(&trusted));
    let printed = lab.stop_after(2);
    assert!(printed.contains("delivered 1 under TLS"), "{printed}");
    // Bad files are a clear error before anything listens.
    let bad = run(
        Command::new(env!("CARGO_BIN_EXE_starttls-playground")).args([
            "lab",
            "server",
            "--cert",
            &cert,
            "--key",
            "/nonexistent/key.pem",
        ]),
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad).contains("/nonexistent/key.pem"),
        "{}",
        text(&bad)
    );
}

/// An RSA certificate of the user's own (made here with openssl): the lab server presents
/// it, and the lab client and swaks complete the handshake with it.
#[test]
fn the_lab_server_presents_an_rsa_certificate_of_its_own() {
    let dir = Scratch::new("rsa-cert");
    let (cert, key) = (dir.path().join("rsa.pem"), dir.path().join("rsa.key.pem"));
    let made = run(Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=mail.example.test"])
        .args(["-addext", "subjectAltName=DNS:mail.example.test"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert));
    assert!(made.status.success(), "{}", text(&made));
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let lab = Lab::start("rsa", &["--cert", cert, "--key", key]);
    let client = lab_client(&["--connect", &lab.server(), "--ca", cert]);
    assert!(client.status.success(), "{}", text(&client));
    let sw = swaks(&lab, &["--tls"]);
    assert!(sw.status.success(), "{}", text(&sw));
    let printed = lab.stop_after(2);
    assert_eq!(
        printed.matches("delivered 1 under TLS").count(),
        2,
        "{printed}"
    );
}
