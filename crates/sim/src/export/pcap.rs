//! The trace as a capture file. The in-memory flights get synthetic TCP/IP framing (a
//! three-way handshake, one segment per flight with consistent sequence numbers, and FINs),
//! on port 25 so that Wireshark's SMTP dissector follows the STARTTLS switch; each packet
//! carries the step's sentence as a pcapng comment. What the wire carried is what the file
//! holds: where the attacker rewrote a flight, the rewritten bytes.

use std::borrow::Cow;
use std::time::Duration;

use etherparse::PacketBuilder;
use pcap_file::DataLink;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};

use crate::SimError;
use crate::trace::{Detail, Direction, Trace};

/// The client's address in exported captures (TEST-NET-1, RFC 5737).
pub const CLIENT_ADDR: [u8; 4] = [192, 0, 2, 10];
/// The server's address in exported captures (TEST-NET-2, RFC 5737).
pub const SERVER_ADDR: [u8; 4] = [198, 51, 100, 25];
/// The server's port: SMTP.
pub const SMTP_PORT: u16 = 25;
/// The client's ephemeral port.
const CLIENT_PORT: u16 = 49_152;
/// The suggested file name of the key log beside a capture.
pub const KEY_LOG_NAME: &str = "sslkeylog.txt";

/// The key log of a trace, in the NSS format Wireshark reads (`tls.keylog_file`).
pub fn key_log(trace: &Trace) -> String {
    let mut out = String::from(
        "# NSS key log of a STARTTLS Playground simulation: these keys protect nothing real.\n",
    );
    for line in &trace.key_log {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The flights of a trace as they crossed the wire, in order.
fn flights(trace: &Trace) -> Vec<(Direction, Vec<u8>, String)> {
    let mut out: Vec<(Direction, Vec<u8>, String)> = Vec::new();
    for step in &trace.steps {
        let (Some(direction), Some(bytes)) = (step.direction, step.bytes.as_ref()) else {
            continue;
        };
        let rewrites = matches!(&step.detail, Detail::Wire(w) if w.rewrites_previous);
        match out.last_mut() {
            Some(last) if rewrites && last.0 == direction => {
                last.1 = bytes.clone();
                last.2 = format!("{} / {}", last.2, step.text);
            }
            _ => out.push((direction, bytes.clone(), step.text.clone())),
        }
    }
    out
}

/// Tracks both directions' sequence numbers.
struct Tcp {
    client_seq: u32,
    server_seq: u32,
}

impl Tcp {
    fn segment(
        &mut self,
        direction: Direction,
        flags: &str,
        payload: &[u8],
    ) -> Result<Vec<u8>, SimError> {
        let (src, dst, sport, dport, seq, ack) = match direction {
            Direction::ClientToServer => (
                CLIENT_ADDR,
                SERVER_ADDR,
                CLIENT_PORT,
                SMTP_PORT,
                self.client_seq,
                self.server_seq,
            ),
            Direction::ServerToClient => (
                SERVER_ADDR,
                CLIENT_ADDR,
                SMTP_PORT,
                CLIENT_PORT,
                self.server_seq,
                self.client_seq,
            ),
        };
        let mut builder = PacketBuilder::ipv4(src, dst, 64).tcp(sport, dport, seq, 64_240);
        if flags.contains('S') {
            builder = builder.syn();
        }
        if flags.contains('A') {
            builder = builder.ack(ack);
        }
        if flags.contains('P') {
            builder = builder.psh();
        }
        if flags.contains('F') {
            builder = builder.fin();
        }
        let mut packet = Vec::with_capacity(builder.size(payload.len()));
        builder
            .write(&mut packet, payload)
            .map_err(|e| SimError::Io(format!("TCP/IP framing: {e}")))?;
        let consumed =
            payload.len() as u32 + u32::from(flags.contains('S')) + u32::from(flags.contains('F'));
        match direction {
            Direction::ClientToServer => self.client_seq = self.client_seq.wrapping_add(consumed),
            Direction::ServerToClient => self.server_seq = self.server_seq.wrapping_add(consumed),
        }
        Ok(packet)
    }
}

/// The trace as a pcapng capture (raw IPv4, nanosecond timestamps from `start_unix`).
pub fn pcapng(trace: &Trace, start_unix: u64) -> Result<Vec<u8>, SimError> {
    let err = |e: pcap_file::PcapError| SimError::Io(format!("pcapng: {e}"));
    let mut writer = PcapNgWriter::new(Vec::new()).map_err(err)?;
    writer
        .write_pcapng_block(InterfaceDescriptionBlock {
            linktype: DataLink::RAW,
            snaplen: 0,
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Borrowed("starttls-playground")),
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        })
        .map_err(err)?;
    let mut tcp = Tcp {
        client_seq: 1_000,
        server_seq: 5_000,
    };
    let mut t = Duration::from_secs(start_unix);
    let mut packets: Vec<(Vec<u8>, String)> = vec![(
        tcp.segment(Direction::ClientToServer, "S", &[])?,
        "TCP handshake (synthetic)".into(),
    )];
    // The server's SYN-ACK acknowledges the client's SYN.
    packets.push((
        tcp.segment(Direction::ServerToClient, "SA", &[])?,
        "TCP handshake (synthetic)".into(),
    ));
    packets.push((
        tcp.segment(Direction::ClientToServer, "A", &[])?,
        "TCP handshake (synthetic)".into(),
    ));
    for (direction, bytes, text) in flights(trace) {
        packets.push((tcp.segment(direction, "PA", &bytes)?, text));
    }
    packets.push((
        tcp.segment(Direction::ClientToServer, "FA", &[])?,
        "connection closed (synthetic)".into(),
    ));
    packets.push((
        tcp.segment(Direction::ServerToClient, "FA", &[])?,
        "connection closed (synthetic)".into(),
    ));
    for (data, comment) in packets {
        t += Duration::from_millis(1);
        writer
            .write_pcapng_block(EnhancedPacketBlock {
                interface_id: 0,
                timestamp: t,
                original_len: data.len() as u32,
                data: Cow::Owned(data),
                options: vec![EnhancedPacketOption::Comment(Cow::Owned(comment))],
            })
            .map_err(err)?;
    }
    Ok(writer.into_inner())
}
