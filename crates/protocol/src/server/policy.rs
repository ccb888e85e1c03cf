//! The server's configuration. [`ServerPolicy::default`] is a compliant,
//! publicly-referenced MX with opportunistic STARTTLS.

use crate::command::check_domain;
use crate::error::ConfigError;
use crate::reply::Extension;
use crate::tls::TlsVersion;
use serde::{Deserialize, Serialize};

/// Whether and how the server offers STARTTLS ([`RuleId::ExtKeyword`], [`RuleId::Cmd454`]).
///
/// [`RuleId::ExtKeyword`]: crate::rules::RuleId::ExtKeyword
/// [`RuleId::Cmd454`]: crate::rules::RuleId::Cmd454
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum StarttlsOffer {
    /// STARTTLS is advertised before TLS and answered with `220` (while
    /// [`Server::set_tls_available`](crate::server::Server::set_tls_available) has not
    /// switched TLS off).
    #[default]
    Offered,
    /// The server has no TLS: STARTTLS is not advertised and the command gets
    /// `502 5.5.1 Command not implemented`, as Postfix answers when TLS is off.
    NotOffered,
    /// TLS is temporarily unavailable: STARTTLS is not advertised (the keyword means
    /// "able to negotiate TLS now", [`RuleId::ExtKeyword`]) and the command gets `454`.
    ///
    /// [`RuleId::ExtKeyword`]: crate::rules::RuleId::ExtKeyword
    TemporarilyUnavailable,
    /// STARTTLS was advertised, but TLS fails by the time the command arrives (for
    /// example the key cannot be loaded): the command gets `454`
    /// ([`RuleId::Cmd454`]). This is the case a client's 454 policy is for.
    ///
    /// [`RuleId::Cmd454`]: crate::rules::RuleId::Cmd454
    AdvertisedButUnavailable,
}

/// How the server answers STARTTLS while TLS is already active. Real servers differ;
/// a compliant client never sends it ([`RuleId::NoTlsTwice`]).
///
/// [`RuleId::NoTlsTwice`]: crate::rules::RuleId::NoTlsTwice
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SecondStarttlsReply {
    /// `503 5.5.1 Bad sequence of commands: TLS already active` (default).
    ///
    /// RFC 3207 names no reply for this case. The command is known and implemented
    /// but out of sequence, which RFC 5321 §4.2.4 answers with `503 Bad sequence of
    /// commands`; RFC 3463 §3.6 code X.5.1 ("Invalid command ... out of sequence")
    /// fits, and 5xx is right because repeating the command cannot succeed.
    #[default]
    BadSequence503,
    /// Postfix: `554 5.5.1 Error: TLS already active`.
    Postfix554,
    /// OpenSMTPD: `503 5.5.1 Invalid command: Channel already secured`.
    OpenSmtpd503,
    /// aiosmtpd: its STARTTLS handler does not check for an active TLS layer and
    /// answers `220 Ready to start TLS`, asking for a second handshake inside the first.
    /// RFC 3207 names no reply for this case; shown for teaching.
    Aiosmtpd220,
}

/// What the server demands of a TLS session ([`RuleId::DecideAfter`], [`RuleId::Server554`]).
///
/// [`RuleId::DecideAfter`]: crate::rules::RuleId::DecideAfter
/// [`RuleId::Server554`]: crate::rules::RuleId::Server554
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerSecurityPolicy {
    /// The oldest acceptable TLS version; `None` accepts any.
    pub min_tls_version: Option<TlsVersion>,
    /// Whether the client must present a certificate that the server verified.
    pub require_client_certificate: bool,
}

/// A mailbox account for AUTH PLAIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The authentication identity.
    pub username: String,
    /// The password.
    pub password: String,
}

/// Teaching toggles that reproduce real bugs. All are off by default; each one,
/// when on, makes the server break the rule named in its doc comment, and the
/// server says so in an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerTeaching {
    /// Interpret plaintext received after STARTTLS (and before the handshake) as if it
    /// had come under TLS: the command-injection bug of CVE-2011-0411 (Postfix and
    /// others) and CVE-2021-33515 (Dovecot). Breaks [`RuleId::ServerDiscard`].
    ///
    /// [`RuleId::ServerDiscard`]: crate::rules::RuleId::ServerDiscard
    pub process_plaintext_after_starttls: bool,
    /// Keep the EHLO name, the envelope and the session learnt before TLS.
    /// Breaks [`RuleId::ServerDiscard`] and [`RuleId::Reset`].
    ///
    /// [`RuleId::ServerDiscard`]: crate::rules::RuleId::ServerDiscard
    /// [`RuleId::Reset`]: crate::rules::RuleId::Reset
    pub keep_pre_tls_knowledge: bool,
    /// List STARTTLS in EHLO replies under TLS. Breaks [`RuleId::NoStarttlsAfter`].
    ///
    /// [`RuleId::NoStarttlsAfter`]: crate::rules::RuleId::NoStarttlsAfter
    pub advertise_starttls_after_tls: bool,
}

/// The server's configuration. Serializable so that a scenario can store it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerPolicy {
    /// The server's host name, first word of the greeting and of the EHLO reply.
    pub hostname: String,
    /// Greeting text after the host name: `220 <hostname> <greeting>`.
    pub greeting: String,
    /// Text after the host name on the first line of the EHLO reply.
    pub ehlo_greeting: String,
    /// Extensions advertised before TLS. STARTTLS is advertised according to
    /// [`Self::starttls`]: at the place of a `STARTTLS` entry here, else last.
    pub extensions_before_tls: Vec<Extension>,
    /// Extensions advertised under TLS; may differ ([`RuleId::ExtMayDiffer`]). A STARTTLS
    /// entry here is dropped ([`RuleId::NoStarttlsAfter`]) unless the teaching toggle is on.
    ///
    /// [`RuleId::ExtMayDiffer`]: crate::rules::RuleId::ExtMayDiffer
    /// [`RuleId::NoStarttlsAfter`]: crate::rules::RuleId::NoStarttlsAfter
    pub extensions_after_tls: Vec<Extension>,
    /// Whether STARTTLS is offered.
    pub starttls: StarttlsOffer,
    /// Require TLS before mail: `530` to all but NOOP, EHLO, STARTTLS and QUIT
    /// ([`RuleId::Require530`], [`RuleId::StripDefense`]).
    ///
    /// [`RuleId::Require530`]: crate::rules::RuleId::Require530
    /// [`RuleId::StripDefense`]: crate::rules::RuleId::StripDefense
    pub require_tls: bool,
    /// The server is publicly referenced (port 25, named by MX). Together with
    /// [`Self::require_tls`] this is invalid ([`RuleId::PublicNoRequire`]).
    ///
    /// [`RuleId::PublicNoRequire`]: crate::rules::RuleId::PublicNoRequire
    pub publicly_referenced: bool,
    /// What a TLS session must achieve.
    pub security: ServerSecurityPolicy,
    /// The reply to STARTTLS under TLS.
    pub second_starttls: SecondStarttlsReply,
    /// Accounts accepted by AUTH PLAIN (offered where the extension lists say `AUTH PLAIN`).
    pub accounts: Vec<Account>,
    /// Teaching toggles (all off by default).
    pub teaching: ServerTeaching,
}

impl Default for ServerPolicy {
    fn default() -> Self {
        let common = vec![
            Extension::keyword("PIPELINING"),
            Extension::new("SIZE", &["10240000"]),
            Extension::keyword("8BITMIME"),
            Extension::keyword("ENHANCEDSTATUSCODES"),
        ];
        let mut after = common.clone();
        after.push(Extension::new("AUTH", &["PLAIN"]));
        ServerPolicy {
            hostname: "mx.example.net".into(),
            greeting: "ESMTP service ready".into(),
            ehlo_greeting: "at your service".into(),
            extensions_before_tls: common,
            extensions_after_tls: after,
            starttls: StarttlsOffer::Offered,
            require_tls: false,
            publicly_referenced: true,
            security: ServerSecurityPolicy::default(),
            second_starttls: SecondStarttlsReply::default(),
            accounts: Vec::new(),
            teaching: ServerTeaching::default(),
        }
    }
}

pub(crate) fn check_text(field: &str, text: &str) -> Result<(), ConfigError> {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        Ok(())
    } else {
        Err(ConfigError::BadText {
            field: field.to_string(),
        })
    }
}

impl ServerPolicy {
    /// A policy for a server that is not publicly referenced (e.g. a submission
    /// server) and requires TLS.
    pub fn requiring_tls() -> Self {
        ServerPolicy {
            require_tls: true,
            publicly_referenced: false,
            ..ServerPolicy::default()
        }
    }

    /// Checks the configuration ([`RuleId::PublicNoRequire`] and well-formedness).
    ///
    /// [`RuleId::PublicNoRequire`]: crate::rules::RuleId::PublicNoRequire
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.publicly_referenced && self.require_tls {
            return Err(ConfigError::PublicServerRequiresTls);
        }
        if self.require_tls && self.starttls == StarttlsOffer::NotOffered {
            return Err(ConfigError::RequireWithoutStarttls);
        }
        check_domain(&self.hostname).map_err(|_| ConfigError::BadDomain {
            field: "hostname".into(),
            value: self.hostname.clone(),
        })?;
        check_text("greeting", &self.greeting)?;
        check_text("ehlo_greeting", &self.ehlo_greeting)?;
        for ext in self
            .extensions_before_tls
            .iter()
            .chain(&self.extensions_after_tls)
        {
            if !Extension::is_valid_keyword(&ext.keyword) {
                return Err(ConfigError::BadExtension {
                    keyword: ext.keyword.clone(),
                });
            }
            for p in &ext.params {
                if p.is_empty() || !p.bytes().all(|b| (33..127).contains(&b)) {
                    return Err(ConfigError::BadExtension {
                        keyword: format!("{} {p}", ext.keyword),
                    });
                }
            }
        }
        Ok(())
    }
}
