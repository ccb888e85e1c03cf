//! The rules catalogue: one stable identifier per rule, with its RFC section,
//! requirement level and a paraphrase of the RFC text.
//!
//! The catalogue rules come from `rfc3207-rules.md` (RFC 3207, February 2002).
//! A handful of supplementary rules from RFC 5321 and RFC 2034 are listed too,
//! because the machines cite them for the SMTP decisions that are not about
//! STARTTLS (line limits, reply codes, dot-stuffing); [`Rule::catalogue`] tells
//! the two apart.
//!
//! Every event the machines emit carries the [`RuleId`]s it applies, and a UI can
//! render a citation from [`ALL`] (or [`RuleId::rule`]). Both serialize with serde;
//! a [`RuleId`] serializes as its stable text form, e.g. `"REQUIRE-530"`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which machine a rule binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The SMTP server (the receiving MTA).
    Server,
    /// The SMTP client (the sending MTA or mail user agent).
    Client,
    /// Both machines.
    Both,
}

/// The RFC 2119 requirement level of a rule, or `-` when the RFC states a fact
/// or a format rather than a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Level {
    /// RFC 2119 MUST.
    #[serde(rename = "MUST")]
    Must,
    /// RFC 2119 MUST NOT.
    #[serde(rename = "MUST NOT")]
    MustNot,
    /// RFC 2119 SHOULD.
    #[serde(rename = "SHOULD")]
    Should,
    /// RFC 2119 MAY.
    #[serde(rename = "MAY")]
    May,
    /// No requirement keyword: a definition, a format or a description.
    #[serde(rename = "-")]
    Description,
}

impl Level {
    /// The level as written in the catalogue (`MUST`, `MUST NOT`, `SHOULD`, `MAY`, `-`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::MustNot => "MUST NOT",
            Level::Should => "SHOULD",
            Level::May => "MAY",
            Level::Description => "-",
        }
    }
}

macro_rules! rule_ids {
    ($( $(#[$doc:meta])* $variant:ident = $text:literal ),+ $(,)?) => {
        /// The stable identifier of one rule. Serializes as its text form (`"CMD-220"`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum RuleId {
            $( $(#[$doc])* #[serde(rename = $text)] $variant, )+
        }

        impl RuleId {
            /// Every identifier, in catalogue order.
            pub const EVERY: &'static [RuleId] = &[ $( RuleId::$variant, )+ ];

            /// The identifier as text, e.g. `"SERVER-DISCARD"`.
            pub fn as_str(self) -> &'static str {
                match self { $( RuleId::$variant => $text, )+ }
            }
        }
    };
}

rule_ids! {
    /// RFC 3207 §2, §3 (no level): the EHLO reply may carry the keyword `STARTTLS`,
    /// without parameters, only while the server can negotiate TLS now.
    ExtKeyword = "EXT-KEYWORD",
    /// RFC 3207 §4 (no level): the command is `STARTTLS` CRLF with no parameters;
    /// parameters get `501 Syntax error (no parameters allowed)`.
    CmdSyntax = "CMD-SYNTAX",
    /// RFC 3207 §4 (no level): `220 Ready to start TLS`; the next bytes are the TLS handshake.
    Cmd220 = "CMD-220",
    /// RFC 3207 §4 (no level): `454 TLS not available due to temporary reason`.
    Cmd454 = "CMD-454",
    /// RFC 3207 §4 (454), §6 (454 or failed negotiation), no level: the client decides by local policy.
    Client454Decide = "CLIENT-454-DECIDE",
    /// RFC 3207 §4 (MUST): after 220 the client starts the handshake before any other command;
    /// if it cannot, it SHOULD abort the connection.
    ClientHandshakeNext = "CLIENT-HANDSHAKE-NEXT",
    /// RFC 3207 §4, RFC 2920 §3.1 (lower-case "must"): with pipelining, STARTTLS is the last
    /// command of its group.
    PipelineLast = "PIPELINE-LAST",
    /// RFC 3207 §4 (MUST NOT): a publicly-referenced server must not require STARTTLS for local delivery.
    PublicNoRequire = "PUBLIC-NO-REQUIRE",
    /// RFC 3207 §4 (SHOULD): a server requiring TLS answers every command but NOOP, EHLO,
    /// STARTTLS and QUIT with `530 Must issue a STARTTLS command first`.
    Require530 = "REQUIRE-530",
    /// RFC 3207 §4, RFC 2034 (SHOULD): with ENHANCEDSTATUSCODES that 530 carries `5.7.0`.
    Require530Esc = "REQUIRE-530-ESC",
    /// RFC 3207 §4.1 (MUST): right after the handshake each side decides whether the
    /// authentication and privacy achieved are enough.
    DecideAfter = "DECIDE-AFTER",
    /// RFC 3207 §4.1 (SHOULD): a client finding the level too low sends QUIT immediately.
    ClientQuitInsecure = "CLIENT-QUIT-INSECURE",
    /// RFC 3207 §4.1 (SHOULD): a server finding the level too low answers every command but
    /// QUIT with `554` (suggested text: "Command refused due to lack of security").
    Server554 = "SERVER-554",
    /// RFC 3207 §4.1, RFC 7817 (no level): a client would probably only want to authenticate a
    /// server whose certificate names the host it meant to reach.
    CertName = "CERT-NAME",
    /// RFC 3207 §4.2 (no level): after the handshake the SMTP session is back in its initial state.
    Reset = "RESET",
    /// RFC 3207 §4.2, §6 (MUST): the server discards what it learnt from the client outside TLS.
    ServerDiscard = "SERVER-DISCARD",
    /// RFC 3207 §4.2, §6 (MUST): the client discards what it learnt from the server outside TLS.
    ClientDiscard = "CLIENT-DISCARD",
    /// RFC 3207 §4.2 (SHOULD): the first command after the handshake is EHLO.
    ClientEhloAgain = "CLIENT-EHLO-AGAIN",
    /// RFC 3207 §4.2 (MAY): the extension list after TLS may differ from the one before.
    ExtMayDiffer = "EXT-MAY-DIFFER",
    /// RFC 3207 §4.2 (MUST NOT): an EHLO reply after the handshake does not list STARTTLS.
    NoStarttlsAfter = "NO-STARTTLS-AFTER",
    /// RFC 3207 §4.2 (MUST NOT): a client does not send STARTTLS while TLS is active.
    NoTlsTwice = "NO-TLS-TWICE",
    /// RFC 3207 §4.2 (MUST): both sides know at every moment whether TLS is active.
    BothKnowTls = "BOTH-KNOW-TLS",
    /// RFC 3207 §6 (MUST): both sides can be configured to require TLS for chosen peers;
    /// "TLS when possible" SHOULD also be offered.
    StripDefense = "STRIP-DEFENSE",
    /// RFC 3207 §6 (MAY): a client may remember that a peer used TLS and warn when it does not.
    RecordTls = "RECORD-TLS",
    /// Supplementary, RFC 5321 §4.5.3.1.4–.6 and §4.5.3.1.9: command and reply lines are at
    /// most 512 octets, text lines at most 1000, each including CRLF; `500 Line too long`.
    SmtpLineLimit = "SMTP-LINE-LIMIT",
    /// Supplementary, RFC 5321 §4.5.3.1.8, §4.5.3.1.10 (MUST): at least 100 recipients are
    /// buffered; beyond the server's limit, `452 Too many recipients`.
    SmtpRcptLimit = "SMTP-RCPT-LIMIT",
    /// Supplementary, RFC 5321 §4.1.4, §4.2.2, §4.2.4, §4.3.2: `500` unrecognised command, `501`
    /// syntax error in parameters, `502` not implemented, `503` bad sequence of commands.
    SmtpReplyCodes = "SMTP-REPLY-CODES",
    /// Supplementary, RFC 5321 §2.3.8, §2.4 (MUST): lines end in CRLF only; bare CR or LF is not a
    /// line end; commands are 7-bit ASCII.
    SmtpCrlf = "SMTP-CRLF",
    /// Supplementary, RFC 5321 §4.5.2 (no level): a text line starting with a period gets one more
    /// period before sending, and the receiver removes it; a lone period ends the data.
    SmtpDotStuffing = "SMTP-DOT-STUFFING",
    /// Supplementary, RFC 2034 §3, §4, RFC 3463: a server supporting ENHANCEDSTATUSCODES starts
    /// its 2xx/4xx/5xx reply texts with an enhanced status code, whether or not the client used
    /// EHLO; not the greeting, the HELO/EHLO replies or 3xx replies.
    Esc2034 = "ESC-2034",
}

impl RuleId {
    /// The catalogue entry for this identifier.
    pub fn rule(self) -> &'static Rule {
        // ALL lists the identifiers in the same order as RuleId::EVERY (tested).
        &ALL[self as usize]
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One catalogue entry: identifier, side, level, RFC section and a paraphrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// The stable identifier.
    pub id: RuleId,
    /// The machine the rule binds.
    pub side: Side,
    /// The RFC 2119 level.
    pub level: Level,
    /// Where the rule is written, e.g. `"RFC 3207 §4.2"`.
    pub section: &'static str,
    /// A short, faithful paraphrase of the RFC text.
    pub summary: &'static str,
    /// `true` for rules of the RFC 3207 catalogue, `false` for supplementary RFC 5321/2034 rules.
    pub catalogue: bool,
}

const fn r(
    id: RuleId,
    side: Side,
    level: Level,
    section: &'static str,
    summary: &'static str,
    catalogue: bool,
) -> Rule {
    Rule {
        id,
        side,
        level,
        section,
        summary,
        catalogue,
    }
}

use Level::*;
use RuleId as R;
use Side::*;

/// The whole catalogue, in [`RuleId::EVERY`] order. A UI renders citations from it.
pub const ALL: &[Rule] = &[
    r(
        R::ExtKeyword,
        Server,
        Description,
        "RFC 3207 §2, §3",
        "The EHLO keyword for the extension is STARTTLS and it takes no parameters; it tells the client that the server is currently able to negotiate TLS.",
        true,
    ),
    r(
        R::CmdSyntax,
        Server,
        Description,
        "RFC 3207 §4",
        "The command is \"STARTTLS\" with no parameters; a server receiving parameters replies \"501 Syntax error (no parameters allowed)\".",
        true,
    ),
    r(
        R::Cmd220,
        Server,
        Description,
        "RFC 3207 §4",
        "\"220 Ready to start TLS\": after this reply the client starts the TLS negotiation on the same connection.",
        true,
    ),
    r(
        R::Cmd454,
        Server,
        Description,
        "RFC 3207 §4",
        "\"454 TLS not available due to temporary reason\".",
        true,
    ),
    r(
        R::Client454Decide,
        Client,
        Description,
        "RFC 3207 §4 (454), §6 (454 or failed negotiation)",
        "After a 454 reply the client decides by local policy whether to continue the session (§4). After a 454 or a failed TLS negotiation it can go ahead with the SMTP session, retry TLS later (returning the mail after a local timeout), or give up and return the mail (§6). (Playground's reading: after a failed handshake the connection is gone, so going ahead means a new connection in the clear.)",
        true,
    ),
    r(
        R::ClientHandshakeNext,
        Client,
        Must,
        "RFC 3207 §4",
        "After receiving a 220 reply to STARTTLS the client MUST start the TLS negotiation before giving any other SMTP command; if some failure prevents it from starting the handshake, it SHOULD abort the connection.",
        true,
    ),
    r(
        R::PipelineLast,
        Client,
        Description,
        "RFC 3207 §4; RFC 2920 §3.1",
        "If the client uses pipelining (RFC 2920), STARTTLS must be the last command of its group (a lower-case \"must\" in RFC 3207). (Playground's reading: nothing may follow STARTTLS in the same flight.)",
        true,
    ),
    r(
        R::PublicNoRequire,
        Server,
        MustNot,
        "RFC 3207 §4",
        "A publicly-referenced SMTP server MUST NOT require STARTTLS in order to deliver mail locally. Such a server listens on port 25 of a host listed in the domain's MX record, or in its A record when there is no MX.",
        true,
    ),
    r(
        R::Require530,
        Server,
        Should,
        "RFC 3207 §4",
        "A server that is not publicly referenced and requires TLS SHOULD answer every command other than NOOP, EHLO, STARTTLS and QUIT with \"530 Must issue a STARTTLS command first\".",
        true,
    ),
    r(
        R::Require530Esc,
        Server,
        Should,
        "RFC 3207 §4; RFC 2034",
        "If client and server use ENHANCEDSTATUSCODES, the status code in that 530 reply SHOULD be 5.7.0.",
        true,
    ),
    r(
        R::DecideAfter,
        Both,
        Must,
        "RFC 3207 §4.1",
        "After the TLS handshake both parties MUST immediately decide whether to continue, based on the authentication and privacy achieved.",
        true,
    ),
    r(
        R::ClientQuitInsecure,
        Client,
        Should,
        "RFC 3207 §4.1",
        "A client that decides the level of authentication or privacy is not high enough SHOULD issue QUIT immediately after the TLS negotiation.",
        true,
    ),
    r(
        R::Server554,
        Server,
        Should,
        "RFC 3207 §4.1",
        "A server that decides the authentication or privacy achieved is not enough SHOULD answer every command except QUIT with reply code 554; RFC 3207 suggests a text such as \"Command refused due to lack of security\".",
        true,
    ),
    r(
        R::CertName,
        Client,
        Description,
        "RFC 3207 §4.1; RFC 7817",
        "Whether to believe the peer's identity is a local matter; as a general rule, a client would probably only want to authenticate a server whose certificate carries the domain name it meant to connect to (RFC 7817 makes this check precise for submission clients). (Playground's reading: the client checks the certificate against the host name it dialled.)",
        true,
    ),
    r(
        R::Reset,
        Both,
        Description,
        "RFC 3207 §4.2",
        "Upon completion of the TLS handshake the SMTP protocol is reset to the initial state, the state after the server's 220 greeting.",
        true,
    ),
    r(
        R::ServerDiscard,
        Server,
        Must,
        "RFC 3207 §4.2, §6",
        "Once the handshake completes, the server MUST discard any knowledge obtained from the client that did not come from the TLS negotiation itself, such as the EHLO argument (§4.2); both sides MUST discard what they learnt before the handshake started (§6). (Playground's reading: plaintext bytes received and buffered before the handshake are such knowledge, and are thrown away, never executed.)",
        true,
    ),
    r(
        R::ClientDiscard,
        Client,
        Must,
        "RFC 3207 §4.2, §6",
        "Once the handshake completes, the client MUST discard any knowledge obtained from the server that did not come from the TLS negotiation itself, such as the list of service extensions (§4.2); both sides MUST discard what they learnt before the handshake started (§6). (Playground's reading: this includes the greeting and any reply bytes buffered after the 220, which are never read as replies given under TLS.)",
        true,
    ),
    r(
        R::ClientEhloAgain,
        Client,
        Should,
        "RFC 3207 §4.2",
        "The client SHOULD send EHLO as the first command after a successful TLS negotiation.",
        true,
    ),
    r(
        R::ExtMayDiffer,
        Server,
        May,
        "RFC 3207 §4.2",
        "The extension list in answer to an EHLO after the handshake MAY differ from the one before it; RFC 3207's example is a SASL mechanism offered only to a client that presented a suitable certificate. (Playground's example: AUTH PLAIN offered only under TLS, as RFC 4954 allows.)",
        true,
    ),
    r(
        R::NoStarttlsAfter,
        Server,
        MustNot,
        "RFC 3207 §4.2",
        "A server MUST NOT return the STARTTLS extension in response to an EHLO received after a TLS handshake has completed.",
        true,
    ),
    r(
        R::NoTlsTwice,
        Client,
        MustNot,
        "RFC 3207 §4.2",
        "A client MUST NOT attempt to start a TLS session if a TLS session is already active.",
        true,
    ),
    r(
        R::BothKnowTls,
        Both,
        Must,
        "RFC 3207 §4.2",
        "Both the client and the server MUST know if there is a TLS session active.",
        true,
    ),
    r(
        R::StripDefense,
        Both,
        Must,
        "RFC 3207 §6",
        "To defend against an attacker who deletes the STARTTLS capability or alters the STARTTLS request and its reply, clients and servers MUST be configurable to require, for selected hosts, a successful TLS negotiation with an appropriate cipher suite before any message is transferred; using TLS when possible SHOULD also be offered.",
        true,
    ),
    r(
        R::RecordTls,
        Client,
        May,
        "RFC 3207 §6",
        "An implementation MAY record that TLS was used with a given peer and warn if it is not used in a later session.",
        true,
    ),
    r(
        R::SmtpLineLimit,
        Both,
        Description,
        "RFC 5321 §4.5.3.1.4-6, §4.5.3.1.9",
        "A command line is at most 512 octets and a reply line at most 512, a text line at most 1000, all including CRLF; exceeding a limit may be reported as \"500 Line too long\".",
        false,
    ),
    r(
        R::SmtpRcptLimit,
        Server,
        Must,
        "RFC 5321 §4.5.3.1.8, §4.5.3.1.10",
        "A server MUST be able to buffer at least 100 recipients; when its implementation limit is reached it MUST answer further RCPT commands with 452 (for example \"452 Too many recipients\"); a site-policy limit MAY use a 5yz code instead.",
        false,
    ),
    r(
        R::SmtpReplyCodes,
        Server,
        Description,
        "RFC 5321 §4.1.4, §4.2.2, §4.2.4, §4.3.2",
        "500: command not recognised, or command line too long; 501: syntax error in parameters or arguments; 502: command recognised but not implemented (§4.2.4); 503: bad sequence of commands (§4.1.4 requires it for commands out of order).",
        false,
    ),
    r(
        R::SmtpCrlf,
        Both,
        Must,
        "RFC 5321 §2.3.8, §2.4",
        "Lines end in CR LF: no implementation may treat or produce anything else as a line end, and a client MUST NOT send a bare CR or LF (§2.3.8). Commands and replies are ASCII; a receiver SHOULD reject a non-ASCII command with 500 (§2.4).",
        false,
    ),
    r(
        R::SmtpDotStuffing,
        Both,
        Description,
        "RFC 5321 §4.5.2",
        "Before sending a line of mail text the client checks its first character; if it is a period, one more period is inserted; the receiver deletes it; a line with a single period ends the mail data.",
        false,
    ),
    r(
        R::Esc2034,
        Server,
        Description,
        "RFC 2034 §3, §4; RFC 3463",
        "A server that supports ENHANCEDSTATUSCODES starts the text of every 2xx, 4xx and 5xx reply with a class.subject.detail code whose class matches the reply's first digit, whether or not the client used EHLO. The greeting, the replies to HELO and EHLO, and 3xx replies carry none.",
        false,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_matches_ids() {
        assert_eq!(ALL.len(), RuleId::EVERY.len());
        for (i, id) in RuleId::EVERY.iter().enumerate() {
            assert_eq!(ALL[i].id, *id);
            assert_eq!(id.rule().id, *id);
        }
    }

    /// BCP 14 keywords appear in capitals only where the RFC has them: a rule without a level
    /// uses none, and a rule with a level uses its own.
    #[test]
    fn keywords_in_capitals_only_where_the_rfc_has_them() {
        let keywords = ["MUST", "SHOULD", "MAY", "REQUIRED", "SHALL", "RECOMMENDED"];
        for rule in ALL {
            let words: Vec<&str> = rule
                .summary
                .split(|c: char| !c.is_ascii_alphabetic())
                .collect();
            match rule.level {
                Level::Description => assert!(
                    !words.iter().any(|w| keywords.contains(w)),
                    "{}: no level, yet a capitalised keyword: {}",
                    rule.id,
                    rule.summary
                ),
                level => {
                    let own = level.as_str().split(' ').next().unwrap_or_default();
                    assert!(
                        words.contains(&own),
                        "{}: level {} but the summary does not say it",
                        rule.id,
                        level.as_str()
                    );
                }
            }
        }
    }

    #[test]
    fn rule_ids_serialize_as_text() {
        let json = serde_json::to_string(&RuleId::Require530Esc).unwrap();
        assert_eq!(json, "\"REQUIRE-530-ESC\"");
        let back: RuleId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, RuleId::Require530Esc);
        let table = serde_json::to_value(ALL).unwrap();
        assert_eq!(table[0]["id"], "EXT-KEYWORD");
        assert_eq!(table[7]["level"], "MUST NOT");
    }
}
