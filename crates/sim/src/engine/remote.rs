//! Lab sessions: one side of the dialogue is a real peer on a socket, the other the
//! playground's own machine, and the trace is written by the same engine as a simulation.
//!
//! # Call order
//!
//! 1. [`Engine::with_remote`] builds the local machine (a server's greeting is queued).
//! 2. Loop, as the caller's socket allows:
//!    - [`Engine::run`], then write [`Engine::take_remote_output`] to the socket;
//!    - read from the socket and hand the bytes to [`Engine::receive_remote`], with the
//!      caller's clock;
//!    - stop when [`Engine::local_finished`], after writing what is left; when the peer
//!      closes, call [`Engine::remote_closed`].
//! 3. [`Engine::trace`] returns the trace, with the [`LabSession`] given by
//!    [`Engine::set_lab`].
//!
//! The engine owns no socket and no clock: the caller does all I/O and passes the time in.
//! The real peer's flights are steps like any other: their TLS records are decoded from the
//! wire, and the commands or replies the local machine read from them (after decryption,
//! under TLS) are listed on them. Its machine state is not visible, so its snapshots stay
//! as the idle machine's.

use super::steps::NewStep;
use super::transport::Sealed;
use super::{Engine, Side, narrate};
use crate::SimError;
use crate::scenario::Scenario;
use crate::trace::{Actor, Detail, Direction, LabSession, SmtpItem, StepKind};

/// The real peer's flight being delivered.
pub(crate) struct RemoteFlight {
    /// Its step.
    step: usize,
    /// The commands or replies the local machine read from it.
    items: Vec<SmtpItem>,
    /// The plaintext the local machine was handed (decrypted, under TLS).
    pub(crate) plaintext: Vec<u8>,
}

impl Engine {
    /// An engine whose `remote` side is a real peer: the local side's machine runs, the
    /// remote's bytes come from [`Engine::receive_remote`] and go out through
    /// [`Engine::take_remote_output`]. The scenario's attacker acts on the wire between them.
    pub fn with_remote(scenario: &Scenario, remote: Actor) -> Result<Self, SimError> {
        let side = match remote {
            Actor::Client => Side::Client,
            Actor::Server => Side::Server,
            _ => {
                return Err(SimError::Config(
                    "the remote side is the client or the server".into(),
                ));
            }
        };
        let mut engine = Engine::new(scenario)?;
        engine.remote = Some(side);
        engine.settings.real_peer_crypto = true;
        engine.now_ms = Some(0);
        Ok(engine)
    }

    /// Sets the lab session's description (peer, addresses, start time).
    pub fn set_lab(&mut self, lab: LabSession) {
        self.lab = Some(lab);
    }

    /// The lab session's description, if set.
    pub fn lab(&self) -> Option<&LabSession> {
        self.lab.as_ref()
    }

    /// Sets the caller's clock: steps pushed from now on carry `ms` since the session began.
    pub fn set_time_ms(&mut self, ms: u64) {
        self.now_ms = Some(ms);
    }

    /// Bytes the real peer sent, as read from the socket: a flight on the wire, which the
    /// attacker (if any) sees and the local machine then reads. Runs the dialogue on.
    pub fn receive_remote(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        let Some(side) = self.remote else {
            return Err(SimError::Config("this engine has no remote side".into()));
        };
        if bytes.is_empty() {
            return Ok(());
        }
        let direction = match side {
            Side::Client => Direction::ClientToServer,
            Side::Server => Direction::ServerToClient,
        };
        // The peer's connection state is the local side's: TLS once the local side has it.
        let tls = match side.other() {
            Side::Server => self.server_tls.is_some(),
            Side::Client => self.client_tls.is_some(),
        };
        let plaintext = (!tls).then(|| bytes.to_vec());
        let step = self.steps.len();
        self.emit_flight(
            direction,
            Sealed {
                wire: bytes.to_vec(),
                before_text: 0,
            },
            plaintext,
            tls,
        )?;
        self.remote_flight = Some(RemoteFlight {
            step,
            items: Vec::new(),
            plaintext: Vec::new(),
        });
        let result = self.run();
        if let Some(flight) = self.remote_flight.take() {
            if tls {
                let items = flight.items.clone();
                self.refresh_remote_flight(flight, tls);
                self.watch_injection(&items);
            } else {
                self.refresh_remote_flight(flight, tls);
            }
        }
        result
    }

    /// Everything the engine has for the real peer since the last call; nothing while
    /// [`Engine::holds_reply`].
    pub fn take_remote_output(&mut self) -> Vec<u8> {
        if self.holds_reply() {
            return Vec::new();
        }
        match self.remote {
            Some(side) => std::mem::take(&mut self.outbox[side as usize]),
            None => Vec::new(),
        }
    }

    /// The real peer closed the connection (or it broke): the local side sees it end.
    pub fn remote_closed(&mut self) {
        let Some(side) = self.remote else { return };
        if self.peer(side).dead {
            return;
        }
        self.peer(side).dead = true;
        let local = side.other();
        let finished = match local {
            Side::Server => self.server.is_closed(),
            Side::Client => self.client.is_finished(),
        };
        if !finished && !self.peer(local).dead {
            self.peer(local).dead = true;
            let tls = match local {
                Side::Server => self.server_tls.is_some(),
                Side::Client => self.client_tls.is_some(),
            };
            let actor = local.actor();
            self.push(NewStep::new(actor, StepKind::Close, narrate::peer_closed(actor)).tls(tls));
        }
    }

    /// Whether the local side is done (closed, or its TLS connection is dead): write what
    /// [`Engine::take_remote_output`] has, then close the socket.
    pub fn local_finished(&self) -> bool {
        let Some(side) = self.remote else {
            return self.is_idle();
        };
        let local = side.other();
        self.peers[local as usize].dead
            || match local {
                Side::Server => self.server.is_closed(),
                Side::Client => self.client.is_finished(),
            }
    }

    /// Whether the local side's TLS handshake has started and not yet completed (the lab's
    /// handshake timeout runs meanwhile).
    pub fn is_handshaking(&self) -> bool {
        match self.remote.map(Side::other) {
            Some(Side::Server) => self.server_tls.as_ref().is_some_and(|c| c.is_handshaking()),
            Some(Side::Client) => self.client_tls.as_ref().is_some_and(|c| c.is_handshaking()),
            None => false,
        }
    }

    /// A command or reply the local machine read from the real peer's flight.
    pub(super) fn remote_item(&mut self, item: SmtpItem) {
        if let Some(flight) = &mut self.remote_flight {
            flight.items.push(item);
        }
    }

    /// Once the local machine has read the real peer's flight, the flight's step lists what
    /// it carried (and, under TLS, the plaintext inside), in the words of any flight.
    fn refresh_remote_flight(&mut self, flight: RemoteFlight, tls: bool) {
        let Some(step) = self.steps.get_mut(flight.step) else {
            return;
        };
        let Detail::Wire(view) = &step.detail else {
            return;
        };
        let (Some(direction), Some(wire)) = (step.direction, step.bytes.clone()) else {
            return;
        };
        let plaintext = if tls {
            (!flight.plaintext.is_empty()).then_some(flight.plaintext)
        } else {
            Some(wire.clone())
        };
        let worded = narrate::flight(
            step.actor,
            direction,
            &wire,
            plaintext.as_deref(),
            view.records.clone(),
            flight.items,
            view.messages.clone(),
        );
        let mut new_view = worded.view;
        new_view.diff = view.diff.clone();
        new_view.rewrites_previous = view.rewrites_previous;
        step.kind = worded.kind;
        step.text = worded.text;
        step.technical = worded.technical;
        step.detail = Detail::Wire(Box::new(new_view));
    }
}
