//! The citation audit: every rule ID has a predicate saying when it may be cited, and every
//! citation of a trace is checked against it. A wrong citation is a finding; so is a reply
//! that misses a citation it must carry (an enhanced code without ESC-2034, a 530 without
//! REQUIRE-530), a state change the transition table does not allow, and a main sentence
//! that shows state names, trigger names or Rust `Debug` output.
//!
//! The predicates look only at the trace: the step, the command or reply cited, the
//! snapshots, and earlier steps. The `match` over [`RuleId`] has no catch-all arm, so a
//! new rule cannot be cited before it has a predicate.

use starttls_protocol::client::{ClientEvent, ClientStateId, ClientTrigger, Next};
use starttls_protocol::command::{Command, Verb};
use starttls_protocol::knowledge::{KnowledgeKey, Provenance};
use starttls_protocol::reply::Reply;
use starttls_protocol::rules::RuleId;
use starttls_protocol::server::{ServerEvent, ServerStateId, ServerTrigger};
use starttls_protocol::tls::SecurityVerdict;

use crate::trace::{Actor, Detail, DiffOp, Direction, SmtpItem, Step, TlsNote, Trace};

/// One thing the audit found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The step.
    pub step: usize,
    /// The rule cited wrongly, or missing; `None` for a defect that is not a citation.
    pub rule: Option<RuleId>,
    /// What is wrong, in words.
    pub what: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.rule {
            Some(r) => write!(f, "step {}: {r}: {}", self.step, self.what),
            None => write!(f, "step {}: {}", self.step, self.what),
        }
    }
}

/// Where a rule is cited: a step, and the command or reply of its flight, if any.
struct Citation<'a> {
    trace: &'a Trace,
    step: &'a Step,
    item: Option<&'a SmtpItem>,
}

impl<'a> Citation<'a> {
    fn reply(&self) -> Option<(&'a Reply, Option<Verb>)> {
        match self.item {
            Some(SmtpItem::Reply {
                reply, in_reply_to, ..
            }) => Some((reply, *in_reply_to)),
            _ => None,
        }
    }

    fn command(&self) -> Option<&'a Command> {
        match self.item {
            Some(SmtpItem::Command { command, .. }) => Some(command),
            _ => None,
        }
    }

    fn client_event(&self) -> Option<&'a ClientEvent> {
        match (&self.step.detail, self.item) {
            (Detail::Client(e), None) => Some(e),
            _ => None,
        }
    }

    fn server_event(&self) -> Option<&'a ServerEvent> {
        match (&self.step.detail, self.item) {
            (Detail::Server(e), None) => Some(e),
            _ => None,
        }
    }

    fn client_trigger(&self) -> Option<ClientTrigger> {
        match self.client_event() {
            Some(ClientEvent::StateChanged { on, .. }) => Some(*on),
            _ => None,
        }
    }

    fn server_trigger(&self) -> Option<ServerTrigger> {
        match self.server_event() {
            Some(ServerEvent::StateChanged { on, .. }) => Some(*on),
            _ => None,
        }
    }

    fn tls_note(&self) -> Option<&'a TlsNote> {
        match (&self.step.detail, self.item) {
            (Detail::Tls(n), None) => Some(n),
            _ => None,
        }
    }

    fn broken(&self, rule: RuleId) -> bool {
        matches!(self.client_event(), Some(ClientEvent::RuleBroken { rule: r, .. }) if *r == rule)
            || matches!(self.server_event(), Some(ServerEvent::RuleBroken { rule: r, .. }) if *r == rule)
    }

    /// The attacker's diff on this step, if it is an attacker's rewrite.
    fn diff(&self) -> Option<&'a [crate::trace::DiffLine]> {
        match (&self.step.detail, self.step.actor) {
            (Detail::Wire(v), Actor::Attacker) if self.item.is_none() => Some(&v.diff),
            _ => None,
        }
    }

    fn attacker_changes(&self, op: DiffOp, test: impl Fn(&str) -> bool) -> bool {
        self.diff()
            .is_some_and(|d| d.iter().any(|l| l.op == op && test(&l.text)))
    }

    /// An attacker's rewrite that adds lines after a line matching `anchor`.
    fn attacker_appends_after(&self, anchor: impl Fn(&str) -> bool) -> bool {
        let Some(diff) = self.diff() else {
            return false;
        };
        let mut seen = false;
        for l in diff {
            // An inserted line after the anchor counts even when it reads like the anchor.
            if seen && l.op == DiffOp::Inserted {
                return true;
            }
            if l.op != DiffOp::Deleted && anchor(&l.text) {
                seen = true;
            }
        }
        false
    }

    fn to_client(&self) -> bool {
        self.step.direction == Some(Direction::ServerToClient)
    }

    /// Commands of the flight, when the step is a client's flight.
    fn flight_commands(&self) -> Vec<&'a Command> {
        match &self.step.detail {
            Detail::Wire(v) if self.step.actor == Actor::Client => v
                .smtp
                .iter()
                .filter_map(|i| match i {
                    SmtpItem::Command { command, .. } => Some(command),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn server_insufficient(&self) -> bool {
        matches!(
            self.step.server.verdict,
            SecurityVerdict::Insufficient { .. }
        )
    }

    /// The client's knowledge at this step lists STARTTLS among the extensions learnt in
    /// the clear.
    fn client_knows_starttls_in_clear(&self) -> bool {
        self.step.client.knowledge.iter().any(|k| {
            k.key == KnowledgeKey::Extensions
                && k.provenance == Provenance::Cleartext
                && k.value
                    .split(": ")
                    .nth(1)
                    .is_some_and(|l| l.split(", ").any(|e| e == "STARTTLS"))
        }) || self.step.client.state == ClientStateId::AwaitStarttls && !self.step.tls
    }

    /// Whether a cleartext 250 reply the server sent before this step lists STARTTLS. A real
    /// server's flight (a lab session) holds replies the client has not matched to a command
    /// yet (`in_reply_to` is unknown), and a server may send its EHLO reply before the EHLO.
    fn earlier_cleartext_250_lists_starttls(&self) -> bool {
        self.trace.steps[..self.step.index]
            .iter()
            .filter(|s| !s.tls && s.actor == Actor::Server)
            .any(|s| match &s.detail {
                Detail::Wire(v) => v.smtp.iter().any(|i| match i {
                    SmtpItem::Reply {
                        reply,
                        in_reply_to: Some(Verb::Ehlo) | None,
                        ..
                    } => reply.code == 250 && ehlo_lists_starttls(reply),
                    _ => false,
                }),
                _ => false,
            })
    }

    /// The cleartext EHLO reply lines the server sent before this step.
    fn earlier_cleartext_ehlo(&self) -> Option<&'a [String]> {
        self.trace.steps[..self.step.index]
            .iter()
            .rev()
            .filter(|s| !s.tls && s.actor == Actor::Server)
            .find_map(|s| match &s.detail {
                Detail::Wire(v) => v.smtp.iter().find_map(|i| match i {
                    SmtpItem::Reply {
                        reply,
                        in_reply_to: Some(Verb::Ehlo),
                        ..
                    } if reply.code == 250 => Some(reply.lines.as_slice()),
                    _ => None,
                }),
                _ => None,
            })
    }
}

fn is_starttls_line(l: &str) -> bool {
    l.trim().eq_ignore_ascii_case("STARTTLS")
}

/// Whether an EHLO reply lists STARTTLS: a line whose keyword is `STARTTLS` in any case, as
/// the machines read it (extension keywords are not case sensitive, RFC 5321 §2.4).
fn ehlo_lists_starttls(r: &Reply) -> bool {
    r.lines.iter().skip(1).any(|l| {
        l.split_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))
    })
}

/// Whether `rule` may be cited at `c`.
fn may_cite(rule: RuleId, c: &Citation<'_>) -> bool {
    use ClientTrigger as CT;
    use RuleId as R;
    use ServerTrigger as ST;
    let reply = c.reply();
    let reply_to =
        |code: u16, verb: Verb| reply.is_some_and(|(r, v)| r.code == code && v == Some(verb));
    let ct = c.client_trigger();
    let st = c.server_trigger();
    match rule {
        R::ExtKeyword => {
            reply.is_some_and(|(r, v)| {
                r.code == 250 && v == Some(Verb::Ehlo) && !c.step.tls && ehlo_lists_starttls(r)
            }) || (ct == Some(CT::EhloAccepted(Next::Starttls))
                && (c.client_knows_starttls_in_clear() || c.earlier_cleartext_250_lists_starttls()))
        }
        R::CmdSyntax => {
            reply_to(501, Verb::StartTls)
                || c.attacker_changes(DiffOp::Inserted, |l| {
                    l.len() > 9 && l[..9].eq_ignore_ascii_case("STARTTLS ")
                })
        }
        R::Cmd220 => {
            reply_to(220, Verb::StartTls)
                || st == Some(ST::Starttls220)
                || ct == Some(CT::Starttls220)
        }
        R::Cmd454 => {
            reply_to(454, Verb::StartTls)
                || matches!(ct, Some(CT::Starttls454(_) | CT::Starttls454Required))
                || c.attacker_changes(DiffOp::Inserted, |l| l.starts_with("454"))
        }
        R::Client454Decide => {
            matches!(
                ct,
                Some(CT::Starttls454(_) | CT::Starttls454Required | CT::TlsFailed)
            ) || c.attacker_changes(DiffOp::Inserted, |l| l.starts_with("454"))
        }
        R::ClientHandshakeNext => matches!(ct, Some(CT::Starttls220 | CT::TlsCouldNotStart)),
        R::PipelineLast => {
            let commands = c.flight_commands();
            (commands.len() > 1 && commands.contains(&&Command::StartTls))
                || (!c.to_client() && c.attacker_appends_after(is_starttls_line))
        }
        // A configuration error, never a step of a dialogue.
        R::PublicNoRequire => false,
        R::Require530 => {
            reply.is_some_and(|(r, _)| r.code == 530)
                || matches!(ct, Some(CT::Auth530 | CT::Transaction530))
        }
        R::Require530Esc => reply.is_some_and(|(r, _)| {
            r.code == 530 && r.enhanced.is_some_and(|e| e.to_string() == "5.7.0")
        }),
        R::DecideAfter => {
            matches!(c.client_event(), Some(ClientEvent::SecurityDecision { .. }))
                || matches!(c.server_event(), Some(ServerEvent::SecurityDecision { .. }))
                || reply.is_some_and(|(r, _)| r.code == 554 && c.server_insufficient())
        }
        R::ClientQuitInsecure => ct == Some(CT::TlsInsufficient),
        R::Server554 => {
            reply.is_some_and(|(r, _)| r.code == 554 && c.server_insufficient())
                || matches!(
                    c.server_event(),
                    Some(ServerEvent::SecurityDecision {
                        verdict: SecurityVerdict::Insufficient { .. },
                        ..
                    })
                )
        }
        R::CertName => {
            matches!(c.client_event(), Some(ClientEvent::SecurityDecision { .. }))
                || matches!(
                    c.tls_note(),
                    Some(
                        TlsNote::CertificateFinding { .. }
                            | TlsNote::Refused {
                                certificate: true,
                                ..
                            }
                    )
                )
        }
        R::Reset => {
            st == Some(ST::TlsEstablished) || ct == Some(CT::TlsEstablished) || c.broken(R::Reset)
        }
        R::ServerDiscard => {
            matches!(
                c.server_event(),
                Some(
                    ServerEvent::StartTls {
                        discard_at_handshake: true,
                        ..
                    } | ServerEvent::KnowledgeDiscarded { .. }

                        | ServerEvent::KnowledgeKept { .. }
                        | ServerEvent::PlaintextDiscarded { .. }
                        | ServerEvent::PlaintextRetained { .. }
                )
            ) || (!c.to_client() && c.attacker_appends_after(is_starttls_line))
                // A vulnerable server running what the attacker injected.
                || (c.step.violation
                    && matches!(c.server_event(), Some(ServerEvent::CommandReceived { .. })))
        }
        R::ClientDiscard => {
            matches!(
                c.client_event(),
                Some(
                    ClientEvent::StartTls {
                        discard_at_handshake: true,
                        ..
                    } | ClientEvent::KnowledgeDiscarded { .. }
                        | ClientEvent::KnowledgeKept { .. }
                        | ClientEvent::PlaintextDiscarded { .. }
                        | ClientEvent::PlaintextRetained { .. }
                )
            ) || (c.to_client()
                && c.diff()
                    .is_some_and(|d| d.iter().any(|l| l.op != DiffOp::Same)))
                // A vulnerable client reading what the attacker injected.
                || (c.step.violation
                    && matches!(c.client_event(), Some(ClientEvent::ReplyReceived { .. })))
        }
        R::ClientEhloAgain => {
            ct == Some(CT::TlsEstablished)
                || c.broken(R::ClientEhloAgain)
                || (c.to_client() && c.attacker_changes(DiffOp::Inserted, |l| l.starts_with("250")))
                || (c.to_client() && c.attacker_changes(DiffOp::Deleted, |l| l.starts_with("250")))
        }
        R::ExtMayDiffer => reply.is_some_and(|(r, v)| {
            r.code == 250
                && v == Some(Verb::Ehlo)
                && c.step.tls
                && c.earlier_cleartext_ehlo()
                    .is_some_and(|before| before[1..] != r.lines[1..])
        }),
        R::NoStarttlsAfter => {
            reply.is_some_and(|(r, v)| r.code == 250 && v == Some(Verb::Ehlo) && c.step.tls)
                || matches!(
                    c.client_event(),
                    Some(ClientEvent::StarttlsAdvertisedUnderTls { .. })
                )
                || c.broken(R::NoStarttlsAfter)
        }
        R::NoTlsTwice => {
            (c.step.tls
                && (c.command() == Some(&Command::StartTls)
                    || reply.is_some_and(|(_, v)| v == Some(Verb::StartTls))))
                || matches!(
                    ct,
                    Some(
                        CT::EhloUnderTls(Next::Starttls)
                            | CT::TlsEstablishedKept(Next::Starttls)
                            | CT::SecondStarttlsRefused(_)
                    )
                )
                || st == Some(ST::Starttls220UnderTls)
                || c.broken(R::NoTlsTwice)
                || matches!(
                    c.client_event(),
                    Some(ClientEvent::StarttlsAdvertisedUnderTls { .. })
                )
                || matches!(c.tls_note(), Some(TlsNote::NestedHandshake))
        }
        R::BothKnowTls => {
            matches!(c.tls_note(), Some(TlsNote::Established { .. }))
                || (c.step.tls && reply.is_some_and(|(_, v)| v == Some(Verb::StartTls)))
        }
        R::StripDefense => {
            reply.is_some_and(|(r, _)| r.code == 530)
                || !c.step.tls
                    && (matches!(
                        ct,
                        Some(
                            CT::StarttlsNotAdvertised(_)
                                | CT::HeloWithoutStarttls(_)
                                | CT::Starttls454Required
                                | CT::StarttlsRefused(Next::Auth | Next::Mail)
                                | CT::StarttlsRefusedRequired
                        )
                    ) || c.attacker_changes(DiffOp::Deleted, |l| {
                        // A command or keyword in any case (RFC 5321 §2.4), as the
                        // attacker finds it.
                        let l = l.to_ascii_uppercase();
                        l.contains("STARTTLS") || l.contains("READY TO START TLS")
                    }))
        }
        R::RecordTls => matches!(
            c.client_event(),
            Some(ClientEvent::TlsDowngradeWarning { .. })
        ),
        R::SmtpLineLimit => reply.is_some_and(|(r, _)| {
            r.code == 552 || (r.code == 500 && r.text().contains("too long"))
        }),
        R::SmtpRcptLimit => reply_to(452, Verb::Rcpt),
        R::SmtpReplyCodes => reply.is_some_and(|(r, _)| matches!(r.code, 500..=503)),
        R::SmtpCrlf => reply.is_some_and(|(r, _)| r.code == 500),
        R::SmtpDotStuffing => {
            reply_to(354, Verb::Data)
                || reply.is_some_and(|(r, v)| v.is_none() && r.code != 220 && r.code / 100 == 2)
                || matches!(c.item, Some(SmtpItem::Message { .. }))
                || ct == Some(CT::Data354)
                || st == Some(ST::EndOfData)
        }
        R::Esc2034 => reply.is_some_and(|(r, v)| esc2034_applies(r, v)),
    }
}

/// Whether ESC-2034 (RFC 2034's enhanced status code) applies to `reply`, read as the answer
/// to `in_reply_to`: a 2xx, 4xx or 5xx whose code's class matches its first digit, and not
/// the greeting or the reply to EHLO or HELO.
fn esc2034_applies(r: &Reply, v: Option<Verb>) -> bool {
    let greeting = r.code == 220 && v.is_none();
    r.enhanced
        .is_some_and(|e| u16::from(e.class) == r.code / 100)
        && matches!(r.code / 100, 2 | 4 | 5)
        && !matches!(v, Some(Verb::Ehlo | Verb::Helo))
        && !greeting
}

/// Citations a reply must carry: each is a finding when missing.
fn must_cite(reply: &Reply, in_reply_to: Option<Verb>, tls: bool) -> Vec<RuleId> {
    let mut out = Vec::new();
    // Required exactly where it may be cited: a reply read as the greeting, or as the answer
    // to EHLO, carries no enhanced code by RFC 2034, whatever its text holds.
    if esc2034_applies(reply, in_reply_to) {
        out.push(RuleId::Esc2034);
    }
    if reply.code == 530 {
        out.push(RuleId::Require530);
    }
    if reply.code == 220 && in_reply_to == Some(Verb::StartTls) && !tls {
        out.push(RuleId::Cmd220);
    }
    if reply.code == 454 && in_reply_to == Some(Verb::StartTls) {
        out.push(RuleId::Cmd454);
    }
    if reply.code == 250 && in_reply_to == Some(Verb::Ehlo) {
        if tls {
            out.push(RuleId::NoStarttlsAfter);
        } else if ehlo_lists_starttls(reply) {
            out.push(RuleId::ExtKeyword);
        }
    }
    out
}

/// Words that must not be a main sentence's: the machines' state names (those that are not
/// plain English words) and trigger names, and the marks of Rust `Debug` output.
fn jargon() -> Vec<String> {
    let mut words: Vec<String> = ClientStateId::ALL
        .iter()
        .map(|s| s.as_str().to_string())
        .chain(ServerStateId::ALL.iter().map(|s| s.as_str().to_string()))
        .filter(|w| {
            !matches!(
                w.as_str(),
                "Initial" | "Ready" | "Transaction" | "Data" | "Closed"
            )
        })
        .collect();
    words.extend(
        [
            "tls_established",
            "tls_failed",
            "2xx",
            "3xx",
            "4xx",
            "5xx",
            "Some(",
            "None",
            "{ ",
            " }",
            "[\"",
            "..)",
            "::",
            "TLSv1_",
            "TLS13_",
            "TLS1.",
            "Context {",
            "teaching:",
        ]
        .map(String::from),
    );
    words
}

/// What the peers and the attacker put on the wire, as the narration quotes it: each flight's
/// bytes escaped and as text, and its plaintext. A main sentence may quote a peer's bytes, so
/// a jargon mark there is the peer's, not the narration's: the wording check skips marks found
/// in this text (a lab session's real client can send `}`).
///
/// Only text counts: TLS records (the handshake's random values, ciphertext) are left out,
/// since random bytes read as text hold any mark by chance, and the check would then skip it
/// in one run and not in the next.
fn peer_text(trace: &Trace) -> String {
    let mut text = String::new();
    for step in &trace.steps {
        let records = matches!(&step.detail, Detail::Wire(v) if !v.records.is_empty());
        if let Some(bytes) = step.bytes.as_ref().filter(|_| !step.tls && !records) {
            text.push_str(&starttls_protocol::knowledge::escape_bytes(bytes));
            text.push('\n');
            text.push_str(&String::from_utf8_lossy(bytes));
            text.push('\n');
        }
        if let Detail::Wire(v) = &step.detail
            && let Some(p) = &v.plaintext
        {
            text.push_str(p);
            text.push('\n');
            text.push_str(&starttls_protocol::knowledge::escape_bytes(p.as_bytes()));
            text.push('\n');
        }
    }
    text
}

/// `text` without the double-quoted segments that quote what a peer sent (`invalid EHLO
/// keyword "["`): the marks inside are the peer's. A quoted segment of the narration's own
/// (a Debug string of a value no peer sent) stays, and its marks are checked.
fn without_quoted_peer_text(text: &str, peer: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        // The closing quote: the next one not escaped by a backslash.
        let mut close = None;
        let mut escaped = false;
        for (i, c) in after.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    close = Some(i);
                    break;
                }
                _ => escaped = false,
            }
        }
        let Some(close) = close else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inner = &after[..close];
        let plain = inner.replace("\\\"", "\"").replace("\\\\", "\\");
        if !(peer.contains(inner) || peer.contains(plain.as_str())) {
            out.push('"');
            out.push_str(inner);
            out.push('"');
        } else {
            // A space, not nothing: `TLSv""1_` must not become the mark `TLSv1_`.
            out.push(' ');
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// `text` without the words a peer sent, unquoted (`command unrecognized: STARTTLS1.`): a
/// mark that spans such a word and the sentence's own punctuation (`TLS1.`) is the peer's.
/// A word counts as the peer's when, without the punctuation that ends a sentence or a
/// clause, it appears in what the peers put on the wire.
fn without_peer_words(text: &str, peer: &str) -> String {
    text.split(' ')
        .filter(|word| {
            let core = word.trim_end_matches(['.', ',', ':', ';']);
            core.len() < 2 || !peer.contains(core)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks every citation, every required citation, the table, and the wording of a trace.
pub fn audit(trace: &Trace) -> Vec<Finding> {
    let mut out = Vec::new();
    let quoted = peer_text(trace);
    let jargon: Vec<String> = jargon()
        .into_iter()
        .filter(|w| !quoted.contains(w.trim()))
        .collect();
    for step in &trace.steps {
        let check = |out: &mut Vec<Finding>, item: Option<&SmtpItem>, rules: &[RuleId]| {
            let c = Citation { trace, step, item };
            for &rule in rules {
                if !may_cite(rule, &c) {
                    out.push(Finding {
                        step: step.index,
                        rule: Some(rule),
                        what: format!(
                            "cited where its predicate fails{}",
                            match item {
                                Some(SmtpItem::Reply { reply, .. }) =>
                                    format!(" (on {} {})", reply.code, reply.text()),
                                Some(SmtpItem::Command { command, .. }) =>
                                    format!(" (on {})", command.to_line().trim_end()),
                                _ => format!(" ({})", step.text),
                            }
                        ),
                    });
                }
            }
        };
        check(&mut out, None, &step.rules);
        // A real peer's replies (a lab session) are its own: the audit checks the rules the
        // trace cites on them, but requires none, since no machine of the playground sent
        // them. In a proxy session both peers are real.
        let from_real_peer = match trace.lab.as_ref().map(|l| l.remote) {
            Some(Actor::Wire) => true,
            Some(remote) => remote == step.actor,
            None => false,
        };
        if let Detail::Wire(view) = &step.detail {
            for item in &view.smtp {
                check(&mut out, Some(item), item.rules());
                if let SmtpItem::Reply {
                    reply,
                    in_reply_to,
                    rules,
                } = item
                    && !from_real_peer
                {
                    for need in must_cite(reply, *in_reply_to, step.tls) {
                        if !rules.contains(&need) {
                            out.push(Finding {
                                step: step.index,
                                rule: Some(need),
                                what: format!("missing on {} {}", reply.code, reply.text()),
                            });
                        }
                    }
                }
            }
        }
        let miss = matches!(&step.detail, Detail::Client(e) if matches!(e.as_ref(), ClientEvent::TableMiss(_)))
            || matches!(&step.detail, Detail::Server(e) if matches!(e.as_ref(), ServerEvent::TableMiss(_)));
        if miss {
            out.push(Finding {
                step: step.index,
                rule: None,
                what: format!(
                    "a state change without a table row: {}",
                    step.technical.clone().unwrap_or_default()
                ),
            });
        }
        if step.kind == crate::trace::StepKind::KnowledgeDiscarded
            && !step
                .rules
                .iter()
                .any(|r| matches!(r, RuleId::ServerDiscard | RuleId::ClientDiscard))
        {
            out.push(Finding {
                step: step.index,
                rule: None,
                what: "a discard that cites no discard rule".into(),
            });
        }
        let own_words = without_peer_words(&without_quoted_peer_text(&step.text, &quoted), &quoted);
        for word in &jargon {
            if own_words.contains(word.as_str()) {
                out.push(Finding {
                    step: step.index,
                    rule: None,
                    what: format!("the main sentence shows {word:?}: {}", step.text),
                });
            }
        }
    }
    out
}
