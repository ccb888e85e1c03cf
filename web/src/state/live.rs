//! The live view's state (`?live=<ws url>`): the connection, the lab's sessions as its stream
//! delivers them ([`starttls_sim::live`]), the one selected, and whether the page follows new
//! steps. Everything shown comes from the lab's messages; nothing is re-derived here.

use std::rc::Rc;

use starttls_sim::live::{KEPT_SESSIONS, LabMessage, LiveOutcome, SessionSummary};
use starttls_sim::trace::{LabSession, Trace};

/// The connection to the lab, as `live-status` shows it (`data-state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveStatus {
    /// Connecting, or waiting to connect again (`reconnecting`).
    Reconnecting {
        /// How many attempts failed in a row (0 for the first connection).
        attempt: u32,
    },
    /// The stream is open (`connected`).
    Connected,
    /// The page gave up, with the reason (`closed`).
    Closed(String),
}

impl LiveStatus {
    /// The `data-state` value.
    pub fn state(&self) -> &'static str {
        match self {
            LiveStatus::Reconnecting { .. } => "reconnecting",
            LiveStatus::Connected => "connected",
            LiveStatus::Closed(_) => "closed",
        }
    }
}

/// Who the lab said it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabInfo {
    /// Changes when the lab restarts.
    pub instance: String,
    /// `server`, `proxy` or `client`.
    pub mode: String,
    /// The scenario of its policy.
    pub scenario: String,
    /// Whether the page may change the policy.
    pub control: bool,
}

/// One session of the list.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSession {
    /// The lab instance it came from.
    pub instance: String,
    /// Its number in that instance.
    pub session: u64,
    /// The list line, as the lab decided it.
    pub summary: SessionSummary,
    /// The real peer.
    pub lab: LabSession,
    /// Its trace so far (the whole trace once it ended).
    pub trace: Rc<Trace>,
}

impl LiveSession {
    /// Whether this is the session `key` names.
    pub fn is(&self, key: &(String, u64)) -> bool {
        self.instance == key.0 && self.session == key.1
    }

    /// Its key.
    pub fn key(&self) -> (String, u64) {
        (self.instance.clone(), self.session)
    }
}

/// The live view.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveState {
    /// The WebSocket URL.
    pub url: String,
    /// The connection.
    pub status: LiveStatus,
    /// The lab, once it said hello.
    pub lab: Option<LabInfo>,
    /// Sessions, newest first (by the lab's numbering), at most [`KEPT_SESSIONS`].
    pub sessions: Vec<LiveSession>,
    /// The session shown.
    pub selected: Option<(String, u64)>,
    /// Whether the page follows: a new session is shown as it begins, and new steps move the
    /// view on while it is at the last step. Stepping back does not turn it off.
    pub follow: bool,
    /// What the lab last refused (a control message).
    pub refused: Option<String>,
    /// Counts the batches of messages applied (the page draws once per batch).
    pub batch: u64,
    /// The lab's send times (ms since the epoch) of the steps the latest batch added to the
    /// session shown: the page measures their latency to its drawing.
    pub fresh_sent: Vec<u64>,
}

/// What happens in live mode.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveEvent {
    /// The connection changed.
    Status(LiveStatus),
    /// Messages from the lab, in order (those that arrived since the page last drew).
    Messages(Vec<Rc<LabMessage>>),
    /// The person chose a session.
    Select((String, u64)),
    /// Follow mode on or off.
    ToggleFollow,
}

/// What a live message did to the session shown, for the caller to move the step cursor
/// (ordered: of several messages, the strongest effect counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shown {
    /// Nothing shown changed.
    Same,
    /// The shown session's trace grew or was replaced.
    Grew,
    /// Another session is shown now.
    Switched,
}

impl LiveState {
    /// A live view of `url`, before it connects.
    pub fn new(url: String) -> Self {
        LiveState {
            url,
            status: LiveStatus::Reconnecting { attempt: 0 },
            lab: None,
            sessions: Vec::new(),
            selected: None,
            follow: true,
            refused: None,
            batch: 0,
            fresh_sent: Vec::new(),
        }
    }

    /// The session shown.
    pub fn shown(&self) -> Option<&LiveSession> {
        let key = self.selected.as_ref()?;
        self.sessions.iter().find(|s| s.is(key))
    }

    /// Applies `event`; says what happened to the session shown.
    pub fn apply(&mut self, event: LiveEvent) -> Shown {
        match event {
            LiveEvent::Status(status) => {
                self.status = status;
                Shown::Same
            }
            LiveEvent::Select(key) => {
                if self.sessions.iter().any(|s| s.is(&key)) && self.selected.as_ref() != Some(&key)
                {
                    self.selected = Some(key);
                    Shown::Switched
                } else {
                    Shown::Same
                }
            }
            LiveEvent::ToggleFollow => {
                self.follow = !self.follow;
                Shown::Same
            }
            LiveEvent::Messages(messages) => {
                self.batch += 1;
                self.fresh_sent.clear();
                messages
                    .iter()
                    .map(|m| self.receive(m))
                    .fold(Shown::Same, Shown::max)
            }
        }
    }

    fn instance(&self) -> String {
        self.lab
            .as_ref()
            .map(|l| l.instance.clone())
            .unwrap_or_default()
    }

    fn receive(&mut self, message: &LabMessage) -> Shown {
        match message {
            LabMessage::Hello {
                instance,
                mode,
                scenario,
                control,
                ..
            } => {
                self.lab = Some(LabInfo {
                    instance: instance.clone(),
                    mode: mode.clone(),
                    scenario: scenario.clone(),
                    control: *control,
                });
                self.refused = None;
                Shown::Same
            }
            LabMessage::Session {
                session,
                scenario,
                lab,
                summary,
            } => {
                let key = (self.instance(), *session);
                if self.sessions.iter().any(|s| s.is(&key)) {
                    return Shown::Same;
                }
                let trace = Trace {
                    schema_version: starttls_sim::trace::SCHEMA_VERSION,
                    scenario: scenario.clone(),
                    steps: Vec::new(),
                    outcome: Default::default(),
                    key_log: Vec::new(),
                    lab: Some(lab.clone()),
                };
                // Newest first: by the lab's numbering (its order of accepting), since
                // concurrent sessions may announce themselves out of order; a restarted
                // lab's sessions above the old ones.
                let at = self
                    .sessions
                    .iter()
                    .position(|s| s.instance != key.0 || s.session < *session)
                    .unwrap_or(self.sessions.len());
                self.sessions.insert(
                    at,
                    LiveSession {
                        instance: key.0.clone(),
                        session: *session,
                        summary: summary.clone(),
                        lab: lab.clone(),
                        trace: Rc::new(trace),
                    },
                );
                self.sessions.truncate(KEPT_SESSIONS);
                let selected_gone = self
                    .selected
                    .as_ref()
                    .is_some_and(|k| !self.sessions.iter().any(|s| s.is(k)));
                if !self.sessions.iter().any(|s| s.is(&key)) {
                    // Older than every kept session: not listed.
                    if selected_gone {
                        self.selected = self.sessions.first().map(LiveSession::key);
                        return Shown::Switched;
                    }
                    return Shown::Same;
                }
                if (self.follow && at == 0) || self.selected.is_none() || selected_gone {
                    self.selected = Some(key);
                    Shown::Switched
                } else {
                    Shown::Same
                }
            }
            LabMessage::Step {
                session,
                step,
                sent_unix_ms,
            } => {
                let key = (self.instance(), *session);
                let shown = self.selected.as_ref() == Some(&key);
                let Some(s) = self.sessions.iter_mut().find(|s| s.is(&key)) else {
                    return Shown::Same;
                };
                let trace = Rc::make_mut(&mut s.trace);
                if step.index != trace.steps.len() {
                    return Shown::Same;
                }
                trace.steps.push(step.as_ref().clone());
                if shown {
                    self.fresh_sent.push(*sent_unix_ms);
                    Shown::Grew
                } else {
                    Shown::Same
                }
            }
            LabMessage::End {
                session,
                trace,
                summary,
            } => {
                let key = (self.instance(), *session);
                let shown = self.selected.as_ref() == Some(&key);
                let Some(s) = self.sessions.iter_mut().find(|s| s.is(&key)) else {
                    return Shown::Same;
                };
                s.trace = Rc::new(trace.as_ref().clone());
                s.summary = summary.clone();
                if shown { Shown::Grew } else { Shown::Same }
            }
            LabMessage::Policy { scenario, .. } => {
                if let Some(lab) = &mut self.lab {
                    lab.scenario = scenario.clone();
                }
                self.refused = None;
                Shown::Same
            }
            LabMessage::Refused { reason } => {
                self.refused = Some(reason.clone());
                Shown::Same
            }
        }
    }
}

/// The `data-outcome` of a session.
pub fn outcome_id(outcome: LiveOutcome) -> &'static str {
    match outcome {
        LiveOutcome::InProgress => "in-progress",
        LiveOutcome::DeliveredTls => "delivered-tls",
        LiveOutcome::DeliveredClear => "delivered-clear",
        LiveOutcome::Refused => "refused",
        LiveOutcome::Ended => "ended",
        LiveOutcome::Encrypted => "encrypted",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(instance: &str) -> LabMessage {
        LabMessage::Hello {
            schema_version: starttls_sim::trace::SCHEMA_VERSION,
            lab_version: "0.1.0".into(),
            instance: instance.into(),
            mode: "server".into(),
            scenario: "happy-path".into(),
            control: false,
        }
    }

    fn session(n: u64) -> LabMessage {
        LabMessage::Session {
            session: n,
            scenario: starttls_sim::trace::TraceScenario {
                id: "happy-path".into(),
                title: "t".into(),
            },
            lab: LabSession {
                remote: starttls_sim::trace::Actor::Client,
                peer: "127.0.0.1:1".into(),
                local: "127.0.0.1:2".into(),
                started: "2026-12-02T00:00:00Z".into(),
                software: None,
            },
            summary: SessionSummary {
                peer: "127.0.0.1:1".into(),
                software: None,
                tls: None,
                outcome: LiveOutcome::InProgress,
                rules_broken: vec![],
            },
        }
    }

    #[test]
    fn the_list_keeps_the_newest_sessions_and_follow_shows_each_new_one() {
        let mut live = LiveState::new("ws://127.0.0.1:1/live".into());
        live.apply(LiveEvent::Messages(vec![Rc::new(hello("a"))]));
        for n in 1..=(KEPT_SESSIONS as u64 + 10) {
            assert_eq!(
                live.apply(LiveEvent::Messages(vec![Rc::new(session(n))])),
                Shown::Switched
            );
        }
        assert_eq!(live.sessions.len(), KEPT_SESSIONS);
        assert_eq!(live.sessions[0].session, KEPT_SESSIONS as u64 + 10);
        // Follow off: a new session does not take the view away.
        live.apply(LiveEvent::ToggleFollow);
        assert_eq!(
            live.apply(LiveEvent::Messages(vec![Rc::new(session(1000))])),
            Shown::Same
        );
        assert_eq!(live.selected.as_ref().unwrap().1, KEPT_SESSIONS as u64 + 10);
        // A session that announces itself late is listed by its number.
        live.apply(LiveEvent::Messages(vec![Rc::new(session(999))]));
        let numbers: Vec<u64> = live.sessions.iter().take(2).map(|s| s.session).collect();
        assert_eq!(numbers, [1000, 999]);
        // A restarted lab's sessions are told apart by its instance.
        live.apply(LiveEvent::Messages(vec![Rc::new(hello("b"))]));
        live.apply(LiveEvent::Messages(vec![Rc::new(session(1))]));
        assert_eq!(live.sessions[0].instance, "b");
        assert_eq!(live.sessions.len(), KEPT_SESSIONS);
    }
}
