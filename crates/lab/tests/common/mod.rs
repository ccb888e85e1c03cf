//! What the live tests share: a lab server with a live listener, in this process, and a page
//! played by a WebSocket client (tokio-tungstenite).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use starttls_lab::live::LiveHub;
use starttls_lab::live::http::{Live, LiveConfig};
use starttls_lab::{Limits, ServerConfig, rfc3339, run_session, serve};
use starttls_sim::live::LabMessage;
use starttls_sim::scenario;
use starttls_sim::trace::{Actor, LabSession};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Message, http};

/// A lab server with a live listener.
pub struct Running {
    pub smtp: std::net::SocketAddr,
    pub live: std::net::SocketAddr,
    pub url: String,
    pub hub: Arc<LiveHub>,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub server: tokio::task::JoinHandle<starttls_lab::Summary>,
    /// The page's folder that the live listener serves, removed when this is dropped.
    pub dist: tempfile::TempDir,
}

/// A folder with a stand-in `index.html` for the live listener to serve, removed when dropped.
pub fn dist() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("starttls-live-dist-")
        .tempdir()
        .unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>live</title>",
    )
    .unwrap();
    dir
}

pub async fn start(id: &str, lan: bool, control: bool) -> Running {
    let s = scenario::find(id).unwrap();
    let hub = LiveHub::new("server", s.clone(), control);
    let listen = if lan { "0.0.0.0:0" } else { "127.0.0.1:0" };
    let page = dist();
    let config = LiveConfig {
        dist: page.path().to_path_buf(),
        lan,
        extra_origins: Vec::new(),
    };
    let live = Live::bind(listen, hub.clone(), config).await.unwrap();
    let live_addr = live.local_addr().unwrap();
    let url = live.url.clone();
    let (stop_live, stopped_live) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(live.serve(async move {
        let _ = stopped_live.await;
    }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let smtp = listener.local_addr().unwrap();
    let config = ServerConfig {
        scenario: s,
        traces: None,
        maildir: None,
        limits: Limits {
            max_sessions: 2048,
            ..Limits::default()
        },
        live: Some(hub.clone()),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let summary = serve(
            listener,
            config,
            async move {
                let _ = stopped.await;
            },
            |_| {},
        )
        .await;
        let _ = stop_live.send(());
        summary
    });
    Running {
        smtp,
        live: live_addr,
        url,
        hub,
        stop: Some(stop),
        server,
        dist: page,
    }
}

/// The WebSocket URL inside the page's URL (`?live=<percent-encoded ws url>`).
pub fn ws_url(page: &str) -> String {
    let encoded = page.split_once("?live=").unwrap().1;
    let b = encoded.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&encoded[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// Opens the live WebSocket at `url` with `origin`.
pub async fn open(
    url: &str,
    origin: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut request = url.into_client_request().unwrap();
    if let Some(o) = origin {
        request
            .headers_mut()
            .insert(http::header::ORIGIN, o.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

pub fn status_of(e: tokio_tungstenite::tungstenite::Error) -> u16 {
    match e {
        tokio_tungstenite::tungstenite::Error::Http(r) => r.status().as_u16(),
        other => panic!("not an HTTP refusal: {other}"),
    }
}

/// The next lab message, within 10 s.
pub async fn next(ws: &mut Ws) -> LabMessage {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

/// One session of the lab's client against the server at `smtp`.
pub async fn deliver(smtp: std::net::SocketAddr) {
    let stream = TcpStream::connect(smtp).await.unwrap();
    let lab = LabSession {
        remote: Actor::Server,
        peer: smtp.to_string(),
        local: String::new(),
        started: rfc3339(SystemTime::now()),
        software: None,
    };
    let s = scenario::find("happy-path").unwrap();
    run_session(stream, &s, lab, Limits::default(), None).await;
}

pub fn origin(r: &Running) -> String {
    format!("http://127.0.0.1:{}", r.live.port())
}
