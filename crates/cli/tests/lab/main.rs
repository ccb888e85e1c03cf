//! The lab over real TCP on loopback, facing real peers: swaks, msmtp and Python's smtplib
//! against the lab's server (`clients`), the lab's client against aiosmtpd, Postfix and the
//! lab's server (`servers`), and the lab's proxy between them (`proxy`). Each test starts its
//! own peers on free 127.0.0.1 ports, and stops them by PID. The peers are installed by
//! README's test command (`cargo xtask test`).

mod clients;
mod proxy;
mod servers;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use starttls_protocol::rules::RuleId;
use starttls_sim::trace::{Actor, Trace};

/// A test's own folder in the system's temporary directory, `starttls-lab-<name>-…`: removed
/// when dropped, unless the test is panicking at that moment (a failing assertion while the
/// folder is held); then it is kept for a look, and its path printed.
struct Scratch(Option<tempfile::TempDir>);

impl Scratch {
    /// Creates the folder.
    fn new(name: &str) -> Scratch {
        let dir = tempfile::Builder::new()
            .prefix(&format!("starttls-lab-{name}-"))
            .tempdir()
            .expect("a temporary folder");
        Scratch(Some(dir))
    }

    /// Where it is.
    fn path(&self) -> &Path {
        self.0.as_ref().expect("the folder is still held").path()
    }

    /// Moves the folder out, leaving an empty holder.
    fn take(&mut self) -> Scratch {
        Scratch(self.0.take())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(dir) = self.0.take()
        {
            eprintln!(
                "the failing test's files are kept in {}",
                dir.keep().display()
            );
        }
    }
}

/// A running `lab server`.
struct Lab {
    child: Child,
    port: u16,
    lines: BufReader<std::process::ChildStdout>,
    dir: Scratch,
}

impl Lab {
    fn start(name: &str, args: &[&str]) -> Lab {
        let dir = Scratch::new(name);
        let traces = dir.path().join("traces");
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

/// `lab client` with `args`; returns its output.
fn lab_client(args: &[&str]) -> Output {
    run(Command::new(env!("CARGO_BIN_EXE_starttls-playground"))
        .args(["lab", "client", "--idle-timeout", "20"])
        .args(args))
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

/// Python's smtplib, STARTTLS without certificate checks; returns its output (the EHLO
/// reply under TLS is printed).
fn smtplib(lab: &Lab) -> Output {
    smtplib_to(lab.port)
}

/// Python's smtplib against `port`, as [`smtplib`].
fn smtplib_to(port: u16) -> Output {
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
        port
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

impl Lab {
    /// Waits until `n` session lines are printed, then stops the server; returns all it printed.
    fn stop_after(self, n: usize) -> String {
        self.stopped_after(n).0
    }

    /// As [`Lab::stop_after`], with the `n` traces the server wrote, one per session, in the
    /// order the sessions began; each names its real peer as the client.
    fn stop_with_traces(self, n: usize) -> (String, Vec<Trace>) {
        let (printed, dir) = self.stopped_after(n);
        let traces = read_traces(&dir.path().join("traces"), n);
        for t in &traces {
            assert_eq!(t.lab.as_ref().map(|l| l.remote), Some(Actor::Client));
        }
        (printed, traces)
    }

    /// What [`Lab::stop_after`] returns, with the folder of the traces.
    fn stopped_after(self, n: usize) -> (String, Scratch) {
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
        let dir = lab.dir.take();
        printed.push_str(&lab.stop());
        (printed, dir)
    }
}

/// The traces in `dir`, one per session, in the order the sessions began.
fn read_traces(dir: &std::path::Path, expected: usize) -> Vec<Trace> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let traces: Vec<Trace> = paths
        .iter()
        .map(|p| Trace::from_json(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    assert_eq!(traces.len(), expected);
    traces
}
