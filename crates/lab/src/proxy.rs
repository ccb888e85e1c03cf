//! The lab proxy: between a real client and a real server, the engine's attacker on the wire.
//! Each connection from a client opens one to the upstream server; the session's trace shows
//! what each side sent and what the attacker changed.

use std::future::Future;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use starttls_sim::Engine;
use starttls_sim::scenario::Scenario;
use starttls_sim::trace::{Actor, LabSession, Trace};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

use crate::accept::{accept_loop, write_trace};
use crate::limits::Limits;
use crate::live::{LiveHub, SessionFeed};
use crate::server::rfc3339;

/// What the proxy runs.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// The attacker (the scenario's `attacker`); the rest of the scenario is not used.
    pub scenario: Scenario,
    /// The real server, `host:port`.
    pub upstream: String,
    /// Where to write one trace JSON per session.
    pub traces: Option<std::path::PathBuf>,
    /// The limits.
    pub limits: Limits,
    /// The live view, if the proxy runs with `--live`.
    pub live: Option<Arc<LiveHub>>,
}

/// One proxied session, as the proxy prints it.
pub fn line(trace: &Trace, ended: Option<&str>) -> String {
    let lab = trace.lab.as_ref();
    let attacked = trace
        .steps
        .iter()
        .filter(|s| s.actor == Actor::Attacker)
        .map(|s| s.text.clone())
        .next();
    format!(
        "session {} -> {}: {}; {}{}",
        lab.map(|l| l.peer.as_str()).unwrap_or(""),
        lab.map(|l| l.local.as_str()).unwrap_or(""),
        if trace.outcome.tls_established {
            "TLS records passed"
        } else {
            "no TLS"
        },
        attacked.unwrap_or_else(|| "the attacker changed nothing".into()),
        ended
            .map(|e| format!("; closed by the lab: {e}"))
            .unwrap_or_default()
    )
}

/// Carries one client connection to the upstream server through the engine.
pub async fn proxy_one(
    mut client: TcpStream,
    config: &ProxyConfig,
    lab: LabSession,
    mut feed: Option<&mut SessionFeed>,
) -> (Trace, Option<String>) {
    let mut engine = match Engine::proxy(&config.scenario) {
        Ok(e) => e,
        Err(e) => {
            return (
                crate::session::empty_trace(&config.scenario, lab),
                Some(format!("configuration: {e}")),
            );
        }
    };
    engine.set_lab(lab);
    let limits = config.limits;
    let mut server = match timeout(limits.idle_timeout, TcpStream::connect(&config.upstream)).await
    {
        Ok(Ok(s)) => s,
        _ => {
            let _ = client
                .write_all(b"421 4.4.1 The upstream server cannot be reached\r\n")
                .await;
            return (
                engine.trace(),
                Some(format!("cannot connect to {}", config.upstream)),
            );
        }
    };
    let _ = server.set_nodelay(true);
    let started = Instant::now();
    let mut a = vec![0u8; 16 * 1024];
    let mut b = vec![0u8; 16 * 1024];
    let mut ended = None;
    loop {
        let Some(left) = limits.session_timeout.checked_sub(started.elapsed()) else {
            ended = Some("session timeout".to_string());
            break;
        };
        let wait = limits.idle_timeout.min(left);
        let (from, n) = tokio::select! {
            r = client.read(&mut a) => (Actor::Client, r),
            r = server.read(&mut b) => (Actor::Server, r),
            _ = tokio::time::sleep(wait) => {
                ended = Some("idle timeout".to_string());
                break;
            }
        };
        let n = match n {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        engine.set_time_ms(started.elapsed().as_millis() as u64);
        let bytes = if from == Actor::Client {
            &a[..n]
        } else {
            &b[..n]
        };
        if let Err(e) = engine.receive_from(from, bytes) {
            ended = Some(format!("engine: {e}"));
            break;
        }
        if let Some(feed) = feed.as_deref_mut() {
            feed.steps(engine.steps());
        }
        let to_server = engine.take_output_for(Actor::Server);
        let to_client = engine.take_output_for(Actor::Client);
        if (!to_server.is_empty() && server.write_all(&to_server).await.is_err())
            || (!to_client.is_empty() && client.write_all(&to_client).await.is_err())
        {
            break;
        }
    }
    let _ = timeout(limits.idle_timeout, client.shutdown()).await;
    let _ = timeout(limits.idle_timeout, server.shutdown()).await;
    (engine.trace(), ended)
}

/// Serves clients on `listener` until `shutdown` resolves; `on_session` gets each session's
/// line. Returns the number of sessions carried.
pub async fn serve_proxy(
    listener: TcpListener,
    config: ProxyConfig,
    shutdown: impl Future<Output = ()>,
    on_session: impl Fn(&str) + Send + Sync + 'static,
) -> usize {
    let config = Arc::new(config);
    let on_session = Arc::new(on_session);
    let max = config.limits.max_sessions;
    accept_loop(listener, max, shutdown, |stream, peer, n| {
        let (config, on_session) = (config.clone(), on_session.clone());
        async move {
            let lab = LabSession {
                remote: Actor::Wire,
                peer: peer.to_string(),
                local: config.upstream.clone(),
                started: rfc3339(SystemTime::now()),
                software: None,
            };
            let mut feed = config.live.as_ref().map(|hub| {
                hub.feed(
                    n as u64,
                    starttls_sim::trace::TraceScenario {
                        id: config.scenario.id.clone(),
                        title: config.scenario.title.clone(),
                    },
                    lab.clone(),
                )
            });
            let (trace, ended) = proxy_one(stream, &config, lab, feed.as_mut()).await;
            if let Some(feed) = feed {
                feed.end(&trace, crate::live::proxy_summary(&trace));
            }
            if let Some(dir) = &config.traces {
                write_trace(dir, n, &trace);
            }
            on_session(&line(&trace, ended.as_deref()));
        }
    })
    .await
    .sessions
}
