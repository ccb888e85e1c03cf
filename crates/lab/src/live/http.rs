//! The live view's listener: the built app (`dist/`) over HTTP, and `/live`, the WebSocket of
//! sessions.
//!
//! # Security
//!
//! - It binds to loopback unless [`LiveConfig::lan`] is set; then every WebSocket must carry
//!   the random token the lab prints in the page's URL (`/live?token=…`).
//! - The WebSocket handshake must come with an `Origin` of the lab's own page (or one given
//!   with `--live-origin`); any other, or none, gets `403`.
//! - A page can change the policy only when the lab runs with `--allow-control`
//!   ([`LiveHub::control`]).
//! - A page that reads too slowly is dropped ([`CLOSE_TOO_SLOW`]); nothing is buffered for it
//!   beyond the hub's bounded channel.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use starttls_sim::live::{
    CLOSE_SCHEMA, CLOSE_TOO_SLOW, LabMessage, PageMessage, SCHEMA_VERSION, schema_mismatch,
};
use tokio::net::TcpListener;
use tokio::sync::broadcast::error::RecvError;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use super::{LiveHub, random_hex, to_json};

/// How the live listener runs.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// The built app to serve (trunk's `dist/`).
    pub dist: PathBuf,
    /// A non-loopback address was asked for explicitly: a token is required.
    pub lan: bool,
    /// Further origins allowed to open the WebSocket (e.g. `http://127.0.0.1:8080` of a
    /// `trunk serve`).
    pub extra_origins: Vec<String>,
}

/// What the listener checks each WebSocket against.
#[derive(Debug)]
struct Gate {
    hub: Arc<LiveHub>,
    origins: Vec<String>,
    token: Option<String>,
}

/// A bound live listener, ready to serve.
#[derive(Debug)]
pub struct Live {
    listener: TcpListener,
    gate: Arc<Gate>,
    dist: PathBuf,
    /// The Content-Security-Policy sent with every response.
    csp: String,
    /// The page's URL, to print on a line of its own.
    pub url: String,
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Live {
    /// Binds `addr` for `hub`. Refuses a non-loopback address unless `config.lan`.
    pub async fn bind(addr: &str, hub: Arc<LiveHub>, config: LiveConfig) -> Result<Live, String> {
        let parsed: SocketAddr = addr
            .parse()
            .map_err(|e| format!("--live-listen {addr:?}: {e}"))?;
        if !parsed.ip().is_loopback() && !config.lan {
            return Err(format!(
                "--live-listen {addr}: not a loopback address; add --live-lan to let other machines \
                 in (a token in the printed URL is then required)"
            ));
        }
        if !config.dist.join("index.html").is_file() {
            return Err(format!(
                "{}: no built app there (index.html); build it with `trunk build --release` or use \
                 `cargo xtask lab`",
                config.dist.display()
            ));
        }
        let listener = TcpListener::bind(parsed)
            .await
            .map_err(|e| format!("--live-listen {addr}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        let port = local.port();
        let token = config.lan.then(|| random_hex(16));
        let host = if local.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else if local.is_ipv6() {
            format!("[{}]", local.ip())
        } else {
            local.ip().to_string()
        };
        let mut origins: Vec<String> = vec![
            format!("http://{host}:{port}"),
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
            format!("http://[::1]:{port}"),
        ];
        origins.extend(config.extra_origins.iter().cloned());
        let ws = match &token {
            Some(t) => format!("ws://{host}:{port}/live?token={t}"),
            None => format!("ws://{host}:{port}/live"),
        };
        let url = format!("http://{host}:{port}/?live={}", encode(&ws));
        // The strict policy the page runs under (docs/publishing.md), with the live socket
        // allowed by name.
        let csp = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self' ws://{host}:{port}"
        );
        Ok(Live {
            csp,
            listener,
            gate: Arc::new(Gate {
                hub,
                origins,
                token,
            }),
            dist: config.dist,
            url,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `shutdown` resolves.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let app = Router::new()
            .route("/live", get(upgrade))
            .fallback_service(
                ServeDir::new(&self.dist)
                    .precompressed_br()
                    .precompressed_gzip(),
            )
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                header::HeaderValue::from_str(&self.csp)
                    .unwrap_or(header::HeaderValue::from_static("default-src 'self'")),
            ))
            .with_state(self.gate);
        // Each step is a small message: send it at once, not after Nagle's wait.
        let listener = self.listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
    }
}

/// The WebSocket handshake: Origin and token first.
async fn upgrade(
    State(gate): State<Arc<Gate>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .unwrap_or_default();
    if !gate.origins.iter().any(|o| o == origin) {
        return (
            StatusCode::FORBIDDEN,
            format!("the origin {origin:?} may not open the live view"),
        )
            .into_response();
    }
    if let Some(token) = &gate.token
        && query.get("token") != Some(token)
    {
        return (StatusCode::FORBIDDEN, "a wrong or missing token").into_response();
    }
    let hub = gate.hub.clone();
    ws.max_message_size(64 * 1024)
        .on_upgrade(move |socket| page(socket, hub))
}

/// Closes with `code` and `reason`.
async fn close(socket: &mut WebSocket, code: u16, reason: String) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

/// One page: hello, the kept sessions, then the stream; its own messages are the page's
/// hello and control.
async fn page(mut socket: WebSocket, hub: Arc<LiveHub>) {
    let (backlog, mut rx) = hub.subscribe();
    if socket
        .send(Message::Text(hub.hello().into()))
        .await
        .is_err()
    {
        return;
    }
    for text in backlog {
        if socket
            .send(Message::Text(text.as_ref().into()))
            .await
            .is_err()
        {
            return;
        }
    }
    loop {
        tokio::select! {
            next = rx.recv() => match next {
                Ok(text) => {
                    if socket.send(Message::Text(text.as_ref().into())).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    close(&mut socket, CLOSE_TOO_SLOW, format!("the page fell {n} messages behind; reconnect")).await;
                    return;
                }
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let reply = match serde_json::from_str::<PageMessage>(text.as_str()) {
                        Ok(PageMessage::Hello { schema_version }) => {
                            if let Some(why) = schema_mismatch(SCHEMA_VERSION, schema_version) {
                                // The whole reason as a message; a close frame holds 123 bytes.
                                let refused = to_json(&LabMessage::Refused { reason: why });
                                let _ = socket.send(Message::Text(refused.into())).await;
                                let short = format!("schema version {SCHEMA_VERSION} here, {schema_version} in the page");
                                close(&mut socket, CLOSE_SCHEMA, short).await;
                                return;
                            }
                            None
                        }
                        Ok(other) => hub.control(other),
                        Err(e) => Some(to_json(&LabMessage::Refused {
                            reason: format!("the lab cannot read that message: {e}"),
                        })),
                    };
                    if let Some(reply) = reply
                        && socket.send(Message::Text(reply.into())).await.is_err()
                    {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
