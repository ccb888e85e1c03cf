//! Exports of a trace for use outside the playground: a `.pcapng` capture with an NSS key
//! log, so that Wireshark decrypts the SMTP inside TLS.

mod pcap;

pub use pcap::{CLIENT_ADDR, KEY_LOG_NAME, SERVER_ADDR, SMTP_PORT, key_log, pcapng};
