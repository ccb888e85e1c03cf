//! Load on loopback: how many TLS 1.3 sessions a second the lab server sustains, how many it
//! holds at once, and its resident memory meanwhile. The load generator is the lab's own
//! client (the engine's client machine and rustls over TCP), in the same process.
//! Bounded in count and in time; run with `cargo bench -p starttls-lab`.
//! Figures are printed, not asserted.

use std::time::{Duration, Instant, SystemTime};

use starttls_lab::memory::resident_kib;
use starttls_lab::{Limits, ServerConfig, rfc3339, run_session, serve};
use starttls_sim::scenario;
use starttls_sim::trace::{Actor, LabSession};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

const SESSIONS: usize = 400;
const CONCURRENCY: usize = 32;
const HELD: usize = 256;
const BUDGET: Duration = Duration::from_secs(120);

async fn one(addr: std::net::SocketAddr, s: &starttls_sim::Scenario) -> bool {
    let Ok(stream) = TcpStream::connect(addr).await else {
        return false;
    };
    let lab = LabSession {
        remote: Actor::Server,
        peer: addr.to_string(),
        local: String::new(),
        started: rfc3339(SystemTime::now()),
        software: None,
    };
    let done = run_session(stream, s, lab, Limits::default(), None).await;
    matches!(
        done.trace.outcome.client,
        Some(starttls_protocol::client::ClientOutcome::Delivered {
            under_tls: true,
            ..
        })
    )
}

fn main() {
    // `cargo test --benches` runs this with `--bench`-less arguments: keep it to real runs.
    if !std::env::args().any(|a| a == "--bench") {
        println!("load: run with `cargo bench -p starttls-lab`");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let s = scenario::find("happy-path").unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = Limits { max_sessions: HELD + CONCURRENCY, ..Limits::default() };
        let config = ServerConfig { scenario: s.clone(), traces: None, maildir: None, limits, live: None };
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, config, async { let _ = stop_rx.await; }, |_| {}));
        let rss_before = resident_kib();

        // Sessions a second: SESSIONS full deliveries under TLS 1.3, CONCURRENCY at a time.
        let started = Instant::now();
        let mut ok = 0;
        let mut done = 0;
        while done < SESSIONS && started.elapsed() < BUDGET {
            let batch: Vec<_> = (0..CONCURRENCY.min(SESSIONS - done))
                .map(|_| {
                    let s = s.clone();
                    tokio::spawn(async move { one(addr, &s).await })
                })
                .collect();
            for b in batch {
                ok += usize::from(b.await.unwrap_or(false));
                done += 1;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "load: {done} sessions ({ok} delivered under TLS 1.3) in {secs:.2} s: {:.0} sessions/s at {CONCURRENCY} concurrent",
            done as f64 / secs
        );

        // Sessions held at once: HELD clients that read the greeting and wait.
        let mut held = Vec::new();
        for _ in 0..HELD {
            if let Ok(mut c) = TcpStream::connect(addr).await {
                let mut g = [0u8; 64];
                if matches!(c.read(&mut g).await, Ok(n) if n > 3 && g.starts_with(b"220")) {
                    held.push(c);
                }
            }
        }
        println!(
            "load: {} sessions held at once; resident memory {} KiB (was {} KiB before the load)",
            held.len(),
            resident_kib(),
            rss_before
        );
        drop(held);
        let _ = stop_tx.send(());
        let summary = server.await.unwrap();
        println!("load: {}", summary.line());
    });
}
