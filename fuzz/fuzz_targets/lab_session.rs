//! The lab's session logic (`starttls_lab::run_session`), driven without sockets: the real
//! peer is an in-memory stream that hands the session the fuzzer's bytes, one read at a time,
//! and swallows what the session writes.
//!
//! Input: the first byte chooses the scenario and whether the fuzzer plays the real client
//! (facing the lab's server) or the real server (facing the lab's client); the rest is the
//! peer's bytes, where `0xFF` and `0xFE` end one read (so a golden transcript's client side is
//! a seed as it stands). Every session must end, with a trace whose invariants hold
//! (`starttls_sim::invariants::check`, as far as a trace with a real peer shows them), and
//! that exports and imports unchanged.
#![no_main]

mod chunks;

use std::io;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use libfuzzer_sys::fuzz_target;
use starttls_lab::{Limits, run_session};
use starttls_sim::scenario::{self, Scenario};
use starttls_sim::trace::{Actor, LabSession, Trace};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A peer that has said everything in `reads` up front: each read gets the next piece (or
/// as much of it as fits), then end of file. Writes are accepted and dropped.
struct Peer {
    reads: Vec<Vec<u8>>,
    next: usize,
    offset: usize,
}

impl AsyncRead for Peer {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(piece) = this.reads.get(this.next) {
            let rest = &piece[this.offset..];
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.offset += n;
            if this.offset == piece.len() {
                this.next += 1;
                this.offset = 0;
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Peer {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(b.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a tokio runtime")
    })
}

fn scenarios() -> &'static [Scenario] {
    static ALL: OnceLock<Vec<Scenario>> = OnceLock::new();
    ALL.get_or_init(|| scenario::catalogue().expect("the catalogue parses"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&cfg, rest)) = data.split_first() else {
        return;
    };
    let all = scenarios();
    let scenario = &all[(cfg >> 1) as usize % all.len()];
    let remote = if cfg & 1 == 0 {
        Actor::Client
    } else {
        Actor::Server
    };
    let mut reads = Vec::new();
    chunks::split(rest, |piece| {
        if let chunks::Piece::Bytes(b) = piece {
            reads.push(b.to_vec());
        }
    });
    let peer = Peer {
        reads,
        next: 0,
        offset: 0,
    };
    let lab = LabSession {
        remote,
        peer: "127.0.0.2:2525".into(),
        local: "127.0.0.1:25".into(),
        started: "2026-12-02T00:00:00Z".into(),
        software: None,
    };
    let finished = runtime().block_on(run_session(peer, scenario, lab, Limits::default(), None));
    let trace = finished.trace;
    let again = Trace::from_json(&trace.to_json()).expect("a lab trace imports");
    assert_eq!(again, trace);
    let wrong = starttls_sim::invariants::check(scenario, &trace);
    assert!(wrong.is_empty(), "{}: {}", scenario.id, wrong.join("\n"));
});
