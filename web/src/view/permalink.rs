//! Permalinks: the page's URL query holds the scenario, the step, the policy overrides and the
//! view options, so that a link reproduces the view exactly.
//!
//! ```text
//! ?scenario=happy-path&step=12&set=server.require_tls=true&embed=1&panels=knowledge,wire
//! ```
//!
//! | key | value |
//! |---|---|
//! | `scenario` | a scenario id of the catalogue |
//! | `step` | the step, from 1 |
//! | `set` | a policy override `dotted.key=value` (repeatable; the value is JSON or a plain string) |
//! | `embed` | `1`: only the diagram, the controls and the explanation |
//! | `panels` | with `embed` or `present`: extra panels, `knowledge`, `wire` and/or `states` |
//! | `present` | `1`: presenter mode |
//! | `quiz` | `1`: quiz mode |
//! | `lesson` | `1`: the guided lesson |
//! | `compare` | `a,b`: two scenarios side by side, stepping in lockstep |
//! | `detail` | `all`: every decision is a step of its own (default: one step per message) |
//!
//! Parsing never fails and never panics: whatever it cannot read becomes a notice that names
//! the key and the value, and the nearest valid value is used instead.

/// What a query asks for, before it is checked against the catalogue and the trace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// The scenario id.
    pub scenario: Option<String>,
    /// The step, from 1.
    pub step: Option<usize>,
    /// Policy overrides (dotted key, value), in order.
    pub overrides: Vec<(String, String)>,
    /// The view options.
    pub view: ViewOptions,
    /// Compare mode: two scenario ids shown side by side.
    pub compare: Option<(String, String)>,
    /// Live mode: the WebSocket of a lab started with `--live` (`ws://` or `wss://`).
    pub live: Option<String>,
}

/// How the page is laid out; every field is off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewOptions {
    /// Embed mode: only the diagram, the controls and the explanation (and the quiz).
    pub embed: bool,
    /// Presenter mode: large type, high contrast, PageUp/PageDown.
    pub present: bool,
    /// Quiz mode.
    pub quiz: bool,
    /// The guided lesson.
    pub lesson: bool,
    /// In embed or presenter mode: show the knowledge panels.
    pub knowledge: bool,
    /// In embed or presenter mode: show the wire panel.
    pub wire: bool,
    /// In embed or presenter mode: show the state diagrams.
    pub states: bool,
    /// Detail level "every decision": each decision and state change is a step of its own.
    /// Off (the default): one step per message on the wire or key moment, with the decisions
    /// in between as its annotations.
    pub detail: bool,
}

/// A parsed query and what could not be read in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// What was understood.
    pub query: Query,
    /// One sentence per problem, naming the key and the value.
    pub notices: Vec<String>,
}

/// Decodes `%XX` escapes and `+` (a space, as forms encode it); invalid escapes are kept as
/// they are, invalid UTF-8 is replaced.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes a query value: letters, digits and `-._~:,=/` stay readable, the rest is `%XX`.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:,=/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A short, printable form of a user-supplied value for a notice.
fn shown(value: &str) -> String {
    crate::view::labels::truncate(value, 60)
}

fn flag(key: &str, value: &str, notices: &mut Vec<String>) -> bool {
    match value {
        "" | "1" | "true" | "yes" | "on" => true,
        "0" | "false" | "no" | "off" => false,
        other => {
            notices.push(format!(
                "The parameter {key}={:?} is not 1 or 0: {key} is off.",
                shown(other)
            ));
            false
        }
    }
}

/// Parses a query string such as `?scenario=happy-path&step=3`. Never fails.
pub fn parse_query(search: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let notices = &mut parsed.notices;
    let q = &mut parsed.query;
    // Each parameter but `set` (one per override) and `panels` (which add up) is taken once; a repeat replaces the
    // earlier value, and the notice names both.
    let mut seen: Vec<(String, String)> = Vec::new();
    for pair in search.trim_start_matches('?').split('&') {
        if pair.is_empty() {
            continue;
        }
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(raw_key);
        let value = percent_decode(raw_value);
        if key != "set" && key != "panels" {
            if let Some((_, earlier)) = seen.iter().find(|(k, _)| *k == key) {
                notices.push(format!(
                    "The parameter {} is given more than once: {}={} is replaced by the later {}={}.",
                    shown(&key),
                    shown(&key),
                    shown(earlier),
                    shown(&key),
                    shown(&value)
                ));
            }
            seen.push((key.clone(), value.clone()));
        }
        match key.as_str() {
            "scenario" => {
                if value.trim().is_empty() {
                    notices.push("The parameter scenario is empty: the default scenario is shown.".into());
                } else {
                    q.scenario = Some(value.trim().to_string());
                }
            }
            "step" => match value.trim().parse::<usize>() {
                Ok(n) if n >= 1 => q.step = Some(n),
                _ => notices.push(format!(
                    "The parameter step={:?} is not a step number (1, 2, …): step 1 is shown.",
                    shown(&value)
                )),
            },
            "set" => match value.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => {
                    let k = k.trim().to_string();
                    q.overrides.retain(|(old, _)| *old != k);
                    q.overrides.push((k, v.to_string()));
                }
                _ => notices.push(format!(
                    "The parameter set={:?} is not of the form key=value: it is ignored.",
                    shown(&value)
                )),
            },
            "compare" => match value.split_once(',') {
                Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
                    q.compare = Some((a.trim().to_string(), b.trim().to_string()));
                }
                _ => notices.push(format!(
                    "The parameter compare={:?} is not two scenario ids separated by a comma: it is ignored.",
                    shown(&value)
                )),
            },
            "live" => {
                let url = value.trim();
                if url.starts_with("ws://") || url.starts_with("wss://") {
                    q.live = Some(url.to_string());
                } else {
                    notices.push(format!(
                        "The parameter live={:?} is not a WebSocket address (ws://… or wss://…, as the lab prints it): the live view is off.",
                        shown(url)
                    ));
                }
            }
            "embed" => q.view.embed = flag("embed", &value, notices),
            "present" => q.view.present = flag("present", &value, notices),
            "quiz" => q.view.quiz = flag("quiz", &value, notices),
            "lesson" => q.view.lesson = flag("lesson", &value, notices),
            "detail" => match value.trim() {
                "all" => q.view.detail = true,
                "messages" | "" => q.view.detail = false,
                other => notices.push(format!(
                    "The parameter detail={:?} is not a detail level (all, messages): one step per message is shown.",
                    shown(other)
                )),
            },
            "panels" => {
                for panel in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    match panel {
                        "knowledge" => q.view.knowledge = true,
                        "wire" => q.view.wire = true,
                        "states" => q.view.states = true,
                        other => notices.push(format!(
                            "The panel {:?} in panels= is unknown (valid: knowledge, wire, states): it is ignored.",
                            shown(other)
                        )),
                    }
                }
            }
            other => notices.push(format!(
                "The parameter {:?} is unknown (valid: scenario, step, set, embed, panels, present, quiz, lesson, detail, compare, live): it is ignored.",
                shown(other)
            )),
        }
    }
    parsed
}

/// The query string for `query`, starting with `?`. View options are written only when on,
/// in a fixed order, so that equal views give equal links.
pub fn to_query(query: &Query) -> String {
    let mut parts = Vec::new();
    if let Some(url) = &query.live {
        parts.push(format!("live={}", percent_encode(url)));
    }
    if let Some(id) = &query.scenario {
        parts.push(format!("scenario={}", percent_encode(id)));
    }
    if let Some((a, b)) = &query.compare {
        parts.push(format!(
            "compare={},{}",
            percent_encode(a),
            percent_encode(b)
        ));
    }
    if let Some(step) = query.step {
        parts.push(format!("step={step}"));
    }
    for (k, v) in &query.overrides {
        parts.push(format!("set={}={}", percent_encode(k), percent_encode(v)));
    }
    let v = &query.view;
    for (on, name) in [
        (v.embed, "embed"),
        (v.present, "present"),
        (v.quiz, "quiz"),
        (v.lesson, "lesson"),
    ] {
        if on {
            parts.push(format!("{name}=1"));
        }
    }
    let panels: Vec<&str> = [
        (v.knowledge, "knowledge"),
        (v.wire, "wire"),
        (v.states, "states"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, n)| *n)
    .collect();
    if !panels.is_empty() {
        parts.push(format!("panels={}", panels.join(",")));
    }
    if v.detail {
        parts.push("detail=all".into());
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}
