//! The live view's listener on loopback: what a page receives, and what it is refused.
//! Pages are played by a WebSocket client (tokio-tungstenite); sessions by the lab's own
//! client against the lab's server, in the same process.

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use starttls_lab::live::http::{Live, LiveConfig};
use starttls_sim::live::{LabMessage, LiveOutcome};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_page_gets_hello_then_each_step_as_it_happens_then_the_whole_trace() {
    let r = start("happy-path", false, false).await;
    let mut ws = open(&ws_url(&r.url), Some(&origin(&r))).await.unwrap();
    match next(&mut ws).await {
        LabMessage::Hello {
            schema_version,
            mode,
            control,
            ..
        } => {
            assert_eq!(schema_version, starttls_sim::trace::SCHEMA_VERSION);
            assert_eq!(mode, "server");
            assert!(!control);
        }
        other => panic!("{other:?}"),
    }
    deliver(r.smtp).await;
    let mut steps = 0;
    loop {
        match next(&mut ws).await {
            LabMessage::Session { session, .. } => assert_eq!(session, 1),
            LabMessage::Step { step, .. } => {
                assert_eq!(step.index, steps, "steps arrive in order, none missing");
                steps += 1;
            }
            LabMessage::End { trace, summary, .. } => {
                assert_eq!(trace.steps.len(), steps, "every step was streamed");
                assert_eq!(summary.outcome, LiveOutcome::DeliveredTls);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(steps > 10);
    // A page that connects later reads the kept session: its start and its end.
    let mut late = open(&ws_url(&r.url), Some(&origin(&r))).await.unwrap();
    assert!(matches!(next(&mut late).await, LabMessage::Hello { .. }));
    assert!(matches!(
        next(&mut late).await,
        LabMessage::Session { session: 1, .. }
    ));
    assert!(matches!(
        next(&mut late).await,
        LabMessage::End { session: 1, .. }
    ));
    drop(r.stop);
    r.server.await.unwrap();
}

#[tokio::test]
async fn a_websocket_from_another_origin_or_without_one_is_refused() {
    let r = start("happy-path", false, false).await;
    let url = ws_url(&r.url);
    let refused = |o: Option<String>| {
        let url = url.clone();
        async move { status_of(open(&url, o.as_deref()).await.unwrap_err()) }
    };
    assert_eq!(refused(Some("http://evil.example".into())).await, 403);
    assert_eq!(refused(None).await, 403);
    let other_port = format!("http://127.0.0.1:{}", r.live.port() + 1);
    assert_eq!(refused(Some(other_port)).await, 403);
    assert!(open(&url, Some(&origin(&r))).await.is_ok());
}

#[tokio::test]
async fn on_a_lan_address_the_printed_token_is_required() {
    let r = start("happy-path", true, false).await;
    let url = ws_url(&r.url);
    let (base, token) = url.split_once("?token=").expect("a token in the URL");
    assert_eq!(token.len(), 32);
    let o = origin(&r);
    assert_eq!(status_of(open(base, Some(&o)).await.unwrap_err()), 403);
    let wrong = format!("{base}?token={}", "0".repeat(32));
    assert_eq!(status_of(open(&wrong, Some(&o)).await.unwrap_err()), 403);
    assert!(open(&url, Some(&o)).await.is_ok());
    // Without --live-lan, a non-loopback address is refused before anything listens.
    let refused = Live::bind(
        "0.0.0.0:0",
        r.hub.clone(),
        LiveConfig {
            dist: r.dist.path().to_path_buf(),
            lan: false,
            extra_origins: Vec::new(),
        },
    )
    .await
    .unwrap_err();
    assert!(refused.contains("--live-lan"), "{refused}");
}

#[tokio::test]
async fn control_is_refused_unless_the_lab_allows_it() {
    for allowed in [false, true] {
        let r = start("happy-path", false, allowed).await;
        let mut ws = open(&ws_url(&r.url), Some(&origin(&r))).await.unwrap();
        assert!(
            matches!(next(&mut ws).await, LabMessage::Hello { control, .. } if control == allowed)
        );
        ws.send(Message::Text(
            r#"{"set-policy":{"scenario":"tls-required-530"}}"#.into(),
        ))
        .await
        .unwrap();
        match (allowed, next(&mut ws).await) {
            (false, LabMessage::Refused { reason }) => {
                assert!(reason.contains("--allow-control"), "{reason}")
            }
            (true, LabMessage::Policy { scenario, .. }) => {
                assert_eq!(scenario, "tls-required-530")
            }
            (_, other) => panic!("allowed={allowed}: {other:?}"),
        }
        let expected = if allowed {
            "tls-required-530"
        } else {
            "happy-path"
        };
        assert_eq!(r.hub.scenario().id, expected);
        // An unknown scenario is refused with its reason, and the policy stays.
        ws.send(Message::Text(
            r#"{"set-policy":{"scenario":"nope"}}"#.into(),
        ))
        .await
        .unwrap();
        assert!(matches!(next(&mut ws).await, LabMessage::Refused { .. }));
        assert_eq!(r.hub.scenario().id, expected);
    }
}

#[tokio::test]
async fn a_page_of_another_schema_version_is_closed_with_the_reason() {
    let r = start("happy-path", false, false).await;
    let mut ws = open(&ws_url(&r.url), Some(&origin(&r))).await.unwrap();
    next(&mut ws).await;
    ws.send(Message::Text(r#"{"hello":{"schema_version":999}}"#.into()))
        .await
        .unwrap();
    match next(&mut ws).await {
        LabMessage::Refused { reason } => assert!(reason.contains("version 999"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Close(Some(frame)))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(u16::from(closed.code), starttls_sim::live::CLOSE_SCHEMA);
    assert!(
        closed.reason.contains("999 in the page"),
        "{}",
        closed.reason
    );
}

/// The page the lab serves runs under the strict policy of docs/publishing.md, with the live
/// socket's address allowed by name in `connect-src`.
#[tokio::test]
async fn the_page_is_served_with_a_strict_policy_that_names_the_live_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let r = start("happy-path", false, false).await;
    let mut s = tokio::net::TcpStream::connect(r.live).await.unwrap();
    s.write_all(
        format!(
            "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            r.live
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).await.unwrap();
    let csp = response
        .lines()
        .find_map(|l| l.strip_prefix("content-security-policy: "))
        .unwrap_or_else(|| panic!("no policy in {response}"));
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval';"),
        "{csp}"
    );
    assert!(
        csp.contains(&format!(
            "connect-src 'self' ws://127.0.0.1:{}",
            r.live.port()
        )),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
}
