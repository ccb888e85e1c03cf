//! The guided lesson: an ordered tour of catalogue scenarios, each with a checkpoint question,
//! and the person's progress (kept in `localStorage` by the lesson component, as JSON).

use serde::{Deserialize, Serialize};
use starttls_protocol::rules::RuleId;

/// One stop of the tour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// The scenario id.
    pub scenario: &'static str,
    /// The checkpoint question.
    pub question: &'static str,
    /// Its choices.
    pub choices: &'static [&'static str],
    /// The index of the right choice.
    pub answer: usize,
    /// Why, shown once answered.
    pub why: &'static str,
    /// The rule the checkpoint is about.
    pub rule: RuleId,
}

/// The tour, in order.
pub const STOPS: &[Stop] = &[
    Stop {
        scenario: "happy-path",
        question: "After the TLS handshake, what must the client send before MAIL FROM?",
        choices: &[
            "Nothing: the server remembers the first EHLO",
            "EHLO again, under TLS",
            "STARTTLS again",
            "The extension list it learnt before TLS",
        ],
        answer: 1,
        why: "Both sides forget what they learnt in cleartext; the client asks again with EHLO, and the list under TLS may differ.",
        rule: RuleId::ClientEhloAgain,
    },
    Stop {
        scenario: "tls-required-530",
        question: "This server requires TLS. What does it answer to MAIL FROM sent before STARTTLS?",
        choices: &["250", "454", "530", "554"],
        answer: 2,
        why: "530 Must issue a STARTTLS command first: only NOOP, EHLO, STARTTLS and QUIT are allowed before TLS.",
        rule: RuleId::Require530,
    },
    Stop {
        scenario: "tls-unavailable-454-opportunistic",
        question: "The server answers STARTTLS with 454. What may an opportunistic client do?",
        choices: &[
            "Start the TLS handshake anyway",
            "Decide by its own policy, here: go on in the clear",
            "Send STARTTLS until it gets 220",
            "Nothing else is allowed: it must quit",
        ],
        answer: 1,
        why: "After 454 the client decides by local policy whether to go on without TLS.",
        rule: RuleId::Client454Decide,
    },
    Stop {
        scenario: "strip-opportunistic",
        question: "An attacker deletes STARTTLS from the EHLO reply. What does an opportunistic client do?",
        choices: &[
            "Notices the attack and quits",
            "Sends STARTTLS anyway",
            "Sends the message in the clear, unaware",
            "Asks the user",
        ],
        answer: 2,
        why: "It cannot tell that TLS was ever offered: 'TLS when possible' is no defence against an active attacker.",
        rule: RuleId::StripDefense,
    },
    Stop {
        scenario: "strip-required",
        question: "The same attack meets a client that requires TLS for this peer. What happens?",
        choices: &[
            "It sends the message in the clear",
            "It quits without sending the message",
            "It sends STARTTLS and succeeds",
            "The server refuses with 530",
        ],
        answer: 1,
        why: "Requiring a successful TLS negotiation for chosen peers is the defence against stripping.",
        rule: RuleId::StripDefense,
    },
    Stop {
        scenario: "command-injection-compliant",
        question: "Commands injected in cleartext right after STARTTLS: what does a compliant server do with them?",
        choices: &[
            "Runs them under TLS",
            "Answers them in cleartext",
            "Discards them when the handshake completes",
            "Closes the connection",
        ],
        answer: 2,
        why: "The server throws away whatever it buffered before TLS: the defence against CVE-2011-0411.",
        rule: RuleId::ServerDiscard,
    },
    Stop {
        scenario: "response-injection-compliant",
        question: "Forged replies arrive right after the server's 220. What does a compliant client do?",
        choices: &[
            "Reads them as the server's EHLO reply",
            "Discards them at the handshake and asks again with EHLO",
            "Quits",
            "Reports them to the server",
        ],
        answer: 1,
        why: "Nothing received in cleartext after the 220 may be read as a reply under TLS.",
        rule: RuleId::ClientDiscard,
    },
    Stop {
        scenario: "client-quit-wrong-name",
        question: "The certificate names another host, and the client requires an authenticated server. What does it do?",
        choices: &[
            "Goes on: the session is encrypted anyway",
            "Falls back to cleartext",
            "Judges the session insufficient and quits",
            "Sends STARTTLS again",
        ],
        answer: 2,
        why: "The client decides right after the handshake, on the name in the certificate.",
        rule: RuleId::CertName,
    },
];

/// The `localStorage` key of the progress.
pub const STORAGE_KEY: &str = "starttls-playground.lesson.v1";

/// How far the person got.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Progress {
    /// The stop shown, from 0.
    pub current: usize,
    /// The scenario ids whose checkpoint was answered right.
    pub passed: Vec<String>,
}

impl Progress {
    /// Reads stored progress; anything unreadable or stale is dropped, never a panic.
    pub fn from_json(text: &str) -> Progress {
        let mut p: Progress = serde_json::from_str(text).unwrap_or_default();
        p.passed.retain(|id| STOPS.iter().any(|s| s.scenario == id));
        p.passed.dedup();
        p.current = p.current.min(STOPS.len().saturating_sub(1));
        p
    }

    /// As stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The stop shown.
    pub fn stop(&self) -> &'static Stop {
        &STOPS[self.current.min(STOPS.len() - 1)]
    }

    /// Whether the checkpoint of `scenario` was passed.
    pub fn has_passed(&self, scenario: &str) -> bool {
        self.passed.iter().any(|p| p == scenario)
    }

    /// Answers the current checkpoint; records it when right. Returns whether it was right.
    pub fn answer(&mut self, choice: usize) -> bool {
        let stop = self.stop();
        let right = choice == stop.answer;
        if right && !self.has_passed(stop.scenario) {
            self.passed.push(stop.scenario.to_string());
        }
        right
    }

    /// Moves to stop `i` (clamped).
    pub fn go(&mut self, i: usize) {
        self.current = i.min(STOPS.len() - 1);
    }

    /// Whether every checkpoint was passed.
    pub fn complete(&self) -> bool {
        STOPS.iter().all(|s| self.has_passed(s.scenario))
    }
}
