//! The wire: each side's outgoing bytes (through TLS when it is up), the attacker's turn, and
//! delivery to the other side, where rustls reads records and reports alerts.

use super::steps::NewStep;
use super::{Engine, Flight, Side, narrate};
use crate::SimError;
use crate::attacker::{self, Attack};
use crate::tls;
use crate::trace::{Actor, Detail, Direction, StepKind, TlsNote, WireView};
use crate::wire::FlightContext;
use std::io::{Read, Write};

/// A side's outgoing bytes as they go on the wire.
pub(super) struct Sealed {
    /// The flight.
    pub wire: Vec<u8>,
    /// How many of its bytes rustls had queued before the SMTP text was written (handshake
    /// messages, session tickets, alerts): the rest carries the SMTP text.
    pub before_text: usize,
}

impl Engine {
    /// Sends what the server machine has queued: in the clear, or through its TLS connection.
    pub(super) fn flush_server(&mut self) -> Result<bool, SimError> {
        if self.is_remote(Side::Server) {
            return Ok(false);
        }
        let plain = self.server.take_outgoing();
        let tls = self.server_tls.is_some();
        let sealed = match seal(&plain, self.server_tls.as_mut()) {
            Ok(sealed) => sealed,
            // rustls keeps the error that broke the connection: nothing more can be sent.
            Err(_) => {
                self.peer(Side::Server).dead = true;
                return Ok(false);
            }
        };
        self.emit_if_any(Direction::ServerToClient, sealed, plain, tls)
    }

    /// Sends what the client machine has queued: in the clear, or through its TLS connection.
    pub(super) fn flush_client(&mut self) -> Result<bool, SimError> {
        if self.is_remote(Side::Client) {
            return Ok(false);
        }
        let plain = self.client.take_outgoing();
        let tls = self.client_tls.is_some();
        let sealed = match seal(&plain, self.client_tls.as_mut()) {
            Ok(sealed) => sealed,
            // rustls keeps the error that broke the connection: nothing more can be sent.
            Err(_) => {
                self.peer(Side::Client).dead = true;
                return Ok(false);
            }
        };
        self.emit_if_any(Direction::ClientToServer, sealed, plain, tls)
    }

    fn emit_if_any(
        &mut self,
        direction: Direction,
        sealed: Sealed,
        plain: Vec<u8>,
        tls: bool,
    ) -> Result<bool, SimError> {
        if sealed.wire.is_empty() {
            return Ok(false);
        }
        let plain = (!plain.is_empty()).then_some(plain);
        self.emit_flight(direction, sealed, plain, tls)?;
        Ok(true)
    }

    /// What the sender knows about the flight it is sending, to name its TLS messages.
    fn flight_context(&self, side: Side, before_text: usize) -> FlightContext {
        let peer = &self.peers[side as usize];
        // A real peer's connection is not here: its version is the local side's.
        let side_of_conn = if self.remote == Some(side) {
            side.other()
        } else {
            side
        };
        let version = match side_of_conn {
            Side::Client => self.client_tls.as_ref().and_then(|c| c.protocol_version()),
            Side::Server => self.server_tls.as_ref().and_then(|c| c.protocol_version()),
        };
        FlightContext {
            from_client: side == Side::Client,
            tls13: version == Some(rustls::ProtocolVersion::TLSv1_3),
            before_text,
            first_encrypted: peer.encrypted_flights == 0,
            established: peer.tls_reported,
            closing: peer.closing,
            alerting: peer.alerting,
            certificate_request: self.settings.request_client_certificate,
            client_certificate: self.settings.client_certificate,
        }
    }

    /// Records a flight as a step, lets the attacker act on it, and queues it.
    pub(super) fn emit_flight(
        &mut self,
        direction: Direction,
        sealed: Sealed,
        plaintext: Option<Vec<u8>>,
        tls: bool,
    ) -> Result<(), SimError> {
        let side = Side::sending(direction);
        let actor = side.actor();
        let items = std::mem::take(&mut self.peer(side).sent);
        let wire = sealed.wire;
        let (records, messages) = if tls {
            let context = self.flight_context(side, sealed.before_text);
            let records = self.peer(side).decoder.decode_flight(&wire);
            let messages = crate::wire::name_messages(&records, &context);
            if records
                .iter()
                .any(|r| r.view == crate::wire::RecordView::Encrypted)
            {
                self.peer(side).encrypted_flights += 1;
            }
            (records, messages)
        } else {
            (Vec::new(), Vec::new())
        };
        // A flight is under TLS when TLS protects some of it: a ClientHello, or a TLS 1.2
        // ServerHello with its certificate, travels in the clear for anyone to read.
        let conn_tls = tls;
        let tls = tls
            && records
                .iter()
                .any(|r| r.view == crate::wire::RecordView::Encrypted);
        // A real peer may send without end (a 10 MB line): past its budget, the trace keeps
        // what the flight carried but not its bytes, and says so.
        let from_remote = self.remote == Some(side);
        if from_remote && self.remote_kept + wire.len() > super::REMOTE_BYTES_KEPT {
            let text = narrate::flight_not_kept(actor, wire.len(), super::REMOTE_BYTES_KEPT);
            self.push(
                NewStep::new(actor, StepKind::Bytes, text)
                    .direction(direction)
                    .tls(tls),
            );
        } else {
            if from_remote {
                self.remote_kept += wire.len();
            }
            let flight = narrate::flight(
                actor,
                direction,
                &wire,
                plaintext.as_deref(),
                records,
                items,
                messages,
            );
            self.push(
                NewStep::new(actor, flight.kind, flight.text)
                    .technical(flight.technical)
                    .direction(direction)
                    .tls(tls)
                    .bytes(wire.clone())
                    .detail(Detail::Wire(Box::new(flight.view))),
            );
        }
        let wire = self.attack(direction, wire, conn_tls);
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
                let handshaken = if let Some(proxy) = &self.proxy {
                    proxy.past_first_flight(c2s)
                } else if c2s {
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
        // An edit that leaves the flight as it was is no attack: no step, nothing claimed.
        let Some(new) = changed.filter(|new| *new != wire) else {
            return wire;
        };
        self.attack_done = true;
        let receiver = Side::sending(direction).other().actor();
        let diff = if tls {
            Vec::new()
        } else {
            attacker::diff(&wire, &new)
        };
        // The narration tells the removals that happened, not those asked for.
        let told = match &self.attack {
            Attack::TamperEhlo { add, remove } => Attack::TamperEhlo {
                add: add.clone(),
                remove: attacker::listed_keywords(&wire, remove),
            },
            other => other.clone(),
        };
        let view = WireView {
            records: Vec::new(),
            plaintext: (!tls).then(|| narrate::escape(&new)),
            attacker_reads: narrate::attacker_reads_rewrite(tls),
            rewrites_previous: true,
            smtp: Vec::new(),
            messages: Vec::new(),
            diff,
        };
        self.push(
            NewStep::new(
                Actor::Attacker,
                StepKind::Bytes,
                narrate::attack(&told, receiver, tls),
            )
            .direction(direction)
            .tls(tls)
            .bytes(new.clone())
            .rules(attacker::rules(&self.attack))
            .violation()
            .detail(Detail::Wire(Box::new(view))),
        );
        new
    }

    pub(super) fn deliver(&mut self, flight: Flight) -> Result<(), SimError> {
        let receiver = Side::sending(flight.direction).other();
        if self.is_remote(receiver) {
            // The receiver is a real peer: the bytes go to the caller's socket.
            self.outbox[receiver as usize].extend_from_slice(&flight.bytes);
            return Ok(());
        }
        match flight.direction {
            Direction::ClientToServer => self.deliver_to_server(flight),
            Direction::ServerToClient => self.deliver_to_client(flight),
        }
    }

    pub(super) fn deliver_to_server(&mut self, flight: Flight) -> Result<(), SimError> {
        if self.peer(Side::Server).dead {
            return Ok(());
        }
        let Some(conn) = &mut self.server_tls else {
            return self.feed(Direction::ClientToServer, false, &flight.bytes);
        };
        let error = read_records(conn, &flight.bytes);
        if !self.peers[Side::Server as usize].tls_reported && !conn.is_handshaking() {
            let summary = tls::server_summary(conn);
            self.peer(Side::Server).tls_reported = true;
            self.tls_note(Actor::Server, &summary);
            self.server
                .tls_established(summary)
                .map_err(|e| SimError::Io(e.to_string()))?;
            self.drain_server()?;
        }
        // After an error, what was decrypted before it still counts; the error itself is
        // reported below.
        let plain = match read_plaintext(self.server_tls.as_mut()) {
            Ok(plain) => plain,
            Err(_) if error.is_some() => Vec::new(),
            Err(e) => return Err(e),
        };
        self.feed(Direction::ClientToServer, true, &plain)?;
        match error {
            Some(e) => self.tls_error(Side::Server, e),
            None => Ok(()),
        }
    }

    pub(super) fn deliver_to_client(&mut self, flight: Flight) -> Result<(), SimError> {
        if self.peer(Side::Client).dead {
            return Ok(());
        }
        let Some(conn) = &mut self.client_tls else {
            return self.feed(Direction::ServerToClient, false, &flight.bytes);
        };
        let error = read_records(conn, &flight.bytes);
        if !self.peers[Side::Client as usize].tls_reported && !conn.is_handshaking() {
            let finding = self
                .finding
                .as_ref()
                .and_then(|f| f.lock().ok().and_then(|g| g.clone()));
            let summary = tls::client_summary(conn, finding.clone(), self.settings.server_identity);
            self.peer(Side::Client).tls_reported = true;
            self.tls_note(Actor::Client, &summary);
            if let Some(problem) = finding.and_then(|f| f.problem) {
                self.push(
                    NewStep::new(
                        Actor::Client,
                        StepKind::Decision,
                        narrate::certificate_finding(&problem),
                    )
                    .tls(true)
                    .rules(vec![starttls_protocol::rules::RuleId::CertName])
                    .detail(Detail::Tls(Box::new(
                        TlsNote::CertificateFinding { problem },
                    ))),
                );
            }
            self.client
                .tls_established(summary)
                .map_err(|e| SimError::Io(e.to_string()))?;
            self.drain_client()?;
        }
        // After an error, what was decrypted before it still counts; the error itself is
        // reported below.
        let plain = match read_plaintext(self.client_tls.as_mut()) {
            Ok(plain) => plain,
            Err(_) if error.is_some() => Vec::new(),
            Err(e) => return Err(e),
        };
        self.feed(Direction::ServerToClient, true, &plain)?;
        match error {
            Some(e) => self.tls_error(Side::Client, e),
            None => Ok(()),
        }
    }

    pub(super) fn tls_note(&mut self, actor: Actor, summary: &starttls_protocol::tls::TlsSummary) {
        self.push(
            NewStep::new(
                actor,
                StepKind::StateChange,
                narrate::tls_established(actor, summary),
            )
            .tls(true)
            .rules(vec![starttls_protocol::rules::RuleId::BothKnowTls])
            .detail(Detail::Tls(Box::new(TlsNote::Established {
                summary: Box::new(summary.clone()),
            }))),
        );
    }

    /// rustls refused what it read: record the alert it sends, and end the session.
    pub(super) fn tls_error(&mut self, side: Side, error: rustls::Error) -> Result<(), SimError> {
        let alert_received = match &error {
            rustls::Error::AlertReceived(alert) => {
                let name = crate::names::alert(*alert);
                self.outcome.alerts.push(name.clone());
                Some(name)
            }
            _ => None,
        };
        let during_handshake = !self.peers[side as usize].tls_reported;
        let actor = side.actor();
        let worded = narrate::tls_error(&error);
        let certificate = matches!(error, rustls::Error::InvalidCertificate(_));
        self.push(
            NewStep::new(
                actor,
                StepKind::Alert,
                narrate::tls_refused(actor, &worded, alert_received.is_some()),
            )
            .tls(true)
            .rules(if certificate {
                vec![starttls_protocol::rules::RuleId::CertName]
            } else {
                Vec::new()
            })
            .detail(Detail::Tls(Box::new(TlsNote::Refused {
                certificate,
                error: worded.clone(),
                alert_received: alert_received.clone(),
                during_handshake,
            }))),
        );
        // The alert rustls queued, if any, goes on the wire.
        self.peer(side).alerting = true;
        let flushed = match side {
            Side::Client => self.flush_client(),
            Side::Server => self.flush_server(),
        };
        self.peer(side).alerting = false;
        flushed?;
        self.peer(side).dead = true;
        if during_handshake {
            match side {
                Side::Client => {
                    let _ = self.client.tls_failed(&worded);
                    self.drain_client()?;
                }
                Side::Server => {
                    let _ = self.server.tls_failed(&worded);
                    self.drain_server()?;
                }
            }
        } else {
            self.push(NewStep::new(actor, StepKind::Close, narrate::tls_dead(actor)).tls(true));
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
        if let Some(flight) = &mut self.remote_flight {
            flight.plaintext.extend_from_slice(bytes);
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
        match conn.read_tls(&mut rest) {
            Err(e) => return Some(rustls::Error::General(e.to_string())),
            // rustls reads nothing more once its peer's close_notify came (its buffer being
            // full is an error, above): what follows on the wire is not read, as by any TLS
            // stack. Looping on it would never end.
            Ok(0) => return None,
            Ok(_) => {}
        }
        if let Err(e) = conn.process_new_packets() {
            return Some(e);
        }
    }
    None
}

/// The bytes that carry `plain` on the wire: itself in the clear, or TLS records when the
/// side's connection is up, after whatever rustls had queued already (handshake messages,
/// session tickets, alerts), which [`Sealed::before_text`] counts.
pub(super) fn seal<D>(
    plain: &[u8],
    conn: Option<&mut impl std::ops::DerefMut<Target = rustls::ConnectionCommon<D>>>,
) -> Result<Sealed, SimError> {
    match conn {
        Some(conn) => {
            let mut wire = drain_tls(conn)?;
            let before_text = wire.len();
            if !plain.is_empty() {
                conn.writer()
                    .write_all(plain)
                    .map_err(|e| SimError::Io(e.to_string()))?;
            }
            wire.extend(drain_tls(conn)?);
            Ok(Sealed { wire, before_text })
        }
        None => Ok(Sealed {
            wire: plain.to_vec(),
            before_text: 0,
        }),
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
