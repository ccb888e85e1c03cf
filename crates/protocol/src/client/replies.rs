//! The client's decisions on each reply: what comes next in the script, when to use
//! STARTTLS (STRIP-DEFENSE, PIPELINE-LAST), and what to do on 454, 530 and 554.

use super::*;

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
                state::ON_421,
            );
            return;
        }
        let on = on_reply(reply.code);
        let code = reply.code;
        match &self.state {
            ClientState::AwaitGreeting => {
                if code == 220 {
                    self.greeting = Some(self.learnt(reply));
                    let ehlo = Command::Ehlo {
                        domain: self.script.ehlo_name.clone(),
                    };
                    self.send_command(ehlo, vec![]);
                    self.goto(on, ClientState::AwaitEhlo);
                } else {
                    self.quit(Self::refused(None, &reply), on, vec![]);
                }
            }
            ClientState::AwaitEhlo => {
                if code == 250 {
                    match EhloReply::from_reply(&reply) {
                        Ok(ehlo) => {
                            if under_tls && ehlo.has("STARTTLS") {
                                self.events
                                    .push_back(ClientEvent::StarttlsAdvertisedUnderTls {
                                        rules: vec![R::NoStarttlsAfter],
                                    });
                            }
                            self.ehlo = Some(self.learnt(ehlo));
                            self.after_ehlo(on);
                        }
                        Err(e) => self.violation(e),
                    }
                } else if code / 100 == 5 && !matches!(code, 530 | 554) {
                    let helo = Command::Helo {
                        domain: self.script.ehlo_name.clone(),
                    };
                    self.send_command(helo, vec![]);
                    self.goto(on, ClientState::AwaitHelo);
                } else {
                    self.quit(Self::refused(Some(Verb::Ehlo), &reply), on, vec![]);
                }
            }
            ClientState::AwaitHelo => {
                if code / 100 == 2 {
                    self.ehlo = None;
                    self.after_ehlo(on);
                } else {
                    self.quit(Self::refused(Some(Verb::Helo), &reply), on, vec![]);
                }
            }
            ClientState::AwaitStarttls => self.starttls_reply(&reply, on),
            ClientState::AwaitAuth => {
                if code / 100 == 2 {
                    self.authenticated = true;
                    self.start_transaction(on);
                } else if code == 530 && self.can_starttls() {
                    self.send_starttls(on);
                } else {
                    self.quit(Self::refused(Some(Verb::Auth), &reply), on, vec![]);
                }
            }
            ClientState::Transaction(_) => self.transaction_reply(&reply, on),
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
                self.quit(outcome, on, vec![]);
            }
            ClientState::AwaitQuit { outcome } => {
                let outcome = outcome.clone();
                self.finish(outcome, on);
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

    pub(super) fn after_ehlo(&mut self, on: &'static str) {
        if self.tls.is_active() {
            if self.policy.teaching.send_starttls_twice && !self.second_starttls_sent {
                self.second_starttls_sent = true;
                self.events.push_back(ClientEvent::RuleBroken {
                    rule: R::NoTlsTwice,
                    detail: "STARTTLS sent while TLS is already active".into(),
                });
                self.send_starttls(on);
            } else {
                self.proceed(on);
            }
            return;
        }
        let mode = self.policy.effective_tls_mode();
        if mode == TlsMode::Never {
            self.proceed(on);
            return;
        }
        let advertised = self.ehlo.as_ref().is_some_and(|e| e.value.has("STARTTLS"));
        if advertised && !self.starttls_refused {
            self.send_starttls(on);
            return;
        }
        if !advertised {
            self.warn_if_remembered();
            let decision = if mode == TlsMode::Required {
                TlsFallback::Quit
            } else {
                TlsFallback::ContinueInClear
            };
            self.events.push_back(ClientEvent::TlsNotUsed {
                reply_code: None,
                decision,
                rules: vec![R::StripDefense],
            });
            if decision == TlsFallback::Quit {
                let outcome = ClientOutcome::TlsUnavailable {
                    reason: "TLS is required but the server did not advertise STARTTLS".into(),
                };
                self.quit(outcome, on, vec![R::StripDefense]);
                return;
            }
        }
        self.proceed(on);
    }

    pub(super) fn send_starttls(&mut self, on: &'static str) {
        let rules = if self.pipelining_in_use() {
            vec![R::PipelineLast]
        } else {
            vec![]
        };
        self.send_command(Command::StartTls, rules);
        self.goto(on, ClientState::AwaitStarttls);
    }

    pub(super) fn starttls_reply(&mut self, reply: &Reply, on: &'static str) {
        let code = reply.code;
        if code == 220 {
            self.tls = TlsState::Handshaking;
            self.goto(on, ClientState::TlsHandshake);
            let range = self.inbox.pending_range();
            self.events.push_back(ClientEvent::StartTls {
                buffered_plaintext: range,
                rules: vec![R::Cmd220, R::ClientHandshakeNext],
            });
            return;
        }
        if self.tls.is_active() {
            // The answer to a second STARTTLS (teaching toggle): carry on under the first TLS.
            self.proceed(on);
            return;
        }
        self.starttls_refused = true;
        self.warn_if_remembered();
        let mode = self.policy.effective_tls_mode();
        let decision = if mode == TlsMode::Required || code == 554 {
            TlsFallback::Quit
        } else {
            self.policy.on_454
        };
        let mut rules = vec![R::Client454Decide];
        if code == 454 {
            rules.push(R::Cmd454);
        }
        if mode == TlsMode::Required {
            rules.push(R::StripDefense);
        }
        self.events.push_back(ClientEvent::TlsNotUsed {
            reply_code: Some(code),
            decision,
            rules: rules.clone(),
        });
        match decision {
            TlsFallback::Quit if code == 554 => {
                self.quit(Self::refused(Some(Verb::StartTls), reply), on, rules);
            }
            TlsFallback::Quit => {
                let outcome = ClientOutcome::TlsUnavailable {
                    reason: format!("STARTTLS answered {}", reply),
                };
                self.quit(outcome, on, rules);
            }
            TlsFallback::ContinueInClear => self.proceed(on),
        }
    }

    pub(super) fn proceed(&mut self, on: &'static str) {
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
                self.goto(on, ClientState::AwaitAuth);
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
        self.start_transaction(on);
    }
}
