//! Test helpers: drive a machine with text, and a `Pair` that pumps bytes between
//! a client and a server deterministically (like quinn-proto's `Pair`), handing a
//! fake TLS summary to both at the switch.

use starttls_protocol::client::{Client, ClientEvent, ClientPolicy, ClientScript};
use starttls_protocol::server::{Server, ServerEvent, ServerPolicy};
use starttls_protocol::tls::TlsSummary;

/// Feeds all of `bytes` to the server, draining events into `events` as needed.
pub fn feed_server(server: &mut Server, bytes: &[u8], events: &mut Vec<ServerEvent>) {
    let mut rest = bytes;
    let mut stalls = 0;
    while !rest.is_empty() {
        let n = server.receive(rest);
        rest = &rest[n..];
        let before = events.len();
        events.extend(std::iter::from_fn(|| server.poll_event()));
        let _ = server.take_outgoing();
        if n == 0 && events.len() == before {
            stalls += 1;
            assert!(stalls < 3, "server stalled");
        }
    }
    events.extend(std::iter::from_fn(|| server.poll_event()));
}

/// A server with the default greeting already taken.
pub fn server(policy: ServerPolicy) -> Server {
    let mut s = Server::new(policy).expect("valid policy");
    let _ = s.take_outgoing();
    while s.poll_event().is_some() {}
    s
}

/// Sends `input` to the server and returns (outgoing text, events).
pub fn talk(server: &mut Server, input: &str) -> (String, Vec<ServerEvent>) {
    let mut out = Vec::new();
    let mut events = Vec::new();
    let mut rest = input.as_bytes();
    loop {
        let n = server.receive(rest);
        rest = &rest[n..];
        events.extend(std::iter::from_fn(|| server.poll_event()));
        out.extend(server.take_outgoing());
        if rest.is_empty() {
            break;
        }
    }
    events.extend(std::iter::from_fn(|| server.poll_event()));
    out.extend(server.take_outgoing());
    (String::from_utf8(out).expect("ASCII replies"), events)
}

/// Sends server bytes to the client and returns (client outgoing text, events).
pub fn hear(client: &mut Client, input: &str) -> (String, Vec<ClientEvent>) {
    let n = client.receive(input.as_bytes());
    assert_eq!(n, input.len());
    let events: Vec<_> = std::iter::from_fn(|| client.poll_event()).collect();
    (String::from_utf8(client.take_outgoing()).unwrap(), events)
}

/// The reply codes in a block of server output.
pub fn codes(out: &str) -> Vec<u16> {
    out.split("\r\n")
        .filter(|l| l.len() >= 3 && l.as_bytes().get(3) != Some(&b'-'))
        .map(|l| l[..3].parse().unwrap())
        .collect()
}

/// A plausible EHLO reply from a server offering `exts`.
pub fn ehlo_reply(exts: &[&str]) -> String {
    let mut s = String::from("250");
    s.push_str(if exts.is_empty() { " " } else { "-" });
    s.push_str("mx.example.net\r\n");
    for (i, e) in exts.iter().enumerate() {
        let sep = if i + 1 == exts.len() { ' ' } else { '-' };
        s.push_str(&format!("250{sep}{e}\r\n"));
    }
    s
}

/// Direction of a flight, for tampering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Client to server.
    ToServer,
    /// Server to client.
    ToClient,
}

/// One recorded flight.
#[derive(Debug, Clone)]
pub struct Flight {
    pub dir: Dir,
    pub bytes: Vec<u8>,
    pub under_tls: bool,
}

type Tamper = Box<dyn FnMut(Dir, bool, Vec<u8>) -> Vec<u8>>;

/// Two machines and a wire between them.
pub struct Pair {
    pub server: Server,
    pub client: Client,
    pub summary: TlsSummary,
    pub server_events: Vec<ServerEvent>,
    pub client_events: Vec<ClientEvent>,
    pub flights: Vec<Flight>,
    /// A man in the middle: may rewrite cleartext flights (`under_tls == false`).
    pub tamper: Option<Tamper>,
    server_wants_tls: bool,
    client_wants_tls: bool,
    /// Checked after every step: both sides agree on whether TLS is active (BOTH-KNOW-TLS).
    pub tls_disagreements: usize,
}

impl Pair {
    pub fn new(server: ServerPolicy, client: ClientPolicy, script: ClientScript) -> Pair {
        Pair {
            server: Server::new(server).expect("valid server policy"),
            client: Client::new(client, script).expect("valid script"),
            summary: TlsSummary::verified("mx.example.net"),
            server_events: Vec::new(),
            client_events: Vec::new(),
            flights: Vec::new(),
            tamper: None,
            server_wants_tls: false,
            client_wants_tls: false,
            tls_disagreements: 0,
        }
    }

    pub fn default_pair() -> Pair {
        Pair::new(
            ServerPolicy::default(),
            ClientPolicy::default(),
            ClientScript::default(),
        )
    }

    fn drain(&mut self) {
        let s: Vec<_> = std::iter::from_fn(|| self.server.poll_event()).collect();
        self.server_wants_tls |= s.iter().any(|e| matches!(e, ServerEvent::StartTls { .. }));
        self.server_events.extend(s);
        let c: Vec<_> = std::iter::from_fn(|| self.client.poll_event()).collect();
        self.client_wants_tls |= c.iter().any(|e| matches!(e, ClientEvent::StartTls { .. }));
        self.client_events.extend(c);
    }

    fn deliver(&mut self, dir: Dir, bytes: Vec<u8>) -> bool {
        let under_tls = match dir {
            Dir::ToServer => self.client.is_tls_active(),
            Dir::ToClient => self.server.is_tls_active(),
        };
        let bytes = match (&mut self.tamper, under_tls) {
            (Some(t), false) => t(dir, under_tls, bytes),
            _ => bytes,
        };
        if bytes.is_empty() {
            return false;
        }
        self.flights.push(Flight {
            dir,
            bytes: bytes.clone(),
            under_tls,
        });
        let mut rest = &bytes[..];
        let mut stalls = 0;
        while !rest.is_empty() {
            let n = match dir {
                Dir::ToServer => self.server.receive(rest),
                Dir::ToClient => self.client.receive(rest),
            };
            rest = &rest[n..];
            self.drain();
            if n == 0 {
                stalls += 1;
                assert!(stalls < 3, "receiver stalled");
            }
        }
        true
    }

    /// One round: server flight, client flight, handshake if both asked for it.
    pub fn step(&mut self) -> bool {
        self.drain();
        let s2c = self.server.take_outgoing();
        let moved_s = self.deliver(Dir::ToClient, s2c);
        let c2s = self.client.take_outgoing();
        let moved_c = self.deliver(Dir::ToServer, c2s);
        self.drain();
        let mut shook = false;
        if self.server_wants_tls && self.client_wants_tls {
            // The server's 220 may still be queued; it goes out in the clear first.
            let s2c = self.server.take_outgoing();
            self.deliver(Dir::ToClient, s2c);
            self.server.tls_established(self.summary.clone()).unwrap();
            self.client.tls_established(self.summary.clone()).unwrap();
            self.server_wants_tls = false;
            self.client_wants_tls = false;
            shook = true;
            self.drain();
        } else if self.server_wants_tls && !self.client_wants_tls && !moved_s && !moved_c {
            // The server waits for a handshake that the client never starts.
            return false;
        }
        let handshaking = !matches!(
            self.server.tls(),
            starttls_protocol::TlsState::On(_) | starttls_protocol::TlsState::Off
        ) || !matches!(
            self.client.tls(),
            starttls_protocol::TlsState::On(_) | starttls_protocol::TlsState::Off
        );
        if !handshaking && self.server.is_tls_active() != self.client.is_tls_active() {
            self.tls_disagreements += 1;
        }
        moved_s || moved_c || shook
    }

    /// Runs until nothing moves (at most 200 rounds).
    pub fn run(&mut self) -> &mut Self {
        for _ in 0..200 {
            if !self.step() {
                break;
            }
        }
        self
    }

    /// All cleartext bytes the client sent, as text.
    pub fn wire(&self, dir: Dir) -> String {
        self.flights
            .iter()
            .filter(|f| f.dir == dir)
            .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
            .collect()
    }
}
