//! The machines' events: which become steps, which are folded into the flight that shows them,
//! and which switch a side to TLS.

use starttls_protocol::client::ClientEvent;
use starttls_protocol::knowledge::KnowledgeItem;
use starttls_protocol::rules::RuleId;
use starttls_protocol::server::ServerEvent;

use super::{Engine, narrate};
use crate::SimError;
use crate::tls;
use crate::trace::{Actor, Detail, Direction, SmtpItem, StepKind};

impl Engine {
    pub(super) fn drain_server(&mut self) -> Result<bool, SimError> {
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

    pub(super) fn on_client_event(&mut self, event: ClientEvent) -> Result<(), SimError> {
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
}
