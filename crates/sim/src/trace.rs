//! The trace: every step of one simulated dialogue, serialisable, with full snapshots of
//! both sides at each step so that a UI can render any step directly.

use serde::{Deserialize, Serialize};
use starttls_protocol::client::{ClientEvent, ClientOutcome, ClientSnapshot};
use starttls_protocol::command::{Command, Verb};
use starttls_protocol::knowledge::KnowledgeItem;
use starttls_protocol::reply::Reply;
use starttls_protocol::rules::RuleId;
use starttls_protocol::server::{ServerEvent, ServerSnapshot};
use starttls_protocol::tls::TlsSummary;

use crate::wire::DecodedRecord;

/// The version of the trace format; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 2;

/// Who acts in a step: a lane of the sequence diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    /// The SMTP client.
    Client,
    /// The SMTP server.
    Server,
    /// The wire itself (what travels, unmodified).
    Wire,
    /// The attacker on the wire.
    Attacker,
}

/// What kind of step this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// Raw bytes (an attacker's rewrite, or plaintext that is not a command or reply).
    Bytes,
    /// An SMTP command travelling from client to server.
    Command,
    /// An SMTP reply travelling from server to client.
    Reply,
    /// A flight of TLS handshake records.
    TlsFlight,
    /// A decision by one side (security verdict, fallback, start TLS, …).
    Decision,
    /// One side learnt something from its peer.
    KnowledgeLearnt,
    /// One side discarded what it learnt before TLS (or, under a teaching toggle, kept it).
    KnowledgeDiscarded,
    /// An SMTP state change.
    StateChange,
    /// A TLS alert.
    Alert,
    /// A side closed the connection.
    Close,
}

/// Which way bytes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Client to server.
    ClientToServer,
    /// Server to client.
    ServerToClient,
}

/// What the wire shows of a flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireView {
    /// The TLS records, if the flight is TLS.
    pub records: Vec<DecodedRecord>,
    /// The SMTP plaintext the sender wrote into TLS, or the cleartext itself.
    pub plaintext: Option<String>,
    /// What the attacker on the wire can read of this flight.
    pub attacker_reads: String,
    /// An attacker's step: these bytes replace the flight of the step just before.
    #[serde(default, skip_serializing_if = "crate::compact::skip_false")]
    pub rewrites_previous: bool,
    /// The SMTP commands or replies the sender put in this flight.
    #[serde(default, skip_serializing_if = "crate::compact::skip_empty")]
    pub smtp: Vec<SmtpItem>,
    /// The TLS messages of the flight, by name, with what protects each.
    #[serde(default, skip_serializing_if = "crate::compact::skip_empty")]
    pub messages: Vec<TlsMessage>,
    /// An attacker's rewrite: the lines of the original flight and of what the receiver gets,
    /// with the lines the attacker deleted and inserted.
    #[serde(default, skip_serializing_if = "crate::compact::skip_empty")]
    pub diff: Vec<DiffLine>,
}

/// What protects one TLS message on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protection {
    /// Readable by anyone on the wire.
    Cleartext,
    /// Encrypted under the handshake traffic keys (TLS 1.3, RFC 8446 §7.1).
    HandshakeKeys,
    /// Encrypted under the TLS 1.3 application traffic keys (RFC 8446 §7.1).
    ApplicationKeys,
    /// Encrypted under the keys a TLS 1.2 handshake negotiated (after ChangeCipherSpec).
    NegotiatedKeys,
    /// A cleartext dummy with no meaning (TLS 1.3 middlebox compatibility, RFC 8446 App. D.4).
    Dummy,
}

/// One TLS message of a flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsMessage {
    /// The message, e.g. `EncryptedExtensions`, `Finished`, `alert close_notify`.
    pub name: String,
    /// What protects it.
    pub protection: Protection,
}

/// One line of an attacker's diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    /// Kept, deleted or inserted.
    pub op: DiffOp,
    /// The line, without CRLF.
    pub text: String,
}

/// What the attacker did to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffOp {
    /// Passed on unchanged.
    Same,
    /// Removed: the receiver never sees it.
    Deleted,
    /// Added: the receiver sees it as if the peer had sent it.
    Inserted,
}

/// One SMTP unit carried by a flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmtpItem {
    /// A command the client machine sent.
    Command {
        /// The command.
        command: Command,
        /// The rules this command applies.
        #[serde(default, skip_serializing_if = "crate::compact::skip_empty")]
        rules: Vec<RuleId>,
    },
    /// The message text after DATA's 354.
    Message {
        /// Octets, dot-stuffed, with the final `.`.
        octets: usize,
        /// The rules applied ([`RuleId::SmtpDotStuffing`]).
        #[serde(default, skip_serializing_if = "crate::compact::skip_empty")]
        rules: Vec<RuleId>,
    },
    /// A reply the server sent.
    Reply {
        /// The reply.
        reply: Reply,
        /// The verb it answers.
        in_reply_to: Option<Verb>,
        /// The rules this reply applies (its own, not its flight's).
        #[serde(default, skip_serializing_if = "crate::compact::skip_empty")]
        rules: Vec<RuleId>,
    },
    /// A line typed at the console on the client's connection.
    Typed {
        /// The line, without CRLF.
        line: String,
    },
}

impl SmtpItem {
    /// The rules this unit cites.
    pub fn rules(&self) -> &[RuleId] {
        match self {
            SmtpItem::Command { rules, .. }
            | SmtpItem::Message { rules, .. }
            | SmtpItem::Reply { rules, .. } => rules,
            SmtpItem::Typed { .. } => &[],
        }
    }

    /// One line that names this unit: a command as sent, a reply with its code, enhanced
    /// status code and first line (and how many more lines it has), the message by size.
    /// The step's sentence and the diagram's arrow both use it, so they never disagree.
    pub fn summary(&self) -> String {
        match self {
            SmtpItem::Command { command, .. } => command.to_line().trim_end().to_string(),
            SmtpItem::Message { octets, .. } => {
                format!("the message ({octets} octets, ending in CRLF.CRLF)")
            }
            SmtpItem::Reply { reply, .. } => {
                let first = reply.lines.first().map(String::as_str).unwrap_or_default();
                let code = match reply.enhanced {
                    Some(e) => format!("{} {e}", reply.code),
                    None => reply.code.to_string(),
                };
                match reply.lines.len() {
                    0 | 1 => format!("{code} {first}"),
                    n => format!("{code} {first} (+{} extension lines)", n - 1),
                }
            }
            SmtpItem::Typed { line } => format!("{line} (typed at the console)"),
        }
    }
}

/// A row of a machine's transition table, as a step took it (the UI's state diagram
/// highlights it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableRow {
    /// A row of the client's table.
    Client {
        /// The state before.
        from: starttls_protocol::client::ClientStateId,
        /// The trigger.
        on: starttls_protocol::client::ClientTrigger,
        /// The state after.
        to: starttls_protocol::client::ClientStateId,
    },
    /// A row of the server's table.
    Server {
        /// The state before.
        from: starttls_protocol::server::ServerStateId,
        /// The trigger.
        on: starttls_protocol::server::ServerTrigger,
        /// The state after.
        to: starttls_protocol::server::ServerStateId,
    },
}

/// A decision of the client, as the engine made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientDecision {
    /// After 220: start the TLS handshake at once.
    StartHandshake,
    /// Right after the handshake: the session is good enough.
    AcceptSession,
    /// Right after the handshake: the session is not good enough; QUIT.
    QuitInsecure,
    /// No TLS to be had: go on in the clear.
    ContinueInClear,
    /// No TLS to be had, and TLS is required (or wanted by policy): QUIT.
    QuitWithoutTls,
    /// The handshake failed or could not start: the session ends.
    AbortHandshake,
    /// STARTTLS listed under TLS: ignore it.
    IgnoreStarttls,
}

/// What the engine saw of TLS that is not a machine event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsNote {
    /// A side's handshake completed ([`RuleId::BothKnowTls`]).
    Established {
        /// What was negotiated.
        summary: Box<TlsSummary>,
    },
    /// rustls found a problem with the server certificate and, as configured, let the
    /// handshake finish so that the SMTP client decides ([`RuleId::CertName`]).
    CertificateFinding {
        /// The problem, in words.
        problem: String,
    },
    /// rustls refused what it read, or received an alert.
    Refused {
        /// In words.
        error: String,
        /// It refused the peer's certificate.
        #[serde(default)]
        certificate: bool,
        /// The alert received, if that was the error.
        alert_received: Option<String>,
        /// Whether the handshake was still running.
        during_handshake: bool,
    },
    /// A second handshake inside TLS, which the simulation cannot run.
    NestedHandshake,
}

/// The structured detail behind a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    /// An event of the server machine.
    Server(Box<ServerEvent>),
    /// An event of the client machine.
    Client(Box<ClientEvent>),
    /// Bytes on the wire.
    Wire(Box<WireView>),
    /// Something of TLS the engine observed.
    Tls(Box<TlsNote>),
    /// Something the engine observed (a TLS alert, a learnt item, a closed connection).
    Note,
}

/// One step of the dialogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Position in the trace, from 0.
    pub index: usize,
    /// Who acts.
    pub actor: Actor,
    /// What kind of step.
    pub kind: StepKind,
    /// Which way bytes travel, for bytes, commands, replies and flights.
    pub direction: Option<Direction>,
    /// Whether the step happens under TLS (an arrow inside the TLS bracket).
    pub tls: bool,
    /// The bytes on the wire, if any.
    #[serde(
        default,
        skip_serializing_if = "crate::compact::skip_none",
        with = "crate::hex::option"
    )]
    pub bytes: Option<Vec<u8>>,
    /// The main sentence, in plain English for someone who knows what SMTP is.
    pub text: String,
    /// A secondary line for the curious: state names, triggers, table rows. Shown smaller,
    /// never as the main text.
    #[serde(default, skip_serializing_if = "crate::compact::skip_none")]
    pub technical: Option<String>,
    /// The rules the step itself applies (or breaks). A flight's commands and replies carry
    /// their own in [`WireView::smtp`]; [`Step::cited`] gives both.
    pub rules: Vec<RuleId>,
    /// Whether a rule was broken here (a teaching toggle, or an attack that succeeded).
    pub violation: bool,
    /// Whether the step is shown at message level: a flight on the wire, or a key moment (the
    /// discard at the handshake, a security verdict, a TLS alert, a broken rule, the end).
    /// The steps between two headlines are annotations of the first one.
    #[serde(default = "yes")]
    pub headline: bool,
    /// The transition-table row this step takes, when it is a state change.
    #[serde(default, skip_serializing_if = "crate::compact::skip_none")]
    pub row: Option<TableRow>,
    /// The client's decision at this step, when it makes one a class can be asked about.
    #[serde(default, skip_serializing_if = "crate::compact::skip_none")]
    pub decision: Option<ClientDecision>,
    /// Knowledge items this step discarded (or, with `violation`, kept against the rules).
    #[serde(default, skip_serializing_if = "crate::compact::skip_empty")]
    pub discarded: Vec<KnowledgeItem>,
    /// The structured detail.
    pub detail: Detail,
    /// Milliseconds since the session began, for a lab session over real sockets (a
    /// simulation has no clock).
    #[serde(default, skip_serializing_if = "crate::compact::skip_none")]
    pub at_ms: Option<u64>,
    /// The client after this step.
    pub client: ClientSnapshot,
    /// The server after this step.
    pub server: ServerSnapshot,
}

fn yes() -> bool {
    true
}

impl Step {
    /// Every rule this step cites: its own, then those of each command or reply it carries,
    /// once each, in order.
    pub fn cited(&self) -> Vec<RuleId> {
        let mut out: Vec<RuleId> = Vec::new();
        let items: &[SmtpItem] = match &self.detail {
            Detail::Wire(view) => &view.smtp,
            _ => &[],
        };
        for r in self
            .rules
            .iter()
            .chain(items.iter().flat_map(|i| i.rules().iter()))
        {
            if !out.contains(r) {
                out.push(*r);
            }
        }
        out
    }
}

/// How the dialogue ended, for assertions and for the UI's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The client's outcome.
    pub client: Option<ClientOutcome>,
    /// Messages the server accepted: (reverse-path, under TLS).
    pub accepted: Vec<(String, bool)>,
    /// Every reply code the server sent, in order.
    pub reply_codes: Vec<u16>,
    /// TLS alerts sent, by description.
    pub alerts: Vec<String>,
    /// Rules broken during the dialogue.
    pub rules_broken: Vec<RuleId>,
    /// Whether the server ran a command the attacker injected.
    pub injected_command_run: bool,
    /// Whether the client read a reply the attacker injected.
    pub injected_reply_read: bool,
    /// Whether the client flagged STARTTLS advertised under TLS (NO-STARTTLS-AFTER).
    pub starttls_after_tls_flagged: bool,
    /// Whether the TLS handshake completed on both sides.
    pub tls_established: bool,
}

/// Identifies the scenario a trace came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceScenario {
    /// The scenario id.
    pub id: String,
    /// Its title.
    pub title: String,
}

/// A whole dialogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Which scenario.
    pub scenario: TraceScenario,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// How it ended.
    pub outcome: Outcome,
    /// The TLS secrets in the NSS key log format (one line each), so that an exported capture
    /// can be decrypted in Wireshark. A simulation's keys protect nothing real.
    #[serde(default, skip_serializing_if = "crate::compact::skip_empty")]
    pub key_log: Vec<String>,
    /// For a session the lab ran over a real socket: when, with whom, and which side was the
    /// real peer. `None` for a simulation.
    #[serde(default, skip_serializing_if = "crate::compact::skip_none")]
    pub lab: Option<LabSession>,
}

/// What a lab session adds to a trace: the real peer on the other end of a socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabSession {
    /// Which side was the real peer (its machine state is not visible: the trace shows the
    /// playground's own side, and the bytes the peer sent).
    pub remote: Actor,
    /// The peer's address, `ip:port`.
    pub peer: String,
    /// The playground's own address, `ip:port`.
    pub local: String,
    /// When the session began, RFC 3339 in UTC, from the wall clock of the lab.
    pub started: String,
    /// The name and version of the peer's software, where its greeting, EHLO reply or
    /// message headers show it.
    #[serde(default, skip_serializing_if = "crate::compact::skip_none")]
    pub software: Option<String>,
}

/// Why an imported trace was refused: the field at fault (a JSON path such as
/// `steps[3].kind`) and the position in the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message} (line {line}, column {column})")]
pub struct ImportError {
    /// The JSON path of the field at fault; `.` for the document itself.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// 1-based line of the error in the text (0 when not known).
    pub line: usize,
    /// 1-based column of the error in the text (0 when not known).
    pub column: usize,
}

impl Trace {
    /// Whether `side` was a real peer on a socket in a lab session (the lab proxy: both), so
    /// that its snapshots are not its state: a real peer's machine is not visible.
    pub fn is_real(&self, side: Actor) -> bool {
        match &self.lab {
            Some(lab) => lab.remote == side || lab.remote == Actor::Wire,
            None => false,
        }
    }

    /// The trace as pretty JSON, the export format.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parses an exported trace. Refuses other schema versions, and names the field and the
    /// position of any error; never panics, whatever the input.
    pub fn from_json(text: &str) -> Result<Trace, ImportError> {
        // Read the version first, so that a trace from a newer schema gets a clear message.
        let probe: serde_json::Value = serde_json::from_str(text).map_err(|e| ImportError {
            path: json_path_at(text, e.line(), e.column()),
            message: format!("not JSON: {e}"),
            line: e.line(),
            column: e.column(),
        })?;
        match probe
            .get("schema_version")
            .and_then(serde_json::Value::as_u64)
        {
            Some(v) if v == u64::from(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(ImportError {
                    path: "schema_version".into(),
                    message: format!(
                        "this is schema version {v}; this playground reads version {SCHEMA_VERSION}"
                    ),
                    line: 0,
                    column: 0,
                });
            }
            None => {
                return Err(ImportError {
                    path: "schema_version".into(),
                    message: "missing: not a STARTTLS Playground trace".into(),
                    line: 0,
                    column: 0,
                });
            }
        }
        // One typed pass; on error, the position gives the field (see `json_path_at`).
        let trace: Trace = serde_json::from_str(text).map_err(|e| {
            let message = e.to_string();
            let message = match message.rfind(" at line ") {
                Some(at) => message[..at].to_string(),
                None => message,
            };
            ImportError {
                path: json_path_at(text, e.line(), e.column()),
                message,
                line: e.line(),
                column: e.column(),
            }
        })?;
        for (i, step) in trace.steps.iter().enumerate() {
            if step.index != i {
                return Err(ImportError {
                    path: format!("steps[{i}].index"),
                    message: format!("expected {i}, found {}", step.index),
                    line: 0,
                    column: 0,
                });
            }
        }
        Ok(trace)
    }
}

/// The JSON path (`steps[3].kind`) of the value at a 1-based line and column of `text`, found
/// by scanning the text up to there; `.` for the document itself. It never fails: on text that
/// is not JSON it names the deepest position it understood.
pub fn json_path_at(text: &str, line: usize, column: usize) -> String {
    enum Frame {
        Object {
            key: Option<String>,
            expect_key: bool,
        },
        Array {
            index: usize,
        },
    }
    // The byte offset of (line, column).
    let mut offset = text.len();
    let mut l = 1;
    for (i, c) in text.char_indices() {
        if l == line {
            offset = (i + column).min(text.len());
            break;
        }
        if c == '\n' {
            l += 1;
        }
    }
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < offset && i < bytes.len() {
        match bytes[i] {
            b'{' => stack.push(Frame::Object {
                key: None,
                expect_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { expect_key, .. }) => *expect_key = true,
                None => {}
            },
            b':' => {
                if let Some(Frame::Object { expect_key, .. }) = stack.last_mut() {
                    *expect_key = false;
                }
            }
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object {
                    key,
                    expect_key: true,
                }) = stack.last_mut()
                {
                    *key = Some(
                        String::from_utf8_lossy(&bytes[start..i.min(bytes.len())]).into_owned(),
                    );
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    if path.is_empty() { ".".into() } else { path }
}
