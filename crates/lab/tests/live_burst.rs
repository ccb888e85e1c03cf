//! A burst of sessions against a lab with a live listener, in a test binary of its own so that
//! the resident memory it reads is this test's alone.

mod common;

use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use starttls_lab::memory::resident_kib;
use starttls_sim::live::{KEPT_SESSIONS, LabMessage};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// 1,000 sessions in a burst (each a greeting and QUIT) with a page that never reads: the lab
/// keeps only the newest sessions, drops the page rather than buffer for it, and its memory
/// stays bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_1000_sessions_keeps_the_lab_bounded_and_drops_a_page_that_never_reads() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let r = start("happy-path", false, false).await;
    // A page that connects and then reads nothing.
    let mut stalled = open(&ws_url(&r.url), Some(&origin(&r))).await.unwrap();
    let before = resident_kib();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..1000 {
        let smtp = r.smtp;
        tasks.spawn(async move {
            let mut s = TcpStream::connect(smtp).await.unwrap();
            let mut buf = [0u8; 256];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(b"QUIT\r\n").await;
            let mut rest = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut rest)).await;
        });
        if tasks.len() >= 64 {
            tasks.join_next().await;
        }
    }
    while tasks.join_next().await.is_some() {}
    let after = resident_kib();
    assert_eq!(r.hub.kept_sessions(), KEPT_SESSIONS);
    eprintln!("burst: RSS {before} KiB before, {after} KiB after 1000 sessions");
    assert!(
        after < before + 32 * 1024,
        "resident memory grew by more than 32 MiB: {before} -> {after} KiB"
    );
    // The stalled page fell behind and was closed with the reason.
    let mut closed = None;
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_secs(10), stalled.next()).await {
        match m {
            Ok(Message::Close(Some(frame))) => {
                closed = Some(frame);
                break;
            }
            Ok(_) => continue,
            Err(_) => break,
        }
    }
    let closed = closed.expect("the stalled page is closed");
    assert_eq!(u16::from(closed.code), starttls_sim::live::CLOSE_TOO_SLOW);
    // A fresh page reads the kept sessions, no more.
    let mut fresh = open(&ws_url(&r.url), Some(&origin(&r))).await.unwrap();
    next(&mut fresh).await;
    let mut sessions = 0;
    while let Ok(Some(Ok(Message::Text(t)))) =
        tokio::time::timeout(Duration::from_millis(500), fresh.next()).await
    {
        if matches!(
            serde_json::from_str(t.as_str()).unwrap(),
            LabMessage::Session { .. }
        ) {
            sessions += 1;
        }
    }
    assert_eq!(sessions, KEPT_SESSIONS);
}
