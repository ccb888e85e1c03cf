//! The client's mail transaction: MAIL, RCPT and DATA, pipelined when the server
//! offers PIPELINING (RFC 2920, with DATA last in its group), the message text
//! ([`RuleId::SmtpDotStuffing`]) and the decisions on refusals (a `530` leads to
//! STARTTLS if the client can, [`RuleId::Require530`]; anything else to QUIT).
//!
//! [`RuleId::SmtpDotStuffing`]: crate::rules::RuleId::SmtpDotStuffing
//! [`RuleId::Require530`]: crate::rules::RuleId::Require530

use super::state::{ClientState, ClientTrigger, Transaction};
use super::{Client, ClientEvent, ClientOutcome, RecipientRejection};
use crate::command::Command;
use crate::data::encode_message;
use crate::error::PeerError;
use crate::reply::Reply;
use crate::rules::RuleId as R;

impl Client {
    pub(super) fn start_transaction(&mut self, on: ClientTrigger) {
        let mut tx = Transaction::default();
        tx.unsent.push_back(Command::Mail {
            reverse_path: self.script.mail_from.clone(),
            parameters: Vec::new(),
        });
        for r in &self.script.rcpt_to {
            tx.unsent.push_back(Command::Rcpt {
                forward_path: r.clone(),
                parameters: Vec::new(),
            });
        }
        tx.unsent.push_back(Command::Data);
        self.goto(on, ClientState::Transaction(tx));
        self.flush_transaction();
    }

    /// Sends the next command(s) of the transaction: all of them when pipelining,
    /// else one at a time.
    fn flush_transaction(&mut self) {
        let pipelining = self.pipelining_in_use();
        loop {
            let ClientState::Transaction(tx) = &mut self.state else {
                return;
            };
            if !pipelining && !tx.awaiting.is_empty() {
                return;
            }
            // Without pipelining, DATA is pointless if no recipient was accepted.
            if !pipelining
                && matches!(tx.unsent.front(), Some(Command::Data))
                && tx.accepted.is_empty()
            {
                return;
            }
            let Some(command) = tx.unsent.pop_front() else {
                return;
            };
            tx.awaiting.push_back(command.clone());
            self.send_command(command, vec![]);
        }
    }

    pub(super) fn transaction_reply(&mut self, reply: &Reply) {
        let pipelining = self.pipelining_in_use();
        let ClientState::Transaction(tx) = &mut self.state else {
            return;
        };
        let Some(command) = tx.awaiting.pop_front() else {
            self.violation(PeerError::UnexpectedReply { code: reply.code });
            return;
        };
        let ok = reply.code / 100 == 2;
        match &command {
            Command::Mail { .. } => {
                if ok {
                    tx.mail_accepted = true;
                } else {
                    tx.refusal
                        .get_or_insert((command.clone(), reply.code, reply.text()));
                    if !pipelining {
                        tx.unsent.clear();
                    }
                }
            }
            Command::Rcpt { forward_path, .. } => {
                if ok {
                    tx.accepted.push(forward_path.clone());
                } else {
                    tx.rejected.push(RecipientRejection {
                        recipient: forward_path.clone(),
                        code: reply.code,
                    });
                    if matches!(reply.code, 530 | 554) {
                        tx.refusal
                            .get_or_insert((command.clone(), reply.code, reply.text()));
                        if !pipelining {
                            tx.unsent.clear();
                        }
                    }
                }
            }
            Command::Data if reply.code == 354 => {
                let deliverable = tx.mail_accepted && !tx.accepted.is_empty();
                let accepted = if deliverable {
                    std::mem::take(&mut tx.accepted)
                } else {
                    Vec::new()
                };
                let rejected = std::mem::take(&mut tx.rejected);
                let text = if deliverable {
                    encode_message(self.script.body.as_bytes())
                } else {
                    encode_message(b"")
                };
                let octets = text.len();
                self.outgoing.extend_from_slice(&text);
                self.events.push_back(ClientEvent::MessageSent {
                    octets,
                    under_tls: self.tls.is_active(),
                    rules: vec![R::SmtpDotStuffing],
                });
                self.goto(
                    ClientTrigger::Data354,
                    ClientState::AwaitDataEnd { accepted, rejected },
                );
                return;
            }
            _ => {
                tx.refusal
                    .get_or_insert((command.clone(), reply.code, reply.text()));
            }
        }
        if !tx.awaiting.is_empty() {
            return;
        }
        let data_pointless =
            matches!(tx.unsent.front(), Some(Command::Data)) && tx.accepted.is_empty();
        let more = !tx.unsent.is_empty() && !data_pointless;
        if more && tx.refusal.is_none() {
            self.flush_transaction();
            return;
        }
        // The transaction cannot go on.
        let refusal = tx.refusal.clone().or_else(|| {
            tx.rejected.last().map(|r| {
                let cmd = Command::Rcpt {
                    forward_path: r.recipient.clone(),
                    parameters: Vec::new(),
                };
                (cmd, r.code, "no recipient was accepted".to_string())
            })
        });
        let (command, code, text) = refusal.unwrap_or((command, reply.code, reply.text()));
        if code == 530 && self.can_starttls() {
            self.send_starttls(ClientTrigger::Transaction530);
            return;
        }
        let outcome = ClientOutcome::Refused {
            command: Some(command.verb()),
            code,
            text,
        };
        self.quit(outcome, ClientTrigger::TransactionFailed);
    }
}
