//! Sans-IO SMTP client and server state machines with RFC 3207 (STARTTLS) semantics.
//!
//! This crate knows nothing of sockets, browsers or clocks: bytes go in, events and bytes
//! come out. It builds for native targets and for `wasm32-unknown-unknown`.
#![forbid(unsafe_code)]

pub mod rules;
