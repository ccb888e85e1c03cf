//! The dialogue engine: drives a client machine and a server machine through a wire, with
//! real rustls connections after the `220`, an optional attacker, and a trace of every step.
//!
//! # Call order
//!
//! 1. [`Engine::new`] builds both machines from a [`Scenario`] (the server's greeting is
//!    already queued).
//! 2. [`Engine::run`] moves flights until nothing is left to move; or [`Engine::run_steps`]
//!    stops once the trace has a given number of steps, to branch from there.
//! 3. Optionally push a client line ([`Engine::push_client_line`]) or an attacker injection
//!    ([`Engine::push_injection`]), then [`Engine::run`] again: new steps are appended.
//! 4. [`Engine::trace`] returns the trace so far, with its [`Outcome`].
//!
//! Nothing is recursive: every flight goes into one FIFO queue, and the loop delivers the
//! oldest one, drains both machines' events, and collects their outgoing bytes.

mod events;
mod injection;
mod proxy;
mod remote;
mod steps;
mod transport;

use transport::split_lines;

use crate::narrate;

use std::collections::VecDeque;

use rustls::client::ClientConnection;
use rustls::server::ServerConnection;
use starttls_protocol::client::Client;
use starttls_protocol::knowledge::KnowledgeItem;
use starttls_protocol::server::Server;

use crate::SimError;
use crate::attacker::Attack;
use crate::scenario::Scenario;
use crate::tls::{self, TlsSettings};
use crate::trace::{
    Actor, Detail, Direction, Outcome, SCHEMA_VERSION, SmtpItem, Step, StepKind, Trace,
    TraceScenario, WireView,
};
use crate::wire::Decoder;
use steps::NewStep;

/// A dialogue never needs more steps than this; past it the engine stops (a defect or a
/// runaway console session), with a note in the trace.
pub const MAX_STEPS: usize = 5_000;

/// The bytes of a real peer's flights a lab trace keeps: 1 MiB. Past it, each flight is a
/// step that says how many bytes came and that they were not kept; the machine still reads
/// them. So a peer sending without end (a 10 MB line) cannot make the lab hold it all.
pub const REMOTE_BYTES_KEPT: usize = 1024 * 1024;

/// One of the two machines, as an index into the engine's per-side bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Client = 0,
    Server = 1,
}

impl Side {
    /// The side that sends in `direction`.
    pub(crate) fn sending(direction: Direction) -> Side {
        match direction {
            Direction::ClientToServer => Side::Client,
            Direction::ServerToClient => Side::Server,
        }
    }

    pub(crate) fn actor(self) -> Actor {
        match self {
            Side::Client => Actor::Client,
            Side::Server => Actor::Server,
        }
    }

    pub(crate) fn other(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

/// What the engine keeps for each side (indexed by [`Side`]), in place of mirrored
/// `client_*` / `server_*` fields.
#[derive(Default)]
pub(crate) struct Peer {
    /// Its handshake completed and its machine was told.
    tls_reported: bool,
    /// It has stopped reading (closed, or its TLS connection is dead).
    dead: bool,
    /// It sent close_notify.
    close_notified: bool,
    /// The next flight it sends carries close_notify.
    closing: bool,
    /// The next flight it sends carries the alert rustls queued after an error.
    alerting: bool,
    /// Flights with encrypted records it has sent.
    encrypted_flights: usize,
    /// Decodes the records it sends.
    decoder: Decoder,
    /// Commands or replies its machine queued since its last flight.
    sent: Vec<SmtpItem>,
    /// What the trace has shown of its knowledge so far.
    known: Vec<KnowledgeItem>,
}

/// One flight waiting on the wire.
struct Flight {
    direction: Direction,
    bytes: Vec<u8>,
}

/// The engine. See the [module documentation](self) for the call order.
pub struct Engine {
    scenario: TraceScenario,
    client: Client,
    server: Server,
    settings: TlsSettings,
    attack: Attack,
    attack_done: bool,
    client_tls: Option<ClientConnection>,
    finding: Option<tls::SharedFinding>,
    server_tls: Option<ServerConnection>,
    /// Per-side bookkeeping, indexed by [`Side`].
    peers: [Peer; 2],
    queue: VecDeque<Flight>,
    /// The plaintext of the flight being delivered (for folding "received" events).
    delivering: Option<(Direction, bool, String)>,
    /// How many commands, and replies, the attacker's payload holds.
    injected_counts: (usize, usize),
    /// Commands, and replies, of the payload a vulnerable side has still to read.
    injected_pending: (usize, usize),
    /// Set while the server's flight carrying its 220 to STARTTLS is emitted.
    sending_220: bool,
    key_log: std::sync::Arc<tls::KeyLogRecorder>,
    steps: Vec<Step>,
    outcome: Outcome,
    rows: Vec<RowTaken>,
    /// A lab session: the side that is a real peer on a socket (see [`Engine::with_remote`]).
    remote: Option<Side>,
    /// Bytes for each real peer (indexed by the receiving [`Side`]), not yet taken.
    outbox: [Vec<u8>; 2],
    /// A lab proxy: both sides are real peers, the engine is the wire (see
    /// [`Engine::proxy`]).
    proxy: Option<proxy::ProxyState>,
    /// The real peer's flight being delivered: its step, and the commands or replies and
    /// plaintext the local machine read from it.
    remote_flight: Option<remote::RemoteFlight>,
    /// Bytes of the real peer's flights the trace has kept (see [`REMOTE_BYTES_KEPT`]).
    remote_kept: usize,
    /// The caller's clock, in milliseconds since the session began (lab sessions only).
    now_ms: Option<u64>,
    lab: Option<crate::trace::LabSession>,
    /// Whether a real client reads the injected replies (lab server only).
    injection_watch: injection::InjectionWatch,
}

/// A row of a machine's transition table that the dialogue took (also those no step shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowTaken {
    /// A row of [`starttls_protocol::client::TRANSITIONS`].
    Client(
        starttls_protocol::client::ClientStateId,
        starttls_protocol::client::ClientTrigger,
    ),
    /// A row of [`starttls_protocol::server::TRANSITIONS`].
    Server(
        starttls_protocol::server::ServerStateId,
        starttls_protocol::server::ServerTrigger,
    ),
}

impl Engine {
    /// Builds both machines from the scenario; fails with the field at fault when a policy
    /// or script is invalid (PUBLIC-NO-REQUIRE among others).
    pub fn new(scenario: &Scenario) -> Result<Self, SimError> {
        let server = Server::new(scenario.server.clone())
            .map_err(|e| SimError::Config(format!("server: {e}")))?;
        let client = Client::new(scenario.client.clone(), scenario.script.clone())
            .map_err(|e| SimError::Config(format!("client: {e}")))?;
        scenario.attacker.validate().map_err(SimError::Config)?;
        let injected_counts = match &scenario.attacker {
            Attack::InjectCommands { payload } => (split_lines(payload).len(), 0),
            Attack::InjectReplies { payload } => (
                0,
                split_lines(payload)
                    .iter()
                    .filter(|l| l.len() >= 4 && l.as_bytes()[3] == b' ')
                    .count(),
            ),
            _ => (0, 0),
        };
        Ok(Self {
            scenario: TraceScenario {
                id: scenario.id.clone(),
                title: scenario.title.clone(),
            },
            client,
            server,
            settings: scenario.tls.clone(),
            attack: scenario.attacker.clone(),
            attack_done: false,
            client_tls: None,
            finding: None,
            server_tls: None,
            peers: Default::default(),
            queue: VecDeque::new(),
            delivering: None,
            injected_counts,
            injected_pending: (0, 0),
            sending_220: false,
            key_log: Default::default(),
            steps: Vec::new(),
            outcome: Outcome::default(),
            rows: Vec::new(),
            remote: None,
            outbox: Default::default(),
            proxy: None,
            remote_flight: None,
            remote_kept: 0,
            injection_watch: Default::default(),
            now_ms: None,
            lab: None,
        })
    }

    /// Runs a scenario to its end and returns the trace.
    pub fn simulate(scenario: &Scenario) -> Result<Trace, SimError> {
        let mut engine = Engine::new(scenario)?;
        engine.run()?;
        Ok(engine.trace())
    }

    /// Moves flights until nothing is left to move.
    pub fn run(&mut self) -> Result<(), SimError> {
        self.run_steps(MAX_STEPS)
    }

    /// Moves flights until the trace has at least `limit` steps or nothing is left to move.
    pub fn run_steps(&mut self, limit: usize) -> Result<(), SimError> {
        while self.steps.len() < limit.min(MAX_STEPS) {
            let mut progress = self.drain_server()? | self.drain_client()?;
            progress |= self.flush_server()?;
            progress |= self.flush_client()?;
            if let Some(flight) = self.queue.pop_front() {
                self.deliver(flight)?;
                progress = true;
            }
            if !progress {
                self.note_connection_closed();
                break;
            }
        }
        Ok(())
    }

    /// When one side closed the connection and the other had not finished, the other side
    /// sees the connection end: say so once.
    fn note_connection_closed(&mut self) {
        let (client_dead, server_dead) =
            (self.peer(Side::Client).dead, self.peer(Side::Server).dead);
        if server_dead && !client_dead && !self.client.is_finished() {
            self.peer(Side::Client).dead = true;
            let tls = self.client_tls.is_some();
            self.push(
                NewStep::new(
                    Actor::Client,
                    StepKind::Close,
                    narrate::peer_closed(Actor::Client),
                )
                .tls(tls),
            );
        } else if client_dead && !server_dead && !self.server.is_closed() {
            self.peer(Side::Server).dead = true;
            let tls = self.server_tls.is_some();
            self.push(
                NewStep::new(
                    Actor::Server,
                    StepKind::Close,
                    narrate::peer_closed(Actor::Server),
                )
                .tls(tls),
            );
        }
    }

    /// Whether `side` is a real peer on a socket (lab sessions and the lab proxy).
    pub(super) fn is_remote(&self, side: Side) -> bool {
        self.remote == Some(side) || self.proxy.is_some()
    }

    pub(super) fn peer(&mut self, side: Side) -> &mut Peer {
        &mut self.peers[side as usize]
    }

    /// Whether nothing is left to move (the dialogue is over, or waits for a console line).
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && !self.client.has_outgoing() && !self.server.has_outgoing()
    }

    /// The steps so far (the live view streams them as they come; [`Engine::trace`] copies
    /// the whole trace).
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The trace so far.
    pub fn trace(&self) -> Trace {
        let mut outcome = self.outcome.clone();
        outcome.client = self.client.outcome().cloned();
        outcome.tls_established = match self.remote {
            // A proxy sees no handshake's end: it stands for both when records flowed.
            _ if self.proxy.is_some() => self.proxy.as_ref().is_some_and(|p| p.tls),
            // The real peer's side is not visible: the local side's handshake stands for both.
            Some(remote) => self.peers[remote.other() as usize].tls_reported,
            None => self.peers.iter().all(|p| p.tls_reported),
        };
        Trace {
            schema_version: SCHEMA_VERSION,
            scenario: self.scenario.clone(),
            steps: self.steps.clone(),
            outcome,
            key_log: self.key_log.lines(),
            lab: self.lab.clone(),
        }
    }

    /// The table rows both machines took so far, in order.
    pub fn rows_taken(&self) -> &[RowTaken] {
        &self.rows
    }

    /// Number of steps so far.
    pub fn step_count(&self) -> usize {
        self.steps.len()
    }

    /// The console: the person at the keyboard types a line on the client's connection,
    /// beside the client machine (through TLS if the client's TLS is up). The server's
    /// reply reaches the client machine like any other.
    pub fn push_client_line(&mut self, line: &str) -> Result<(), SimError> {
        let line = line.trim_end_matches(['\r', '\n']);
        let mut bytes = line.as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        let tls = self.client_tls.is_some();
        let sealed = transport::seal(&bytes, self.client_tls.as_mut()).map_err(|_| {
            SimError::Io("the client's TLS connection is broken: the line cannot be sent".into())
        })?;
        self.peer(Side::Client).sent.push(SmtpItem::Typed {
            line: line.to_string(),
        });
        self.emit_flight(Direction::ClientToServer, sealed, Some(bytes), tls)
    }

    /// The console: the attacker injects raw bytes onto the wire in one direction. Under TLS
    /// they corrupt the record stream, which rustls detects.
    pub fn push_injection(&mut self, direction: Direction, bytes: &[u8]) -> Result<(), SimError> {
        let tls = match direction {
            Direction::ClientToServer => self.client_tls.is_some(),
            Direction::ServerToClient => self.server_tls.is_some(),
        };
        let wire = WireView {
            records: Vec::new(),
            plaintext: Some(narrate::escape(bytes)),
            attacker_reads: narrate::ATTACKER_WROTE_IT.into(),
            rewrites_previous: false,
            smtp: Vec::new(),
            messages: Vec::new(),
            diff: Vec::new(),
        };
        self.push(
            NewStep::new(Actor::Attacker, StepKind::Bytes, narrate::injected(bytes))
                .direction(direction)
                .tls(tls)
                .bytes(bytes.to_vec())
                .violation()
                .detail(Detail::Wire(Box::new(wire))),
        );
        self.queue.push_back(Flight {
            direction,
            bytes: bytes.to_vec(),
        });
        Ok(())
    }
}
