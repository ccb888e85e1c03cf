//! The SMTP server machine (sans-IO).
//!
//! # Call order
//!
//! 1. [`Server::new`] validates the [`ServerPolicy`] (e.g. [`RuleId::PublicNoRequire`])
//!    and queues the `220` greeting.
//! 2. Loop:
//!    - [`Server::receive`] with bytes from the client. It returns how many bytes it
//!      took; if fewer than offered, drain and offer the rest again (backpressure
//!      keeps memory bounded, see [`crate::limits`]). Incomplete lines are kept; they
//!      are not an error.
//!    - [`Server::poll_event`] until `None`, and [`Server::take_outgoing`] to get the
//!      bytes to send.
//! 3. On [`ServerEvent::StartTls`] send the outgoing bytes (they end with `220`), then
//!    run the TLS handshake on the connection and report it with
//!    [`Server::tls_established`] (a [`TlsSummary`]) or [`Server::tls_failed`].
//!    Bytes received after the STARTTLS line are *held, never interpreted*; at the
//!    handshake they are discarded with a [`ServerEvent::PlaintextDiscarded`]
//!    ([`RuleId::ServerDiscard`]) — or taken back earlier with
//!    [`Server::take_buffered_plaintext`]. From then on, feed `receive` with the
//!    decrypted bytes.
//! 4. On [`ServerEvent::Closed`], send the outgoing bytes and close the connection.
//!
//! ```
//! use starttls_protocol::server::{Server, ServerPolicy, ServerEvent};
//! let mut server = Server::new(ServerPolicy::default()).unwrap();
//! assert!(server.take_outgoing().starts_with(b"220 mx.example.net"));
//! let taken = server.receive(b"EHLO client.example\r\nSTARTTLS\r\nMAIL FROM:<evil@x>\r\n");
//! assert_eq!(taken, 51);
//! let events: Vec<_> = std::iter::from_fn(|| server.poll_event()).collect();
//! assert!(events.iter().any(|e| matches!(e, ServerEvent::StartTls { .. })));
//! // The injected MAIL line is held, not answered.
//! let out = String::from_utf8(server.take_outgoing()).unwrap();
//! assert!(out.ends_with("220 2.0.0 Ready to start TLS\r\n"));
//! ```
//!
//! [`RuleId::PublicNoRequire`]: crate::rules::RuleId::PublicNoRequire
//! [`RuleId::ServerDiscard`]: crate::rules::RuleId::ServerDiscard

mod commands;
mod event;
mod input;
mod policy;
mod state;

pub use event::{ServerEvent, ServerSnapshot};
pub use policy::{
    Account, SecondStarttlsReply, ServerPolicy, ServerSecurityPolicy, ServerTeaching, StarttlsOffer,
};
pub use state::{Kept, ServerStateId, ServerTransition, ServerTrigger, TRANSITIONS};

pub(crate) use policy::check_text as policy_check_text;

use crate::command::Verb;
use crate::error::{ConfigError, LocalError};
use crate::inbox::Inbox;
use crate::knowledge::{KnowledgeItem, KnowledgeKey, escape_bytes};
use crate::limits::{EVENT_QUEUE_CAP, OUTGOING_CAP};
use crate::reply::{EnhancedStatus, Extension, Reply};
use crate::rules::RuleId as R;
use crate::tls::{SecurityVerdict, TlsState, TlsSummary};
use state::ServerState;
use std::collections::VecDeque;

/// The SMTP server machine. See the [module documentation](self) for the call order.
#[derive(Debug, Clone)]
pub struct Server {
    policy: ServerPolicy,
    state: ServerState,
    tls: TlsState,
    verdict: SecurityVerdict,
    tls_available: bool,
    inbox: Inbox,
    skipping_long_line: bool,
    events: VecDeque<ServerEvent>,
    outgoing: Vec<u8>,
    commands: u64,
}

impl Server {
    /// Creates a server and queues its `220` greeting. Fails on an invalid policy,
    /// e.g. a publicly-referenced server that requires TLS ([`R::PublicNoRequire`]).
    pub fn new(policy: ServerPolicy) -> Result<Server, ConfigError> {
        policy.validate()?;
        let mut server = Server {
            policy,
            state: ServerState::Initial,
            tls: TlsState::Off,
            verdict: SecurityVerdict::Unknown,
            tls_available: true,
            inbox: Inbox::default(),
            skipping_long_line: false,
            events: VecDeque::new(),
            outgoing: Vec::new(),
            commands: 0,
        };
        let text = if server.policy.greeting.is_empty() {
            server.policy.hostname.clone()
        } else {
            format!("{} {}", server.policy.hostname, server.policy.greeting)
        };
        server.send(Reply::new(220, None, text), None, Vec::new());
        Ok(server)
    }

    /// The policy the server runs.
    pub fn policy(&self) -> &ServerPolicy {
        &self.policy
    }

    /// Offers bytes received from the client; returns how many were taken.
    ///
    /// Fewer than offered are taken only when the event queue or the outgoing
    /// buffer is full: drain them and offer the rest again. While a TLS handshake
    /// is pending, or after the session closed, every byte is taken (and held up
    /// to [`INPUT_BUFFER_CAP`](crate::limits::INPUT_BUFFER_CAP), or ignored).
    #[must_use = "bytes beyond the returned count were not taken"]
    pub fn receive(&mut self, input: &[u8]) -> usize {
        let mut taken = 0;
        loop {
            match self.state {
                ServerState::Closed => return input.len(),
                ServerState::TlsHandshake { .. } => {
                    self.inbox.hold(&input[taken..]);
                    return input.len();
                }
                _ => {}
            }
            self.pump();
            if matches!(
                self.state,
                ServerState::Closed | ServerState::TlsHandshake { .. }
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

    /// The next event, oldest first. Draining events may let [`Server::receive`]
    /// take more input, and resumes processing of input already taken.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        let event = self.events.pop_front();
        if self.events.is_empty() {
            self.pump();
        }
        event
    }

    /// Takes the bytes to send to the client.
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

    /// Number of events waiting in the queue.
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// Number of input bytes held but not yet interpreted.
    pub fn buffered_len(&self) -> usize {
        self.inbox.len()
    }

    /// Reports that the TLS handshake asked for by [`ServerEvent::StartTls`] completed.
    ///
    /// The server then, in this order: discards what it learnt before TLS
    /// ([`R::ServerDiscard`]) and the plaintext held since STARTTLS, returns to the
    /// initial state ([`R::Reset`]), and judges the session ([`R::DecideAfter`]); if
    /// it falls short of [`ServerSecurityPolicy`], every command but QUIT will get
    /// `554` ([`R::Server554`]). Teaching toggles change the first two steps and say so.
    pub fn tls_established(&mut self, summary: TlsSummary) -> Result<(), LocalError> {
        let ServerState::TlsHandshake { session, envelope } = &self.state else {
            return Err(if self.is_closed() {
                LocalError::Closed
            } else {
                LocalError::NoHandshakePending
            });
        };
        let (session, envelope) = (session.clone(), envelope.clone());
        let items = self.state.knowledge();
        let keep = self.policy.teaching.keep_pre_tls_knowledge;
        for item in items {
            self.events.push_back(if keep {
                ServerEvent::KnowledgeKept {
                    item,
                    broken_rule: R::ServerDiscard,
                }
            } else {
                ServerEvent::KnowledgeDiscarded {
                    item,
                    rules: vec![R::ServerDiscard],
                }
            });
        }
        let range = self.inbox.held_range();
        if !range.is_empty() {
            let bytes = escape_bytes(&self.inbox);
            if self.policy.teaching.process_plaintext_after_starttls {
                self.events.push_back(ServerEvent::PlaintextRetained {
                    range,
                    bytes,
                    broken_rule: R::ServerDiscard,
                });
                self.inbox.keep_held();
            } else {
                self.events.push_back(ServerEvent::PlaintextDiscarded {
                    range,
                    bytes,
                    rules: vec![R::ServerDiscard],
                });
                self.inbox.discard_all();
            }
        }
        self.verdict = self.judge(&summary);
        self.tls = TlsState::On(summary);
        let (on, next) = if keep {
            self.events.push_back(ServerEvent::RuleBroken {
                rule: R::Reset,
                detail: "the SMTP session was not reset to its initial state after the handshake"
                    .into(),
            });
            match (session, envelope) {
                (Some(session), Some(envelope)) => (
                    ServerTrigger::TlsEstablishedKept(Kept::Envelope),
                    ServerState::Transaction { session, envelope },
                ),
                (Some(session), None) => (
                    ServerTrigger::TlsEstablishedKept(Kept::Session),
                    ServerState::Ready { session },
                ),
                _ => (
                    ServerTrigger::TlsEstablishedKept(Kept::Nothing),
                    ServerState::Initial,
                ),
            }
        } else {
            (ServerTrigger::TlsEstablished, ServerState::Initial)
        };
        self.goto(on, next);
        let mut rules = vec![R::DecideAfter];
        if matches!(self.verdict, SecurityVerdict::Insufficient { .. }) {
            rules.push(R::Server554);
        }
        self.events.push_back(ServerEvent::SecurityDecision {
            verdict: self.verdict.clone(),
            rules,
        });
        self.pump();
        Ok(())
    }

    /// Reports that the TLS handshake failed. The session is over: the connection
    /// cannot carry SMTP any more, so the server closes it.
    pub fn tls_failed(&mut self, reason: &str) -> Result<(), LocalError> {
        if !matches!(self.state, ServerState::TlsHandshake { .. }) {
            return Err(if self.is_closed() {
                LocalError::Closed
            } else {
                LocalError::NoHandshakePending
            });
        }
        self.tls = TlsState::Off;
        self.events.push_back(ServerEvent::TlsFailed {
            reason: reason.to_string(),
        });
        self.goto(ServerTrigger::TlsFailed, ServerState::Closed);
        self.inbox.discard_all();
        self.events.push_back(ServerEvent::Closed {
            reason: format!("TLS handshake failed: {reason}"),
        });
        Ok(())
    }

    /// Hands back, and forgets, the plaintext received after the STARTTLS line while the
    /// handshake is pending (like h11's trailing data after a protocol switch). The
    /// server reports it as discarded ([`R::ServerDiscard`]); it is never interpreted.
    /// Returns nothing outside a pending handshake.
    pub fn take_buffered_plaintext(&mut self) -> Vec<u8> {
        if !matches!(self.state, ServerState::TlsHandshake { .. }) || self.inbox.is_empty() {
            return Vec::new();
        }
        let (bytes, range) = self.inbox.take();
        self.events.push_back(ServerEvent::PlaintextDiscarded {
            range,
            bytes: escape_bytes(&bytes),
            rules: vec![R::ServerDiscard],
        });
        bytes
    }

    /// Switches TLS availability at run time, for [`StarttlsOffer::Offered`]: while
    /// unavailable, STARTTLS is not advertised ([`R::ExtKeyword`]) and gets `454` ([`R::Cmd454`]).
    pub fn set_tls_available(&mut self, available: bool) {
        self.tls_available = available;
    }

    /// Whether TLS is off, handshaking or on ([`R::BothKnowTls`]).
    pub fn tls(&self) -> &TlsState {
        &self.tls
    }

    /// Whether a TLS session is active ([`R::BothKnowTls`]).
    pub fn is_tls_active(&self) -> bool {
        self.tls.is_active()
    }

    /// The judgement of the TLS session ([`R::DecideAfter`]).
    pub fn verdict(&self) -> &SecurityVerdict {
        &self.verdict
    }

    /// The SMTP state, as in [`TRANSITIONS`].
    pub fn state_id(&self) -> ServerStateId {
        self.state.id()
    }

    /// The state's name, e.g. `"TlsHandshake"`.
    pub fn state_name(&self) -> &'static str {
        self.state.id().as_str()
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, ServerState::Closed)
    }

    /// What the server knows about the client, with provenance.
    pub fn knowledge(&self) -> Vec<KnowledgeItem> {
        let mut items = self.state.knowledge();
        if !self.inbox.is_empty() {
            items.push(KnowledgeItem {
                key: KnowledgeKey::BufferedInput,
                value: escape_bytes(&self.inbox),
                provenance: if self.tls.is_active() {
                    crate::knowledge::Provenance::Tls
                } else {
                    crate::knowledge::Provenance::Cleartext
                },
                learnt_at: self.commands,
            });
        }
        items
    }

    /// A serializable view for a trace.
    pub fn snapshot(&self) -> ServerSnapshot {
        ServerSnapshot {
            state: self.state.id(),
            tls: self.tls.clone(),
            verdict: self.verdict.clone(),
            knowledge: self.knowledge(),
            buffered_input: self.inbox.len(),
            pending_outgoing: self.outgoing.len(),
            commands_processed: self.commands,
        }
    }

    /// The extensions the next EHLO reply would list, and the rules that shape it.
    pub fn advertised_extensions(&self) -> (Vec<Extension>, Vec<R>) {
        let under_tls = self.tls.is_active();
        let source = if under_tls {
            &self.policy.extensions_after_tls
        } else {
            &self.policy.extensions_before_tls
        };
        let starttls_at = source.iter().position(|e| e.is("STARTTLS"));
        let mut list: Vec<Extension> = source
            .iter()
            .filter(|e| !e.is("STARTTLS"))
            .cloned()
            .collect();
        let mut rules = Vec::new();
        let at = starttls_at.unwrap_or(list.len()).min(list.len());
        if under_tls {
            rules.push(R::NoStarttlsAfter);
            if self.policy.extensions_after_tls != self.policy.extensions_before_tls {
                rules.push(R::ExtMayDiffer);
            }
            if self.policy.teaching.advertise_starttls_after_tls {
                list.insert(at, Extension::keyword("STARTTLS"));
            }
        } else if self.starttls_advertised() {
            list.insert(at, Extension::keyword("STARTTLS"));
            rules.push(R::ExtKeyword);
        }
        (list, rules)
    }

    // ----- internals -----

    fn starttls_advertised(&self) -> bool {
        match self.policy.starttls {
            StarttlsOffer::Offered => self.tls_available,
            StarttlsOffer::AdvertisedButUnavailable => true,
            StarttlsOffer::NotOffered | StarttlsOffer::TemporarilyUnavailable => false,
        }
    }

    fn judge(&self, s: &TlsSummary) -> SecurityVerdict {
        let sec = &self.policy.security;
        if let Some(min) = sec.min_tls_version
            && s.version < min
        {
            return SecurityVerdict::Insufficient {
                reason: format!("{} is below the required minimum {min}", s.version),
            };
        }
        if sec.require_client_certificate {
            if !s.client_certificate_presented {
                return SecurityVerdict::Insufficient {
                    reason: "the client presented no certificate".into(),
                };
            }
            if !s.client_certificate_verified {
                return SecurityVerdict::Insufficient {
                    reason: "the client certificate could not be verified".into(),
                };
            }
        }
        SecurityVerdict::Acceptable {
            peer_authenticated: s.client_certificate_verified,
        }
    }

    fn queues_full(&self) -> bool {
        self.events.len() >= EVENT_QUEUE_CAP || self.outgoing.len() >= OUTGOING_CAP
    }

    fn under_tls(&self) -> bool {
        self.tls.is_active()
    }

    /// RFC 2034 §4: a server that supports ENHANCEDSTATUSCODES puts codes in its 2xx, 4xx and
    /// 5xx replies whether or not the client used EHLO. "Supports" here: the extension is in
    /// the list the server offers in the current phase (before or under TLS).
    fn esc_active(&self) -> bool {
        self.advertised_extensions()
            .0
            .iter()
            .any(|e| e.is("ENHANCEDSTATUSCODES"))
    }

    /// Moves to `next` by the row of [`TRANSITIONS`] for the current state and `on`. A
    /// change the table does not name is reported as [`ServerEvent::TableMiss`] (in release
    /// builds too); a change that keeps the state is not a row and is not reported.
    fn goto(&mut self, on: ServerTrigger, next: ServerState) {
        let from = self.state.id();
        let to = next.id();
        self.state = next;
        match crate::transition::check(TRANSITIONS, from, on, to) {
            Ok(Some(rules)) => self.events.push_back(ServerEvent::StateChanged {
                from,
                on,
                to,
                rules: rules.to_vec(),
            }),
            Ok(None) => {}
            Err(miss) => self.events.push_back(ServerEvent::TableMiss(miss)),
        }
    }

    fn send(&mut self, reply: Reply, to: Option<Verb>, rules: Vec<R>) {
        self.outgoing.extend_from_slice(&reply.to_bytes());
        self.events.push_back(ServerEvent::ReplySent {
            reply,
            in_reply_to: to,
            rules,
        });
    }

    /// Sends a reply, adding the enhanced status code when ENHANCEDSTATUSCODES is in use.
    fn respond(
        &mut self,
        code: u16,
        esc: EnhancedStatus,
        text: &str,
        to: Option<Verb>,
        mut rules: Vec<R>,
    ) {
        // RFC 2034 §3, §4: not on 3xx, the greeting, or any response to HELO or EHLO.
        let exempt = matches!(to, Some(Verb::Ehlo | Verb::Helo));
        let enhanced =
            (self.esc_active() && matches!(code / 100, 2 | 4 | 5) && !exempt).then_some(esc);
        if enhanced.is_some() {
            rules.push(R::Esc2034);
        }
        self.send(Reply::new(code, enhanced, text), to, rules);
    }
}

/// RFC 3207 §4: the commands a TLS-requiring server still answers before TLS ([`R::Require530`]).
pub fn exempt_from_530(verb: Verb) -> bool {
    matches!(verb, Verb::Noop | Verb::Ehlo | Verb::StartTls | Verb::Quit)
}
