//! Whether a real client read the replies injected after the `220` (CLIENT-DISCARD), seen
//! from the lab's server.
//!
//! A client that kept the cleartext bytes that came after the `220` reads them, under TLS,
//! as the reply to its first command, and sends its next command at once. A client that
//! discarded them waits for the real reply. So the lab's server holds its reply to the
//! client's EHLO (or HELO) under TLS, which must be answered before the client goes on
//! (RFC 2920 §3.1: EHLO can only be the last command of a group; after HELO there is no
//! pipelining at all): a further command that arrives meanwhile was sent on a reply the
//! server never sent under TLS.
//!
//! # Call order (lab server, attacker injecting replies)
//!
//! While [`Engine::holds_reply`] is true, [`Engine::take_remote_output`] gives nothing and
//! the caller keeps reading the socket, for as long as it chooses to wait. A further
//! command decides "read the injected replies"; if none comes, the caller calls
//! [`Engine::release_reply`], which decides "discarded them" and lets the reply go out.
//! The engine owns no clock: how long to hold is the caller's.

use starttls_protocol::command::Verb;
use starttls_protocol::rules::RuleId;

use super::steps::NewStep;
use super::{Engine, Side};
use crate::trace::{Actor, SmtpItem, StepKind};

/// The watch on a real client's first command under TLS.
#[derive(Debug, Default)]
pub(crate) enum InjectionWatch {
    /// No command under TLS yet (or no reply was injected).
    #[default]
    Waiting,
    /// The reply to this first command is held.
    Holding {
        /// The first command under TLS, as sent.
        first: String,
    },
    /// The verdict is in the trace.
    Decided,
}

impl Engine {
    /// Whether the reply to the real client's first command under TLS is being held, to see
    /// whether the client sends on without it (CLIENT-DISCARD).
    pub fn holds_reply(&self) -> bool {
        matches!(self.injection_watch, InjectionWatch::Holding { .. })
    }

    /// No further command came while the reply was held: the client waited for the real
    /// reply, so it did not read the injected ones (CLIENT-DISCARD kept). The reply goes out.
    pub fn release_reply(&mut self) {
        let InjectionWatch::Holding { first } = std::mem::take(&mut self.injection_watch) else {
            return;
        };
        self.injection_watch = InjectionWatch::Decided;
        let text = format!(
            "The client waited for the server’s reply to its {first} under TLS: it did not \
             act on the replies injected in the clear after the 220, so it discarded them."
        );
        self.push(
            NewStep::new(Actor::Client, StepKind::Decision, text)
                .tls(true)
                .rules(vec![RuleId::ClientDiscard]),
        );
    }

    /// After a real client's flight under TLS: arm the watch on its first command, or decide
    /// when a command comes while the reply is held.
    pub(super) fn watch_injection(&mut self, items: &[SmtpItem]) {
        if self.remote != Some(Side::Client) || !self.attack_done || self.injected_counts.1 == 0 {
            return;
        }
        let mut commands = items.iter().filter_map(|i| match i {
            SmtpItem::Command { command, .. } => Some(command.verb().as_str().to_string()),
            _ => None,
        });
        match &self.injection_watch {
            InjectionWatch::Waiting => {
                let Some(first) = commands.next() else { return };
                // EHLO must be answered before the next command (RFC 2920 §3.1: it can only
                // be the last command of a group), and so must HELO, which rules out
                // pipelining; only they show a client that did not wait.
                if first != Verb::Ehlo.as_str() && first != Verb::Helo.as_str() {
                    self.injection_watch = InjectionWatch::Decided;
                    return;
                }
                self.injection_watch = InjectionWatch::Holding { first };
                if let Some(next) = commands.next() {
                    self.read_injected(next);
                }
            }
            InjectionWatch::Holding { .. } => {
                if let Some(next) = commands.next() {
                    self.read_injected(next);
                }
            }
            InjectionWatch::Decided => {}
        }
    }

    /// The client sent `next` before the reply to its first command under TLS went out: it
    /// took an injected reply as that reply (CLIENT-DISCARD broken).
    fn read_injected(&mut self, next: String) {
        let InjectionWatch::Holding { first } = std::mem::take(&mut self.injection_watch) else {
            return;
        };
        self.injection_watch = InjectionWatch::Decided;
        let text = format!(
            "The client sent {next} before the server had answered its {first} under TLS: \
             it took the replies injected in the clear after the 220 as answers under TLS."
        );
        self.outcome.rules_broken.push(RuleId::ClientDiscard);
        self.outcome.injected_reply_read = true;
        self.push(
            NewStep::new(Actor::Client, StepKind::Decision, text)
                .tls(true)
                .rules(vec![RuleId::ClientDiscard])
                .violation(),
        );
    }
}
