//! The decoder itself (the `engine` feature): `tls-parser` over each record's body.

use tls_parser::{
    TlsExtension, TlsMessage, TlsMessageHandshake, parse_tls_client_hello_extensions,
    parse_tls_plaintext, parse_tls_server_hello_extensions,
};

use super::{DecodedRecord, RecordView};
use crate::wire::records;

/// Decodes the records one side sends, in order. One decoder per direction: after a TLS 1.2
/// ChangeCipherSpec every later record of that sender is encrypted, whatever its type says.
#[derive(Debug, Default, Clone)]
pub struct Decoder {
    encrypted: bool,
}

fn suite(id: u16) -> String {
    crate::names::suite(rustls::CipherSuite::from(id))
}

fn group(id: u16) -> String {
    crate::names::group(rustls::NamedGroup::from(id))
}

fn version(id: u16) -> String {
    crate::names::version(rustls::ProtocolVersion::from(id))
}

/// Groups named in a ClientHello `key_share` extension body.
fn client_key_share_groups(mut body: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    if body.len() < 2 {
        return out;
    }
    body = &body[2..];
    while body.len() >= 4 {
        let id = u16::from_be_bytes([body[0], body[1]]);
        let len = usize::from(u16::from_be_bytes([body[2], body[3]]));
        out.push(group(id));
        body = body.get(4 + len..).unwrap_or_default();
    }
    out
}

fn view_of(msg: &TlsMessage<'_>) -> RecordView {
    match msg {
        TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)) => {
            let mut view = RecordView::ClientHello {
                server_name: None,
                cipher_suites: ch.ciphers.iter().map(|c| suite(c.0)).collect(),
                supported_versions: Vec::new(),
                key_share_groups: Vec::new(),
            };
            let exts = ch
                .ext
                .and_then(|e| parse_tls_client_hello_extensions(e).ok())
                .map(|(_, v)| v);
            if let RecordView::ClientHello {
                server_name,
                supported_versions,
                key_share_groups,
                ..
            } = &mut view
            {
                for ext in exts.unwrap_or_default() {
                    match ext {
                        TlsExtension::SNI(names) => {
                            *server_name = names
                                .first()
                                .map(|(_, n)| String::from_utf8_lossy(n).into_owned());
                        }
                        TlsExtension::SupportedVersions(vs) => {
                            *supported_versions = vs.iter().map(|v| version(v.0)).collect();
                        }
                        TlsExtension::KeyShare(body) => {
                            *key_share_groups = client_key_share_groups(body)
                        }
                        _ => {}
                    }
                }
            }
            view
        }
        TlsMessage::Handshake(TlsMessageHandshake::ServerHello(sh)) => {
            let mut chosen = version(sh.version.0);
            let mut key_share_group = None;
            let exts = sh
                .ext
                .and_then(|e| parse_tls_server_hello_extensions(e).ok())
                .map(|(_, v)| v);
            for ext in exts.unwrap_or_default() {
                match ext {
                    TlsExtension::SupportedVersions(vs) if !vs.is_empty() => {
                        chosen = version(vs[0].0)
                    }
                    TlsExtension::KeyShare(body) if body.len() >= 2 => {
                        key_share_group = Some(group(u16::from_be_bytes([body[0], body[1]])));
                    }
                    _ => {}
                }
            }
            RecordView::ServerHello {
                version: chosen,
                cipher_suite: suite(sh.cipher.0),
                key_share_group,
                following: Vec::new(),
            }
        }
        TlsMessage::Handshake(other) => RecordView::Handshake {
            messages: vec![handshake_name(other).to_string()],
        },
        TlsMessage::ChangeCipherSpec => RecordView::ChangeCipherSpec,
        TlsMessage::Alert(a) => RecordView::Alert {
            level: match a.severity.0 {
                1 => "warning".into(),
                2 => "fatal".into(),
                n => format!("level {n}"),
            },
            description: crate::names::alert(rustls::AlertDescription::from(a.code.0)),
        },
        TlsMessage::ApplicationData(_) | TlsMessage::Heartbeat(_) => RecordView::Encrypted,
    }
}

fn handshake_name(m: &TlsMessageHandshake<'_>) -> &'static str {
    match m {
        TlsMessageHandshake::HelloRequest => "HelloRequest",
        TlsMessageHandshake::ClientHello(_) => "ClientHello",
        TlsMessageHandshake::ServerHello(_) | TlsMessageHandshake::ServerHelloV13Draft18(_) => {
            "ServerHello"
        }
        TlsMessageHandshake::NewSessionTicket(_) => "NewSessionTicket",
        TlsMessageHandshake::EndOfEarlyData => "EndOfEarlyData",
        TlsMessageHandshake::HelloRetryRequest(_) => "HelloRetryRequest",
        TlsMessageHandshake::Certificate(_) => "Certificate",
        TlsMessageHandshake::ServerKeyExchange(_) => "ServerKeyExchange",
        TlsMessageHandshake::CertificateRequest(_) => "CertificateRequest",
        TlsMessageHandshake::ServerDone(_) => "ServerHelloDone",
        TlsMessageHandshake::CertificateVerify(_) => "CertificateVerify",
        TlsMessageHandshake::ClientKeyExchange(_) => "ClientKeyExchange",
        TlsMessageHandshake::Finished(_) => "Finished",
        TlsMessageHandshake::CertificateStatus(_) => "CertificateStatus",
        TlsMessageHandshake::NextProtocol(_) => "NextProtocol",
        TlsMessageHandshake::KeyUpdate(_) => "KeyUpdate",
    }
}

impl Decoder {
    /// Whether this sender's records are encrypted from now on.
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// Decodes the complete records of one flight from this sender.
    pub fn decode_flight(&mut self, flight: &[u8]) -> Vec<DecodedRecord> {
        let (headers, _partial) = records(flight);
        let mut out = Vec::with_capacity(headers.len());
        for header in headers {
            let end = header.offset + 5 + usize::from(header.length);
            let bytes = &flight[header.offset..end];
            let view = if header.content_type == 23 || (self.encrypted && header.content_type != 20)
            {
                RecordView::Encrypted
            } else {
                match parse_tls_plaintext(bytes) {
                    Ok((_, plain)) => {
                        let mut views: Vec<RecordView> = plain.msg.iter().map(view_of).collect();
                        if views.len() > 1
                            && views
                                .iter()
                                .all(|v| matches!(v, RecordView::Handshake { .. }))
                        {
                            RecordView::Handshake {
                                messages: views
                                    .into_iter()
                                    .flat_map(|v| match v {
                                        RecordView::Handshake { messages } => messages,
                                        _ => Vec::new(),
                                    })
                                    .collect(),
                            }
                        } else if views.is_empty() {
                            RecordView::Malformed {
                                reason: "empty record".into(),
                            }
                        } else {
                            let mut first = views.remove(0);
                            if let RecordView::ServerHello { following, .. } = &mut first {
                                for v in views {
                                    if let RecordView::Handshake { messages } = v {
                                        following.extend(messages);
                                    }
                                }
                            }
                            first
                        }
                    }
                    Err(_) => RecordView::Malformed {
                        reason: "the body does not parse as the record type says".into(),
                    },
                }
            };
            if header.content_type == 20 && header.version != 0 {
                // TLS 1.2: the sender's next records are encrypted. TLS 1.3 sends CCS only for
                // middlebox compatibility, after which records are application_data anyway.
                self.encrypted = true;
            }
            out.push(DecodedRecord { header, view });
        }
        out
    }
}
