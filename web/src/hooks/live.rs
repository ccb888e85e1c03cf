//! The live view's connection: a WebSocket to the lab (`?live=`), its messages dispatched as
//! [`LiveEvent`]s, and reconnection with a growing pause when it drops. A lab of another
//! schema version is refused: the page says why and stops trying.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use starttls_sim::live::{CLOSE_SCHEMA, LabMessage, PageMessage, SCHEMA_VERSION, schema_mismatch};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};
use yew::prelude::*;

use crate::state::live::{LiveEvent, LiveStatus};
use crate::state::{Action, AppState};

/// The longest pause between two attempts to reconnect, in milliseconds.
pub const MAX_RETRY_MS: u32 = 4000;

/// The pause before attempt `n` (from 1): 500 ms, doubling, at most 4 s (`MAX_RETRY_MS`).
pub fn retry_ms(n: u32) -> u32 {
    (500u32 << n.saturating_sub(1).min(4)).min(MAX_RETRY_MS)
}

/// One open socket and the closures it calls (dropped with it).
struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

/// The connection's state, shared by its callbacks.
#[derive(Default)]
struct Connection {
    socket: Option<Socket>,
    retry: Option<Timeout>,
    /// Failed attempts in a row.
    attempts: u32,
    /// Set when the page gave up (schema mismatch, unmounted): no more reconnecting.
    stopped: bool,
    /// Why the lab was refused, when it was.
    refused: Option<String>,
    /// Messages not yet handed to the state: they are handed over together, once per turn
    /// of the browser's event loop, so that a flood of sessions costs one drawing per turn,
    /// not one per message.
    pending: Vec<Rc<LabMessage>>,
    flush: Option<Timeout>,
}

type Shared = Rc<RefCell<Connection>>;

fn dispatch(d: &UseReducerDispatcher<AppState>, event: LiveEvent) {
    d.dispatch(Action::Live(event));
}

/// Hands the pending messages to the state.
fn flush(conn: &Shared, d: &UseReducerDispatcher<AppState>) {
    let messages = {
        let mut c = conn.borrow_mut();
        c.flush = None;
        std::mem::take(&mut c.pending)
    };
    if !messages.is_empty() {
        dispatch(d, LiveEvent::Messages(messages));
    }
}

/// Queues a message; the first one of a turn schedules the hand-over.
fn queue(conn: &Shared, d: &UseReducerDispatcher<AppState>, message: LabMessage) {
    let mut c = conn.borrow_mut();
    c.pending.push(Rc::new(message));
    if c.flush.is_none() {
        let (conn2, d2) = (conn.clone(), d.clone());
        c.flush = Some(Timeout::new(0, move || flush(&conn2, &d2)));
    }
}

/// A change of the connection's state, after the messages that came before it.
fn status(conn: &Shared, d: &UseReducerDispatcher<AppState>, status: LiveStatus) {
    flush(conn, d);
    dispatch(d, LiveEvent::Status(status));
}

fn connect(url: String, conn: Shared, d: UseReducerDispatcher<AppState>) {
    let ws = match WebSocket::new(&url) {
        Ok(ws) => ws,
        Err(_) => {
            conn.borrow_mut().stopped = true;
            status(
                &conn,
                &d,
                LiveStatus::Closed(format!(
                    "The live address {url} cannot be opened as a WebSocket."
                )),
            );
            return;
        }
    };
    let on_open = {
        let (conn, d) = (conn.clone(), d.clone());
        Closure::<dyn FnMut()>::new(move || {
            conn.borrow_mut().attempts = 0;
            status(&conn, &d, LiveStatus::Connected);
        })
    };
    let on_message = {
        let (conn, d) = (conn.clone(), d.clone());
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(text) = e.data().as_string() else {
                return;
            };
            let message = match crate::engine::read_lab_message(&text) {
                Ok(m) => m,
                Err(err) => {
                    // A message this page cannot read: say so, keep the stream.
                    queue(
                        &conn,
                        &d,
                        LabMessage::Refused {
                            reason: format!(
                                "The page could not read a message from the lab: {err}"
                            ),
                        },
                    );
                    return;
                }
            };
            if let LabMessage::Hello { schema_version, .. } = &message {
                if let Some(why) = schema_mismatch(*schema_version, SCHEMA_VERSION) {
                    let mut c = conn.borrow_mut();
                    c.stopped = true;
                    c.refused = Some(why.clone());
                    if let Some(s) = &c.socket {
                        let _ =
                            s.ws.close_with_code_and_reason(CLOSE_SCHEMA, "schema version");
                    }
                    drop(c);
                    status(&conn, &d, LiveStatus::Closed(why));
                    return;
                }
                let hello = PageMessage::Hello {
                    schema_version: SCHEMA_VERSION,
                };
                if let (Ok(json), Some(s)) = (serde_json::to_string(&hello), &conn.borrow().socket)
                {
                    let _ = s.ws.send_with_str(&json);
                }
            }
            queue(&conn, &d, message);
        })
    };
    let on_close = {
        let (conn, d, url) = (conn.clone(), d.clone(), url.clone());
        Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            let mut c = conn.borrow_mut();
            c.socket = None;
            if c.stopped {
                let why = c
                    .refused
                    .clone()
                    .unwrap_or_else(|| format!("The lab closed the connection ({}).", e.reason()));
                drop(c);
                status(&conn, &d, LiveStatus::Closed(why));
                return;
            }
            if e.code() == CLOSE_SCHEMA {
                c.stopped = true;
                drop(c);
                status(
                    &conn,
                    &d,
                    LiveStatus::Closed(format!("The lab refused this page: {}", e.reason())),
                );
                return;
            }
            c.attempts += 1;
            let attempt = c.attempts;
            let (conn2, d2, url2) = (conn.clone(), d.clone(), url.clone());
            c.retry = Some(Timeout::new(retry_ms(attempt), move || {
                if !conn2.borrow().stopped {
                    connect(url2, conn2.clone(), d2);
                }
            }));
            drop(c);
            status(&conn, &d, LiveStatus::Reconnecting { attempt });
        })
    };
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    conn.borrow_mut().socket = Some(Socket {
        ws,
        _on_open: on_open,
        _on_message: on_message,
        _on_close: on_close,
    });
}

/// Connects to the lab at `url` while it is `Some`; returns a callback that sends a
/// message to the lab (control, under `--allow-control`).
#[hook]
pub fn use_live(url: Option<String>, d: UseReducerDispatcher<AppState>) -> Callback<PageMessage> {
    let conn: Shared = use_mut_ref(Connection::default);
    {
        let conn = conn.clone();
        use_effect_with(url, move |url| {
            if let Some(url) = url.clone() {
                // The lab's messages are read by the engine: connect once it has loaded.
                let conn = conn.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    match crate::engine::load().await {
                        Ok(()) if !conn.borrow().stopped => connect(url, conn, d),
                        Ok(()) => {}
                        Err(why) => {
                            conn.borrow_mut().stopped = true;
                            status(&conn, &d, LiveStatus::Closed(why));
                        }
                    }
                });
            }
            move || {
                let mut c = conn.borrow_mut();
                c.stopped = true;
                c.retry = None;
                if let Some(s) = c.socket.take() {
                    s.ws.set_onclose(None);
                    let _ = s.ws.close();
                }
            }
        });
    }
    Callback::from(move |message: PageMessage| {
        if let (Ok(json), Some(s)) = (serde_json::to_string(&message), &conn.borrow().socket) {
            let _ = s.ws.send_with_str(&json);
        }
    })
}
