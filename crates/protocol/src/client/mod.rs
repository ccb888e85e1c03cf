//! The SMTP client machine (sans-IO). It delivers one [`ClientScript`] under a
//! [`ClientPolicy`] and records a [`ClientOutcome`].
//!
//! # Call order
//!
//! 1. [`Client::new`] validates the script. The client waits for the greeting.
//! 2. Loop:
//!    - [`Client::receive`] with bytes from the server (returns how many it took;
//!      offer the rest again after draining). Incomplete replies are kept; they are
//!      not an error.
//!    - [`Client::poll_event`] until `None`, and [`Client::take_outgoing`] for the bytes to send.
//! 3. On [`ClientEvent::StartTls`] (the server said `220`), send nothing else: run the
//!    TLS handshake ([`RuleId::ClientHandshakeNext`]) and report it with
//!    [`Client::tls_established`] or [`Client::tls_failed`]. Bytes received after the
//!    `220` are held, never read as replies, and discarded at the handshake
//!    ([`RuleId::ClientDiscard`]), or taken back with [`Client::take_buffered_plaintext`].
//!    After `tls_established`, take the outgoing bytes (EHLO again,
//!    [`RuleId::ClientEhloAgain`], or QUIT, [`RuleId::ClientQuitInsecure`]) and feed
//!    `receive` with decrypted bytes.
//! 4. On [`ClientEvent::Finished`], send the outgoing bytes and close; [`Client::outcome`] says how it went.
//!
//! [`RuleId::ClientHandshakeNext`]: crate::rules::RuleId::ClientHandshakeNext
//! [`RuleId::ClientDiscard`]: crate::rules::RuleId::ClientDiscard
//! [`RuleId::ClientEhloAgain`]: crate::rules::RuleId::ClientEhloAgain
//! [`RuleId::ClientQuitInsecure`]: crate::rules::RuleId::ClientQuitInsecure

mod event;
mod policy;
mod replies;
mod state;
mod transaction;

pub use event::{ClientEvent, ClientOutcome, ClientSnapshot, RecipientRejection};
pub use policy::{ClientPolicy, ClientScript, ClientTeaching, Credentials, TlsFallback, TlsMode};
pub use state::{ClientStateId, ClientTransition, ClientTrigger, Next, TRANSITIONS};

use crate::command::{Command, Verb};
use crate::error::{ConfigError, LocalError, PeerError};
use crate::inbox::Inbox;
use crate::knowledge::{KnowledgeItem, KnowledgeKey, Learnt, Provenance, escape_bytes};
use crate::limits::{EVENT_QUEUE_CAP, OUTGOING_CAP};
use crate::line::Status;
use crate::reply::{EhloReply, Reply, ReplyAssembler, next_reply_line};
use crate::rules::RuleId as R;
use crate::tls::{SecurityVerdict, TlsState, TlsSummary};
use state::ClientState;
use std::collections::VecDeque;

/// The SMTP client machine. See the [module documentation](self) for the call order.
#[derive(Debug, Clone)]
pub struct Client {
    policy: ClientPolicy,
    script: ClientScript,
    state: ClientState,
    tls: TlsState,
    verdict: SecurityVerdict,
    greeting: Option<Learnt<Reply>>,
    ehlo: Option<Learnt<EhloReply>>,
    authenticated: bool,
    inbox: Inbox,
    assembler: ReplyAssembler,
    events: VecDeque<ClientEvent>,
    outgoing: Vec<u8>,
    replies: u64,
    starttls_refused: bool,
    second_starttls_sent: bool,
}

impl Client {
    /// Creates a client for one session. Fails if the script is invalid.
    pub fn new(policy: ClientPolicy, script: ClientScript) -> Result<Client, ConfigError> {
        script.validate()?;
        Ok(Client {
            policy,
            script,
            state: ClientState::AwaitGreeting,
            tls: TlsState::Off,
            verdict: SecurityVerdict::Unknown,
            greeting: None,
            ehlo: None,
            authenticated: false,
            inbox: Inbox::default(),
            assembler: ReplyAssembler::default(),
            events: VecDeque::new(),
            outgoing: Vec::new(),
            replies: 0,
            starttls_refused: false,
            second_starttls_sent: false,
        })
    }

    /// The policy.
    pub fn policy(&self) -> &ClientPolicy {
        &self.policy
    }

    /// The script.
    pub fn script(&self) -> &ClientScript {
        &self.script
    }

    /// Offers bytes received from the server; returns how many were taken (fewer only
    /// when the event queue or outgoing buffer is full: drain, then offer the rest).
    /// While a handshake is pending, or once finished, every byte is taken (held up to
    /// [`INPUT_BUFFER_CAP`](crate::limits::INPUT_BUFFER_CAP), or ignored).
    #[must_use = "bytes beyond the returned count were not taken"]
    pub fn receive(&mut self, input: &[u8]) -> usize {
        let mut taken = 0;
        loop {
            match self.state {
                ClientState::Closed { .. } => return input.len(),
                ClientState::TlsHandshake => {
                    self.inbox.hold(&input[taken..]);
                    return input.len();
                }
                _ => {}
            }
            self.pump();
            if matches!(
                self.state,
                ClientState::Closed { .. } | ClientState::TlsHandshake
            ) {
                continue;
            }
            let room = self.inbox.room();
            if taken == input.len() || self.queues_full() || room == 0 {
                return taken;
            }
            let n = room.min(input.len() - taken);
            self.inbox.extend(&input[taken..taken + n]);
            taken += n;
        }
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        let event = self.events.pop_front();
        if self.events.is_empty() {
            self.pump();
        }
        event
    }

    /// Takes the bytes to send to the server.
    ///
    /// When the outgoing buffer was full, this resumes processing of input already taken,
    /// which may queue more events: poll them again afterwards, until none is left.
    pub fn take_outgoing(&mut self) -> Vec<u8> {
        let out = std::mem::take(&mut self.outgoing);
        self.pump();
        out
    }

    /// Whether there are bytes to send.
    pub fn has_outgoing(&self) -> bool {
        !self.outgoing.is_empty()
    }

    /// Number of events waiting.
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// Number of input bytes held but not yet interpreted.
    pub fn buffered_len(&self) -> usize {
        self.inbox.len()
    }

    /// Reports that the handshake asked for by [`ClientEvent::StartTls`] completed.
    ///
    /// The client discards what it learnt in the clear ([`R::ClientDiscard`]) and the
    /// plaintext held since the `220`, judges the session ([`R::DecideAfter`],
    /// [`R::CertName`]) and then either sends EHLO ([`R::ClientEhloAgain`]) or, if the
    /// session falls short, QUIT ([`R::ClientQuitInsecure`]).
    pub fn tls_established(&mut self, summary: TlsSummary) -> Result<(), LocalError> {
        if !matches!(self.state, ClientState::TlsHandshake) {
            return Err(if self.is_finished() {
                LocalError::Closed
            } else {
                LocalError::NoHandshakePending
            });
        }
        let keep = self.policy.teaching.keep_pre_tls_knowledge;
        for item in self.learnt_items() {
            self.events.push_back(if keep {
                ClientEvent::KnowledgeKept {
                    item,
                    broken_rule: R::ClientDiscard,
                }
            } else {
                ClientEvent::KnowledgeDiscarded {
                    item,
                    rules: vec![R::ClientDiscard],
                }
            });
        }
        if !keep {
            self.greeting = None;
            self.ehlo = None;
        }
        let range = self.inbox.held_range();
        if !range.is_empty() {
            let bytes = escape_bytes(&self.inbox);
            if self.policy.teaching.accept_replies_buffered_after_220 {
                self.events.push_back(ClientEvent::PlaintextRetained {
                    range,
                    bytes,
                    broken_rule: R::ClientDiscard,
                });
                self.inbox.keep_held();
            } else {
                self.events.push_back(ClientEvent::PlaintextDiscarded {
                    range,
                    bytes,
                    rules: vec![R::ClientDiscard],
                });
                self.inbox.discard_all();
            }
        }
        self.verdict = self.judge(&summary);
        self.tls = TlsState::On(summary);
        self.events.push_back(ClientEvent::SecurityDecision {
            verdict: self.verdict.clone(),
            rules: vec![R::DecideAfter, R::CertName],
        });
        if let SecurityVerdict::Insufficient { reason } = self.verdict.clone() {
            self.quit(
                ClientOutcome::QuitInsecure { reason },
                ClientTrigger::TlsInsufficient,
            );
        } else if keep {
            self.events.push_back(ClientEvent::RuleBroken {
                rule: R::ClientEhloAgain,
                detail:
                    "no EHLO after the handshake: the extension list learnt in the clear is reused"
                        .into(),
            });
            self.after_ehlo(replies::Via::TlsKept);
        } else {
            let ehlo = Command::Ehlo {
                domain: self.script.ehlo_name.clone(),
            };
            self.send_command(ehlo, vec![]);
            self.goto(ClientTrigger::TlsEstablished, ClientState::AwaitEhlo);
        }
        self.pump();
        Ok(())
    }

    /// Reports that the handshake started and failed (an alert, a certificate rustls
    /// refused). The connection cannot carry SMTP any more: the session ends. Whether to
    /// retry later, elsewhere or in the clear is the caller's decision by local policy
    /// ([`R::Client454Decide`]).
    pub fn tls_failed(&mut self, reason: &str) -> Result<(), LocalError> {
        self.handshake_failed(reason, true)
    }

    /// Reports that the handshake could not start after the `220`: the client aborts the
    /// connection ([`R::ClientHandshakeNext`]: no other command may follow the 220).
    pub fn tls_could_not_start(&mut self, reason: &str) -> Result<(), LocalError> {
        self.handshake_failed(reason, false)
    }

    fn handshake_failed(&mut self, reason: &str, started: bool) -> Result<(), LocalError> {
        if !matches!(self.state, ClientState::TlsHandshake) {
            return Err(if self.is_finished() {
                LocalError::Closed
            } else {
                LocalError::NoHandshakePending
            });
        }
        self.tls = TlsState::Off;
        self.events.push_back(ClientEvent::TlsFailed {
            reason: reason.to_string(),
            started,
        });
        self.inbox.discard_all();
        let on = if started {
            ClientTrigger::TlsFailed
        } else {
            ClientTrigger::TlsCouldNotStart
        };
        self.finish(
            ClientOutcome::TlsFailed {
                reason: reason.to_string(),
            },
            on,
        );
        Ok(())
    }

    /// Hands back, and forgets, the bytes received after the `220` while the handshake
    /// is pending (reported as discarded, [`R::ClientDiscard`]). Empty otherwise.
    pub fn take_buffered_plaintext(&mut self) -> Vec<u8> {
        if !matches!(self.state, ClientState::TlsHandshake) || self.inbox.is_empty() {
            return Vec::new();
        }
        let (bytes, range) = self.inbox.take();
        self.events.push_back(ClientEvent::PlaintextDiscarded {
            range,
            bytes: escape_bytes(&bytes),
            rules: vec![R::ClientDiscard],
        });
        bytes
    }

    /// Whether TLS is off, handshaking or on ([`R::BothKnowTls`]).
    pub fn tls(&self) -> &TlsState {
        &self.tls
    }

    /// Whether a TLS session is active ([`R::BothKnowTls`]).
    pub fn is_tls_active(&self) -> bool {
        self.tls.is_active()
    }

    /// The judgement of the TLS session.
    pub fn verdict(&self) -> &SecurityVerdict {
        &self.verdict
    }

    /// The state, as in [`TRANSITIONS`].
    pub fn state_id(&self) -> ClientStateId {
        self.state.id()
    }

    /// The state's name, e.g. `"TlsHandshake"`.
    pub fn state_name(&self) -> &'static str {
        self.state.id().as_str()
    }

    /// Whether the session is over.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, ClientState::Closed { .. })
    }

    /// The outcome, once decided (QUIT sent) or final.
    pub fn outcome(&self) -> Option<&ClientOutcome> {
        match &self.state {
            ClientState::AwaitQuit { outcome } | ClientState::Closed { outcome } => Some(outcome),
            _ => None,
        }
    }

    /// The server's EHLO reply as currently known (cleared at the handshake).
    pub fn ehlo_reply(&self) -> Option<&EhloReply> {
        self.ehlo.as_ref().map(|l| &l.value)
    }

    /// What the client knows about the server, with provenance.
    pub fn knowledge(&self) -> Vec<KnowledgeItem> {
        let mut items = self.learnt_items();
        if !self.inbox.is_empty() {
            items.push(KnowledgeItem {
                key: KnowledgeKey::BufferedInput,
                value: escape_bytes(&self.inbox),
                provenance: if self.tls.is_active() {
                    Provenance::Tls
                } else {
                    Provenance::Cleartext
                },
                learnt_at: self.replies,
            });
        }
        items
    }

    /// A serializable view for a trace.
    pub fn snapshot(&self) -> ClientSnapshot {
        ClientSnapshot {
            state: self.state.id(),
            tls: self.tls.clone(),
            verdict: self.verdict.clone(),
            knowledge: self.knowledge(),
            buffered_input: self.inbox.len(),
            pending_outgoing: self.outgoing.len(),
            replies_processed: self.replies,
            outcome: self.outcome().cloned(),
        }
    }

    // ----- internals -----

    fn learnt_items(&self) -> Vec<KnowledgeItem> {
        let mut items = Vec::new();
        if let Some(g) = &self.greeting {
            items.push(g.item(KnowledgeKey::Greeting, |r| r.to_string()));
        }
        if let Some(e) = &self.ehlo {
            items.push(e.item(KnowledgeKey::Extensions, |e| {
                let list: Vec<String> = e.extensions.iter().map(|x| x.to_string()).collect();
                format!("{}: {}", e.domain, list.join(", "))
            }));
        }
        items
    }

    fn judge(&self, s: &TlsSummary) -> SecurityVerdict {
        if let Some(min) = self.policy.min_tls_version
            && s.version < min
        {
            return SecurityVerdict::Insufficient {
                reason: format!("{} is below the required minimum {min}", s.version),
            };
        }
        let expected = &self.policy.expected_server_name;
        let authenticated = s.names_host(expected);
        if !authenticated && !self.policy.accept_unauthenticated_tls {
            let reason = if !s.server_certificate_verified {
                "the server certificate could not be verified".to_string()
            } else {
                format!(
                    "the server certificate names {}, not {expected}",
                    s.server_certificate_names.join(", ")
                )
            };
            return SecurityVerdict::Insufficient { reason };
        }
        SecurityVerdict::Acceptable {
            peer_authenticated: authenticated,
        }
    }

    fn queues_full(&self) -> bool {
        self.events.len() >= EVENT_QUEUE_CAP || self.outgoing.len() >= OUTGOING_CAP
    }

    /// Moves to `next` by the row of [`TRANSITIONS`] for the current state and `on`. A
    /// change the table does not name is reported as [`ClientEvent::TableMiss`] (in release
    /// builds too); a change that keeps the state is not a row and is not reported.
    fn goto(&mut self, on: ClientTrigger, next: ClientState) {
        let from = self.state.id();
        let to = next.id();
        self.state = next;
        match crate::transition::check(TRANSITIONS, from, on, to) {
            Ok(Some(rules)) => self.events.push_back(ClientEvent::StateChanged {
                from,
                on,
                to,
                rules: rules.to_vec(),
            }),
            Ok(None) => {}
            Err(miss) => self.events.push_back(ClientEvent::TableMiss(miss)),
        }
    }

    fn send_command(&mut self, command: Command, rules: Vec<R>) {
        self.outgoing
            .extend_from_slice(command.to_line().as_bytes());
        self.events.push_back(ClientEvent::CommandSent {
            command,
            under_tls: self.tls.is_active(),
            rules,
        });
    }

    fn quit(&mut self, outcome: ClientOutcome, on: ClientTrigger) {
        self.send_command(Command::Quit, vec![]);
        self.goto(on, ClientState::AwaitQuit { outcome });
    }

    fn finish(&mut self, outcome: ClientOutcome, on: ClientTrigger) {
        self.goto(
            on,
            ClientState::Closed {
                outcome: outcome.clone(),
            },
        );
        self.events.push_back(ClientEvent::Finished { outcome });
    }

    fn violation(&mut self, error: PeerError) {
        let reason = error.to_string();
        self.events
            .push_back(ClientEvent::ProtocolViolation { error });
        self.finish(
            ClientOutcome::Aborted { reason },
            ClientTrigger::PeerViolation,
        );
    }

    fn pump(&mut self) {
        loop {
            if self.queues_full() {
                return;
            }
            match self.state {
                ClientState::Closed { .. } => {
                    let n = self.inbox.len();
                    self.inbox.consume(n);
                    return;
                }
                ClientState::TlsHandshake => return,
                _ => {}
            }
            match next_reply_line(&self.inbox) {
                Ok(Status::Partial) => return,
                Ok(Status::Complete(p)) => {
                    self.inbox.consume(p.consumed);
                    match self.assembler.push(p.value) {
                        Ok(Some(reply)) => {
                            self.replies += 1;
                            self.handle_reply(reply);
                        }
                        Ok(None) => {}
                        Err(e) => self.violation(e),
                    }
                }
                Err(e) => {
                    self.inbox.consume(e.consumed);
                    self.violation(e.error);
                }
            }
        }
    }

    fn learnt<T>(&self, value: T) -> Learnt<T> {
        Learnt::new(value, self.tls.is_active(), self.replies)
    }

    fn refused(command: Option<Verb>, reply: &Reply) -> ClientOutcome {
        ClientOutcome::Refused {
            command,
            code: reply.code,
            text: reply.text(),
        }
    }
}
