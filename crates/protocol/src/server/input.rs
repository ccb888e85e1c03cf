//! Reading input: framing command lines and DATA, refusing what the policy refuses (500, 501,
//! 503, 530, 554), and handing each command to the dispatcher.

use super::state::ServerState;
use super::{Server, ServerEvent, exempt_from_530};
use crate::command::{Command, Verb};
use crate::error::PeerError;
use crate::knowledge::Learnt;
use crate::limits::COMMAND_LINE_MAX;
use crate::line::{Framing, check_ascii, frame};
use crate::reply::EnhancedStatus;
use crate::rules::RuleId as R;
use crate::tls::SecurityVerdict;

impl Server {
    pub(super) fn pump(&mut self) {
        loop {
            if self.queues_full() {
                return;
            }
            match self.state {
                ServerState::Closed => {
                    let n = self.inbox.len();
                    self.inbox.consume(n);
                    return;
                }
                ServerState::TlsHandshake { .. } => return,
                ServerState::Data { .. } => {
                    if self.pump_data() {
                        continue;
                    }
                    return;
                }
                _ => {}
            }
            if self.skipping_long_line {
                match self.inbox.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        self.inbox.consume(i + 1);
                        self.skipping_long_line = false;
                        self.commands += 1;
                        self.reject(
                            PeerError::LineTooLong {
                                limit: COMMAND_LINE_MAX,
                            },
                            None,
                        );
                        continue;
                    }
                    None => {
                        let n = self.inbox.len();
                        self.inbox.consume(n);
                        return;
                    }
                }
            }
            match frame(&self.inbox, COMMAND_LINE_MAX) {
                Framing::Partial => return,
                Framing::TooLongUnfinished => {
                    let n = self.inbox.len();
                    self.inbox.consume(n);
                    self.skipping_long_line = true;
                    return;
                }
                Framing::TooLong { consumed } => {
                    self.inbox.consume(consumed);
                    self.commands += 1;
                    self.reject(
                        PeerError::LineTooLong {
                            limit: COMMAND_LINE_MAX,
                        },
                        None,
                    );
                }
                Framing::BareLf { consumed } => {
                    self.inbox.consume(consumed);
                    self.commands += 1;
                    self.reject(PeerError::BareLf, None);
                }
                Framing::Line { content, consumed } => {
                    let line = self.inbox[..content].to_vec();
                    self.inbox.consume(consumed);
                    self.commands += 1;
                    self.handle_line(&line);
                }
            }
        }
    }

    /// Feeds the inbox to the data receiver; true if the end of data was processed.
    pub(super) fn pump_data(&mut self) -> bool {
        let ServerState::Data { receiver, .. } = &mut self.state else {
            return false;
        };
        let (n, done) = receiver.feed(&self.inbox);
        self.inbox.consume(n);
        if !done {
            return false;
        }
        let ServerState::Data {
            session,
            envelope,
            receiver,
        } = std::mem::replace(&mut self.state, ServerState::Closed)
        else {
            return false;
        };
        self.state = ServerState::Data {
            session: session.clone(),
            envelope: envelope.clone(),
            receiver: Default::default(),
        };
        self.commands += 1;
        if receiver.faults.too_big {
            self.respond(
                552,
                EnhancedStatus::new(5, 3, 4),
                "Too much mail data",
                None,
                vec![R::SmtpLineLimit],
            );
        } else if receiver.faults.line_too_long {
            self.respond(
                500,
                EnhancedStatus::new(5, 5, 2),
                "Line too long",
                None,
                vec![R::SmtpLineLimit],
            );
        } else {
            self.respond(
                250,
                EnhancedStatus::new(2, 0, 0),
                "Ok: queued",
                None,
                vec![R::SmtpDotStuffing],
            );
            let under_tls = self.under_tls()
                && envelope.reverse_path.provenance == crate::knowledge::Provenance::Tls
                && envelope
                    .recipients
                    .iter()
                    .all(|r| r.provenance == crate::knowledge::Provenance::Tls);
            self.events.push_back(ServerEvent::MessageAccepted {
                reverse_path: envelope.reverse_path.value.clone(),
                recipients: envelope
                    .recipients
                    .iter()
                    .map(|r| r.value.clone())
                    .collect(),
                body: String::from_utf8_lossy(&receiver.body).into_owned(),
                under_tls,
            });
        }
        self.goto(
            super::ServerTrigger::EndOfData,
            ServerState::Ready { session },
        );
        true
    }

    pub(super) fn reject(&mut self, error: PeerError, verb: Option<Verb>) {
        let under_tls = self.under_tls();
        self.events.push_back(ServerEvent::InputRejected {
            error: error.clone(),
            under_tls,
        });
        if matches!(self.verdict, SecurityVerdict::Insufficient { .. }) {
            self.refuse_insecure(verb);
            return;
        }
        let syntax = EnhancedStatus::new(5, 5, 2);
        match &error {
            PeerError::LineTooLong { .. } => {
                self.respond(500, syntax, "Line too long", verb, vec![R::SmtpLineLimit])
            }
            PeerError::BareLf => self.respond(
                500,
                syntax,
                "Syntax error: bare LF received (lines must end with CRLF)",
                verb,
                vec![R::SmtpCrlf],
            ),
            PeerError::BareCr => self.respond(
                500,
                syntax,
                "Syntax error: bare CR received (CR is only allowed before LF)",
                verb,
                vec![R::SmtpCrlf],
            ),
            PeerError::Nul => self.respond(
                500,
                syntax,
                "Syntax error: NUL character in command",
                verb,
                vec![R::SmtpCrlf],
            ),
            PeerError::EightBit { octet } => {
                let text = format!(
                    "Syntax error: 8-bit octet 0x{octet:02X} in command (commands are 7-bit ASCII)"
                );
                self.respond(500, syntax, &text, verb, vec![R::SmtpCrlf]);
            }
            PeerError::Control { octet } => {
                let text = format!("Syntax error: control character 0x{octet:02X} in command");
                self.respond(500, syntax, &text, verb, vec![R::SmtpCrlf]);
            }
            PeerError::UnknownCommand { .. } => self.respond(
                500,
                EnhancedStatus::new(5, 5, 2),
                "Syntax error, command unrecognized",
                verb,
                vec![R::SmtpReplyCodes],
            ),
            PeerError::Syntax {
                verb: Verb::StartTls,
                ..
            } => self.respond(
                501,
                EnhancedStatus::new(5, 5, 4),
                "Syntax error (no parameters allowed)",
                verb,
                vec![R::CmdSyntax, R::SmtpReplyCodes],
            ),
            PeerError::Syntax { detail, .. } => {
                let text = format!("Syntax error in parameters or arguments: {detail}");
                self.respond(
                    501,
                    EnhancedStatus::new(5, 5, 4),
                    &text,
                    verb,
                    vec![R::SmtpReplyCodes],
                );
            }
            PeerError::UnsupportedMechanism { .. } => self.respond(
                504,
                EnhancedStatus::new(5, 5, 4),
                "Unrecognized authentication type",
                verb,
                vec![],
            ),
            PeerError::MalformedReply { .. } | PeerError::UnexpectedReply { .. } => {
                self.respond(500, syntax, "Syntax error", verb, vec![R::SmtpReplyCodes]);
            }
        }
    }

    pub(super) fn refuse_insecure(&mut self, verb: Option<Verb>) {
        self.respond(
            554,
            EnhancedStatus::new(5, 7, 0),
            "Command refused due to lack of security",
            verb,
            vec![R::Server554, R::DecideAfter],
        );
    }

    pub(super) fn handle_line(&mut self, line: &[u8]) {
        if let ServerState::AuthChallenge { .. } = self.state {
            self.auth_response(line);
            return;
        }
        let parsed = check_ascii(line, false)
            .and_then(|()| Command::parse_line(std::str::from_utf8(line).unwrap_or_default()));
        let verb = match &parsed {
            Ok(c) => Some(c.verb()),
            Err(PeerError::Syntax { verb, .. }) => Some(*verb),
            Err(PeerError::UnsupportedMechanism { .. }) => Some(Verb::Auth),
            Err(_) => None,
        };
        let command = match parsed {
            Ok(c) => c,
            Err(e) => {
                if self.requires_tls_now() && verb.is_some_and(|v| !exempt_from_530(v)) {
                    self.events.push_back(ServerEvent::InputRejected {
                        error: e,
                        under_tls: false,
                    });
                    self.refuse_530(verb);
                } else {
                    self.reject(e, verb);
                }
                return;
            }
        };
        self.events.push_back(ServerEvent::CommandReceived {
            command: command.clone(),
            under_tls: self.under_tls(),
        });
        let verb = command.verb();
        if matches!(self.verdict, SecurityVerdict::Insufficient { .. }) && verb != Verb::Quit {
            self.refuse_insecure(Some(verb));
            return;
        }
        if self.requires_tls_now() && !exempt_from_530(verb) {
            self.refuse_530(Some(verb));
            return;
        }
        self.dispatch(command);
    }

    pub(super) fn requires_tls_now(&self) -> bool {
        self.policy.require_tls && !self.tls.is_active()
    }

    pub(super) fn refuse_530(&mut self, verb: Option<Verb>) {
        // The server is configured to require TLS (STRIP-DEFENSE, RFC 3207 §6), and says so
        // with 530 (REQUIRE-530, §4).
        let mut rules = vec![R::Require530, R::StripDefense];
        // The reply to HELO carries no enhanced code (RFC 2034 §4), so no 5.7.0 either.
        if self.esc_active() && !matches!(verb, Some(Verb::Helo | Verb::Ehlo)) {
            rules.push(R::Require530Esc);
        }
        self.respond(
            530,
            EnhancedStatus::new(5, 7, 0),
            "Must issue a STARTTLS command first",
            verb,
            rules,
        );
    }

    pub(super) fn learnt<T>(&self, value: T) -> Learnt<T> {
        Learnt::new(value, self.under_tls(), self.commands)
    }

    pub(super) fn bad_sequence(&mut self, verb: Verb, text: &str) {
        self.respond(
            503,
            EnhancedStatus::new(5, 5, 1),
            text,
            Some(verb),
            vec![R::SmtpReplyCodes],
        );
    }
}
