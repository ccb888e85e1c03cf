//! The server's answers to each command once the TLS and security gates have
//! passed: EHLO/HELO, the mail transaction, STARTTLS ([`RuleId::Cmd220`],
//! [`RuleId::Cmd454`], [`RuleId::NoTlsTwice`]) and AUTH PLAIN.
//!
//! [`RuleId::Cmd220`]: crate::rules::RuleId::Cmd220
//! [`RuleId::Cmd454`]: crate::rules::RuleId::Cmd454
//! [`RuleId::NoTlsTwice`]: crate::rules::RuleId::NoTlsTwice

use super::state::{Envelope, ServerState, ServerTrigger, Session};
use super::{SecondStarttlsReply, Server, ServerEvent, StarttlsOffer};
use crate::base64;
use crate::command::{Command, Verb};
use crate::limits::RECIPIENTS_MAX;
use crate::reply::{EhloReply, EnhancedStatus, Reply};
use crate::rules::RuleId as R;
use crate::tls::TlsState;

impl Server {
    pub(super) fn dispatch(&mut self, command: Command) {
        let verb = command.verb();
        let ok = EnhancedStatus::new(2, 0, 0);
        match command {
            Command::Ehlo { domain } | Command::Helo { domain } => {
                let esmtp = verb == Verb::Ehlo;
                let auth = self.state.session().and_then(|s| s.auth.clone());
                let (extensions, rules) = if esmtp {
                    self.advertised_extensions()
                } else {
                    (Vec::new(), Vec::new())
                };
                if esmtp && self.under_tls() && self.policy.teaching.advertise_starttls_after_tls {
                    self.events.push_back(ServerEvent::RuleBroken {
                        rule: R::NoStarttlsAfter,
                        detail: "STARTTLS advertised in an EHLO reply under TLS".into(),
                    });
                }
                let reply = if esmtp {
                    EhloReply {
                        domain: self.policy.hostname.clone(),
                        greeting: (!self.policy.ehlo_greeting.is_empty())
                            .then(|| self.policy.ehlo_greeting.clone()),
                        extensions,
                    }
                    .to_reply()
                } else {
                    Reply::new(250, None, self.policy.hostname.clone())
                };
                self.send(reply, Some(verb), rules);
                let session = Session {
                    client_name: self.learnt(domain),
                    esmtp,
                    auth,
                };
                let on = if esmtp {
                    ServerTrigger::Ehlo
                } else {
                    ServerTrigger::Helo
                };
                self.goto(on, ServerState::Ready { session });
            }
            Command::Mail { reverse_path, .. } => match &self.state {
                ServerState::Ready { session } => {
                    let session = session.clone();
                    self.respond(250, EnhancedStatus::new(2, 1, 0), "Ok", Some(verb), vec![]);
                    let envelope = Envelope {
                        reverse_path: self.learnt(reverse_path),
                        recipients: Vec::new(),
                    };
                    self.goto(
                        ServerTrigger::Mail,
                        ServerState::Transaction { session, envelope },
                    );
                }
                ServerState::Transaction { .. } => {
                    self.bad_sequence(verb, "Error: nested MAIL command")
                }
                _ => self.bad_sequence(verb, "Error: send HELO/EHLO first"),
            },
            Command::Rcpt { forward_path, .. } => {
                let full = match &self.state {
                    ServerState::Transaction { envelope, .. } => {
                        envelope.recipients.len() >= RECIPIENTS_MAX
                    }
                    _ => {
                        self.bad_sequence(verb, "Error: need MAIL command");
                        return;
                    }
                };
                if full {
                    self.respond(
                        452,
                        EnhancedStatus::new(4, 5, 3),
                        "Too many recipients",
                        Some(verb),
                        vec![R::SmtpRcptLimit],
                    );
                    return;
                }
                let item = self.learnt(forward_path);
                if let ServerState::Transaction { envelope, .. } = &mut self.state {
                    envelope.recipients.push(item);
                }
                self.respond(250, EnhancedStatus::new(2, 1, 5), "Ok", Some(verb), vec![]);
            }
            Command::Data => match &self.state {
                ServerState::Transaction { session, envelope }
                    if !envelope.recipients.is_empty() =>
                {
                    let (session, envelope) = (session.clone(), envelope.clone());
                    self.respond(
                        354,
                        ok,
                        "End data with <CR><LF>.<CR><LF>",
                        Some(verb),
                        vec![R::SmtpDotStuffing],
                    );
                    self.goto(
                        ServerTrigger::Data354,
                        ServerState::Data {
                            session,
                            envelope,
                            receiver: Default::default(),
                        },
                    );
                }
                ServerState::Transaction { .. } => {
                    self.bad_sequence(verb, "Error: need RCPT command")
                }
                _ => self.bad_sequence(verb, "Error: need MAIL command"),
            },
            Command::Rset => {
                self.respond(250, ok, "Ok", Some(verb), vec![]);
                if let ServerState::Transaction { session, .. } = &self.state {
                    let session = session.clone();
                    self.goto(ServerTrigger::Rset, ServerState::Ready { session });
                }
            }
            Command::Noop { .. } => self.respond(250, ok, "Ok", Some(verb), vec![]),
            Command::Vrfy { .. } => self.respond(
                252,
                ok,
                "Cannot VRFY user, but will accept message and attempt delivery",
                Some(verb),
                vec![],
            ),
            Command::Help { .. } => self.respond(
                214,
                ok,
                "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH",
                Some(verb),
                vec![],
            ),
            Command::Quit => {
                let text = format!("{} closing connection", self.policy.hostname);
                self.respond(221, ok, &text, Some(verb), vec![]);
                self.goto(ServerTrigger::Quit, ServerState::Closed);
                self.events.push_back(ServerEvent::Closed {
                    reason: "the client sent QUIT".into(),
                });
            }
            Command::StartTls => self.starttls(),
            Command::AuthPlain { initial_response } => self.auth(initial_response),
        }
    }

    fn starttls(&mut self) {
        let verb = Some(Verb::StartTls);
        if self.under_tls() {
            match self.policy.second_starttls {
                SecondStarttlsReply::BadSequence503 => self.respond(
                    503,
                    EnhancedStatus::new(5, 5, 1),
                    "Bad sequence of commands: TLS already active",
                    verb,
                    vec![R::NoTlsTwice, R::BothKnowTls, R::SmtpReplyCodes],
                ),
                SecondStarttlsReply::Postfix554 => self.send(
                    Reply::new(
                        554,
                        Some(EnhancedStatus::new(5, 5, 1)),
                        "Error: TLS already active",
                    ),
                    verb,
                    vec![R::NoTlsTwice, R::BothKnowTls, R::Esc2034],
                ),
                SecondStarttlsReply::OpenSmtpd503 => self.send(
                    Reply::new(
                        503,
                        Some(EnhancedStatus::new(5, 5, 1)),
                        "Invalid command: Channel already secured",
                    ),
                    verb,
                    vec![R::NoTlsTwice, R::BothKnowTls, R::SmtpReplyCodes, R::Esc2034],
                ),
                // aiosmtpd's smtp_STARTTLS has no check for an active TLS session: it
                // answers 220 again, without an enhanced code. RFC 3207 names no reply here.
                SecondStarttlsReply::Aiosmtpd220 => self.begin_handshake(),
            }
            return;
        }
        match self.policy.starttls {
            StarttlsOffer::NotOffered => self.respond(
                502,
                EnhancedStatus::new(5, 5, 1),
                "Command not implemented",
                verb,
                vec![R::SmtpReplyCodes],
            ),
            StarttlsOffer::TemporarilyUnavailable | StarttlsOffer::AdvertisedButUnavailable => {
                self.tls_unavailable();
            }
            StarttlsOffer::Offered if !self.tls_available => self.tls_unavailable(),
            StarttlsOffer::Offered => self.begin_handshake(),
        }
    }

    fn tls_unavailable(&mut self) {
        self.respond(
            454,
            EnhancedStatus::new(4, 7, 0),
            "TLS not available due to temporary reason",
            Some(Verb::StartTls),
            vec![R::Cmd454],
        );
    }

    fn begin_handshake(&mut self) {
        if self.under_tls() {
            self.send(
                Reply::new(220, None, "Ready to start TLS"),
                Some(Verb::StartTls),
                vec![R::Cmd220, R::NoTlsTwice],
            );
        } else {
            self.respond(
                220,
                EnhancedStatus::new(2, 0, 0),
                "Ready to start TLS",
                Some(Verb::StartTls),
                vec![R::Cmd220],
            );
        }
        let session = self.state.session().cloned();
        let envelope = self.state.envelope().cloned();
        let on = if self.under_tls() {
            ServerTrigger::Starttls220UnderTls
        } else {
            ServerTrigger::Starttls220
        };
        self.tls = TlsState::Handshaking;
        self.goto(on, ServerState::TlsHandshake { session, envelope });
        let range = self.inbox.pending_range();
        self.events.push_back(ServerEvent::StartTls {
            buffered_plaintext: range,
            discard_at_handshake: !self.policy.teaching.process_plaintext_after_starttls,
        });
    }

    fn offers_auth_plain(&self) -> bool {
        self.advertised_extensions()
            .0
            .iter()
            .any(|e| e.is("AUTH") && e.params.iter().any(|p| p.eq_ignore_ascii_case("PLAIN")))
    }

    fn auth(&mut self, initial_response: Option<String>) {
        let verb = Verb::Auth;
        let session = match &self.state {
            ServerState::Ready { session } if session.esmtp => session.clone(),
            ServerState::Transaction { .. } => {
                return self.bad_sequence(verb, "Error: MAIL transaction in progress");
            }
            _ => return self.bad_sequence(verb, "Error: send EHLO first"),
        };
        if session.auth.is_some() {
            return self.bad_sequence(verb, "Error: already authenticated");
        }
        if !self.offers_auth_plain() {
            if self.advertised_extensions().0.iter().any(|e| e.is("AUTH")) {
                // RFC 4954 §4: a mechanism not supported (here: not in the current list).
                return self.respond(
                    504,
                    EnhancedStatus::new(5, 5, 4),
                    "Unrecognized authentication type",
                    Some(verb),
                    vec![],
                );
            }
            return self.bad_sequence(verb, "Error: authentication not enabled");
        }
        match initial_response {
            None => {
                self.send(Reply::new(334, None, ""), Some(verb), vec![]);
                self.goto(
                    ServerTrigger::Auth334,
                    ServerState::AuthChallenge { session },
                );
            }
            Some(response) => self.check_credentials(&response, session),
        }
    }

    pub(super) fn auth_response(&mut self, line: &[u8]) {
        let ServerState::AuthChallenge { session } = &self.state else {
            return;
        };
        let session = session.clone();
        self.goto(
            ServerTrigger::AuthResponse,
            ServerState::Ready {
                session: session.clone(),
            },
        );
        let text = std::str::from_utf8(line).unwrap_or("");
        if text == "*" {
            self.respond(
                501,
                EnhancedStatus::new(5, 0, 0),
                "Authentication aborted",
                Some(Verb::Auth),
                vec![],
            );
        } else {
            self.check_credentials(text, session);
        }
    }

    fn check_credentials(&mut self, response: &str, session: Session) {
        let verb = Some(Verb::Auth);
        let decoded = if response == "=" {
            Some(Vec::new())
        } else {
            base64::decode(response)
        };
        let Some(decoded) = decoded else {
            return self.respond(
                501,
                EnhancedStatus::new(5, 5, 2),
                "Invalid base64 data",
                verb,
                vec![],
            );
        };
        let parts: Vec<&[u8]> = decoded.split(|&b| b == 0).collect();
        let found = match parts.as_slice() {
            [authzid, user, pass] if authzid.is_empty() || authzid == user => self
                .policy
                .accounts
                .iter()
                .find(|a| a.username.as_bytes() == *user && a.password.as_bytes() == *pass)
                .map(|a| a.username.clone()),
            _ => None,
        };
        match found {
            Some(username) => {
                self.respond(
                    235,
                    EnhancedStatus::new(2, 7, 0),
                    "Authentication successful",
                    verb,
                    vec![],
                );
                self.events.push_back(ServerEvent::Authenticated {
                    username: username.clone(),
                    under_tls: self.under_tls(),
                });
                let mut session = session;
                session.auth = Some(self.learnt(username));
                self.state = ServerState::Ready { session };
            }
            None => self.respond(
                535,
                EnhancedStatus::new(5, 7, 8),
                "Authentication credentials invalid",
                verb,
                vec![],
            ),
        }
    }
}
