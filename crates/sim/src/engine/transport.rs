//! The wire: each side's outgoing bytes (through TLS when it is up), the attacker's turn, and
//! delivery to the other side, where rustls reads records and reports alerts.

use starttls_protocol::rules::RuleId;

use super::{Engine, Flight, narrate};
use crate::SimError;
use crate::attacker::{self, Attack};
use crate::tls;
use crate::trace::{Actor, Detail, Direction, StepKind, WireView};
use std::io::{Read, Write};

impl Engine {
    /// Sends what the server machine has queued: in the clear, or through its TLS connection.
    pub(super) fn flush_server(&mut self) -> Result<bool, SimError> {
        let plain = self.server.take_outgoing();
        let tls = self.server_tls.is_some();
        let wire = seal(&plain, self.server_tls.as_mut())?;
        self.emit_if_any(Direction::ServerToClient, wire, plain, tls, Actor::Server)
    }

    /// Sends what the client machine has queued: in the clear, or through its TLS connection.
    pub(super) fn flush_client(&mut self) -> Result<bool, SimError> {
        let plain = self.client.take_outgoing();
        let tls = self.client_tls.is_some();
        let wire = seal(&plain, self.client_tls.as_mut())?;
        self.emit_if_any(Direction::ClientToServer, wire, plain, tls, Actor::Client)
    }

    fn emit_if_any(
        &mut self,
        direction: Direction,
        wire: Vec<u8>,
        plain: Vec<u8>,
        tls: bool,
        actor: Actor,
    ) -> Result<bool, SimError> {
        if wire.is_empty() {
            return Ok(false);
        }
        let plain = (!plain.is_empty()).then_some(plain);
        self.emit_flight(direction, wire, plain, tls, actor)?;
        Ok(true)
    }

    /// Records a flight as a step, lets the attacker act on it, and queues it.
    pub(super) fn emit_flight(
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
    pub(super) fn attack(&mut self, direction: Direction, wire: Vec<u8>, tls: bool) -> Vec<u8> {
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

    pub(super) fn deliver(&mut self, flight: Flight) -> Result<(), SimError> {
        match flight.direction {
            Direction::ClientToServer => self.deliver_to_server(flight),
            Direction::ServerToClient => self.deliver_to_client(flight),
        }
    }

    pub(super) fn deliver_to_server(&mut self, flight: Flight) -> Result<(), SimError> {
        if self.server_dead {
            return Ok(());
        }
        let Some(conn) = &mut self.server_tls else {
            return self.feed(Direction::ClientToServer, false, &flight.bytes);
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
        self.feed(Direction::ClientToServer, true, &plain)?;
        match error {
            Some(e) => self.tls_error(Actor::Server, e),
            None => Ok(()),
        }
    }

    pub(super) fn deliver_to_client(&mut self, flight: Flight) -> Result<(), SimError> {
        if self.client_dead {
            return Ok(());
        }
        let Some(conn) = &mut self.client_tls else {
            return self.feed(Direction::ServerToClient, false, &flight.bytes);
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
        self.feed(Direction::ServerToClient, true, &plain)?;
        match error {
            Some(e) => self.tls_error(Actor::Client, e),
            None => Ok(()),
        }
    }

    pub(super) fn tls_note(&mut self, actor: Actor, summary: &starttls_protocol::tls::TlsSummary) {
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
    pub(super) fn tls_error(&mut self, actor: Actor, error: rustls::Error) -> Result<(), SimError> {
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

    /// Hands received bytes to the receiving machine, and turns what it does into steps. While
    /// it runs, `delivering` names the flight, so that the machine's "received" events fold
    /// into the flight's step instead of repeating it.
    pub(super) fn feed(
        &mut self,
        direction: Direction,
        tls: bool,
        mut bytes: &[u8],
    ) -> Result<(), SimError> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.delivering = Some((direction, tls, String::from_utf8_lossy(bytes).into_owned()));
        let mut result = Ok(());
        let mut stalls = 0;
        while !bytes.is_empty() && stalls < 3 && result.is_ok() {
            let n = match direction {
                Direction::ClientToServer => self.server.receive(bytes),
                Direction::ServerToClient => self.client.receive(bytes),
            };
            bytes = &bytes[n..];
            stalls = if n == 0 { stalls + 1 } else { 0 };
            result = match direction {
                Direction::ClientToServer => self.drain_server().and_then(|_| {
                    self.note_learnt();
                    self.flush_server()
                }),
                Direction::ServerToClient => self.drain_client().and_then(|_| {
                    self.note_learnt();
                    self.flush_client()
                }),
            }
            .map(|_| ());
        }
        self.delivering = None;
        result
    }
}

pub(super) fn split_lines(payload: &str) -> Vec<String> {
    payload
        .split("\r\n")
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Feeds a flight to a connection; returns the first error rustls reports.
pub(super) fn read_records<D>(
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

/// The bytes that carry `plain` on the wire: itself in the clear, or TLS records when the
/// side's connection is up (with whatever else rustls has to send).
pub(super) fn seal<D>(
    plain: &[u8],
    conn: Option<&mut impl std::ops::DerefMut<Target = rustls::ConnectionCommon<D>>>,
) -> Result<Vec<u8>, SimError> {
    match conn {
        Some(conn) => {
            if !plain.is_empty() {
                conn.writer()
                    .write_all(plain)
                    .map_err(|e| SimError::Io(e.to_string()))?;
            }
            drain_tls(conn)
        }
        None => Ok(plain.to_vec()),
    }
}

/// Everything a connection wants to write.
pub(super) fn drain_tls(
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
pub(super) fn read_plaintext<C: std::ops::DerefMut<Target = rustls::ConnectionCommon<D>>, D>(
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
