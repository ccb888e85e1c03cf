//! `lab client --check`: a conformance series against a real server, one connection per
//! probe, each named by the rule it checks. Probes send what no well-behaved client sends
//! (`STARTTLS x`, commands behind STARTTLS in one segment), so they are scripted here rather
//! than run by the client machine; replies are read with the protocol crate's parser, and TLS
//! is the engine's rustls client configuration.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rustls::{ClientConnection, StreamOwned};
use starttls_protocol::line::Status;
use starttls_protocol::reply::{EhloReply, Reply, parse_reply};
use starttls_protocol::rules::RuleId;
use starttls_sim::tls::{self, TlsSettings};

/// What a probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The server did what the rule asks.
    Pass(String),
    /// It did not.
    Fail(String),
    /// The probe does not apply (no STARTTLS offered, TLS not required, …).
    Skip(String),
}

/// One probe's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// The probe's short name.
    pub name: &'static str,
    /// The rule it checks.
    pub rule: RuleId,
    /// What it found.
    pub verdict: Verdict,
}

impl CheckResult {
    /// `PASS  RULE  name: detail`.
    pub fn line(&self) -> String {
        let (tag, detail) = match &self.verdict {
            Verdict::Pass(d) => ("PASS", d),
            Verdict::Fail(d) => ("FAIL", d),
            Verdict::Skip(d) => ("SKIP", d),
        };
        format!("{tag}  {:<18} {}: {detail}", self.rule.as_str(), self.name)
    }
}

/// Where and how to probe.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port`.
    pub address: String,
    /// The name the certificate must carry.
    pub server_name: String,
    /// The EHLO name to send.
    pub ehlo: String,
    /// TLS settings (trust anchors from the test PKI; `cert_check` as `--insecure` sets it).
    pub tls: TlsSettings,
    /// Longest wait for a reply.
    pub timeout: Duration,
}

/// The connection of one probe: cleartext, then TLS.
enum Wire {
    Clear(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

struct Conn {
    wire: Wire,
    buf: Vec<u8>,
}

type Res<T> = Result<T, String>;

impl Conn {
    fn open(target: &Target) -> Res<Conn> {
        let addr = target
            .address
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", target.address))?
            .next()
            .ok_or_else(|| format!("no address for {}", target.address))?;
        let tcp = TcpStream::connect_timeout(&addr, target.timeout)
            .map_err(|e| format!("cannot connect: {e}"))?;
        tcp.set_read_timeout(Some(target.timeout))
            .map_err(|e| e.to_string())?;
        tcp.set_write_timeout(Some(target.timeout))
            .map_err(|e| e.to_string())?;
        let _ = tcp.set_nodelay(true);
        Ok(Conn {
            wire: Wire::Clear(tcp),
            buf: Vec::new(),
        })
    }

    fn send(&mut self, bytes: &[u8]) -> Res<()> {
        let r = match &mut self.wire {
            Wire::Clear(s) => s.write_all(bytes).and_then(|_| s.flush()),
            Wire::Tls(s) => s.write_all(bytes).and_then(|_| s.flush()),
        };
        r.map_err(|e| format!("cannot send: {e}"))
    }

    /// The next complete reply.
    fn reply(&mut self) -> Res<Reply> {
        loop {
            match parse_reply(&self.buf) {
                Ok(Status::Complete(p)) => {
                    self.buf.drain(..p.consumed);
                    return Ok(p.value);
                }
                Ok(Status::Partial) => {}
                Err(e) => return Err(format!("malformed reply: {}", e.error)),
            }
            if self.buf.len() > 64 * 1024 {
                return Err("a reply longer than 64 KiB".into());
            }
            let mut chunk = [0u8; 4096];
            let n = match &mut self.wire {
                Wire::Clear(s) => s.read(&mut chunk),
                Wire::Tls(s) => s.read(&mut chunk),
            }
            .map_err(|e| format!("no reply: {e}"))?;
            if n == 0 {
                return Err("the server closed the connection".into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn command(&mut self, line: &str) -> Res<Reply> {
        self.send(format!("{line}\r\n").as_bytes())?;
        self.reply()
    }

    fn ehlo(&mut self, name: &str) -> Res<EhloReply> {
        let reply = self.command(&format!("EHLO {name}"))?;
        if reply.code != 250 {
            return Err(format!("EHLO got {}", said(&reply)));
        }
        EhloReply::from_reply(&reply).map_err(|e| format!("EHLO reply: {e}"))
    }

    /// The TLS handshake, after a 220 to STARTTLS. Bytes already read after the 220 are the
    /// server's, sent in the clear: they are an error here.
    fn handshake(self, target: &Target) -> Res<Conn> {
        if !self.buf.is_empty() {
            return Err(format!(
                "the server sent {} bytes in the clear after its 220",
                self.buf.len()
            ));
        }
        let Wire::Clear(tcp) = self.wire else {
            return Err("TLS is already active".into());
        };
        let (conn, _finding) =
            tls::client_connection(&target.tls, &target.server_name, Arc::default())
                .map_err(|e| format!("TLS configuration: {e}"))?;
        let mut stream = StreamOwned::new(conn, tcp);
        while stream.conn.is_handshaking() {
            stream
                .conn
                .complete_io(&mut stream.sock)
                .map_err(|e| format!("TLS handshake failed: {e}"))?;
        }
        Ok(Conn {
            wire: Wire::Tls(Box::new(stream)),
            buf: Vec::new(),
        })
    }

    /// Greeting, EHLO, STARTTLS (when offered), the handshake and EHLO again.
    fn under_tls(target: &Target) -> Res<Option<(Conn, EhloReply)>> {
        let mut c = Conn::open(target)?;
        greet(&mut c)?;
        let ehlo = c.ehlo(&target.ehlo)?;
        if !ehlo.has("STARTTLS") {
            return Ok(None);
        }
        let r = c.command("STARTTLS")?;
        if r.code != 220 {
            return Err(format!("STARTTLS got {}", said(&r)));
        }
        let mut c = c.handshake(target)?;
        let again = c.ehlo(&target.ehlo)?;
        Ok(Some((c, again)))
    }
}

fn said(r: &Reply) -> String {
    let first = r.lines.first().map(String::as_str).unwrap_or_default();
    match r.enhanced {
        Some(e) => format!("{} {e} {first}", r.code),
        None => format!("{} {first}", r.code),
    }
}

fn greet(c: &mut Conn) -> Res<()> {
    let g = c.reply()?;
    if g.code != 220 {
        return Err(format!("greeting {}", said(&g)));
    }
    Ok(())
}

const NO_STARTTLS: &str = "the server does not offer STARTTLS";

/// CMD-SYNTAX: `STARTTLS x` gets 501.
fn starttls_parameter(t: &Target) -> Res<Verdict> {
    let mut c = Conn::open(t)?;
    greet(&mut c)?;
    let ehlo = c.ehlo(&t.ehlo)?;
    if !ehlo.has("STARTTLS") {
        return Ok(Verdict::Skip(NO_STARTTLS.into()));
    }
    let r = c.command("STARTTLS x")?;
    let _ = c.command("QUIT");
    Ok(match r.code {
        501 => Verdict::Pass(format!("got {}", said(&r))),
        220 => Verdict::Fail(format!("started TLS anyway: {}", said(&r))),
        _ => Verdict::Fail(format!("got {}, not 501", said(&r))),
    })
}

/// REQUIRE-530: before TLS, MAIL gets 530 (where TLS is required).
fn require_530(t: &Target, esc: bool) -> Res<Verdict> {
    let mut c = Conn::open(t)?;
    greet(&mut c)?;
    let ehlo = c.ehlo(&t.ehlo)?;
    let r = c.command("MAIL FROM:<probe@example.org>")?;
    let _ = c.command("QUIT");
    Ok(match (r.code, esc) {
        (530, false) => Verdict::Pass(format!("MAIL before TLS got {}", said(&r))),
        (530, true) if !ehlo.has("ENHANCEDSTATUSCODES") => {
            Verdict::Skip("the server does not offer ENHANCEDSTATUSCODES".into())
        }
        (530, true) => match r.enhanced {
            Some(e) if e.to_string() == "5.7.0" => Verdict::Pass(format!("got {}", said(&r))),
            _ => Verdict::Fail(format!("530 without 5.7.0: {}", said(&r))),
        },
        (250, _) => {
            Verdict::Skip("the server does not require TLS (250 to MAIL before TLS)".into())
        }
        _ => Verdict::Fail(format!("MAIL before TLS got {}, not 530", said(&r))),
    })
}

/// NO-STARTTLS-AFTER: the EHLO reply under TLS does not list STARTTLS.
fn no_starttls_after(t: &Target) -> Res<Verdict> {
    let Some((mut c, ehlo)) = Conn::under_tls(t)? else {
        return Ok(Verdict::Skip(NO_STARTTLS.into()));
    };
    let _ = c.command("QUIT");
    Ok(if ehlo.has("STARTTLS") {
        Verdict::Fail("the EHLO reply under TLS lists STARTTLS".into())
    } else {
        Verdict::Pass("STARTTLS is not listed under TLS".into())
    })
}

/// RESET: after the handshake the session is back at the start: MAIL without a new EHLO is
/// refused (the EHLO before TLS is forgotten).
fn reset(t: &Target) -> Res<Verdict> {
    let mut c = Conn::open(t)?;
    greet(&mut c)?;
    let ehlo = c.ehlo(&t.ehlo)?;
    if !ehlo.has("STARTTLS") {
        return Ok(Verdict::Skip(NO_STARTTLS.into()));
    }
    let r = c.command("STARTTLS")?;
    if r.code != 220 {
        return Err(format!("STARTTLS got {}", said(&r)));
    }
    let mut c = c.handshake(t)?;
    let r = c.command("MAIL FROM:<probe@example.org>")?;
    let _ = c.command("QUIT");
    if (500..=599).contains(&r.code) {
        return Ok(Verdict::Pass(format!(
            "MAIL without a new EHLO got {}",
            said(&r)
        )));
    }
    // A server that never insists on EHLO accepts this MAIL whatever it kept. The control:
    // STARTTLS with no EHLO at all, then MAIL under TLS.
    let mut c = Conn::open(t)?;
    greet(&mut c)?;
    let control = match c.command("STARTTLS")? {
        s if s.code == 220 => {
            let mut c = c.handshake(t)?;
            let m = c.command("MAIL FROM:<probe@example.org>")?;
            let _ = c.command("QUIT");
            Some(m)
        }
        _ => None,
    };
    Ok(match control {
        Some(m) if (200..=299).contains(&m.code) => Verdict::Skip(format!(
            "MAIL without a new EHLO got {}, but this server accepts MAIL with no EHLO at all ({} after a bare STARTTLS), so the probe cannot tell what it kept",
            said(&r),
            said(&m)
        )),
        Some(_) => Verdict::Fail(format!(
            "MAIL without a new EHLO got {}, yet MAIL with no EHLO at all is refused: the EHLO before TLS still counts",
            said(&r)
        )),
        None => Verdict::Skip(format!(
            "MAIL without a new EHLO got {}, and the control (STARTTLS before any EHLO) was refused",
            said(&r)
        )),
    })
}

/// A second STARTTLS under TLS is refused (the client's rule is NO-TLS-TWICE; RFC 3207
/// names no reply, 503 is usual).
fn second_starttls(t: &Target) -> Res<Verdict> {
    let Some((mut c, _)) = Conn::under_tls(t)? else {
        return Ok(Verdict::Skip(NO_STARTTLS.into()));
    };
    let r = c.command("STARTTLS")?;
    let _ = c.command("QUIT");
    Ok(match r.code {
        400..=599 => Verdict::Pass(format!("got {}", said(&r))),
        220 => Verdict::Fail(format!(
            "accepted with {}: it would start a TLS handshake inside TLS",
            said(&r)
        )),
        _ => Verdict::Fail(format!("got {}", said(&r))),
    })
}

/// SERVER-DISCARD: a command sent in the same segment as STARTTLS is not run after the
/// handshake (CVE-2011-0411). The injected command is one no server knows, so its reply
/// cannot be mistaken for the reply to the NOOP that follows under TLS.
fn command_injection(t: &Target) -> Res<Verdict> {
    let mut c = Conn::open(t)?;
    greet(&mut c)?;
    let ehlo = c.ehlo(&t.ehlo)?;
    if !ehlo.has("STARTTLS") {
        return Ok(Verdict::Skip(NO_STARTTLS.into()));
    }
    c.send(b"STARTTLS\r\nXINJECTED\r\n")?;
    let r = c.reply()?;
    if r.code != 220 {
        return Err(format!("STARTTLS got {}", said(&r)));
    }
    if !c.buf.is_empty() {
        return Ok(Verdict::Fail(
            "the server answered the injected command in the clear, after its 220".into(),
        ));
    }
    let mut c = match c.handshake(t) {
        Ok(c) => c,
        Err(e) => return Ok(Verdict::Fail(format!("after the injection: {e}"))),
    };
    let r = c.command("NOOP")?;
    let _ = c.command("QUIT");
    Ok(if r.code == 250 {
        Verdict::Pass("the injected command was not run under TLS".into())
    } else {
        Verdict::Fail(format!(
            "the first reply under TLS was {}: the server ran the command injected before the handshake",
            said(&r)
        ))
    })
}

/// Runs the series, one connection per probe. A probe that cannot run (the connection
/// broke, a step it needs was refused) fails with the reason.
pub fn run(target: &Target) -> Vec<CheckResult> {
    type Probe = fn(&Target) -> Res<Verdict>;
    let probes: [(&'static str, RuleId, Probe); 7] = [
        (
            "STARTTLS with a parameter gets 501",
            RuleId::CmdSyntax,
            starttls_parameter,
        ),
        (
            "MAIL before TLS gets 530 where TLS is required",
            RuleId::Require530,
            |t| require_530(t, false),
        ),
        ("that 530 carries 5.7.0", RuleId::Require530Esc, |t| {
            require_530(t, true)
        }),
        (
            "STARTTLS not listed under TLS",
            RuleId::NoStarttlsAfter,
            no_starttls_after,
        ),
        (
            "the session is reset after the handshake",
            RuleId::Reset,
            reset,
        ),
        (
            "a second STARTTLS under TLS is refused",
            RuleId::NoTlsTwice,
            second_starttls,
        ),
        (
            "commands behind STARTTLS are not run",
            RuleId::ServerDiscard,
            command_injection,
        ),
    ];
    probes
        .iter()
        .map(|(name, rule, probe)| CheckResult {
            name,
            rule: *rule,
            verdict: probe(target).unwrap_or_else(Verdict::Fail),
        })
        .collect()
}

/// `N passed, M failed, K skipped`.
pub fn summary(results: &[CheckResult]) -> String {
    let count = |f: fn(&Verdict) -> bool| results.iter().filter(|r| f(&r.verdict)).count();
    format!(
        "{} passed, {} failed, {} skipped",
        count(|v| matches!(v, Verdict::Pass(_))),
        count(|v| matches!(v, Verdict::Fail(_))),
        count(|v| matches!(v, Verdict::Skip(_)))
    )
}
