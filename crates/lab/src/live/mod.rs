//! The live view: a lab started with `--live` serves the built app over HTTP and streams each
//! session's steps over a WebSocket as the engine writes them ([`starttls_sim::live`] is the
//! stream's format).
//!
//! [`LiveHub`] is the one place sessions are published: it keeps the newest
//! [`KEPT_SESSIONS`] for pages that connect later, and fans each message out on a bounded
//! channel. A page that falls more than [`CHANNEL_MESSAGES`] behind is dropped
//! ([`starttls_sim::live::CLOSE_TOO_SLOW`]) instead of being buffered for; it reconnects and reads the kept
//! sessions again. [`http`] is the listener, its Origin and token checks, and control.

pub mod http;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use starttls_sim::live::{
    KEPT_SESSIONS, LabMessage, LiveOutcome, PageMessage, SCHEMA_VERSION, SessionSummary,
};
use starttls_sim::scenario::Scenario;
use starttls_sim::trace::{LabSession, Step, Trace, TraceScenario};
use tokio::sync::broadcast;

use crate::report::SessionReport;

/// How many messages a page may fall behind before it is dropped.
pub const CHANNEL_MESSAGES: usize = 1024;

/// One kept session: its messages, in order (once it ended: its start and its end).
struct Kept {
    session: u64,
    messages: Vec<Arc<str>>,
}

/// The policy new sessions run, which a page may change under `--allow-control`.
#[derive(Debug, Clone)]
struct Policy {
    scenario: Scenario,
}

/// The lab's live hub: publishes sessions, keeps the newest, and holds the policy.
pub struct LiveHub {
    mode: &'static str,
    instance: String,
    control: bool,
    /// The policy the lab started with: its certificate and trust anchors stay when a page
    /// changes the scenario.
    base: Scenario,
    policy: RwLock<Policy>,
    kept: Mutex<VecDeque<Kept>>,
    tx: broadcast::Sender<Arc<str>>,
}

impl std::fmt::Debug for LiveHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveHub")
            .field("mode", &self.mode)
            .field("instance", &self.instance)
            .field("control", &self.control)
            .finish_non_exhaustive()
    }
}

/// Milliseconds since the Unix epoch, by the wall clock.
fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A random hex string of `bytes` random bytes (the instance id, the LAN token).
pub fn random_hex(bytes: usize) -> String {
    use ring::rand::SecureRandom;
    let mut buf = vec![0u8; bytes];
    if ring::rand::SystemRandom::new().fill(&mut buf).is_err() {
        // No randomness: the wall clock still tells instances apart (never used for a token,
        // which `http::LiveConfig::new` refuses to run without).
        return format!("{:x}", unix_ms());
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

impl LiveHub {
    /// A hub for a lab in `mode` (`server`, `proxy` or `client`) running `scenario`; with
    /// `control`, pages may change the policy.
    pub fn new(mode: &'static str, scenario: Scenario, control: bool) -> Arc<Self> {
        let (tx, _) = broadcast::channel(CHANNEL_MESSAGES);
        Arc::new(LiveHub {
            mode,
            instance: random_hex(8),
            control,
            base: scenario.clone(),
            policy: RwLock::new(Policy { scenario }),
            kept: Mutex::new(VecDeque::new()),
            tx,
        })
    }

    /// The policy new sessions run.
    pub fn scenario(&self) -> Scenario {
        match self.policy.read() {
            Ok(p) => p.scenario.clone(),
            Err(p) => p.into_inner().scenario.clone(),
        }
    }

    /// The first message to a page.
    pub fn hello(&self) -> String {
        to_json(&LabMessage::Hello {
            schema_version: SCHEMA_VERSION,
            lab_version: env!("CARGO_PKG_VERSION").into(),
            instance: self.instance.clone(),
            mode: self.mode.into(),
            scenario: self.scenario().id,
            control: self.control,
        })
    }

    /// The kept sessions' messages, oldest first, and a receiver for everything after them
    /// (taken together, so that nothing is missed or sent twice).
    pub fn subscribe(&self) -> (Vec<Arc<str>>, broadcast::Receiver<Arc<str>>) {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let rx = self.tx.subscribe();
        let backlog = kept
            .iter()
            .flat_map(|k| k.messages.iter().cloned())
            .collect();
        (backlog, rx)
    }

    /// How many sessions are kept now (at most [`KEPT_SESSIONS`]).
    pub fn kept_sessions(&self) -> usize {
        self.kept.lock().map(|k| k.len()).unwrap_or(0)
    }

    /// Publishes a message of `session`: kept, then sent to every page.
    fn publish(&self, session: u64, message: &LabMessage) {
        let text: Arc<str> = to_json(message).into();
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        match message {
            LabMessage::Session { .. } => {
                kept.push_back(Kept {
                    session,
                    messages: vec![text.clone()],
                });
                while kept.len() > KEPT_SESSIONS {
                    kept.pop_front();
                }
            }
            LabMessage::End { .. } => {
                if let Some(k) = kept.iter_mut().find(|k| k.session == session) {
                    k.messages.truncate(1);
                    k.messages.push(text.clone());
                }
            }
            LabMessage::Step { .. } => {
                if let Some(k) = kept.iter_mut().find(|k| k.session == session) {
                    k.messages.push(text.clone());
                }
            }
            _ => {}
        }
        // No page listening is not an error.
        let _ = self.tx.send(text);
    }

    /// Starts publishing a session.
    pub fn feed(
        self: &Arc<Self>,
        session: u64,
        scenario: TraceScenario,
        lab: LabSession,
    ) -> SessionFeed {
        let summary = SessionSummary {
            peer: lab.peer.clone(),
            software: lab.software.clone(),
            tls: None,
            outcome: LiveOutcome::InProgress,
            rules_broken: Vec::new(),
        };
        self.publish(
            session,
            &LabMessage::Session {
                session,
                scenario,
                lab,
                summary,
            },
        );
        SessionFeed {
            hub: self.clone(),
            session,
            sent: 0,
        }
    }

    /// What a page asked for: the reply to send it, if any. A new policy is announced to
    /// every page.
    pub fn control(&self, message: PageMessage) -> Option<String> {
        match message {
            PageMessage::Hello { .. } => None,
            PageMessage::SetPolicy { .. } if !self.control => Some(to_json(&LabMessage::Refused {
                reason: "This lab was started without --allow-control: the page cannot change its policy.".into(),
            })),
            PageMessage::SetPolicy {
                scenario,
                overrides,
            } => match self.set_policy(&scenario, overrides) {
                Ok(()) => None,
                Err(reason) => Some(to_json(&LabMessage::Refused { reason })),
            },
        }
    }

    fn set_policy(&self, id: &str, overrides: Vec<(String, String)>) -> Result<(), String> {
        let found = starttls_sim::scenario::find(id).map_err(|e| format!("{id}: {e}"))?;
        let mut scenario = starttls_sim::scenario::with_overrides(&found, &overrides)
            .map_err(|e| format!("{id}: {e}"))?;
        scenario.tls.server_pem = self.base.tls.server_pem.clone();
        scenario.tls.roots_pem = self.base.tls.roots_pem.clone();
        starttls_sim::Engine::new(&scenario).map_err(|e| format!("{id}: {e}"))?;
        let message = LabMessage::Policy {
            scenario: scenario.id.clone(),
            overrides,
        };
        match self.policy.write() {
            Ok(mut p) => *p = Policy { scenario },
            Err(p) => *p.into_inner() = Policy { scenario },
        }
        let _ = self.tx.send(to_json(&message).into());
        Ok(())
    }
}

/// Serializes a message; the types always serialize.
pub(crate) fn to_json(message: &LabMessage) -> String {
    serde_json::to_string(message).unwrap_or_else(|e| {
        format!(r#"{{"refused":{{"reason":"the lab could not write a message: {e}"}}}}"#)
    })
}

/// One session being published.
#[derive(Debug)]
pub struct SessionFeed {
    hub: Arc<LiveHub>,
    session: u64,
    sent: usize,
}

impl SessionFeed {
    /// Publishes the steps not yet sent (call after each time the engine ran).
    pub fn steps(&mut self, steps: &[Step]) {
        for step in steps.iter().skip(self.sent) {
            self.hub.publish(
                self.session,
                &LabMessage::Step {
                    session: self.session,
                    step: Box::new(step.clone()),
                    sent_unix_ms: unix_ms(),
                },
            );
        }
        self.sent = self.sent.max(steps.len());
    }

    /// Publishes the session's end: its whole trace and its list line.
    pub fn end(mut self, trace: &Trace, summary: SessionSummary) {
        self.steps(&trace.steps);
        self.hub.publish(
            self.session,
            &LabMessage::End {
                session: self.session,
                trace: Box::new(trace.clone()),
                summary,
            },
        );
    }
}

/// The list line of a lab server's or lab client's session: for the lab's server, what it
/// accepted; for the lab's client, how its own machine ended.
pub fn summary_of(report: &SessionReport, trace: &Trace) -> SessionSummary {
    use starttls_protocol::client::ClientOutcome as C;
    let client_side = trace
        .lab
        .as_ref()
        .is_some_and(|l| l.remote == starttls_sim::trace::Actor::Server);
    let outcome = if client_side {
        match &trace.outcome.client {
            Some(C::Delivered {
                under_tls: true, ..
            }) => LiveOutcome::DeliveredTls,
            Some(C::Delivered { .. }) => LiveOutcome::DeliveredClear,
            Some(C::Refused { .. }) => LiveOutcome::Refused,
            _ => LiveOutcome::Ended,
        }
    } else {
        match (report.delivered, report.delivered_under_tls) {
            (0, _) if !report.refusals.is_empty() => LiveOutcome::Refused,
            (0, _) => LiveOutcome::Ended,
            (n, t) if n == t => LiveOutcome::DeliveredTls,
            _ => LiveOutcome::DeliveredClear,
        }
    };
    SessionSummary {
        peer: report.peer.clone(),
        software: report.software.clone(),
        tls: report.tls.clone(),
        outcome,
        rules_broken: report.rules_broken.clone(),
    }
}

/// The list line of a proxied session: the proxy holds no key, so it tells only whether TLS
/// records passed and whether a message went by in the clear.
pub fn proxy_summary(trace: &Trace) -> SessionSummary {
    let clear_message = trace.steps.iter().any(|s| {
        !s.tls
            && matches!(&s.detail, starttls_sim::trace::Detail::Wire(v)
                if v.smtp.iter().any(|i| matches!(i, starttls_sim::trace::SmtpItem::Message { .. })))
    });
    let lab = trace.lab.as_ref();
    SessionSummary {
        peer: lab.map(|l| l.peer.clone()).unwrap_or_default(),
        software: lab.and_then(|l| l.software.clone()),
        tls: trace
            .outcome
            .tls_established
            .then(|| "TLS records passed (the proxy holds no key)".to_string()),
        outcome: if clear_message {
            LiveOutcome::DeliveredClear
        } else if trace.outcome.tls_established {
            LiveOutcome::Encrypted
        } else {
            LiveOutcome::Ended
        },
        rules_broken: trace
            .outcome
            .rules_broken
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
    }
}
