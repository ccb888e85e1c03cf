//! The wire panel: hex and ASCII of the step's bytes with TLS record boundaries, the decoded
//! handshake fields, the plaintext each endpoint reads, and what the attacker can read.

use starttls_sim::trace::{Detail, Direction, Step};
use starttls_sim::wire::{DecodedRecord, RecordView};
use yew::prelude::*;

use crate::view::hex::{HexRow, hex_rows};

/// At most this many bytes are dumped (a flight is rarely larger).
const DUMP_LIMIT: usize = 2048;

/// Props of [`WirePanel`].
#[derive(Properties, PartialEq)]
pub struct WireProps {
    /// The current step.
    pub step: Step,
}

fn fields(view: &RecordView) -> Html {
    let list = |items: &[String]| items.join(", ");
    match view {
        RecordView::ClientHello {
            server_name,
            cipher_suites,
            supported_versions,
            key_share_groups,
            ..
        } => html! {
            <dl class="fields">
                <dt>{ "message" }</dt><dd>{ "ClientHello (cleartext)" }</dd>
                <dt>{ "SNI" }</dt><dd>{ server_name.clone().unwrap_or_else(|| "none".into()) }</dd>
                <dt>{ "versions" }</dt><dd>{ list(supported_versions) }</dd>
                <dt>{ "key shares" }</dt><dd>{ list(key_share_groups) }</dd>
                <dt>{ "cipher suites" }</dt><dd>{ list(cipher_suites) }</dd>
            </dl>
        },
        RecordView::ServerHello {
            version,
            cipher_suite,
            key_share_group,
            following,
        } => html! {
            <dl class="fields">
                <dt>{ "message" }</dt><dd>{ "ServerHello (cleartext)" }</dd>
                <dt>{ "version" }</dt><dd>{ version }</dd>
                <dt>{ "cipher suite" }</dt><dd>{ cipher_suite }</dd>
                <dt>{ "key share" }</dt><dd>{ key_share_group.clone().unwrap_or_else(|| "none".into()) }</dd>
                { if following.is_empty() { html! {} } else { html! {
                    <><dt>{ "then" }</dt><dd>{ list(following) }</dd></>
                } } }
            </dl>
        },
        RecordView::Handshake { messages } => html! {
            <dl class="fields"><dt>{ "messages" }</dt><dd>{ list(messages) }</dd></dl>
        },
        RecordView::ChangeCipherSpec => html! {
            <p class="fields">{ "ChangeCipherSpec: in TLS 1.2 the sender encrypts from here on; in TLS 1.3 a compatibility no-op." }</p>
        },
        RecordView::Alert { level, description } => html! {
            <dl class="fields"><dt>{ "alert" }</dt><dd>{ format!("{level} {description}") }</dd></dl>
        },
        RecordView::Encrypted => html! {
            <p class="fields">{ "Encrypted: only the 5-byte header is readable on the wire." }</p>
        },
        RecordView::Malformed { reason } => html! {
            <p class="fields">{ format!("Does not parse: {reason}") }</p>
        },
    }
}

fn record(n: usize, r: &DecodedRecord) -> Html {
    html! {
        <li class={classes!("record", if n.is_multiple_of(2) { "rec-a" } else { "rec-b" })} data-testid="wire-record">
            <p class="record-head">
                <strong>{ format!("Record {}", n + 1) }</strong>
                { format!(" at byte {}: {} ({}), version 0x{:04x}, {} bytes",
                    r.header.offset, r.header.content_type_name(), r.header.content_type,
                    r.header.version, r.header.length) }
            </p>
            { fields(&r.view) }
        </li>
    }
}

fn dump_row(row: &HexRow) -> Html {
    let offset = html! { <span class="hex-offset">{ format!("{:04x}", row.offset) }</span> };
    // Most rows lie inside one region: their region class goes on the columns themselves,
    // which keeps a large flight's dump to a few nodes per row. A short last row keeps its
    // inner spans, so that the colour stops at its last byte.
    if let [only] = row.segments.as_slice()
        && row.len == crate::view::hex::ROW_BYTES
    {
        return html! {
            <div class="hex-row">
                { offset }
                <span class={classes!("hex-bytes", only.region.class())}>{ format!("{} ", only.hex) }</span>
                <span class={classes!("hex-ascii", only.region.class())}>{ &only.ascii }</span>
            </div>
        };
    }
    html! {
        <div class="hex-row">
            { offset }
            <span class="hex-bytes">
                { for row.segments.iter().map(|s| html! { <span class={s.region.class()}>{ format!("{} ", s.hex) }</span> }) }
            </span>
            <span class="hex-ascii">
                { for row.segments.iter().map(|s| html! { <span class={s.region.class()}>{ &s.ascii }</span> }) }
            </span>
        </div>
    }
}

/// The wire view of the current step.
#[component]
pub fn WirePanel(props: &WireProps) -> Html {
    let step = &props.step;
    let Some(bytes) = &step.bytes else {
        return html! {
            <section class="panel wire" data-testid="wire-bytes" data-bytes="0" aria-labelledby="wire-title">
                <h2 id="wire-title">{ "Wire" }</h2>
                <p class="muted">{ "No bytes travel at this step: it happens inside one side." }</p>
            </section>
        };
    };
    let view = match &step.detail {
        Detail::Wire(view) => Some(view.as_ref()),
        _ => None,
    };
    let records: &[DecodedRecord] = view.map_or(&[], |v| v.records.as_slice());
    let rows = hex_rows(bytes, records, DUMP_LIMIT);
    let direction = match step.direction {
        Some(Direction::ClientToServer) => "client → server",
        Some(Direction::ServerToClient) => "server → client",
        None => "",
    };
    let (reader, reads) = match step.direction {
        Some(Direction::ClientToServer) => ("The server reads", "The client wrote"),
        _ => ("The client reads", "The server wrote"),
    };
    html! {
        <section class="panel wire" data-testid="wire-bytes" data-bytes={bytes.len().to_string()}
            aria-labelledby="wire-title">
            <h2 id="wire-title">
                { "Wire" }
                <span class="muted">{ format!(" {direction}, {} bytes, {}", bytes.len(), if step.tls { "TLS records" } else { "cleartext" }) }</span>
            </h2>
            { for view.map(|v| html! {
                <div class="reads">
                    <p class={classes!("attacker-reads", if step.tls { "tls" } else { "clear" })} data-testid="attacker-reads">
                        <strong>{ "The attacker can read: " }</strong>{ &v.attacker_reads }
                    </p>
                    { for v.plaintext.as_ref().map(|p| html! {
                        <p class="plaintext" data-testid="wire-plaintext">
                            <strong>{ if step.tls { format!("{reads} into TLS, and {} after decrypting: ", reader.to_lowercase()) } else { format!("{reader}: ") } }</strong>
                            <code>{ p }</code>
                        </p>
                    }) }
                </div>
            }) }
            { if records.is_empty() { html! {} } else { html! {
                <ol class="records" aria-label="TLS records">{ for records.iter().enumerate().map(|(n, r)| record(n, r)) }</ol>
            } } }
            <div class="hex" role="group" aria-label="Hex and ASCII dump" tabindex="0">
                { for rows.iter().map(dump_row) }
                { if bytes.len() > DUMP_LIMIT {
                    html! { <p class="muted">{ format!("… {} more bytes", bytes.len() - DUMP_LIMIT) }</p> }
                } else { html! {} } }
            </div>
            { if records.is_empty() { html! {} } else { html! {
                <p class="hex-legend muted">
                    <span class="hex-header">{ "record header" }</span>{ " " }
                    <span class="hex-body-a">{ "record body" }</span>{ " " }
                    <span class="hex-body-b">{ "next record body" }</span>
                </p>
            } } }
        </section>
    }
}
