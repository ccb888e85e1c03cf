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

mod narrate;

use std::collections::VecDeque;
use std::io::{Read, Write};

use rustls::client::ClientConnection;
use rustls::server::ServerConnection;
use starttls_protocol::client::{Client, ClientEvent};
use starttls_protocol::knowledge::KnowledgeItem;
use starttls_protocol::rules::RuleId;
use starttls_protocol::server::{Server, ServerEvent};

use crate::SimError;
use crate::attacker::{self, Attack};
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
        let wire = match &mut self.client_tls {
            Some(conn) => {
                conn.writer()
                    .write_all(&bytes)
                    .map_err(|e| SimError::Io(e.to_string()))?;
                drain_tls(conn)?
            }
            None => bytes.clone(),
        };
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

    // ----- steps -----------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        actor: Actor,
        kind: StepKind,
        direction: Option<Direction>,
        tls: bool,
        bytes: Option<Vec<u8>>,
        text: String,
        rules: Vec<RuleId>,
        violation: bool,
        detail: Detail,
    ) {
        if self.steps.len() >= MAX_STEPS {
            return;
        }
        let discarded = std::mem::take(&mut self.pending_discard);
        if !violation {
            let known = if actor == Actor::Client {
                &mut self.known.0
            } else {
                &mut self.known.1
            };
            known.retain(|k| !discarded.contains(k));
        }
        let step = Step {
            index: self.steps.len(),
            actor,
            kind,
            direction,
            tls,
            bytes,
            text,
            rules,
            violation,
            discarded,
            detail,
            client: self.client_snapshot(),
            server: self.server_snapshot(),
        };
        self.steps.push(step);
    }

    /// The client's snapshot, with the knowledge this trace has shown so far: the machine
    /// reports a batch of events at once, and its knowledge may already be ahead of the step.
    fn client_snapshot(&self) -> starttls_protocol::client::ClientSnapshot {
        let mut snap = self.client.snapshot();
        snap.knowledge = self.known.0.clone();
        snap
    }

    /// The server's snapshot, with the knowledge shown so far (see [`Self::client_snapshot`]).
    fn server_snapshot(&self) -> starttls_protocol::server::ServerSnapshot {
        let mut snap = self.server.snapshot();
        snap.knowledge = self.known.1.clone();
        snap
    }

    /// Brings the shown knowledge in line with the machines once a batch of events has been
    /// turned into steps: items a machine dropped without an event (an envelope after RSET or
    /// after the message) go quietly, and each new item gets a "knowledge learnt" step.
    fn note_learnt(&mut self) {
        for actor in [Actor::Client, Actor::Server] {
            let now = if actor == Actor::Client {
                self.client.knowledge()
            } else {
                self.server.knowledge()
            };
            let known = if actor == Actor::Client {
                &mut self.known.0
            } else {
                &mut self.known.1
            };
            known.retain(|k| now.contains(k));
            let fresh: Vec<KnowledgeItem> =
                now.iter().filter(|i| !known.contains(i)).cloned().collect();
            for item in fresh {
                if self.steps.len() >= MAX_STEPS {
                    return;
                }
                if actor == Actor::Client {
                    self.known.0.push(item.clone());
                } else {
                    self.known.1.push(item.clone());
                }
                let tls = item.provenance == starttls_protocol::knowledge::Provenance::Tls;
                let text = narrate::learnt(actor, &item);
                self.push(
                    actor,
                    StepKind::KnowledgeLearnt,
                    None,
                    tls,
                    None,
                    text,
                    Vec::new(),
                    false,
                    Detail::Note,
                );
            }
        }
    }

    // ----- events ----------------------------------------------------------------------

    fn drain_server(&mut self) -> Result<bool, SimError> {
        let mut any = false;
        while let Some(event) = self.server.poll_event() {
            any = true;
            self.on_server_event(event)?;
        }
        if any {
            self.note_learnt();
        }
        Ok(any)
    }

    fn drain_client(&mut self) -> Result<bool, SimError> {
        let mut any = false;
        while let Some(event) = self.client.poll_event() {
            any = true;
            self.on_client_event(event)?;
        }
        if any {
            self.note_learnt();
        }
        Ok(any)
    }

    fn on_server_event(&mut self, event: ServerEvent) -> Result<(), SimError> {
        let tls = self.server.is_tls_active();
        match &event {
            ServerEvent::ReplySent {
                reply,
                in_reply_to,
                rules,
            } => {
                self.outcome.reply_codes.push(reply.code);
                self.server_sent.push(SmtpItem::Reply {
                    reply: reply.clone(),
                    in_reply_to: *in_reply_to,
                });
                self.sent_rules.1.extend(rules.iter().copied());
                return Ok(());
            }
            ServerEvent::CommandReceived { command, under_tls } => {
                let line = command.to_line();
                if self
                    .injected_commands
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(line.trim_end()))
                {
                    self.outcome.injected_command_run = true;
                }
                if self.folds(Direction::ClientToServer, *under_tls, &line) {
                    return Ok(());
                }
            }
            ServerEvent::StartTls { .. } => {
                // The 220 leaves in the clear; the next bytes are the handshake (CMD-220).
                self.sending_220 = self.server_tls.is_none();
                let flushed = self.flush_server();
                self.sending_220 = false;
                flushed?;
                if self.server_tls.is_none() {
                    self.server_tls = Some(tls::server_connection(&self.settings)?);
                } else {
                    self.push_event_step(
                        Actor::Server,
                        tls,
                        Detail::Server(Box::new(event.clone())),
                    );
                    self.push(
                        Actor::Server,
                        StepKind::Decision,
                        None,
                        true,
                        None,
                        "The server asks for a second TLS handshake inside TLS; the simulated client cannot nest handshakes, so the session ends.".into(),
                        vec![RuleId::NoTlsTwice],
                        true,
                        Detail::Note,
                    );
                    let _ = self
                        .server
                        .tls_failed("a TLS handshake inside TLS is not supported");
                    return Ok(());
                }
            }
            ServerEvent::RuleBroken { rule, .. }
            | ServerEvent::KnowledgeKept {
                broken_rule: rule, ..
            }
            | ServerEvent::PlaintextRetained {
                broken_rule: rule, ..
            } => self.outcome.rules_broken.push(*rule),
            ServerEvent::MessageAccepted {
                reverse_path,
                under_tls,
                ..
            } => {
                self.outcome
                    .accepted
                    .push((reverse_path.clone(), *under_tls));
            }
            ServerEvent::Closed { .. } | ServerEvent::TlsFailed { .. } => {
                self.flush_server()?;
                self.push_event_step(Actor::Server, tls, Detail::Server(Box::new(event.clone())));
                if let Some(conn) = &mut self.server_tls
                    && !self.close_notified.1
                    && !conn.is_handshaking()
                {
                    conn.send_close_notify();
                    self.close_notified.1 = true;
                    self.flush_server()?;
                }
                self.server_dead = true;
                return Ok(());
            }
            _ => {}
        }
        self.push_event_step(Actor::Server, tls, Detail::Server(Box::new(event)));
        Ok(())
    }

    fn on_client_event(&mut self, event: ClientEvent) -> Result<(), SimError> {
        let tls = self.client.is_tls_active();
        match &event {
            ClientEvent::CommandSent { command, rules, .. } => {
                self.client_sent.push(SmtpItem::Command {
                    command: command.clone(),
                });
                self.sent_rules.0.extend(rules.iter().copied());
                return Ok(());
            }
            ClientEvent::MessageSent { octets, rules, .. } => {
                self.client_sent.push(SmtpItem::Message { octets: *octets });
                self.sent_rules.0.extend(rules.iter().copied());
                return Ok(());
            }
            ClientEvent::ReplyReceived { reply, under_tls } => {
                let wire = String::from_utf8_lossy(&reply.to_bytes()).into_owned();
                if self
                    .injected_replies
                    .iter()
                    .any(|r| wire.contains(r.as_str()))
                {
                    self.outcome.injected_reply_read = true;
                }
                if self.folds(Direction::ServerToClient, *under_tls, &wire) {
                    return Ok(());
                }
            }
            ClientEvent::StartTls { .. } => {
                if self.client_tls.is_none() {
                    let name = self.client.policy().expected_server_name.clone();
                    let (conn, finding) =
                        tls::client_connection(&self.settings, &name, self.key_log.clone())?;
                    self.client_tls = Some(conn);
                    self.finding = Some(finding);
                } else {
                    self.push_event_step(
                        Actor::Client,
                        tls,
                        Detail::Client(Box::new(event.clone())),
                    );
                    let _ = self
                        .client
                        .tls_failed("a TLS handshake inside TLS is not supported");
                    return Ok(());
                }
            }
            ClientEvent::RuleBroken { rule, .. }
            | ClientEvent::KnowledgeKept {
                broken_rule: rule, ..
            }
            | ClientEvent::PlaintextRetained {
                broken_rule: rule, ..
            } => self.outcome.rules_broken.push(*rule),
            ClientEvent::StarttlsAdvertisedUnderTls { .. } => {
                self.outcome.starttls_after_tls_flagged = true
            }
            ClientEvent::Finished { .. } => {
                self.flush_client()?;
                self.push_event_step(Actor::Client, tls, Detail::Client(Box::new(event.clone())));
                if let Some(conn) = &mut self.client_tls
                    && !self.close_notified.0
                    && !conn.is_handshaking()
                {
                    conn.send_close_notify();
                    self.close_notified.0 = true;
                    self.flush_client()?;
                }
                self.client_dead = true;
                return Ok(());
            }
            _ => {}
        }
        self.push_event_step(Actor::Client, tls, Detail::Client(Box::new(event)));
        Ok(())
    }

    /// Whether a "received" event repeats what the flight being delivered already shows.
    fn folds(&self, direction: Direction, under_tls: bool, line: &str) -> bool {
        match &self.delivering {
            Some((d, tls, plaintext)) => {
                *d == direction && *tls == under_tls && plaintext.contains(line)
            }
            None => false,
        }
    }

    fn push_event_step(&mut self, actor: Actor, tls: bool, detail: Detail) {
        let n = narrate::event(&detail);
        if n.skip {
            return;
        }
        let buffered = |bytes: &str, known: &[KnowledgeItem]| {
            known
                .iter()
                .find(|k| k.key == starttls_protocol::knowledge::KnowledgeKey::BufferedInput)
                .cloned()
                .unwrap_or(KnowledgeItem {
                    key: starttls_protocol::knowledge::KnowledgeKey::BufferedInput,
                    value: bytes.to_string(),
                    provenance: starttls_protocol::knowledge::Provenance::Cleartext,
                    learnt_at: 0,
                })
        };
        let discarded = match &detail {
            Detail::Server(e) => match e.as_ref() {
                ServerEvent::KnowledgeDiscarded { item, .. }
                | ServerEvent::KnowledgeKept { item, .. } => vec![item.clone()],
                ServerEvent::PlaintextDiscarded { bytes, .. }
                | ServerEvent::PlaintextRetained { bytes, .. } => {
                    vec![buffered(bytes, &self.known.1)]
                }
                _ => Vec::new(),
            },
            Detail::Client(e) => match e.as_ref() {
                ClientEvent::KnowledgeDiscarded { item, .. }
                | ClientEvent::KnowledgeKept { item, .. } => vec![item.clone()],
                ClientEvent::PlaintextDiscarded { bytes, .. }
                | ClientEvent::PlaintextRetained { bytes, .. } => {
                    vec![buffered(bytes, &self.known.0)]
                }
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        self.pending_discard = discarded;
        self.push(
            actor,
            n.kind,
            None,
            tls,
            None,
            n.text,
            n.rules,
            n.violation,
            detail,
        );
    }

    // ----- sending ---------------------------------------------------------------------

    fn flush_server(&mut self) -> Result<bool, SimError> {
        let plain = self.server.take_outgoing();
        let tls = self.server_tls.is_some();
        let wire = match &mut self.server_tls {
            Some(conn) => {
                if !plain.is_empty() {
                    conn.writer()
                        .write_all(&plain)
                        .map_err(|e| SimError::Io(e.to_string()))?;
                }
                drain_tls(conn)?
            }
            None => plain.clone(),
        };
        if wire.is_empty() {
            return Ok(false);
        }
        let plain = (!plain.is_empty()).then_some(plain);
        self.emit_flight(Direction::ServerToClient, wire, plain, tls, Actor::Server)?;
        Ok(true)
    }

    fn flush_client(&mut self) -> Result<bool, SimError> {
        let plain = self.client.take_outgoing();
        let tls = self.client_tls.is_some();
        let wire = match &mut self.client_tls {
            Some(conn) => {
                if !plain.is_empty() {
                    conn.writer()
                        .write_all(&plain)
                        .map_err(|e| SimError::Io(e.to_string()))?;
                }
                drain_tls(conn)?
            }
            None => plain.clone(),
        };
        if wire.is_empty() {
            return Ok(false);
        }
        let plain = (!plain.is_empty()).then_some(plain);
        self.emit_flight(Direction::ClientToServer, wire, plain, tls, Actor::Client)?;
        Ok(true)
    }

    /// Records a flight as a step, lets the attacker act on it, and queues it.
    fn emit_flight(
        &mut self,
        direction: Direction,
        wire: Vec<u8>,
        plaintext: Option<Vec<u8>>,
        tls: bool,
        actor: Actor,
    ) -> Result<(), SimError> {
        let (items, rules) = match direction {
            Direction::ClientToServer => (
                std::mem::take(&mut self.client_sent),
                std::mem::take(&mut self.sent_rules.0),
            ),
            Direction::ServerToClient => (
                std::mem::take(&mut self.server_sent),
                std::mem::take(&mut self.sent_rules.1),
            ),
        };
        let records = if tls {
            match direction {
                Direction::ClientToServer => self.from_client.decode_flight(&wire),
                Direction::ServerToClient => self.from_server.decode_flight(&wire),
            }
        } else {
            Vec::new()
        };
        let flight = narrate::flight(
            actor,
            direction,
            tls,
            &wire,
            plaintext.as_deref(),
            records,
            items,
        );
        let mut rules = rules;
        let mut seen = Vec::new();
        rules.retain(|r| {
            let fresh = !seen.contains(r);
            seen.push(*r);
            fresh
        });
        self.push(
            actor,
            flight.kind,
            Some(direction),
            tls,
            Some(wire.clone()),
            flight.text,
            rules,
            false,
            Detail::Wire(Box::new(flight.view)),
        );
        let wire = self.attack(direction, wire, tls);
        self.queue.push_back(Flight {
            direction,
            bytes: wire,
        });
        Ok(())
    }

    /// The attacker's turn on one flight; returns what travels on.
    fn attack(&mut self, direction: Direction, wire: Vec<u8>, tls: bool) -> Vec<u8> {
        if self.attack_done {
            return wire;
        }
        let c2s = direction == Direction::ClientToServer;
        let changed = match (&self.attack, tls, c2s) {
            (Attack::None, ..) => None,
            (Attack::StripStarttls, false, false) => {
                attacker::edit_ehlo(&wire, &[], &["STARTTLS".into()])
            }
            (Attack::TamperEhlo { add, remove }, false, false) => {
                attacker::edit_ehlo(&wire, add, remove)
            }
            (Attack::RewriteStarttls { to }, false, true) => {
                attacker::after_starttls(&wire, Some(to), None)
            }
            (Attack::InjectCommands { payload }, false, true) => {
                attacker::after_starttls(&wire, None, Some(payload))
            }
            (Attack::Replace220 { reply }, false, false) if self.sending_220 => {
                attacker::after_220(&wire, Some(reply), None)
            }
            (Attack::InjectReplies { payload }, false, false) if self.sending_220 => {
                attacker::after_220(&wire, None, Some(payload))
            }
            (Attack::FlipTlsByte { from_client }, true, _) if *from_client == c2s => {
                let handshaken = if c2s {
                    self.client_tls
                        .as_ref()
                        .is_some_and(|c| !c.is_handshaking())
                } else {
                    self.server_tls
                        .as_ref()
                        .is_some_and(|c| !c.is_handshaking())
                };
                if handshaken {
                    attacker::flip_app_data_byte(&wire)
                } else {
                    None
                }
            }
            _ => None,
        };
        let Some(new) = changed else { return wire };
        self.attack_done = true;
        let text = format!("The attacker {}.", self.attack.describe());
        let view = WireView {
            records: Vec::new(),
            plaintext: (!tls).then(|| narrate::escape(&new)),
            attacker_reads: if tls {
                "only record headers: the payload is encrypted; it can corrupt it, not read or forge it".into()
            } else {
                "everything, and it can rewrite it".into()
            },
            rewrites_previous: true,
            smtp: Vec::new(),
        };
        let rules = narrate::attack_rules(&self.attack);
        self.push(
            Actor::Attacker,
            StepKind::Bytes,
            Some(direction),
            tls,
            Some(new.clone()),
            text,
            rules,
            true,
            Detail::Wire(Box::new(view)),
        );
        new
    }

    // ----- receiving -------------------------------------------------------------------

    fn deliver(&mut self, flight: Flight) -> Result<(), SimError> {
        match flight.direction {
            Direction::ClientToServer => self.deliver_to_server(flight),
            Direction::ServerToClient => self.deliver_to_client(flight),
        }
    }

    fn deliver_to_server(&mut self, flight: Flight) -> Result<(), SimError> {
        if self.server_dead {
            return Ok(());
        }
        let Some(conn) = &mut self.server_tls else {
            let text = String::from_utf8_lossy(&flight.bytes).into_owned();
            self.delivering = Some((Direction::ClientToServer, false, text));
            let result = self.feed_server(&flight.bytes);
            self.delivering = None;
            return result;
        };
        let error = read_records(conn, &flight.bytes);
        if !self.server_tls_reported && !conn.is_handshaking() {
            self.server_tls_reported = true;
            let summary = tls::server_summary(conn);
            self.tls_note(Actor::Server, &summary);
            self.server
                .tls_established(summary)
                .map_err(|e| SimError::Io(e.to_string()))?;
            self.drain_server()?;
        }
        let plain = read_plaintext(self.server_tls.as_mut())?;
        if !plain.is_empty() {
            self.delivering = Some((
                Direction::ClientToServer,
                true,
                String::from_utf8_lossy(&plain).into_owned(),
            ));
            let result = self.feed_server(&plain);
            self.delivering = None;
            result?;
        }
        match error {
            Some(e) => self.tls_error(Actor::Server, e),
            None => Ok(()),
        }
    }

    fn deliver_to_client(&mut self, flight: Flight) -> Result<(), SimError> {
        if self.client_dead {
            return Ok(());
        }
        let Some(conn) = &mut self.client_tls else {
            let text = String::from_utf8_lossy(&flight.bytes).into_owned();
            self.delivering = Some((Direction::ServerToClient, false, text));
            let result = self.feed_client(&flight.bytes);
            self.delivering = None;
            return result;
        };
        let error = read_records(conn, &flight.bytes);
        if !self.client_tls_reported && !conn.is_handshaking() {
            self.client_tls_reported = true;
            let finding = self
                .finding
                .as_ref()
                .and_then(|f| f.lock().ok().and_then(|g| g.clone()));
            let summary = tls::client_summary(conn, finding.clone(), self.settings.server_identity);
            self.tls_note(Actor::Client, &summary);
            if let Some(f) = finding.filter(|f| f.problem.is_some()) {
                self.push(
                    Actor::Client,
                    StepKind::Decision,
                    None,
                    true,
                    None,
                    format!(
                        "rustls found a problem with the server certificate ({}) and, as configured, let the handshake finish: the SMTP client decides.",
                        f.problem.unwrap_or_default()
                    ),
                    vec![RuleId::DecideAfter, RuleId::CertName],
                    false,
                    Detail::Note,
                );
            }
            self.client
                .tls_established(summary)
                .map_err(|e| SimError::Io(e.to_string()))?;
            self.drain_client()?;
        }
        let plain = read_plaintext(self.client_tls.as_mut())?;
        if !plain.is_empty() {
            self.delivering = Some((
                Direction::ServerToClient,
                true,
                String::from_utf8_lossy(&plain).into_owned(),
            ));
            let result = self.feed_client(&plain);
            self.delivering = None;
            result?;
        }
        match error {
            Some(e) => self.tls_error(Actor::Client, e),
            None => Ok(()),
        }
    }

    fn tls_note(&mut self, actor: Actor, summary: &starttls_protocol::tls::TlsSummary) {
        let who = if actor == Actor::Client {
            "client"
        } else {
            "server"
        };
        let text = format!(
            "The {who}'s TLS handshake is complete: {} with {}{}.",
            summary.version,
            summary.cipher_suite,
            summary
                .key_exchange_group
                .as_ref()
                .map(|g| format!(" over {g}"))
                .unwrap_or_default()
        );
        self.push(
            actor,
            StepKind::StateChange,
            None,
            true,
            None,
            text,
            vec![RuleId::BothKnowTls],
            false,
            Detail::Note,
        );
    }

    /// rustls refused what it read: record the alert it sends, and end the session.
    fn tls_error(&mut self, actor: Actor, error: rustls::Error) -> Result<(), SimError> {
        if let rustls::Error::AlertReceived(alert) = &error {
            self.outcome.alerts.push(format!("{alert:?}"));
        }
        let who = if actor == Actor::Client {
            "client"
        } else {
            "server"
        };
        let text = match &error {
            rustls::Error::AlertReceived(alert) => {
                format!("The {who} received a TLS alert: {alert:?}. The connection is over.")
            }
            e => format!(
                "The {who}'s rustls refused the TLS data: {e}. It sends an alert and closes."
            ),
        };
        let handshaking = match actor {
            Actor::Client => !self.client_tls_reported,
            _ => !self.server_tls_reported,
        };
        let rules = if handshaking && actor == Actor::Client {
            vec![RuleId::ClientHandshakeNext]
        } else {
            Vec::new()
        };
        self.push(
            actor,
            StepKind::Alert,
            None,
            true,
            None,
            text,
            rules,
            false,
            Detail::Note,
        );
        // The alert rustls queued, if any, goes on the wire.
        match actor {
            Actor::Client => {
                self.flush_client()?;
                self.client_dead = true;
                if handshaking {
                    let _ = self.client.tls_failed(&error.to_string());
                    self.drain_client()?;
                } else {
                    self.push(
                        Actor::Client,
                        StepKind::Close,
                        None,
                        true,
                        None,
                        "The client's TLS connection is dead: it closes the connection.".into(),
                        Vec::new(),
                        false,
                        Detail::Note,
                    );
                }
            }
            _ => {
                self.flush_server()?;
                self.server_dead = true;
                if handshaking {
                    let _ = self.server.tls_failed(&error.to_string());
                    self.drain_server()?;
                } else {
                    self.push(
                        Actor::Server,
                        StepKind::Close,
                        None,
                        true,
                        None,
                        "The server's TLS connection is dead: it closes the connection.".into(),
                        Vec::new(),
                        false,
                        Detail::Note,
                    );
                }
            }
        }
        Ok(())
    }

    fn feed_server(&mut self, mut bytes: &[u8]) -> Result<(), SimError> {
        let mut stalls = 0;
        while !bytes.is_empty() && stalls < 3 {
            let n = self.server.receive(bytes);
            bytes = &bytes[n..];
            stalls = if n == 0 { stalls + 1 } else { 0 };
            self.drain_server()?;
            self.note_learnt();
            self.flush_server()?;
        }
        Ok(())
    }

    fn feed_client(&mut self, mut bytes: &[u8]) -> Result<(), SimError> {
        let mut stalls = 0;
        while !bytes.is_empty() && stalls < 3 {
            let n = self.client.receive(bytes);
            bytes = &bytes[n..];
            stalls = if n == 0 { stalls + 1 } else { 0 };
            self.drain_client()?;
            self.note_learnt();
            self.flush_client()?;
        }
        Ok(())
    }
}

fn split_lines(payload: &str) -> Vec<String> {
    payload
        .split("\r\n")
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Feeds a flight to a connection; returns the first error rustls reports.
fn read_records<D>(
    conn: &mut impl std::ops::DerefMut<Target = rustls::ConnectionCommon<D>>,
    bytes: &[u8],
) -> Option<rustls::Error> {
    let mut rest = bytes;
    while !rest.is_empty() {
        if let Err(e) = conn.read_tls(&mut rest) {
            return Some(rustls::Error::General(e.to_string()));
        }
        if let Err(e) = conn.process_new_packets() {
            return Some(e);
        }
    }
    None
}

/// Everything a connection wants to write.
fn drain_tls(
    conn: &mut impl std::ops::DerefMut<Target = rustls::ConnectionCommon<impl Sized>>,
) -> Result<Vec<u8>, SimError> {
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out)
            .map_err(|e| SimError::Io(e.to_string()))?;
    }
    Ok(out)
}

/// Everything a connection has decrypted and not yet handed over.
fn read_plaintext<C: std::ops::DerefMut<Target = rustls::ConnectionCommon<D>>, D>(
    conn: Option<&mut C>,
) -> Result<Vec<u8>, SimError> {
    let mut out = Vec::new();
    let Some(conn) = conn else { return Ok(out) };
    let mut buf = [0u8; 4096];
    loop {
        match conn.reader().read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(SimError::Io(e.to_string())),
        }
    }
    Ok(out)
}
