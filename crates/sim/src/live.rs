//! The live view's stream: what a lab started with `--live` sends the page over its
//! WebSocket, and what the page may send back. Both ends use these types, so a page and a
//! lab of different [`SCHEMA_VERSION`]s refuse each other by comparing one number.
//!
//! # Order on the stream
//!
//! 1. The lab sends [`LabMessage::Hello`]; the page answers [`PageMessage::Hello`]. A page
//!    whose schema differs shows why and stops; the lab closes the socket with
//!    [`CLOSE_SCHEMA`].
//! 2. The lab sends the sessions it keeps (at most [`KEPT_SESSIONS`]), oldest first: each
//!    one's [`LabMessage::Session`], its [`LabMessage::Step`]s, and its
//!    [`LabMessage::End`] once it is over.
//! 3. Then every new session the same way, as the engine writes it.
//!
//! A page that reads too slowly is dropped with [`CLOSE_TOO_SLOW`]; it reconnects and reads
//! the kept sessions again.
//!
//! Each message is one JSON object whose only key names its kind (`{"step":{…}}`), so that a
//! reader never buffers a message to find its kind (serde's externally tagged form: the
//! browser build then carries one deserializer of the trace, not two).

use serde::{Deserialize, Serialize};

use crate::trace::{LabSession, Step, Trace, TraceScenario};

pub use crate::trace::SCHEMA_VERSION;

/// How many sessions the lab keeps for a page that connects, and the page lists: the newest.
pub const KEPT_SESSIONS: usize = 50;

/// The WebSocket close code for a page whose schema version differs from the lab's.
pub const CLOSE_SCHEMA: u16 = 4000;
/// The close code for a page that did not keep up with the stream.
pub const CLOSE_TOO_SLOW: u16 = 4001;

/// How a session ended, as the list shows it (`data-outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LiveOutcome {
    /// Still running.
    InProgress,
    /// Every message delivered went under TLS.
    DeliveredTls,
    /// A message went in the clear.
    DeliveredClear,
    /// Nothing delivered, and the playground's side refused something (4xx, 5xx).
    Refused,
    /// Nothing delivered, nothing refused: broken off, or only probed.
    Ended,
    /// A proxied session went on under TLS, which the proxy cannot read.
    Encrypted,
}

impl LiveOutcome {
    /// The words the list shows.
    pub fn words(self) -> &'static str {
        match self {
            LiveOutcome::InProgress => "in progress",
            LiveOutcome::DeliveredTls => "delivered under TLS",
            LiveOutcome::DeliveredClear => "delivered in the clear",
            LiveOutcome::Refused => "refused",
            LiveOutcome::Ended => "nothing delivered",
            LiveOutcome::Encrypted => "went on under TLS, unread by the proxy",
        }
    }
}

/// One line of the page's session list, as the lab decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// The real peer's address (the client's, for a proxy).
    pub peer: String,
    /// Its software, where it showed it.
    #[serde(default, skip_serializing_if = "crate::compact::skip_none")]
    pub software: Option<String>,
    /// TLS version and cipher suite, once the handshake completed (for a proxy, which holds
    /// no key: that TLS records passed).
    #[serde(default, skip_serializing_if = "crate::compact::skip_none")]
    pub tls: Option<String>,
    /// How it ended.
    pub outcome: LiveOutcome,
    /// Rules either side broke, by ID.
    pub rules_broken: Vec<String>,
}

/// What the lab sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabMessage {
    /// First message: who the lab is.
    Hello {
        /// The lab's trace schema.
        schema_version: u32,
        /// The lab's version (the crate's).
        lab_version: String,
        /// Changes each time the lab starts, so the page can tell a restarted lab's
        /// sessions from the old ones.
        instance: String,
        /// `server`, `proxy` or `client`.
        mode: String,
        /// The policy in force: a scenario id.
        scenario: String,
        /// Whether the page may change the policy (`--allow-control`).
        control: bool,
    },
    /// A session began.
    Session {
        /// Its number in this lab instance, from 1.
        session: u64,
        /// The scenario of its policy.
        scenario: TraceScenario,
        /// The real peer.
        lab: LabSession,
        /// The list line so far.
        summary: SessionSummary,
    },
    /// A step of a session, as the engine wrote it.
    Step {
        /// The session.
        session: u64,
        /// The step.
        step: Box<Step>,
        /// The lab's wall clock when it sent the step, milliseconds since the Unix epoch
        /// (the page measures the latency to its rendering).
        sent_unix_ms: u64,
    },
    /// A session ended: its whole trace (outcome and key log too) replaces the steps.
    End {
        /// The session.
        session: u64,
        /// The trace, as `--traces` writes it.
        trace: Box<Trace>,
        /// The final list line.
        summary: SessionSummary,
    },
    /// The policy changed (`--allow-control`): new sessions run it.
    Policy {
        /// The scenario id.
        scenario: String,
        /// Its overrides (dotted key, JSON value).
        overrides: Vec<(String, String)>,
    },
    /// The lab refused what the page sent.
    Refused {
        /// Why, in words for the page.
        reason: String,
    },
}

/// What the page sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PageMessage {
    /// The page's answer to [`LabMessage::Hello`].
    Hello {
        /// The page's trace schema.
        schema_version: u32,
    },
    /// Change the lab's policy for new sessions; refused unless the lab was started with
    /// `--allow-control`.
    SetPolicy {
        /// A scenario id.
        scenario: String,
        /// Overrides (dotted key, JSON value).
        #[serde(default)]
        overrides: Vec<(String, String)>,
    },
}

/// Why a page and a lab cannot talk, if their schemas differ.
pub fn schema_mismatch(lab: u32, page: u32) -> Option<String> {
    (lab != page).then(|| {
        format!(
            "This lab writes traces of schema version {lab}, and this page reads version {page}. \
             Open the page the lab itself serves (the URL it printed when it started)."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_through_json_with_their_type_tag() {
        let hello = LabMessage::Hello {
            schema_version: SCHEMA_VERSION,
            lab_version: "0.1.0".into(),
            instance: "abc".into(),
            mode: "server".into(),
            scenario: "happy-path".into(),
            control: false,
        };
        let json = serde_json::to_string(&hello).unwrap();
        assert!(json.starts_with(r#"{"hello":{"#), "{json}");
        assert_eq!(serde_json::from_str::<LabMessage>(&json).unwrap(), hello);
        let set: PageMessage =
            serde_json::from_str(r#"{"set-policy":{"scenario":"tls-required-530"}}"#).unwrap();
        assert_eq!(
            set,
            PageMessage::SetPolicy {
                scenario: "tls-required-530".into(),
                overrides: vec![]
            }
        );
        assert!(schema_mismatch(2, 2).is_none());
        assert!(schema_mismatch(2, 3).unwrap().contains("version 2"));
    }
}
