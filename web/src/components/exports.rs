//! Exports and import: the transcript (`.txt`, the CLI's swaks-like markers), the trace
//! (`.json`, with its schema version), the sequence diagram (standalone `.svg`), and a capture
//! (`.pcapng`) with its NSS key log for Wireshark. A trace exported as JSON comes back through
//! the file picker, or by dropping the file anywhere on the page.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::file::callbacks::FileReader;
use gloo::file::{Blob, ObjectUrl};
use starttls_sim::trace::Trace;
use starttls_sim::{clock, export, transcript};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlAnchorElement, HtmlInputElement};
use yew::prelude::*;

use crate::engine::{self, EngineError};
use crate::state::{Action, AppState};
use crate::view::export::{base_name, standalone_svg};

/// Offers `bytes` as a download named `name`, through a Blob, an object URL and a temporary
/// `<a download>`.
pub fn download(name: &str, mime: &str, bytes: &[u8]) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let url = ObjectUrl::from(Blob::new_with_options(bytes, Some(mime)));
    let Some(anchor) = document
        .create_element("a")
        .ok()
        .and_then(|a| a.dyn_into::<HtmlAnchorElement>().ok())
    else {
        return;
    };
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.set_hidden(true);
    if let Some(body) = document.body() {
        let _ = body.append_child(&anchor);
        anchor.click();
        anchor.remove();
    }
    // Revoke the URL once the browser has surely fetched it.
    gloo::timers::callback::Timeout::new(30_000, move || drop(url)).forget();
}

/// The page's sequence diagram as a standalone SVG document, without the current-step
/// highlight; `None` if the diagram is not on the page.
pub fn diagram_svg(title: &str) -> Option<String> {
    let document = web_sys::window()?.document()?;
    let svg = document.query_selector("[data-testid=diagram]").ok()??;
    let copy: Element = svg.clone_node_with_deep(true).ok()?.dyn_into().ok()?;
    let steps = copy.query_selector_all(".step").ok()?;
    for i in 0..steps.length() {
        if let Some(step) = steps.get(i).and_then(|n| n.dyn_into::<Element>().ok()) {
            let _ = step.class_list().remove_2("current", "future");
        }
    }
    let view_box = copy.get_attribute("viewBox").unwrap_or_default();
    let dims: Vec<f64> = view_box
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let (width, height) = match dims.as_slice() {
        [_, _, w, h] => (*w, *h),
        _ => (640.0, 480.0),
    };
    let text = web_sys::XmlSerializer::new()
        .ok()?
        .serialize_to_string(&copy)
        .ok()?;
    standalone_svg(&text, title, width, height)
}

/// Runs an export that the engine module writes: at once when it has loaded, else once it
/// has; an error is shown in the notices.
fn with_engine(
    trace: &Trace,
    name: &str,
    d: UseReducerDispatcher<AppState>,
    export: impl Fn(&Trace, &str) -> Result<(), EngineError> + 'static,
) {
    let fail = |d: &UseReducerDispatcher<AppState>, e: &dyn std::fmt::Display| {
        d.dispatch(Action::ImportFailed(format!(
            "The export cannot be written: {e}"
        )))
    };
    match export(trace, name) {
        Ok(()) => {}
        Err(EngineError::Loading) => {
            let (trace, name) = (trace.clone(), name.to_string());
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(why) = engine::load().await {
                    return fail(&d, &why);
                }
                if let Err(e) = export(&trace, &name) {
                    fail(&d, &e);
                }
            });
        }
        Err(e) => fail(&d, &e),
    }
}

/// One export: from the trace and the base file name to a download.
type ExportFn = dyn Fn(&Trace, &str);

/// Props of [`Exports`].
#[derive(Properties, PartialEq)]
pub struct ExportsProps {
    /// The trace shown.
    pub trace: Option<Rc<Trace>>,
    /// The scenario's clock (the capture's first timestamp).
    pub now_unix: Option<u64>,
    /// Where intents go (imports).
    pub dispatcher: UseReducerDispatcher<AppState>,
}

/// Reads a dropped or picked file and dispatches the import (or its error).
pub fn import_file(
    file: web_sys::File,
    reader: &Rc<RefCell<Option<FileReader>>>,
    dispatcher: UseReducerDispatcher<AppState>,
) {
    let file = gloo::file::File::from(file);
    let name = file.name();
    let task = gloo::file::callbacks::read_as_text(&file, move |result| match result {
        // The trace is read by the engine (its JSON reader lives in the engine module).
        Ok(text) => wasm_bindgen_futures::spawn_local(async move {
            if let Err(why) = crate::engine::load().await {
                dispatcher.dispatch(Action::ImportFailed(format!(
                    "{name} cannot be imported: {why}"
                )));
                return;
            }
            match crate::engine::import_trace(&text) {
                Ok(trace) => dispatcher.dispatch(Action::Import(name, Rc::new(trace))),
                Err(e) => dispatcher.dispatch(Action::ImportFailed(format!(
                    "{name} cannot be imported: {e}"
                ))),
            }
        }),
        Err(e) => dispatcher.dispatch(Action::ImportFailed(format!("{name} cannot be read: {e}"))),
    });
    *reader.borrow_mut() = Some(task);
}

/// The export buttons and the import picker.
#[component]
pub fn Exports(props: &ExportsProps) -> Html {
    let reader = use_mut_ref(|| None::<FileReader>);
    let trace = props.trace.clone();
    let now = props.now_unix.unwrap_or(clock::DEFAULT_NOW_UNIX);
    let name = trace
        .as_ref()
        .map(|t| base_name(&t.scenario.id))
        .unwrap_or_else(|| "trace".into());
    let on = |f: Rc<ExportFn>| {
        let trace = trace.clone();
        let name = name.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(t) = &trace {
                f(t, &name);
            }
        })
    };
    let txt = on(Rc::new(|t, n| {
        download(
            &format!("{n}.txt"),
            "text/plain;charset=utf-8",
            transcript::render(t, false).as_bytes(),
        )
    }));
    // The trace file and the capture are written by the engine module (it holds the JSON
    // writer and the pcapng writer), once it has loaded.
    let json = {
        let d = props.dispatcher.clone();
        on(Rc::new(move |t, n| {
            with_engine(t, n, d.clone(), |t, n| {
                engine::export_json(t)
                    .map(|text| download(&format!("{n}.json"), "application/json", text.as_bytes()))
            })
        }))
    };
    let svg = on(Rc::new(|t, n| {
        if let Some(svg) = diagram_svg(&format!("STARTTLS Playground: {}", t.scenario.title)) {
            download(&format!("{n}.svg"), "image/svg+xml", svg.as_bytes());
        }
    }));
    let pcap = {
        let d = props.dispatcher.clone();
        on(Rc::new(move |t, n| {
            with_engine(t, n, d.clone(), move |t, n| {
                engine::export_pcapng(t, now).map(|bytes| {
                    download(
                        &format!("{n}.pcapng"),
                        "application/vnd.tcpdump.pcap",
                        &bytes,
                    )
                })
            })
        }))
    };
    let keys = on(Rc::new(|t, _| {
        download(
            export::KEY_LOG_NAME,
            "text/plain;charset=utf-8",
            export::key_log(t).as_bytes(),
        )
    }));
    let onchange = {
        let d = props.dispatcher.clone();
        let reader = reader.clone();
        Callback::from(move |e: Event| {
            let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                import_file(file, &reader, d.clone());
            }
            input.set_value("");
        })
    };
    let disabled = trace.is_none();
    let has_keys = trace.as_ref().is_some_and(|t| !t.key_log.is_empty());
    html! {
        <section class="panel exports" data-testid="exports" aria-labelledby="exports-title">
            <h2 id="exports-title">{ "Take it home" }</h2>
            <div class="export-buttons">
                <button type="button" data-testid="export-txt" {disabled} onclick={txt}
                    title="The dialogue as text, with the CLI's swaks-like markers">{ "Transcript .txt" }</button>
                <button type="button" data-testid="export-json" {disabled} onclick={json}
                    title="The whole trace, schema version 1: it can be imported back">{ "Trace .json" }</button>
                <button type="button" data-testid="export-svg" {disabled} onclick={svg}
                    title="The sequence diagram, standalone, for slides">{ "Diagram .svg" }</button>
                <button type="button" data-testid="export-pcapng" {disabled} onclick={pcap}
                    title="Synthetic TCP/IP on port 25, one packet per flight, for Wireshark">{ "Capture .pcapng" }</button>
                <button type="button" data-testid="export-keylog" disabled={disabled || !has_keys} onclick={keys}
                    title="The TLS secrets (NSS key log) that let Wireshark decrypt the capture">{ "Key log" }</button>
            </div>
            <label class="import">
                <span class="label">{ "Import a trace (.json), or drop it on the page" }</span>
                <input type="file" accept=".json,application/json" data-testid="import-file" {onchange} />
            </label>
            <p class="muted">{ "In Wireshark: Preferences → Protocols → TLS → (Pre)-Master-Secret log filename = the key log; then open the capture." }</p>
        </section>
    }
}
