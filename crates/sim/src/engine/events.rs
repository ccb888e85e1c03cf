//! The machines' events: which become steps, which are folded into the flight that shows them,
//! and which switch a side to TLS.

use starttls_protocol::client::ClientEvent;
use starttls_protocol::knowledge::{KnowledgeItem, KnowledgeKey, Provenance};
use starttls_protocol::server::ServerEvent;

use super::steps::NewStep;
use super::{Engine, Side, narrate};
use crate::SimError;
use crate::tls;
use crate::trace::{Actor, Detail, Direction, SmtpItem, StepKind, TlsNote};

impl Engine {
    pub(super) fn drain_server(&mut self) -> Result<bool, SimError> {
        if self.is_remote(Side::Server) {
            return Ok(false);
        }
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

    pub(super) fn drain_client(&mut self) -> Result<bool, SimError> {
        if self.is_remote(Side::Client) {
            return Ok(false);
        }
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

    pub(super) fn on_server_event(&mut self, event: ServerEvent) -> Result<(), SimError> {
        let tls = self.server.is_tls_active();
        if let ServerEvent::StateChanged { from, on, .. } = &event {
            self.rows.push(super::RowTaken::Server(*from, *on));
        }
        match &event {
            ServerEvent::ReplySent {
                reply,
                in_reply_to,
                rules,
            } => {
                self.outcome.reply_codes.push(reply.code);
                self.peer(Side::Server).sent.push(SmtpItem::Reply {
                    reply: reply.clone(),
                    in_reply_to: *in_reply_to,
                    rules: rules.clone(),
                });
                return Ok(());
            }
            ServerEvent::CommandReceived { command, under_tls } => {
                let line = command.to_line();
                // Only bytes the server kept from before the handshake can be the attacker's
                // commands (the client may send the same line itself, under TLS).
                if self.injected_pending.0 > 0 {
                    self.outcome.injected_command_run = true;
                    // Retained plaintext is read first after the handshake: this is the
                    // attacker's command, run as if the client had sent it under TLS.
                    self.injected_pending.0 -= 1;
                    self.push(
                        NewStep::new(
                            Actor::Server,
                            StepKind::Command,
                            narrate::injected_command_run(line.trim_end()),
                        )
                        .tls(tls)
                        .rules(vec![starttls_protocol::rules::RuleId::ServerDiscard])
                        .violation()
                        .detail(Detail::Server(Box::new(event.clone()))),
                    );
                    return Ok(());
                }
                // A real peer's command is listed on the flight that completed it, even when
                // it came in several segments.
                if self.remote_flight.is_some() {
                    self.remote_item(SmtpItem::Command {
                        command: command.clone(),
                        rules: Vec::new(),
                    });
                    return Ok(());
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
                        NewStep::new(
                            Actor::Server,
                            StepKind::Decision,
                            narrate::nested_handshake(Actor::Server),
                        )
                        .tls(true)
                        .rules(vec![starttls_protocol::rules::RuleId::NoTlsTwice])
                        .violation()
                        .detail(Detail::Tls(Box::new(TlsNote::NestedHandshake))),
                    );
                    let _ = self
                        .server
                        .tls_failed("the simulation cannot run a TLS handshake inside TLS");
                    return Ok(());
                }
            }
            ServerEvent::PlaintextRetained { broken_rule, .. } => {
                self.outcome.rules_broken.push(*broken_rule);
                self.injected_pending.0 = self.injected_counts.0;
            }
            ServerEvent::RuleBroken { rule, .. }
            | ServerEvent::KnowledgeKept {
                broken_rule: rule, ..
            } => self.outcome.rules_broken.push(*rule),
            ServerEvent::MessageAccepted {
                reverse_path,
                under_tls,
                body,
                ..
            } => {
                self.outcome
                    .accepted
                    .push((reverse_path.clone(), *under_tls));
                // A real client's message: its size on the wire, dot-stuffed, with the final
                // "." line.
                let stuffed = body.split("\r\n").filter(|l| l.starts_with('.')).count();
                self.remote_item(SmtpItem::Message {
                    octets: body.len() + stuffed + 3,
                    rules: Vec::new(),
                });
            }
            ServerEvent::Closed { .. } | ServerEvent::TlsFailed { .. } => {
                self.flush_server()?;
                // close_notify goes out before the connection is closed (RFC 8446 §6.1).
                self.close_notify(Side::Server)?;
                self.push_event_step(Actor::Server, tls, Detail::Server(Box::new(event.clone())));
                self.peer(Side::Server).dead = true;
                return Ok(());
            }
            _ => {}
        }
        self.push_event_step(Actor::Server, tls, Detail::Server(Box::new(event)));
        Ok(())
    }

    pub(super) fn on_client_event(&mut self, event: ClientEvent) -> Result<(), SimError> {
        let tls = self.client.is_tls_active();
        if let ClientEvent::StateChanged { from, on, .. } = &event {
            self.rows.push(super::RowTaken::Client(*from, *on));
        }
        match &event {
            ClientEvent::CommandSent { command, rules, .. } => {
                self.peer(Side::Client).sent.push(SmtpItem::Command {
                    command: command.clone(),
                    rules: rules.clone(),
                });
                return Ok(());
            }
            ClientEvent::MessageSent { octets, rules, .. } => {
                self.peer(Side::Client).sent.push(SmtpItem::Message {
                    octets: *octets,
                    rules: rules.clone(),
                });
                return Ok(());
            }
            ClientEvent::ReplyReceived { reply, under_tls } => {
                let wire = String::from_utf8_lossy(&reply.to_bytes()).into_owned();
                // Only bytes the client kept from before the handshake can be the attacker's
                // replies (a real reply may look the same, or contain the same text).
                if self.injected_pending.1 > 0 {
                    self.outcome.injected_reply_read = true;
                    self.injected_pending.1 -= 1;
                    let last = self.injected_pending.1 == 0;
                    self.push(
                        NewStep::new(
                            Actor::Client,
                            StepKind::Reply,
                            narrate::injected_reply_read(
                                &reply.lines.join(" / "),
                                reply.code,
                                last,
                            ),
                        )
                        .tls(tls)
                        .rules(vec![starttls_protocol::rules::RuleId::ClientDiscard])
                        .violation()
                        .detail(Detail::Client(Box::new(event.clone()))),
                    );
                    return Ok(());
                }
                // A real peer's reply is listed on the flight that completed it, even when
                // it came in several segments.
                if self.remote_flight.is_some() {
                    self.remote_item(SmtpItem::Reply {
                        reply: reply.clone(),
                        in_reply_to: None,
                        rules: Vec::new(),
                    });
                    return Ok(());
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
                    self.push(
                        NewStep::new(
                            Actor::Client,
                            StepKind::Decision,
                            narrate::nested_handshake(Actor::Client),
                        )
                        .tls(true)
                        .rules(vec![starttls_protocol::rules::RuleId::NoTlsTwice])
                        .violation()
                        .detail(Detail::Tls(Box::new(TlsNote::NestedHandshake))),
                    );
                    let _ = self.client.tls_could_not_start(
                        "the simulation cannot run a TLS handshake inside TLS",
                    );
                    return Ok(());
                }
            }
            ClientEvent::PlaintextRetained { broken_rule, .. } => {
                self.outcome.rules_broken.push(*broken_rule);
                self.injected_pending.1 = self.injected_counts.1;
            }
            ClientEvent::RuleBroken { rule, .. }
            | ClientEvent::KnowledgeKept {
                broken_rule: rule, ..
            } => self.outcome.rules_broken.push(*rule),
            ClientEvent::StarttlsAdvertisedUnderTls { .. } => {
                self.outcome.starttls_after_tls_flagged = true
            }
            ClientEvent::Finished { .. } => {
                self.flush_client()?;
                self.close_notify(Side::Client)?;
                self.push_event_step(Actor::Client, tls, Detail::Client(Box::new(event.clone())));
                self.peer(Side::Client).dead = true;
                return Ok(());
            }
            _ => {}
        }
        self.push_event_step(Actor::Client, tls, Detail::Client(Box::new(event)));
        Ok(())
    }

    /// A side that ends its session under TLS says so with close_notify (RFC 8446 §6.1).
    fn close_notify(&mut self, side: Side) -> Result<(), SimError> {
        if self.peer(side).close_notified {
            return Ok(());
        }
        let sent = match side {
            Side::Client => self
                .client_tls
                .as_mut()
                .filter(|c| !c.is_handshaking())
                .map(|c| c.send_close_notify()),
            Side::Server => self
                .server_tls
                .as_mut()
                .filter(|c| !c.is_handshaking())
                .map(|c| c.send_close_notify()),
        };
        if sent.is_some() {
            let peer = self.peer(side);
            peer.close_notified = true;
            peer.closing = true;
            match side {
                Side::Client => self.flush_client()?,
                Side::Server => self.flush_server()?,
            };
            self.peer(side).closing = false;
        }
        Ok(())
    }

    /// Whether a "received" event repeats what the flight being delivered already shows.
    pub(super) fn folds(&self, direction: Direction, under_tls: bool, line: &str) -> bool {
        match &self.delivering {
            Some((d, tls, plaintext)) => {
                *d == direction && *tls == under_tls && plaintext.contains(line)
            }
            None => false,
        }
    }

    pub(super) fn push_event_step(&mut self, actor: Actor, tls: bool, detail: Detail) {
        let n = narrate::event(&detail);
        if n.skip {
            return;
        }
        let side = if actor == Actor::Client {
            Side::Client
        } else {
            Side::Server
        };
        let buffered = |bytes: &str, known: &[KnowledgeItem]| {
            known
                .iter()
                .find(|k| k.key == KnowledgeKey::BufferedInput)
                .cloned()
                .unwrap_or(KnowledgeItem {
                    key: KnowledgeKey::BufferedInput,
                    value: bytes.to_string(),
                    provenance: Provenance::Cleartext,
                    learnt_at: 0,
                })
        };
        let known = &self.peers[side as usize].known;
        let discarded = match &detail {
            Detail::Server(e) => match e.as_ref() {
                ServerEvent::KnowledgeDiscarded { item, .. }
                | ServerEvent::KnowledgeKept { item, .. } => vec![item.clone()],
                ServerEvent::PlaintextDiscarded { bytes, .. }
                | ServerEvent::PlaintextRetained { bytes, .. } => vec![buffered(bytes, known)],
                _ => Vec::new(),
            },
            Detail::Client(e) => match e.as_ref() {
                ClientEvent::KnowledgeDiscarded { item, .. }
                | ClientEvent::KnowledgeKept { item, .. } => vec![item.clone()],
                ClientEvent::PlaintextDiscarded { bytes, .. }
                | ClientEvent::PlaintextRetained { bytes, .. } => vec![buffered(bytes, known)],
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        self.push(
            NewStep::new(actor, n.kind, n.text)
                .technical(n.technical)
                .tls(tls)
                .rules(n.rules)
                .violation_if(n.violation)
                .discarded(discarded)
                .detail(detail),
        );
    }
}
