//! The lab's server facing real mail clients on loopback: swaks, msmtp and Python's smtplib.
//! Each test starts its own `lab server` on a free 127.0.0.1 port, and stops it by its PID.
//! The clients are installed by README's test command (`cargo xtask test`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use starttls_protocol::rules::RuleId;
use starttls_sim::trace::{Actor, Trace};

/// A running `lab server`.
struct Lab {
    child: Child,
    port: u16,
    lines: BufReader<std::process::ChildStdout>,
    dir: PathBuf,
}

impl Lab {
    fn start(name: &str, args: &[&str]) -> Lab {
        let dir = std::env::temp_dir().join(format!("starttls-lab-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let traces = dir.join("traces");
        let mut child = Command::new(env!("CARGO_BIN_EXE_starttls-playground"))
            .args(["lab", "server", "--listen", "127.0.0.1:0", "--traces"])
            .arg(&traces)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the lab server starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        lines.read_line(&mut first).unwrap();
        let port = first
            .trim()
            .strip_prefix("lab server listening on 127.0.0.1:")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("first line: {first:?}"));
        Lab {
            child,
            port,
            lines,
            dir,
        }
    }

    fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops the server by its PID (SIGTERM) and returns everything it printed after its
    /// first line.
    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let mut rest = String::new();
        let _ = self.lines.read_to_string(&mut rest);
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "the lab server exits cleanly: {status:?}\n{rest}"
        );
        rest
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (README's test command installs it)"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn swaks(lab: &Lab, extra: &[&str]) -> Output {
    run(Command::new("swaks")
        .args([
            "--server",
            &lab.server(),
            "--from",
            "alice@example.org",
            "--to",
            "bob@example.test",
        ])
        .args(["--ehlo", "client.example.org", "--timeout", "20"])
        .args(extra))
}

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
    let printed = lab.stop_after(1);
    assert!(
        printed.contains("nothing delivered") && printed.contains("530"),
        "{printed}"
    );
    let trace = &lab_traces(&printed, 1)[0];
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

/// `lab client` with `args`; returns its output.
fn lab_client(args: &[&str]) -> Output {
    run(Command::new(env!("CARGO_BIN_EXE_starttls-playground"))
        .args(["lab", "client", "--idle-timeout", "20"])
        .args(args))
}

#[test]
fn the_lab_client_delivers_to_the_lab_server_over_real_tcp() {
    let lab = Lab::start("pair", &[]);
    let dir = std::env::temp_dir().join(format!("starttls-lab-client-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace_file = dir.join("client.json");
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

/// A free loopback port (bound, then released for the peer to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on `port` (the peer is up), for at most 20 s.
fn wait_listening(port: u16) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing listens on {port}"
        );
        std::thread::yield_now();
    }
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
    let dir = std::env::temp_dir().join(format!("starttls-lab-aiosmtpd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace_file = dir.join("client.json");
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

/// A running `lab proxy` in front of `upstream`.
struct Proxy(Child, u16, BufReader<std::process::ChildStdout>, PathBuf);

impl Proxy {
    fn start(upstream: &str, attack: &str) -> Proxy {
        Proxy::start_with(upstream, attack, &[])
    }

    fn start_with(upstream: &str, attack: &str, extra: &[&str]) -> Proxy {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "starttls-lab-proxy-{}-{attack}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
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
            .arg(&dir)
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
    let first = std::fs::read_to_string(proxy.3.join("session-00001.json")).unwrap();
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
    let printed = lab.stop_after(2);
    assert!(
        printed.contains("delivered 1 (1 in the clear)"),
        "{printed}"
    );
    let server_side = &lab_traces(&printed, 2)[0];
    assert!(format!("{:?}", server_side.steps).contains("STARTTLS"));
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

/// Python's smtplib, STARTTLS without certificate checks; returns its output (the EHLO
/// reply under TLS is printed).
fn smtplib(lab: &Lab) -> Output {
    let script = format!(
        "import smtplib, ssl\n\
         ctx = ssl.create_default_context()\n\
         ctx.check_hostname = False\n\
         ctx.verify_mode = ssl.CERT_NONE\n\
         s = smtplib.SMTP('127.0.0.1', {}, timeout=20)\n\
         s.ehlo('client.example.org')\n\
         s.starttls(context=ctx)\n\
         print(s.ehlo('client.example.org'))\n\
         s.sendmail('alice@example.org', ['bob@example.test'], 'Subject: hi\\r\\n\\r\\nhello\\r\\n')\n\
         s.quit()\n",
        lab.port
    );
    run(Command::new("python3").args(["-c", &script]))
}

fn msmtp(lab: &Lab) -> Output {
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
        .expect("msmtp");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Subject: hi\r\n\r\nhello\r\n")
        .unwrap();
    child.wait_with_output().unwrap()
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
    let printed = lab.stop_after(3);
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
    let traces = lab_traces(&printed, 3);
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
    let printed = lab.stop_after(3);
    for trace in lab_traces(&printed, 3) {
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

impl Lab {
    /// Waits until `n` session lines are printed, then stops the server; returns all it printed.
    fn stop_after(self, n: usize) -> String {
        let mut printed = String::new();
        let mut lab = self;
        while printed.matches("\nsession ").count() + usize::from(printed.starts_with("session "))
            < n
        {
            let mut line = String::new();
            if lab.lines.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            printed.push_str(&line);
        }
        let traces_dir = lab.dir.clone();
        printed.push_str(&lab.stop());
        printed.push_str(&format!("\n[traces in {}]", traces_dir.display()));
        printed
    }
}

/// The traces of a stopped lab, found by the directory its output names.
fn lab_traces(printed: &str, expected: usize) -> Vec<Trace> {
    let dir = printed
        .rsplit_once("[traces in ")
        .and_then(|(_, d)| d.strip_suffix(']'))
        .map(PathBuf::from)
        .unwrap();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir.join("traces"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let traces: Vec<Trace> = paths
        .iter()
        .map(|p| Trace::from_json(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    assert_eq!(traces.len(), expected);
    for t in &traces {
        assert_eq!(t.lab.as_ref().map(|l| l.remote), Some(Actor::Client));
    }
    traces
}
