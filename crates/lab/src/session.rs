//! One lab session over a socket: the engine's local machine against the real peer, under
//! the [`Limits`], until either side ends it.

use std::time::Instant;

use starttls_sim::Engine;
use starttls_sim::scenario::Scenario;
use starttls_sim::trace::{Actor, Detail, LabSession, Trace};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;

use crate::limits::Limits;
use crate::live::SessionFeed;

/// The largest read from the socket at once. The protocol machine bounds what it buffers
/// ([`starttls_protocol::limits`]), so a 10 MB line is refused in pieces, never held whole.
const READ_CHUNK: usize = 16 * 1024;

/// The end of a session: its trace, and the limit that ended it, if one did.
pub struct Finished {
    /// The trace, with its [`LabSession`].
    pub trace: Trace,
    /// The limit that made the lab close the session.
    pub ended_by_lab: Option<String>,
}

/// Runs one session on `stream`: the lab's server when `lab.remote` is the client, the
/// lab's client when it is the server. With a `feed`, each step goes to the live view as
/// soon as the engine has written it.
pub async fn run_session<S>(
    mut stream: S,
    scenario: &Scenario,
    lab: LabSession,
    limits: Limits,
    mut feed: Option<&mut SessionFeed>,
) -> Finished
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let started = Instant::now();
    // A real peer's certificate is judged at the real time, not the simulation's clock.
    let mut scenario = scenario.clone();
    scenario.tls.now_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(scenario.tls.now_unix);
    let scenario = &scenario;
    let mut engine = match Engine::with_remote(scenario, lab.remote) {
        Ok(e) => e,
        Err(e) => {
            if lab.remote == Actor::Client {
                let _ = stream
                    .write_all(b"421 4.3.0 The lab cannot run this policy\r\n")
                    .await;
            }
            return Finished {
                trace: empty_trace(scenario, lab),
                ended_by_lab: Some(format!("configuration: {e}")),
            };
        }
    };
    engine.set_lab(lab);
    let mut ended_by_lab = None;
    if let Err(e) = engine.run() {
        ended_by_lab = Some(format!("engine: {e}"));
    }
    let mut buf = vec![0u8; READ_CHUNK];
    let mut handshake_started: Option<Instant> = None;
    let mut hold_started: Option<Instant> = None;
    while ended_by_lab.is_none() {
        if let Some(feed) = feed.as_deref_mut() {
            feed.steps(engine.steps());
        }
        let out = engine.take_remote_output();
        if !out.is_empty() && stream.write_all(&out).await.is_err() {
            engine.remote_closed();
            break;
        }
        if engine.local_finished() {
            break;
        }
        // The tightest of the limits that run now.
        let elapsed = started.elapsed();
        let Some(left) = limits.session_timeout.checked_sub(elapsed) else {
            ended_by_lab = Some("session timeout".into());
            break;
        };
        let mut wait = limits.idle_timeout.min(left);
        let mut what = if wait == left {
            "session timeout"
        } else {
            "idle timeout"
        };
        if engine.is_handshaking() {
            let since = *handshake_started.get_or_insert_with(Instant::now);
            match limits.handshake_timeout.checked_sub(since.elapsed()) {
                Some(h) if h < wait => {
                    wait = h;
                    what = "handshake timeout";
                }
                Some(_) => {}
                None => {
                    ended_by_lab = Some("handshake timeout".into());
                    break;
                }
            }
        }
        let mut holding = false;
        if engine.holds_reply() {
            let since = *hold_started.get_or_insert_with(Instant::now);
            let h = limits.reply_hold.saturating_sub(since.elapsed());
            if h < wait {
                wait = h;
                holding = true;
            }
        }
        match timeout(wait, stream.read(&mut buf)).await {
            // The client waited for the held reply: it goes out now.
            Err(_) if holding => engine.release_reply(),
            Err(_) => {
                ended_by_lab = Some(what.into());
            }
            Ok(Ok(0)) | Ok(Err(_)) => {
                engine.remote_closed();
                break;
            }
            Ok(Ok(n)) => {
                engine.set_time_ms(started.elapsed().as_millis() as u64);
                if let Err(e) = engine.receive_remote(&buf[..n]) {
                    ended_by_lab = Some(format!("engine: {e}"));
                }
            }
        }
    }
    // What the local side still has to say (a 221, an alert) goes out before the close.
    let out = engine.take_remote_output();
    if !out.is_empty() {
        let _ = timeout(limits.idle_timeout, stream.write_all(&out)).await;
    }
    let _ = timeout(limits.idle_timeout, stream.shutdown()).await;
    let mut trace = engine.trace();
    if let Some(lab) = trace.lab.as_mut()
        && lab.software.is_none()
    {
        lab.software = match lab.remote {
            Actor::Client => client_software(&trace.steps),
            _ => server_software(&trace.steps),
        };
    }
    Finished {
        trace,
        ended_by_lab,
    }
}

/// The server software, as its greeting names it (`220 host ESMTP Postfix (Debian/GNU)`):
/// the greeting's text after the host name, if any.
fn server_software(steps: &[starttls_sim::trace::Step]) -> Option<String> {
    steps.iter().find_map(|s| match &s.detail {
        Detail::Wire(v) if s.actor == Actor::Server => v.smtp.iter().find_map(|i| match i {
            starttls_sim::trace::SmtpItem::Reply { reply, .. } if reply.code == 220 => reply
                .lines
                .first()
                .and_then(|l| l.split_once(' '))
                .map(|(_, rest)| rest.trim().chars().take(120).collect::<String>())
                .filter(|r| !r.is_empty()),
            _ => None,
        }),
        _ => None,
    })
}

/// The client software, from the headers of a message it sent (`X-Mailer`, `User-Agent`).
fn client_software(steps: &[starttls_sim::trace::Step]) -> Option<String> {
    steps.iter().find_map(|s| match &s.detail {
        Detail::Server(e) => match e.as_ref() {
            starttls_protocol::server::ServerEvent::MessageAccepted { body, .. } => body
                .split("\r\n\r\n")
                .next()
                .unwrap_or_default()
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    (name.eq_ignore_ascii_case("x-mailer")
                        || name.eq_ignore_ascii_case("user-agent"))
                    .then(|| value.trim().chars().take(120).collect())
                }),
            _ => None,
        },
        _ => None,
    })
}

pub(crate) fn empty_trace(scenario: &Scenario, lab: LabSession) -> Trace {
    Trace {
        schema_version: starttls_sim::trace::SCHEMA_VERSION,
        scenario: starttls_sim::trace::TraceScenario {
            id: scenario.id.clone(),
            title: scenario.title.clone(),
        },
        steps: Vec::new(),
        outcome: Default::default(),
        key_log: Vec::new(),
        lab: Some(lab),
    }
}
