//! The lab proxy: both ends are real peers on sockets and the engine is the wire between them,
//! with the scenario's attacker acting on each flight exactly as in a simulation.
//!
//! # Call order
//!
//! 1. [`Engine::proxy`].
//! 2. Loop: hand what each socket reads to [`Engine::receive_from`] (the sender's
//!    [`Actor`]), then write [`Engine::take_output_for`] of each side to its socket.
//! 3. [`Engine::trace`].
//!
//! No machine runs: a cleartext flight lists the commands or replies parsed from its bytes
//! (the message after `354` by its size); from the client's STARTTLS on, a flight that
//! starts with a TLS record header is TLS, whose records are named but not read. The
//! flip-a-byte attacker acts on the first encrypted record the proxy carries after the
//! sender's first TLS flight ([`ProxyState::past_first_flight`]).

use super::transport::Sealed;
use super::{Engine, Side};
use crate::SimError;
use crate::scenario::Scenario;
use crate::trace::{Actor, Direction, SmtpItem};
use starttls_protocol::command::{Command, parse_command};
use starttls_protocol::line::Status;
use starttls_protocol::reply::parse_reply;

/// What the proxy tracks of the conversation it carries.
#[derive(Debug, Default)]
pub(crate) struct ProxyState {
    /// The client has sent STARTTLS.
    starttls_seen: bool,
    /// TLS records have flowed.
    pub(crate) tls: bool,
    /// The server said 354: the client's bytes are the message until `CRLF.CRLF`.
    in_data: bool,
    /// The client has sent DATA.
    data_sent: bool,
    /// Message octets so far.
    message: usize,
    /// TLS flights so far from the client, and from the server.
    tls_flights: [usize; 2],
}

impl ProxyState {
    /// Whether the sender's TLS flight being carried comes after its first one (the
    /// ClientHello, or the ServerHello and the rest of the server's handshake): its encrypted
    /// records are the sender's Finished or application data. The proxy holds no key, so it
    /// cannot tell those apart; TLS detects a flipped byte in either (`bad_record_mac`).
    pub(crate) fn past_first_flight(&self, from_client: bool) -> bool {
        self.tls_flights[usize::from(!from_client)] >= 2
    }
}

/// A TLS record header: a content type (20–23) and major version 3.
fn looks_like_tls(bytes: &[u8]) -> bool {
    matches!(bytes, [20..=23, 3, ..])
}

impl Engine {
    /// An engine that carries a real client's bytes to a real server and back, with the
    /// scenario's attacker on the wire.
    pub fn proxy(scenario: &Scenario) -> Result<Self, SimError> {
        let mut engine = Engine::new(scenario)?;
        engine.proxy = Some(ProxyState::default());
        engine.now_ms = Some(0);
        Ok(engine)
    }

    /// Bytes a real peer sent: `from` is [`Actor::Client`] or [`Actor::Server`]. The
    /// attacker sees the flight, then it is queued for the other peer.
    pub fn receive_from(&mut self, from: Actor, bytes: &[u8]) -> Result<(), SimError> {
        let side = match from {
            Actor::Client => Side::Client,
            Actor::Server => Side::Server,
            _ => {
                return Err(SimError::Config(
                    "a flight comes from the client or the server".into(),
                ));
            }
        };
        if bytes.is_empty() {
            return Ok(());
        }
        let Some(state) = self.proxy.as_mut() else {
            return Err(SimError::Config("this engine is not a proxy".into()));
        };
        let tls = state.tls || (state.starttls_seen && looks_like_tls(bytes));
        state.tls |= tls;
        if tls {
            state.tls_flights[usize::from(side == Side::Server)] += 1;
        }
        let direction = match side {
            Side::Client => Direction::ClientToServer,
            Side::Server => Direction::ServerToClient,
        };
        let items = if tls {
            Vec::new()
        } else {
            items(state, direction, bytes)
        };
        let sending_220 =
            side == Side::Server && state.starttls_seen && !tls && bytes.starts_with(b"220");
        self.peer(side).sent = items;
        self.sending_220 = sending_220;
        let emitted = self.emit_flight(
            direction,
            Sealed {
                wire: bytes.to_vec(),
                before_text: 0,
            },
            (!tls).then(|| bytes.to_vec()),
            tls,
        );
        self.sending_220 = false;
        emitted?;
        self.run()
    }

    /// Everything the engine has for the real peer `to` since the last call.
    pub fn take_output_for(&mut self, to: Actor) -> Vec<u8> {
        match to {
            Actor::Client => std::mem::take(&mut self.outbox[Side::Client as usize]),
            Actor::Server => std::mem::take(&mut self.outbox[Side::Server as usize]),
            _ => Vec::new(),
        }
    }
}

/// The commands, message or replies in a cleartext flight.
fn items(state: &mut ProxyState, direction: Direction, mut bytes: &[u8]) -> Vec<SmtpItem> {
    let mut out = Vec::new();
    match direction {
        Direction::ClientToServer if state.in_data => {
            state.message += bytes.len();
            if bytes.ends_with(b"\r\n.\r\n") {
                out.push(SmtpItem::Message {
                    octets: state.message,
                    rules: Vec::new(),
                });
                state.in_data = false;
                state.message = 0;
            }
        }
        Direction::ClientToServer => {
            while let Ok(Status::Complete(p)) = parse_command(bytes) {
                bytes = &bytes[p.consumed..];
                state.starttls_seen |= p.value == Command::StartTls;
                state.data_sent |= p.value == Command::Data;
                out.push(SmtpItem::Command {
                    command: p.value,
                    rules: Vec::new(),
                });
            }
        }
        Direction::ServerToClient => {
            while let Ok(Status::Complete(p)) = parse_reply(bytes) {
                bytes = &bytes[p.consumed..];
                if p.value.code == 354 && state.data_sent {
                    state.in_data = true;
                    state.data_sent = false;
                }
                out.push(SmtpItem::Reply {
                    reply: p.value,
                    in_reply_to: None,
                    rules: Vec::new(),
                });
            }
        }
    }
    out
}
