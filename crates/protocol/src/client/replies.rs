//! The client's decisions on each reply: what comes next in the script, when to use
//! STARTTLS (STRIP-DEFENSE), and what to do on 454, 530 and 554. Each decision names
//! its trigger; the row of [`TRANSITIONS`](super::TRANSITIONS) for it gives the next
//! state and the rules.

use super::state::{ClientTrigger as T, Next};
use super::*;

/// How the client came to choose its next command after a greeting-like reply.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Via {
    /// A 250 reply to EHLO.
    Ehlo,
    /// A 250 reply to HELO.
    Helo,
    /// A handshake with the keep-knowledge teaching toggle on (the old list is reused).
    TlsKept,
}

impl Client {
    pub(super) fn handle_reply(&mut self, reply: Reply) {
        let under_tls = self.tls.is_active();
        self.events.push_back(ClientEvent::ReplyReceived {
            reply: reply.clone(),
            under_tls,
        });
        if reply.code == 421 {
            self.finish(
                ClientOutcome::Aborted {
                    reason: format!("421 {}", reply.text()),
                },
                T::Reply421,
            );
            return;
        }
        let code = reply.code;
        match &self.state {
            ClientState::AwaitGreeting => {
                if code == 220 {
                    self.greeting = Some(self.learnt(reply));
                    let ehlo = Command::Ehlo {
                        domain: self.script.ehlo_name.clone(),
                    };
                    self.send_command(ehlo, vec![]);
                    self.goto(T::Greeting, ClientState::AwaitEhlo);
                } else {
                    self.quit(Self::refused(None, &reply), T::GreetingRefused);
                }
            }
            ClientState::AwaitEhlo => {
                if code == 250 {
                    match EhloReply::from_reply(&reply) {
                        Ok(ehlo) => {
                            if under_tls && ehlo.has("STARTTLS") {
                                self.events
                                    .push_back(ClientEvent::StarttlsAdvertisedUnderTls {
                                        rules: vec![R::NoStarttlsAfter, R::NoTlsTwice],
                                    });
                            }
                            self.ehlo = Some(self.learnt(ehlo));
                            self.after_ehlo(Via::Ehlo);
                        }
                        Err(e) => self.violation(e),
                    }
                } else if code / 100 == 5 && !matches!(code, 530 | 554) {
                    let helo = Command::Helo {
                        domain: self.script.ehlo_name.clone(),
                    };
                    self.send_command(helo, vec![]);
                    self.goto(T::EhloRefused, ClientState::AwaitHelo);
                } else {
                    self.quit(Self::refused(Some(Verb::Ehlo), &reply), T::EhloFailed);
                }
            }
            ClientState::AwaitHelo => {
                if code / 100 == 2 {
                    self.ehlo = None;
                    self.after_ehlo(Via::Helo);
                } else {
                    self.quit(Self::refused(Some(Verb::Helo), &reply), T::HeloRefused);
                }
            }
            ClientState::AwaitStarttls => self.starttls_reply(&reply),
            ClientState::AwaitAuth => {
                if code / 100 == 2 {
                    self.authenticated = true;
                    self.start_transaction(T::AuthAccepted);
                } else if code == 530 && self.can_starttls() {
                    self.send_starttls(T::Auth530);
                } else {
                    self.quit(Self::refused(Some(Verb::Auth), &reply), T::AuthRefused);
                }
            }
            ClientState::Transaction(_) => self.transaction_reply(&reply),
            ClientState::AwaitDataEnd { accepted, rejected } => {
                let outcome = if code / 100 == 2 && !accepted.is_empty() {
                    ClientOutcome::Delivered {
                        accepted: accepted.clone(),
                        rejected: rejected.clone(),
                        under_tls,
                        authenticated: self.authenticated,
                    }
                } else {
                    Self::refused(Some(Verb::Data), &reply)
                };
                self.quit(outcome, T::DataEnd);
            }
            ClientState::AwaitQuit { outcome } => {
                let outcome = outcome.clone();
                self.finish(outcome, T::QuitReply);
            }
            ClientState::TlsHandshake | ClientState::Closed { .. } => {}
        }
    }

    pub(super) fn pipelining_in_use(&self) -> bool {
        self.policy.pipelining
            && self
                .ehlo
                .as_ref()
                .is_some_and(|e| e.value.has("PIPELINING"))
    }

    pub(super) fn can_starttls(&self) -> bool {
        self.policy.effective_tls_mode() != TlsMode::Never
            && !self.tls.is_active()
            && !self.starttls_refused
    }

    pub(super) fn warn_if_remembered(&mut self) {
        let peer = &self.policy.expected_server_name;
        if self
            .policy
            .remembered_tls_peers
            .iter()
            .any(|p| p.eq_ignore_ascii_case(peer))
        {
            self.events.push_back(ClientEvent::TlsDowngradeWarning {
                peer: peer.clone(),
                rules: vec![R::RecordTls],
            });
        }
    }

    /// After the EHLO (or HELO) reply: STARTTLS, AUTH, MAIL or QUIT, by policy.
    pub(super) fn after_ehlo(&mut self, via: Via) {
        if self.tls.is_active() {
            let on: fn(Next) -> T = match via {
                Via::TlsKept => T::TlsEstablishedKept,
                Via::Ehlo => T::EhloUnderTls,
                Via::Helo => T::HeloAccepted,
            };
            if via != Via::Helo
                && self.policy.teaching.send_starttls_twice
                && !self.second_starttls_sent
            {
                self.second_starttls_sent = true;
                self.events.push_back(ClientEvent::RuleBroken {
                    rule: R::NoTlsTwice,
                    detail: "STARTTLS sent while TLS is already active".into(),
                });
                self.send_starttls(on(Next::Starttls));
            } else {
                self.proceed(on);
            }
            return;
        }
        let accepted: fn(Next) -> T = if via == Via::Helo {
            T::HeloAccepted
        } else {
            T::EhloAccepted
        };
        let mode = self.policy.effective_tls_mode();
        let advertised = self.ehlo.as_ref().is_some_and(|e| e.value.has("STARTTLS"));
        if mode == TlsMode::Never {
            self.proceed(if advertised {
                T::TlsNotWanted
            } else {
                accepted
            });
            return;
        }
        if advertised {
            if self.starttls_refused {
                self.proceed(accepted);
            } else {
                self.send_starttls(accepted(Next::Starttls));
            }
            return;
        }
        self.warn_if_remembered();
        let missing: fn(Next) -> T = if via == Via::Helo {
            T::HeloWithoutStarttls
        } else {
            T::StarttlsNotAdvertised
        };
        let decision = if mode == TlsMode::Required {
            TlsFallback::Quit
        } else {
            TlsFallback::ContinueInClear
        };
        self.events.push_back(ClientEvent::TlsNotUsed {
            reply_code: None,
            decision,
        });
        if decision == TlsFallback::Quit {
            let outcome = ClientOutcome::TlsUnavailable {
                reason: "the EHLO reply it received does not list STARTTLS".into(),
            };
            self.quit(outcome, missing(Next::Quit));
            return;
        }
        self.proceed(missing);
    }

    pub(super) fn send_starttls(&mut self, on: T) {
        self.send_command(Command::StartTls, vec![]);
        self.goto(on, ClientState::AwaitStarttls);
    }

    pub(super) fn starttls_reply(&mut self, reply: &Reply) {
        let code = reply.code;
        if code == 220 {
            self.tls = TlsState::Handshaking;
            self.goto(T::Starttls220, ClientState::TlsHandshake);
            let range = self.inbox.pending_range();
            self.events.push_back(ClientEvent::StartTls {
                buffered_plaintext: range,
                discard_at_handshake: !self.policy.teaching.accept_replies_buffered_after_220,
            });
            return;
        }
        if self.tls.is_active() {
            // The answer to a second STARTTLS (teaching toggle): carry on under the first TLS.
            self.proceed(T::SecondStarttlsRefused);
            return;
        }
        self.starttls_refused = true;
        self.warn_if_remembered();
        let required = self.policy.effective_tls_mode() == TlsMode::Required;
        let decision = if required || code == 554 {
            TlsFallback::Quit
        } else {
            self.policy.on_454
        };
        self.events.push_back(ClientEvent::TlsNotUsed {
            reply_code: Some(code),
            decision,
        });
        let on: fn(Next) -> T = if code == 454 {
            T::Starttls454
        } else {
            T::StarttlsRefused
        };
        match decision {
            TlsFallback::Quit => {
                let trigger = match (required, code) {
                    (true, 454) => T::Starttls454Required,
                    (true, _) => T::StarttlsRefusedRequired,
                    (false, _) => on(Next::Quit),
                };
                let outcome = if code == 554 {
                    Self::refused(Some(Verb::StartTls), reply)
                } else {
                    ClientOutcome::TlsUnavailable {
                        reason: format!("STARTTLS answered {}", reply),
                    }
                };
                self.quit(outcome, trigger);
            }
            TlsFallback::ContinueInClear => self.proceed(on),
        }
    }

    /// AUTH if the script asks for it and it is offered (and safe), else the transaction.
    pub(super) fn proceed(&mut self, on: fn(Next) -> T) {
        if let Some(creds) = self.script.auth.clone()
            && !self.authenticated
        {
            let offered = self
                .ehlo
                .as_ref()
                .is_some_and(|e| e.value.offers_auth_plain());
            let tls_ok = self.tls.is_active() || self.policy.allow_auth_without_tls;
            if offered && tls_ok {
                let mut raw = vec![0u8];
                raw.extend_from_slice(creds.username.as_bytes());
                raw.push(0);
                raw.extend_from_slice(creds.password.as_bytes());
                let command = Command::AuthPlain {
                    initial_response: Some(crate::base64::encode(&raw)),
                };
                self.send_command(command, vec![]);
                self.goto(on(Next::Auth), ClientState::AwaitAuth);
                return;
            }
            let reason = if !offered {
                "the server does not offer AUTH PLAIN"
            } else {
                "AUTH PLAIN would send the password in the clear"
            };
            self.events.push_back(ClientEvent::AuthSkipped {
                reason: reason.into(),
            });
        }
        self.start_transaction(on(Next::Mail));
    }
}
