//! The options the lab's three commands share: the policy (`--scenario`, `--set`), the
//! limits, and the live view's.

use std::time::Duration;

use starttls_lab::Limits;

use super::live::LiveOptions;

/// What `--scenario`, `--set`, the limit options and the live options set.
#[derive(Debug)]
pub struct Options {
    /// The scenario of the policy.
    pub id: String,
    /// `--set key=value`, in order.
    pub overrides: Vec<(String, String)>,
    /// The session limits.
    pub limits: Limits,
    /// `--live` and its options.
    pub live: LiveOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            id: "happy-path".into(),
            overrides: Vec::new(),
            limits: Limits::default(),
            live: LiveOptions::default(),
        }
    }
}

fn seconds(value: Option<&String>, what: &str) -> Result<Duration, String> {
    value
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{what} needs a number of seconds above 0"))
}

impl Options {
    /// Takes `a` (and its value from `it`) if it is a shared option; an unknown option is an
    /// error that names it.
    pub fn take(&mut self, a: &str, it: &mut std::slice::Iter<'_, String>) -> Result<(), String> {
        let limits = &mut self.limits;
        match a {
            "--scenario" => it
                .next()
                .map(|v| self.id = v.clone())
                .ok_or("--scenario needs an id".into()),
            "--set" => match it.next().and_then(|kv| kv.split_once('=')) {
                Some((k, v)) => {
                    self.overrides.push((k.to_string(), v.to_string()));
                    Ok(())
                }
                None => Err("--set needs key=value".into()),
            },
            "--max-sessions" => it
                .next()
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|n| *n > 0)
                .map(|n| limits.max_sessions = n)
                .ok_or("--max-sessions needs a number above 0".into()),
            "--idle-timeout" => {
                seconds(it.next(), "--idle-timeout").map(|d| limits.idle_timeout = d)
            }
            "--session-timeout" => {
                seconds(it.next(), "--session-timeout").map(|d| limits.session_timeout = d)
            }
            "--handshake-timeout" => {
                seconds(it.next(), "--handshake-timeout").map(|d| limits.handshake_timeout = d)
            }
            other => self
                .live
                .take(other, it)
                .unwrap_or_else(|| Err(format!("unknown option {other:?}"))),
        }
    }
}
