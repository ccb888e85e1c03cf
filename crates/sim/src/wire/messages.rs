//! Naming the TLS messages of a flight. Cleartext records are read off the wire; encrypted
//! ones cannot be, so they are named from what the sender knows it put in them: where the
//! flight falls in the handshake (RFC 8446 §2, §4; RFC 5246 §7.3), and which bytes rustls had
//! queued before the SMTP text was written.

use super::{DecodedRecord, RecordView};
use crate::trace::{Protection, TlsMessage};

/// What the sender knows about a flight.
#[derive(Debug, Clone, Copy)]
pub struct FlightContext {
    /// The client sends it.
    pub from_client: bool,
    /// TLS 1.3 has been negotiated (as far as the sender knows yet).
    pub tls13: bool,
    /// Bytes rustls had queued before the SMTP text: records wholly before this offset are
    /// handshake messages, tickets or alerts; the rest carry the SMTP text.
    pub before_text: usize,
    /// The sender has sent no encrypted record before.
    pub first_encrypted: bool,
    /// The sender's handshake is complete.
    pub established: bool,
    /// The sender has just called for close_notify.
    pub closing: bool,
    /// The sender is sending the alert rustls queued after an error.
    pub alerting: bool,
    /// The server asks for a client certificate.
    pub certificate_request: bool,
    /// The client has a certificate to present.
    pub client_certificate: bool,
}

fn msg(name: &str, protection: Protection) -> TlsMessage {
    TlsMessage {
        name: name.to_string(),
        protection,
    }
}

/// The messages of one flight, in order.
pub fn name_messages(records: &[DecodedRecord], cx: &FlightContext) -> Vec<TlsMessage> {
    use Protection::*;
    let mut out = Vec::new();
    let has_server_hello = records
        .iter()
        .any(|r| matches!(r.view, RecordView::ServerHello { .. }));
    let mut after_ccs = false;
    let mut named_group = false;
    let app = if cx.tls13 {
        ApplicationKeys
    } else {
        NegotiatedKeys
    };
    // After an error, rustls's alert is the last record it queued before any SMTP text.
    let alert_at = cx
        .alerting
        .then(|| {
            records.iter().rposition(|r| {
                r.view == RecordView::Encrypted
                    && r.header.offset + 5 + usize::from(r.header.length) <= cx.before_text
            })
        })
        .flatten();
    for (i, r) in records.iter().enumerate() {
        let before_text = r.header.offset + 5 + usize::from(r.header.length) <= cx.before_text;
        match &r.view {
            RecordView::ClientHello { .. } => out.push(msg("ClientHello", Cleartext)),
            RecordView::ServerHello { following, .. } => {
                out.push(msg("ServerHello", Cleartext));
                out.extend(following.iter().map(|m| msg(m, Cleartext)));
            }
            RecordView::Handshake { messages } => {
                out.extend(messages.iter().map(|m| msg(m, Cleartext)))
            }
            RecordView::ChangeCipherSpec => {
                after_ccs = true;
                if cx.tls13 {
                    out.push(msg("ChangeCipherSpec", Dummy));
                } else {
                    out.push(msg("ChangeCipherSpec", Cleartext));
                }
            }
            RecordView::Alert { description, .. } => {
                out.push(msg(&format!("alert {description}"), Cleartext))
            }
            RecordView::Malformed { .. } => out.push(msg("malformed record", Cleartext)),
            RecordView::Encrypted if !before_text => out.push(msg("application data", app)),
            RecordView::Encrypted if alert_at == Some(i) => {
                let keys = if cx.tls13 && !cx.established {
                    HandshakeKeys
                } else {
                    app
                };
                out.push(msg("a fatal alert", keys));
            }
            RecordView::Encrypted if cx.closing => out.push(msg("alert close_notify", app)),
            RecordView::Encrypted if cx.tls13 && !cx.from_client && has_server_hello => {
                if !named_group {
                    named_group = true;
                    out.push(msg("EncryptedExtensions", HandshakeKeys));
                    if cx.certificate_request {
                        out.push(msg("CertificateRequest", HandshakeKeys));
                    }
                    out.push(msg("Certificate", HandshakeKeys));
                    out.push(msg("CertificateVerify", HandshakeKeys));
                    out.push(msg("Finished", HandshakeKeys));
                }
            }
            RecordView::Encrypted if cx.tls13 && cx.from_client && cx.first_encrypted => {
                if !named_group {
                    named_group = true;
                    if cx.certificate_request {
                        if cx.client_certificate {
                            out.push(msg("Certificate", HandshakeKeys));
                            out.push(msg("CertificateVerify", HandshakeKeys));
                        } else {
                            out.push(msg(
                                "Certificate (empty: no client certificate)",
                                HandshakeKeys,
                            ));
                        }
                    }
                    out.push(msg("Finished", HandshakeKeys));
                }
            }
            RecordView::Encrypted if cx.tls13 && !cx.from_client && cx.established => {
                if !named_group {
                    named_group = true;
                    for _ in 0..crate::tls::TLS13_TICKETS {
                        out.push(msg("NewSessionTicket", ApplicationKeys));
                    }
                }
            }
            RecordView::Encrypted if !cx.tls13 && after_ccs => out.push(msg("Finished", app)),
            RecordView::Encrypted => out.push(msg("encrypted record", app)),
        }
    }
    out
}
