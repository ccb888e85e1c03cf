//! The lab's SMTP server: accepts connections on a listener, runs each as a session of the
//! chosen policy, never relays, and writes one trace (and, if asked, one maildir file) per
//! session.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use starttls_sim::scenario::Scenario;
use starttls_sim::trace::{Actor, Detail, LabSession, Trace};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

use crate::accept::{accept_loop, write_trace};
use crate::limits::Limits;
use crate::live::LiveHub;
use crate::report::SessionReport;
use crate::session::run_session;

/// What the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The policy: the scenario's server, TLS settings and attacker.
    pub scenario: Scenario,
    /// Where to write one trace JSON per session.
    pub traces: Option<PathBuf>,
    /// Where to deliver each accepted message, as a maildir (`new/`, `tmp/`, `cur/`).
    pub maildir: Option<PathBuf>,
    /// The limits.
    pub limits: Limits,
    /// The live view, if the lab runs with `--live`: sessions are published there, and its
    /// policy (which a page may change under `--allow-control`) replaces `scenario`.
    pub live: Option<Arc<LiveHub>>,
}

/// What the server did, for the summary printed at the end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Sessions run to their end.
    pub sessions: usize,
    /// Connections refused with 421 beyond the session limit.
    pub refused: usize,
    /// Messages accepted.
    pub delivered: usize,
    /// Sessions whose handshake completed.
    pub tls_sessions: usize,
    /// Sessions in which either side broke a rule.
    pub with_rules_broken: usize,
}

impl Summary {
    /// The summary line.
    pub fn line(&self) -> String {
        format!(
            "lab server: {} sessions ({} under TLS, {} with rules broken), {} messages delivered, {} connections refused (421)",
            self.sessions, self.tls_sessions, self.with_rules_broken, self.delivered, self.refused
        )
    }
}

/// RFC 3339 UTC time of `t`, to the second.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Serves connections on `listener` until `shutdown` resolves; `on_session` gets each
/// session's report as it ends. Returns the summary. A session's failure never stops the
/// server.
pub async fn serve(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
    on_session: impl Fn(&SessionReport) + Send + Sync + 'static,
) -> Summary {
    let config = Arc::new(config);
    let summary = Arc::new(Mutex::new(Summary::default()));
    let on_session = Arc::new(on_session);
    let local = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let max = config.limits.max_sessions;
    let counted = accept_loop(listener, max, shutdown, |stream, peer, n| {
        let (config, summary, on_session, local) = (
            config.clone(),
            summary.clone(),
            on_session.clone(),
            local.clone(),
        );
        async move {
            let lab = LabSession {
                remote: Actor::Client,
                peer: peer.to_string(),
                local,
                started: rfc3339(SystemTime::now()),
                software: None,
            };
            let scenario = match &config.live {
                Some(hub) => hub.scenario(),
                None => config.scenario.clone(),
            };
            let mut feed = config.live.as_ref().map(|hub| {
                hub.feed(
                    n as u64,
                    starttls_sim::trace::TraceScenario {
                        id: scenario.id.clone(),
                        title: scenario.title.clone(),
                    },
                    lab.clone(),
                )
            });
            let finished = run_session(stream, &scenario, lab, config.limits, feed.as_mut()).await;
            let report = SessionReport::of(&finished.trace, finished.ended_by_lab);
            if let Some(feed) = feed {
                feed.end(
                    &finished.trace,
                    crate::live::summary_of(&report, &finished.trace),
                );
            }
            if let Some(dir) = &config.traces {
                write_trace(dir, n, &finished.trace);
            }
            if let Some(dir) = &config.maildir {
                deliver(dir, n, &finished.trace);
            }
            {
                let mut s = summary.lock().await;
                s.sessions += 1;
                s.delivered += report.delivered;
                s.tls_sessions += usize::from(report.tls.is_some());
                s.with_rules_broken += usize::from(!report.rules_broken.is_empty());
            }
            on_session(&report);
        }
    })
    .await;
    let mut s = summary.lock().await.clone();
    s.refused = counted.refused;
    s
}

/// Delivers each message the session accepted into the maildir `dir` (written in `tmp/`,
/// then moved to `new/`, as maildir readers expect).
fn deliver(dir: &std::path::Path, n: usize, trace: &Trace) {
    let bodies = trace.steps.iter().filter_map(|s| match &s.detail {
        Detail::Server(e) => match e.as_ref() {
            starttls_protocol::server::ServerEvent::MessageAccepted { body, .. } => Some(body),
            _ => None,
        },
        _ => None,
    });
    for (m, body) in bodies.enumerate() {
        let name = format!(
            "{}.S{n}M{m}.starttls-lab",
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        );
        let result = ["tmp", "new", "cur"]
            .iter()
            .try_for_each(|d| std::fs::create_dir_all(dir.join(d)))
            .and_then(|_| std::fs::write(dir.join("tmp").join(&name), body))
            .and_then(|_| {
                std::fs::rename(dir.join("tmp").join(&name), dir.join("new").join(&name))
            });
        if let Err(e) = result {
            eprintln!("lab server: cannot deliver to {}: {e}", dir.display());
        }
    }
}
