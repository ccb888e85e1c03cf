//! The client's configuration ([`ClientPolicy`]) and what it is to send ([`ClientScript`]).
//! [`ClientPolicy::default`] is compliant: opportunistic TLS, as RFC 3207 §6 asks
//! to be offered, with requirements configurable per peer.

use crate::command::{check_ehlo_domain, check_mailbox};
use crate::error::ConfigError;
use crate::tls::TlsVersion;
use serde::{Deserialize, Serialize};

/// When the client uses STARTTLS ([`RuleId::StripDefense`]).
///
/// [`RuleId::StripDefense`]: crate::rules::RuleId::StripDefense
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TlsMode {
    /// Never send STARTTLS.
    Never,
    /// "TLS when possible": STARTTLS when advertised, else go on in the clear
    /// (what an attacker deleting `250-STARTTLS` exploits).
    #[default]
    Opportunistic,
    /// Require a successful TLS negotiation: without it, QUIT before any mail.
    Required,
}

/// What the client does when TLS cannot be had: a `454` reply, a refused STARTTLS,
/// or no STARTTLS advertised ([`RuleId::Client454Decide`]). With [`TlsMode::Required`]
/// the answer is always [`TlsFallback::Quit`].
///
/// [`RuleId::Client454Decide`]: crate::rules::RuleId::Client454Decide
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TlsFallback {
    /// Go on with the session in the clear.
    #[default]
    ContinueInClear,
    /// Send QUIT (and retry later, or bounce the mail: the caller's choice).
    Quit,
}

/// Teaching toggles that reproduce real client bugs; all off by default. Each
/// breaks the rule named in its doc comment, and the client says so in an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientTeaching {
    /// Keep the greeting and the extension list learnt in the clear, and skip the
    /// EHLO after TLS. Breaks [`RuleId::ClientDiscard`] and [`RuleId::ClientEhloAgain`].
    ///
    /// [`RuleId::ClientDiscard`]: crate::rules::RuleId::ClientDiscard
    /// [`RuleId::ClientEhloAgain`]: crate::rules::RuleId::ClientEhloAgain
    pub keep_pre_tls_knowledge: bool,
    /// Read replies that arrived after the `220` and before the handshake as if they
    /// came under TLS (response injection). Breaks [`RuleId::ClientDiscard`].
    ///
    /// [`RuleId::ClientDiscard`]: crate::rules::RuleId::ClientDiscard
    pub accept_replies_buffered_after_220: bool,
    /// Send STARTTLS again once TLS is active. Breaks [`RuleId::NoTlsTwice`].
    ///
    /// [`RuleId::NoTlsTwice`]: crate::rules::RuleId::NoTlsTwice
    pub send_starttls_twice: bool,
}

/// The client's configuration. Serializable so that a scenario can store it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientPolicy {
    /// When to use STARTTLS.
    pub tls: TlsMode,
    /// Peers (by [`Self::expected_server_name`]) for which TLS is required whatever
    /// [`Self::tls`] says: "require TLS for selected hosts" ([`RuleId::StripDefense`]).
    ///
    /// [`RuleId::StripDefense`]: crate::rules::RuleId::StripDefense
    pub require_tls_for: Vec<String>,
    /// The host the client means to reach, e.g. the MX host name ([`RuleId::CertName`]).
    ///
    /// [`RuleId::CertName`]: crate::rules::RuleId::CertName
    pub expected_server_name: String,
    /// Whether a TLS session whose server certificate is unverified, or does not name
    /// [`Self::expected_server_name`], is good enough ([`RuleId::DecideAfter`]). If not,
    /// the client QUITs right after the handshake ([`RuleId::ClientQuitInsecure`]).
    ///
    /// [`RuleId::DecideAfter`]: crate::rules::RuleId::DecideAfter
    /// [`RuleId::ClientQuitInsecure`]: crate::rules::RuleId::ClientQuitInsecure
    pub accept_unauthenticated_tls: bool,
    /// The oldest acceptable TLS version; `None` accepts any.
    pub min_tls_version: Option<TlsVersion>,
    /// What to do on `454` or a refused STARTTLS ([`RuleId::Client454Decide`]).
    ///
    /// [`RuleId::Client454Decide`]: crate::rules::RuleId::Client454Decide
    pub on_454: TlsFallback,
    /// Pipeline MAIL, RCPT and DATA when the server offers PIPELINING (RFC 2920).
    /// STARTTLS always ends its group ([`RuleId::PipelineLast`]).
    ///
    /// [`RuleId::PipelineLast`]: crate::rules::RuleId::PipelineLast
    pub pipelining: bool,
    /// Peers known to have used TLS before; the client warns when one of them does
    /// not offer it now ([`RuleId::RecordTls`]).
    ///
    /// [`RuleId::RecordTls`]: crate::rules::RuleId::RecordTls
    pub remembered_tls_peers: Vec<String>,
    /// Whether AUTH PLAIN may be sent without TLS (off: the password is never sent in the clear).
    pub allow_auth_without_tls: bool,
    /// Teaching toggles (all off by default).
    pub teaching: ClientTeaching,
}

impl Default for ClientPolicy {
    fn default() -> Self {
        ClientPolicy {
            tls: TlsMode::Opportunistic,
            require_tls_for: Vec::new(),
            expected_server_name: "mx.example.net".into(),
            accept_unauthenticated_tls: true,
            min_tls_version: None,
            on_454: TlsFallback::ContinueInClear,
            pipelining: true,
            remembered_tls_peers: Vec::new(),
            allow_auth_without_tls: false,
            teaching: ClientTeaching::default(),
        }
    }
}

impl ClientPolicy {
    /// A client that requires TLS with a certificate naming `server_name`.
    pub fn strict(server_name: &str) -> Self {
        ClientPolicy {
            tls: TlsMode::Required,
            expected_server_name: server_name.into(),
            accept_unauthenticated_tls: false,
            ..ClientPolicy::default()
        }
    }

    /// The TLS mode for this connection: [`TlsMode::Required`] if the expected server
    /// is in [`Self::require_tls_for`], else [`Self::tls`].
    pub fn effective_tls_mode(&self) -> TlsMode {
        let listed = self
            .require_tls_for
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&self.expected_server_name));
        if listed { TlsMode::Required } else { self.tls }
    }
}

/// AUTH PLAIN credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// The authentication identity.
    pub username: String,
    /// The password.
    pub password: String,
}

/// What the client sends: its EHLO name, the envelope and the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientScript {
    /// The EHLO argument.
    pub ehlo_name: String,
    /// The reverse-path (empty for `<>`).
    pub mail_from: String,
    /// The forward-paths, at least one.
    pub rcpt_to: Vec<String>,
    /// The message (header and body); line ends are normalised to CRLF and dots stuffed.
    pub body: String,
    /// Credentials for AUTH PLAIN, if the client should authenticate.
    pub auth: Option<Credentials>,
}

impl Default for ClientScript {
    fn default() -> Self {
        ClientScript {
            ehlo_name: "client.example.org".into(),
            mail_from: "alice@example.org".into(),
            rcpt_to: vec!["bob@example.net".into()],
            body: "Subject: Hello\r\n\r\nHello Bob.\r\n".into(),
            auth: None,
        }
    }
}

impl ClientScript {
    /// Checks the script: valid EHLO name and addresses, at least one recipient.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_ehlo_domain(&self.ehlo_name).map_err(|_| ConfigError::BadDomain {
            field: "ehlo_name".into(),
            value: self.ehlo_name.clone(),
        })?;
        let bad = |a: &str, d: String| ConfigError::BadAddress {
            address: a.to_string(),
            detail: d,
        };
        if !self.mail_from.is_empty() {
            check_mailbox(&self.mail_from).map_err(|d| bad(&self.mail_from, d))?;
        }
        if self.rcpt_to.is_empty() {
            return Err(bad("", "at least one recipient is needed".into()));
        }
        for r in &self.rcpt_to {
            if !r.eq_ignore_ascii_case("postmaster") {
                check_mailbox(r).map_err(|d| bad(r, d))?;
            }
        }
        if let Some(c) = &self.auth {
            crate::server::policy_check_text("auth.username", &c.username)?;
            crate::server::policy_check_text("auth.password", &c.password)?;
        }
        Ok(())
    }
}
