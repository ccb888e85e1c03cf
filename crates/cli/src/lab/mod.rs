//! `starttls-playground lab server`: the lab's SMTP server on a real socket.
//!
//! ```text
//! starttls-playground lab server [--listen ADDR] [--scenario ID] [--set key=value ...]
//!     [--traces DIR] [--maildir DIR] [--max-sessions N] [--idle-timeout SECS]
//!     [--session-timeout SECS] [--handshake-timeout SECS]
//! starttls-playground lab client --connect HOST:PORT [--scenario ID] [--set key=value ...]
//!     [--insecure] [--trace FILE] [--json] [--check] [--idle-timeout SECS]
//!     [--handshake-timeout SECS]
//! ```
//!
//! `lab server` listens on `127.0.0.1:2525` unless `--listen` names another address (port 0 picks a
//! free one). Its first line is `lab server listening on ADDR (scenario ID)`; then one line
//! per session; on Ctrl-C or SIGTERM, a summary, and exit status 0. It accepts mail and never
//! relays it.
//!
//! `lab client` sends the scenario's test message to a real server by the scenario's client
//! policy, and prints the transcript with the markers of `run`. `--insecure` accepts a server
//! whose certificate the test PKI does not vouch for (the SMTP client judges the session,
//! DECIDE-AFTER); `--ca FILE` trusts the PEM certificates of FILE instead of the test CA.
//! `lab server --cert FILE --key FILE` presents that chain and key (PEM; RSA or ECDSA)
//! instead of the test PKI's. Exit codes: 0 the session ended as the policy wants (delivered, or refused
//! for a reason the policy names: TLS unavailable or insufficient); 1 it did not (refused by
//! the server, aborted, broken off); 2 bad usage or an invalid policy; 3 the connection could
//! not be made.
//!
//! `lab proxy` listens (on `127.0.0.1:2526` by default), connects each client to
//! `--upstream`, and puts the engine's attacker between them: `--attack` is the attacker's
//! mode (`strip-starttls`, `tamper-ehlo`, `rewrite-starttls`, `inject-commands`,
//! `replace220`, `inject-replies`, `flip-tls-byte`; the fields a mode needs come with
//! `--set attacker.FIELD=…`).
//! It prints one line per session and writes its trace with `--traces`.
//!
//! `lab client --check` runs the conformance series of [`starttls_lab::check`] instead, one
//! connection per probe, and prints `PASS`/`FAIL`/`SKIP` with the rule ID of each, then
//! `N passed, M failed, K skipped`; its exit status is 0 when none failed, 1 otherwise.

mod live;
mod options;

use std::process::ExitCode;

use options::Options;
use starttls_lab::ServerConfig;
use starttls_sim::scenario;

pub const USAGE: &str =
    "  starttls-playground lab server [--listen ADDR] [--scenario ID] [--set key=value ...]
      [--traces DIR] [--maildir DIR] [--cert FILE --key FILE] [--max-sessions N]
      [--idle-timeout SECS] [--session-timeout SECS] [--handshake-timeout SECS]
  starttls-playground lab client --connect HOST:PORT [--scenario ID] [--set key=value ...]
      [--insecure | --ca FILE] [--trace FILE] [--json] [--check]
      [--idle-timeout SECS] [--handshake-timeout SECS]
  starttls-playground lab proxy --upstream HOST:PORT --attack MODE [--listen ADDR] [--scenario ID]
      [--set key=value ...] [--traces DIR] [--max-sessions N] [--idle-timeout SECS]
  Each lab command also takes --live [--live-listen ADDR] [--live-lan]
      [--live-origin ORIGIN ...] [--allow-control] [--dist DIR]: it serves the built app and
      streams its sessions to the page, and prints the page's URL.";

/// Runs `lab …`.
pub fn main(args: &[String]) -> ExitCode {
    match args.first().map(String::as_str) {
        Some("server") => server(&args[1..]),
        Some("client") => client(&args[1..]),
        Some("proxy") => proxy(&args[1..]),
        Some(other) => crate::usage(&format!("unknown lab command {other:?}")),
        None => crate::usage("lab needs a command: server, client or proxy"),
    }
}

/// The scenario `id` with the `--set` overrides; exit 2 with the reason when either is wrong.
fn policy(id: &str, overrides: &[(String, String)]) -> Result<starttls_sim::Scenario, ExitCode> {
    scenario::find(id)
        .and_then(|s| scenario::with_overrides(&s, overrides))
        .map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::from(2)
        })
}

/// The tokio runtime; exit 3 if it cannot start.
fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the runtime: {e}");
            ExitCode::from(3)
        })
}

/// A listener on `listen`, and the address it got (port 0 picks one); exit 2 if it cannot.
async fn bind(listen: String) -> Result<(tokio::net::TcpListener, String), ExitCode> {
    let listener = tokio::net::TcpListener::bind(&listen).await.map_err(|e| {
        eprintln!("error: cannot listen on {listen}: {e}");
        ExitCode::from(2)
    })?;
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or(listen);
    Ok((listener, addr))
}

fn server(args: &[String]) -> ExitCode {
    let mut listen = "127.0.0.1:2525".to_string();
    let mut traces = None;
    let mut maildir = None;
    let mut cert: Option<String> = None;
    let mut key: Option<String> = None;
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let r: Result<(), String> = match a.as_str() {
            "--listen" => it
                .next()
                .map(|v| listen = v.clone())
                .ok_or("--listen needs ADDR".into()),
            "--traces" => it
                .next()
                .map(|v| traces = Some(v.into()))
                .ok_or("--traces needs a directory".into()),
            "--maildir" => it
                .next()
                .map(|v| maildir = Some(v.into()))
                .ok_or("--maildir needs a directory".into()),
            "--cert" => it
                .next()
                .map(|v| cert = Some(v.clone()))
                .ok_or("--cert needs a PEM file".into()),
            "--key" => it
                .next()
                .map(|v| key = Some(v.clone()))
                .ok_or("--key needs a PEM file".into()),
            other => o.take(other, &mut it),
        };
        if let Err(e) = r {
            return crate::usage(&e);
        }
    }
    let Options {
        id,
        overrides,
        limits,
        live,
    } = o;
    if let Err(e) = live.check() {
        return crate::usage(&e);
    }
    let scenario = match policy(&id, &overrides) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut scenario = scenario;
    match (cert, key) {
        (Some(cert), Some(key)) => {
            let read = |f: &str| std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}"));
            match read(&cert).and_then(|c| read(&key).map(|k| (c, k))) {
                Ok(pair) => scenario.tls.server_pem = Some(pair),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        (None, None) => {}
        _ => return crate::usage("--cert and --key go together"),
    }
    // The policy and the certificate must work before the first connection comes.
    if let Err(e) = starttls_sim::Engine::new(&scenario) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let tls = starttls_sim::tls::TlsSettings {
        real_peer_crypto: true,
        ..scenario.tls.clone()
    };
    if let Err(e) = starttls_sim::tls::server_connection(&tls) {
        eprintln!("error: the server certificate: {e}");
        return ExitCode::from(2);
    }
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let (listener, addr) = match bind(listen).await {
            Ok(bound) => bound,
            Err(code) => return code,
        };
        out!("lab server listening on {addr} (scenario {id})");
        let live = match live.start("server", scenario.clone()).await {
            Ok(hub) => hub,
            Err(code) => return code,
        };
        let config = ServerConfig {
            scenario,
            traces,
            maildir,
            limits,
            live,
        };
        let summary = starttls_lab::serve(listener, config, stop_signal(), |report| {
            out!("{}", report.line());
        })
        .await;
        out!("{}", summary.line());
        ExitCode::SUCCESS
    })
}

/// Ctrl-C, or SIGTERM (how a test or a service manager stops the lab).
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn client(args: &[String]) -> ExitCode {
    let mut connect = None;
    let mut trace_file: Option<std::path::PathBuf> = None;
    let mut ca: Option<String> = None;
    let mut json = false;
    let mut check = false;
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let r: Result<(), String> = match a.as_str() {
            "--connect" => it
                .next()
                .map(|v| connect = Some(v.clone()))
                .ok_or("--connect needs HOST:PORT".into()),
            "--insecure" => {
                o.overrides
                    .push(("tls.cert_check".into(), "smtp-decides".into()));
                o.overrides
                    .push(("client.accept_unauthenticated_tls".into(), "true".into()));
                Ok(())
            }
            "--ca" => it
                .next()
                .map(|v| ca = Some(v.clone()))
                .ok_or("--ca needs a PEM file".into()),
            "--trace" => it
                .next()
                .map(|v| trace_file = Some(v.into()))
                .ok_or("--trace needs a file".into()),
            "--json" => {
                json = true;
                Ok(())
            }
            "--check" => {
                check = true;
                Ok(())
            }
            other => o.take(other, &mut it),
        };
        if let Err(e) = r {
            return crate::usage(&e);
        }
    }
    let Options {
        id,
        overrides,
        limits,
        live,
    } = o;
    if let Err(e) = live.check() {
        return crate::usage(&e);
    }
    let Some(connect) = connect else {
        return crate::usage("lab client needs --connect HOST:PORT");
    };
    let scenario = match policy(&id, &overrides) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Err(e) = starttls_sim::Engine::new(&scenario) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let mut scenario = scenario;
    if let Some(ca) = &ca {
        match std::fs::read_to_string(ca)
            .map_err(|e| e.to_string())
            .and_then(|pem| {
                starttls_sim::pki::roots_from(&pem)
                    .map(|_| pem)
                    .map_err(|e| e.to_string())
            }) {
            Ok(pem) => scenario.tls.roots_pem = Some(pem),
            Err(e) => {
                eprintln!("error: {ca}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if check {
        let target = starttls_lab::check::Target {
            address: connect,
            server_name: scenario.client.expected_server_name.clone(),
            ehlo: scenario.script.ehlo_name.clone(),
            tls: scenario.tls.clone(),
            timeout: limits.idle_timeout,
        };
        let results = starttls_lab::check::run(&target);
        for r in &results {
            out!("{}", r.line());
        }
        out!("{}", starttls_lab::check::summary(&results));
        let failed = results
            .iter()
            .any(|r| matches!(r.verdict, starttls_lab::check::Verdict::Fail(_)));
        return if failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        };
    }
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let finished = runtime.block_on(async {
        let stream = tokio::time::timeout(
            limits.idle_timeout,
            tokio::net::TcpStream::connect(&connect),
        )
        .await
        .map_err(|_| "timed out".to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let lab = starttls_sim::trace::LabSession {
            remote: starttls_sim::trace::Actor::Server,
            peer: stream
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or(connect.clone()),
            local: stream
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default(),
            started: starttls_lab::rfc3339(std::time::SystemTime::now()),
            software: None,
        };
        let hub = live
            .start("client", scenario.clone())
            .await
            .map_err(|_| "the live view cannot start".to_string())?;
        let mut feed = hub.as_ref().map(|h| {
            h.feed(
                1,
                starttls_sim::trace::TraceScenario {
                    id: scenario.id.clone(),
                    title: scenario.title.clone(),
                },
                lab.clone(),
            )
        });
        let finished =
            starttls_lab::run_session(stream, &scenario, lab, limits, feed.as_mut()).await;
        if let Some(feed) = feed {
            let report =
                starttls_lab::SessionReport::of(&finished.trace, finished.ended_by_lab.clone());
            feed.end(
                &finished.trace,
                starttls_lab::live::summary_of(&report, &finished.trace),
            );
            out!("the session is over; the live view stays up until Ctrl-C");
            stop_signal().await;
        }
        Ok::<_, String>(finished)
    });
    let finished = match finished {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot connect to {connect}: {e}");
            return ExitCode::from(3);
        }
    };
    let trace = finished.trace;
    if let Some(path) = &trace_file
        && let Err(e) = std::fs::write(path, trace.to_json())
    {
        eprintln!("error: {}: {e}", path.display());
        return ExitCode::from(3);
    }
    if json {
        out!("{}", trace.to_json());
    } else {
        let text = starttls_sim::transcript::render(&trace, false);
        out!("{}", text.trim_end());
        if let Some(why) = &finished.ended_by_lab {
            out!("!! the lab closed the session: {why}");
        }
    }
    use starttls_protocol::client::ClientOutcome as O;
    match &trace.outcome.client {
        Some(O::Delivered { .. } | O::TlsUnavailable { .. } | O::QuitInsecure { .. }) => {
            ExitCode::SUCCESS
        }
        _ => ExitCode::from(1),
    }
}

fn proxy(args: &[String]) -> ExitCode {
    let mut listen = "127.0.0.1:2526".to_string();
    let mut upstream = None;
    let mut traces = None;
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let r: Result<(), String> = match a.as_str() {
            "--listen" => it
                .next()
                .map(|v| listen = v.clone())
                .ok_or("--listen needs ADDR".into()),
            "--upstream" => it
                .next()
                .map(|v| upstream = Some(v.clone()))
                .ok_or("--upstream needs HOST:PORT".into()),
            "--attack" => match it.next() {
                Some(m) => {
                    o.overrides.insert(0, ("attacker.mode".into(), m.clone()));
                    Ok(())
                }
                None => Err("--attack needs a mode".into()),
            },
            "--traces" => it
                .next()
                .map(|v| traces = Some(v.into()))
                .ok_or("--traces needs a directory".into()),
            other => o.take(other, &mut it),
        };
        if let Err(e) = r {
            return crate::usage(&e);
        }
    }
    let Options {
        id,
        overrides,
        limits,
        live,
    } = o;
    if let Err(e) = live.check() {
        return crate::usage(&e);
    }
    let Some(upstream) = upstream else {
        return crate::usage("lab proxy needs --upstream HOST:PORT");
    };
    let scenario = match policy(&id, &overrides) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let (listener, addr) = match bind(listen).await {
            Ok(bound) => bound,
            Err(code) => return code,
        };
        out!(
            "lab proxy listening on {addr} (upstream {upstream}; attacker: {})",
            scenario.attacker.describe()
        );
        let live = match live.start("proxy", scenario.clone()).await {
            Ok(hub) => hub,
            Err(code) => return code,
        };
        let config = starttls_lab::proxy::ProxyConfig {
            scenario,
            upstream,
            traces,
            limits,
            live,
        };
        let n = starttls_lab::proxy::serve_proxy(listener, config, stop_signal(), |line| {
            out!("{line}")
        })
        .await;
        out!("lab proxy: {n} sessions carried");
        ExitCode::SUCCESS
    })
}
