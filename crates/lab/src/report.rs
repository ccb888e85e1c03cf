//! One line per session: the peer, TLS, the outcome, and the rules either side broke.

use starttls_sim::trace::{Detail, TlsNote, Trace};

/// How a session ended, as the lab prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionReport {
    /// The peer's address.
    pub peer: String,
    /// TLS version and cipher suite, if the handshake completed.
    pub tls: Option<String>,
    /// Messages accepted, and how many of them under TLS.
    pub delivered: usize,
    /// Messages accepted under TLS.
    pub delivered_under_tls: usize,
    /// Reply codes the lab sent that refused something (4xx, 5xx).
    pub refusals: Vec<u16>,
    /// Rules broken during the session, by ID.
    pub rules_broken: Vec<String>,
    /// Why the lab ended the session, if it did (a limit).
    pub ended_by_lab: Option<String>,
    /// The peer's software, where it showed it.
    pub software: Option<String>,
}

impl SessionReport {
    /// The report of a session's trace; `ended_by_lab` names the limit that closed it.
    pub fn of(trace: &Trace, ended_by_lab: Option<String>) -> SessionReport {
        let tls = trace.steps.iter().find_map(|s| match &s.detail {
            Detail::Tls(note) => match note.as_ref() {
                TlsNote::Established { summary } => {
                    Some(format!("{} {}", summary.version, summary.cipher_suite))
                }
                _ => None,
            },
            _ => None,
        });
        let mut rules_broken: Vec<String> = Vec::new();
        for r in &trace.outcome.rules_broken {
            let id = r.as_str().to_string();
            if !rules_broken.contains(&id) {
                rules_broken.push(id);
            }
        }
        let lab = trace.lab.as_ref();
        SessionReport {
            peer: lab.map(|l| l.peer.clone()).unwrap_or_default(),
            tls,
            delivered: trace.outcome.accepted.len(),
            delivered_under_tls: trace.outcome.accepted.iter().filter(|(_, t)| *t).count(),
            refusals: trace
                .outcome
                .reply_codes
                .iter()
                .copied()
                .filter(|c| *c >= 400)
                .collect(),
            rules_broken,
            ended_by_lab,
            software: lab.and_then(|l| l.software.clone()),
        }
    }

    /// The one line the lab prints.
    pub fn line(&self) -> String {
        let tls = self.tls.as_deref().unwrap_or("no TLS");
        let outcome = match (self.delivered, self.delivered_under_tls) {
            (0, _) => "nothing delivered".to_string(),
            (n, t) if n == t => format!("delivered {n} under TLS"),
            (n, t) => format!("delivered {n} ({} in the clear)", n - t),
        };
        let refusals = if self.refusals.is_empty() {
            String::new()
        } else {
            let codes: Vec<String> = self.refusals.iter().map(u16::to_string).collect();
            format!("; refused with {}", codes.join(","))
        };
        let broken = if self.rules_broken.is_empty() {
            "none".to_string()
        } else {
            self.rules_broken.join(",")
        };
        let ended = self
            .ended_by_lab
            .as_deref()
            .map(|e| format!("; closed by the lab: {e}"))
            .unwrap_or_default();
        let software = self
            .software
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        format!(
            "session {}{software}: {tls}; {outcome}{refusals}; rules broken: {broken}{ended}",
            self.peer
        )
    }
}
