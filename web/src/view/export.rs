//! Exports of the current trace: the file names, and the standalone sequence diagram (the
//! page's SVG, serialized, with a fixed stylesheet embedded so that it renders alone, in slides
//! or an image viewer, without the page's CSS).

/// The stylesheet embedded in an exported diagram: the page's diagram rules, with fixed light
/// colours instead of CSS variables.
pub const SVG_STYLE: &str = "
svg { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; background: #ffffff; }
text { fill: #1b1f24; font-size: 12px; }
.lane-title { font-weight: 700; font-size: 13px; }
.lane { stroke: #d0d7de; stroke-width: 2; }
.lane.wire { stroke-dasharray: 2 4; }
.row-num { fill: #57606a; font-size: 10px; }
.row-bg { fill: none; }
.arrow-line { stroke-width: 2; }
.clear .arrow-line { stroke: #9a3412; stroke-dasharray: 7 4; }
.clear .arrow-head { fill: #9a3412; }
.tls .arrow-line { stroke: #116329; stroke-width: 3; }
.tls .arrow-head { fill: #116329; }
.actor-attacker .arrow-line { stroke: #6e40c9; stroke-width: 3; stroke-dasharray: none; }
.actor-attacker .arrow-head { fill: #6e40c9; }
.actor-attacker .arrow-label { fill: #6e40c9; font-weight: 700; }
.lock path { fill: none; stroke-width: 1.8; }
.lock rect { stroke: none; }
.lock.closed path { stroke: #116329; }
.lock.closed rect { fill: #116329; }
.lock.open path { stroke: #9a3412; }
.lock.open rect { fill: #9a3412; }
.note-dot { fill: #57606a; }
.note-label { fill: #57606a; }
.kind-knowledge-discarded .note-dot { fill: #b42318; }
.kind-knowledge-discarded .note-label { text-decoration: line-through; }
.kind-reply .arrow-label { font-family: 'DejaVu Sans Mono', 'Liberation Mono', monospace; }
.violation .note-label, .violation .note-dot { fill: #b42318; font-weight: 700; text-decoration: none; }
.handshake-band { fill: #e6f4ea; stroke: #116329; stroke-dasharray: 4 3; }
.handshake-bracket { fill: none; stroke: #116329; stroke-width: 2.5; }
.handshake-label { fill: #116329; font-weight: 700; font-size: 11px; }
";

/// The base name of exported files: the scenario id, reduced to `[a-z0-9-]`.
pub fn base_name(id: &str) -> String {
    let name: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if name.is_empty() {
        "trace".into()
    } else {
        name
    }
}

fn escape_xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Turns the page's serialized `<svg …>…</svg>` into a standalone document: an XML
/// declaration, the SVG namespace, a pixel size from the view box, a white background, a
/// title and the embedded stylesheet. Returns `None` if `svg` is not an `<svg` element.
pub fn standalone_svg(svg: &str, title: &str, width: f64, height: f64) -> Option<String> {
    let start = svg.find("<svg")?;
    let open_end = start + svg[start..].find('>')?;
    let mut open = svg[start..open_end].to_string();
    // Drop the page's sizing and style attributes; the export sets its own.
    for attr in ["width", "height", "style", "class"] {
        open = remove_attr(&open, attr);
    }
    if !open.contains("xmlns=") {
        open.push_str(" xmlns=\"http://www.w3.org/2000/svg\"");
    }
    let mut out = String::with_capacity(svg.len() + SVG_STYLE.len() + 256);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&open);
    out.push_str(&format!(" width=\"{width}\" height=\"{height}\">"));
    out.push_str(&format!("<title>{}</title>", escape_xml(title)));
    out.push_str(&format!("<style>{SVG_STYLE}</style>"));
    out.push_str(&format!(
        "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
    ));
    out.push_str(&svg[open_end + 1..]);
    out.push('\n');
    Some(out)
}

/// Removes ` name="…"` from an opening tag.
fn remove_attr(tag: &str, name: &str) -> String {
    let needle = format!(" {name}=\"");
    let Some(at) = tag.find(&needle) else {
        return tag.to_string();
    };
    let value_start = at + needle.len();
    match tag[value_start..].find('"') {
        Some(end) => format!("{}{}", &tag[..at], &tag[value_start + end + 1..]),
        None => tag.to_string(),
    }
}
