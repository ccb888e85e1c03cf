//! The lab: the playground's own SMTP machines over real TCP, facing real mail clients and
//! servers, each session written as a trace that the browser opens like a scenario.
//!
//! The protocol work is the engine's ([`starttls_sim::Engine::with_remote`]): this crate
//! owns only sockets, clocks and limits. [`server`] runs the lab's SMTP server;
//! [`run_session`] one session of it, or of the lab's client against a real server; [`report`]
//! words a session in one line; [`limits`] are the bounds every session runs under;
//! [`check`] is the conformance series of `lab client --check`; [`proxy`] puts the engine's
//! attacker between a real client and a real server.
#![forbid(unsafe_code)]

pub mod accept;
pub mod check;
pub mod limits;
pub mod live;
pub mod memory;
pub mod proxy;
pub mod report;
pub mod server;
pub mod session;

pub use limits::Limits;
pub use report::SessionReport;
pub use server::{ServerConfig, Summary, rfc3339, serve};
pub use session::{Finished, run_session};
