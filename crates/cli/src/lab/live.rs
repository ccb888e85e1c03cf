//! `--live` for the lab's three commands: the options, and starting the live listener.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use starttls_lab::live::LiveHub;
use starttls_lab::live::http::{Live, LiveConfig};
use starttls_sim::Scenario;

/// The live view's default address (loopback).
pub const DEFAULT_LIVE_LISTEN: &str = "127.0.0.1:8090";

/// The live options of a lab command.
#[derive(Debug, Default)]
pub struct LiveOptions {
    on: bool,
    listen: Option<String>,
    lan: bool,
    origins: Vec<String>,
    control: bool,
    dist: Option<PathBuf>,
}

impl LiveOptions {
    /// Takes `a` (and its value from `it`) if it is a live option: `None` if it is not one.
    pub fn take(
        &mut self,
        a: &str,
        it: &mut std::slice::Iter<'_, String>,
    ) -> Option<Result<(), String>> {
        Some(match a {
            "--live" => {
                self.on = true;
                Ok(())
            }
            "--live-listen" => it
                .next()
                .map(|v| self.listen = Some(v.clone()))
                .ok_or("--live-listen needs ADDR".into()),
            "--live-lan" => {
                self.lan = true;
                Ok(())
            }
            "--live-origin" => it
                .next()
                .map(|v| self.origins.push(v.trim_end_matches('/').to_string()))
                .ok_or("--live-origin needs an origin such as http://127.0.0.1:8080".into()),
            "--allow-control" => {
                self.control = true;
                Ok(())
            }
            "--dist" => it
                .next()
                .map(|v| self.dist = Some(v.into()))
                .ok_or("--dist needs a directory".into()),
            _ => return None,
        })
    }

    /// Whether `--live` was given (the other live options need it).
    pub fn check(&self) -> Result<(), String> {
        let others = self.listen.is_some()
            || self.lan
            || !self.origins.is_empty()
            || self.control
            || self.dist.is_some();
        if others && !self.on {
            return Err("--live-listen, --live-lan, --live-origin, --allow-control and --dist go with --live".into());
        }
        Ok(())
    }

    /// Starts the live listener for a lab in `mode` running `scenario`, and prints the page's
    /// URL on a line of its own. `None` without `--live`; exit 2 when it cannot start.
    pub async fn start(
        self,
        mode: &'static str,
        scenario: Scenario,
    ) -> Result<Option<Arc<LiveHub>>, ExitCode> {
        if !self.on {
            return Ok(None);
        }
        let hub = LiveHub::new(mode, scenario, self.control);
        let dist = self
            .dist
            .or_else(|| std::env::var_os("STARTTLS_PLAYGROUND_DIST").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("dist"));
        let config = LiveConfig {
            dist,
            lan: self.lan,
            extra_origins: self.origins,
        };
        let listen = self.listen.as_deref().unwrap_or(DEFAULT_LIVE_LISTEN);
        let live = Live::bind(listen, hub.clone(), config).await.map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::from(2)
        })?;
        out!(
            "live view on {} ({}): open",
            live.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            if self.lan {
                "other machines may connect with the token in the URL; from another machine, put this machine's address in place of 127.0.0.1"
            } else {
                "loopback only"
            }
        );
        out!("{}", live.url);
        tokio::spawn(live.serve(super::stop_signal()));
        Ok(Some(hub))
    }
}
