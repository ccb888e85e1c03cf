//! The accept loop the lab server and the lab proxy share: at most `max` sessions at once
//! (one more gets `421 4.3.2` and is closed), each its own task, until shutdown; then the
//! sessions under way end by their own limits.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::limits::TOO_MANY_SESSIONS;

/// What the loop counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accepted {
    /// Sessions run.
    pub sessions: usize,
    /// Connections refused with 421.
    pub refused: usize,
}

/// Accepts on `listener` until `shutdown`; runs `session(stream, peer, n)` (n from 1) for
/// each connection within `max`.
pub async fn accept_loop<F, Fut>(
    listener: TcpListener,
    max: usize,
    shutdown: impl Future<Output = ()>,
    session: F,
) -> Accepted
where
    F: Fn(TcpStream, SocketAddr, usize) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(max));
    let mut counted = Accepted::default();
    let mut tasks = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            a = listener.accept() => a,
        };
        let Ok((mut stream, peer)) = accepted else {
            continue;
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            counted.refused += 1;
            tasks.spawn(async move {
                let _ = stream.write_all(TOO_MANY_SESSIONS).await;
                let _ = stream.shutdown().await;
            });
            continue;
        };
        counted.sessions += 1;
        let _ = stream.set_nodelay(true);
        let run = session(stream, peer, counted.sessions);
        tasks.spawn(async move {
            let _permit = permit;
            run.await;
        });
        // Reap finished sessions so the set does not grow without bound.
        while tasks.try_join_next().is_some() {}
    }
    drop(listener);
    while tasks.join_next().await.is_some() {}
    counted
}

/// Writes `trace` as `session-N.json` in `dir`; an error is reported on stderr, never fatal.
pub fn write_trace(dir: &std::path::Path, n: usize, trace: &starttls_sim::trace::Trace) {
    let path = dir.join(format!("session-{n:05}.json"));
    if let Err(e) =
        std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&path, trace.to_json()))
    {
        eprintln!("lab: cannot write {}: {e}", path.display());
    }
}
