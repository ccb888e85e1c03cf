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
pub(crate) mod narrate;
mod steps;
mod transport;

use transport::split_lines;

use std::collections::VecDeque;

use rustls::client::ClientConnection;
use rustls::server::ServerConnection;
use starttls_protocol::client::Client;
use starttls_protocol::knowledge::KnowledgeItem;
use starttls_protocol::rules::RuleId;
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

/// A dialogue never needs more steps than this; past it the engine stops (a defect or a
/// runaway console session), with a note in the trace.
pub const MAX_STEPS: usize = 5_000;

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
    client_tls_reported: bool,
    server_tls: Option<ServerConnection>,
    server_tls_reported: bool,
    client_dead: bool,
    server_dead: bool,
    close_notified: (bool, bool),
    from_client: Decoder,
    from_server: Decoder,
    queue: VecDeque<Flight>,
    /// Commands and replies the sender queued since its last flight.
    client_sent: Vec<SmtpItem>,
    server_sent: Vec<SmtpItem>,
    sent_rules: (Vec<RuleId>, Vec<RuleId>),
    /// The plaintext of the flight being delivered (for folding "received" events).
    delivering: Option<(Direction, bool, String)>,
    injected_commands: Vec<String>,
    injected_replies: Vec<String>,
    /// Set while the server's flight carrying its 220 to STARTTLS is emitted.
    sending_220: bool,
    known: (Vec<KnowledgeItem>, Vec<KnowledgeItem>),
    key_log: std::sync::Arc<tls::KeyLogRecorder>,
    /// Items the next pushed step discards (or keeps against a rule).
    pending_discard: Vec<KnowledgeItem>,
    steps: Vec<Step>,
    outcome: Outcome,
}

impl Engine {
    /// Builds both machines from the scenario; fails with the field at fault when a policy
    /// or script is invalid (PUBLIC-NO-REQUIRE among others).
    pub fn new(scenario: &Scenario) -> Result<Self, SimError> {
        let server = Server::new(scenario.server.clone())
            .map_err(|e| SimError::Config(format!("server: {e}")))?;
        let client = Client::new(scenario.client.clone(), scenario.script.clone())
            .map_err(|e| SimError::Config(format!("client: {e}")))?;
        let (injected_commands, injected_replies) = match &scenario.attacker {
            Attack::InjectCommands { payload } => (split_lines(payload), Vec::new()),
            Attack::InjectReplies { payload } => (Vec::new(), split_lines(payload)),
            _ => (Vec::new(), Vec::new()),
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
            client_tls_reported: false,
            server_tls: None,
            server_tls_reported: false,
            client_dead: false,
            server_dead: false,
            close_notified: (false, false),
            from_client: Decoder::default(),
            from_server: Decoder::default(),
            queue: VecDeque::new(),
            client_sent: Vec::new(),
            server_sent: Vec::new(),
            sent_rules: (Vec::new(), Vec::new()),
            delivering: None,
            injected_commands,
            injected_replies,
            sending_220: false,
            known: (Vec::new(), Vec::new()),
            key_log: Default::default(),
            pending_discard: Vec::new(),
            steps: Vec::new(),
            outcome: Outcome::default(),
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
        if self.server_dead && !self.client_dead && !self.client.is_finished() {
            self.client_dead = true;
            self.push(
                Actor::Client,
                StepKind::Close,
                None,
                self.client_tls.is_some(),
                None,
                "The server has closed the connection: the client's session ends without a final reply.".into(),
                Vec::new(),
                false,
                Detail::Note,
            );
        } else if self.client_dead && !self.server_dead && !self.server.is_closed() {
            self.server_dead = true;
            self.push(
                Actor::Server,
                StepKind::Close,
                None,
                self.server_tls.is_some(),
                None,
                "The client has closed the connection: the server's session ends.".into(),
                Vec::new(),
                false,
                Detail::Note,
            );
        }
    }

    /// Whether nothing is left to move (the dialogue is over, or waits for a console line).
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && !self.client.has_outgoing() && !self.server.has_outgoing()
    }

    /// The trace so far.
    pub fn trace(&self) -> Trace {
        let mut outcome = self.outcome.clone();
        outcome.client = self.client.outcome().cloned();
        outcome.tls_established = self.client_tls_reported && self.server_tls_reported;
        Trace {
            schema_version: SCHEMA_VERSION,
            scenario: self.scenario.clone(),
            steps: self.steps.clone(),
            outcome,
            key_log: self.key_log.lines(),
        }
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
        let wire = transport::seal(&bytes, self.client_tls.as_mut())?;
        self.client_sent.push(SmtpItem::Typed {
            line: line.to_string(),
        });
        self.emit_flight(
            Direction::ClientToServer,
            wire,
            Some(bytes),
            tls,
            Actor::Client,
        )
    }

    /// The console: the attacker injects raw bytes onto the wire in one direction. Under TLS
    /// they corrupt the record stream, which rustls detects.
    pub fn push_injection(&mut self, direction: Direction, bytes: &[u8]) -> Result<(), SimError> {
        let tls = match direction {
            Direction::ClientToServer => self.client_tls.is_some(),
            Direction::ServerToClient => self.server_tls.is_some(),
        };
        let text = format!(
            "The attacker injects {} bytes: {}",
            bytes.len(),
            narrate::escape(bytes)
        );
        let wire = WireView {
            records: Vec::new(),
            plaintext: Some(narrate::escape(bytes)),
            attacker_reads: "everything: the attacker wrote it".into(),
            rewrites_previous: false,
            smtp: Vec::new(),
        };
        self.push(
            Actor::Attacker,
            StepKind::Bytes,
            Some(direction),
            tls,
            Some(bytes.to_vec()),
            text,
            Vec::new(),
            true,
            Detail::Wire(Box::new(wire)),
        );
        self.queue.push_back(Flight {
            direction,
            bytes: bytes.to_vec(),
        });
        Ok(())
    }
}
