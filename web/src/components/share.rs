//! The classroom bar: copy a link to this step, the embed dialog (an iframe snippet), and the
//! quiz, lesson and presenter toggles.

use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::state::{Action, AppState};
use crate::view::permalink::{self, Query, ViewOptions};

/// The page's address without its query, e.g. `https://host/playground/`.
pub fn page_base() -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return String::new();
    };
    format!(
        "{}{}",
        location.origin().unwrap_or_default(),
        location.pathname().unwrap_or_default()
    )
}

/// The iframe snippet for `src`, with the listener that sizes it from the height messages.
pub fn embed_snippet(src: &str, title: &str) -> String {
    let title = title.replace('&', "&amp;").replace('"', "&quot;");
    format!(
        r#"<iframe src="{src}" title="STARTTLS Playground: {title}" data-starttls-playground
  style="width:100%;height:480px;border:0" loading="lazy"></iframe>
<script>
  // Sizes each playground iframe from the height it posts (see docs/embedding.md).
  addEventListener("message", (e) => {{
    const m = e.data;
    if (!m || m.type !== "starttls-playground:height") return;
    for (const f of document.querySelectorAll("iframe[data-starttls-playground]"))
      if (f.contentWindow === e.source) f.style.height = m.height + "px";
  }});
</script>"#
    )
}

fn copy_to_clipboard(text: &str) {
    if let Some(window) = web_sys::window() {
        // The promise is not awaited: the link is also shown, selected, for Ctrl+C.
        let _ = window.navigator().clipboard().write_text(text);
    }
}

/// Props of [`ShareBar`].
#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The link's query without view options (`?scenario=…&step=…&set=…`).
    pub query: AttrValue,
    /// The scenario's title, for the iframe's title.
    pub title: AttrValue,
    /// The view options.
    pub view: ViewOptions,
    /// Whether console entries are in the run (a link cannot hold them).
    pub has_console: bool,
    /// Whether an imported trace is shown (a link cannot hold it).
    pub imported: bool,
    /// Where intents go.
    pub dispatcher: UseReducerDispatcher<AppState>,
}

/// The classroom bar.
#[component]
pub fn ShareBar(props: &ShareProps) -> Html {
    let link_open = use_state(|| false);
    let embed_open = use_state(|| false);
    let embed_opts = use_state(|| ViewOptions {
        embed: true,
        ..ViewOptions::default()
    });
    let link = format!("{}{}", page_base(), props.query);
    let copy = {
        let link = link.clone();
        let link_open = link_open.clone();
        Callback::from(move |_: MouseEvent| {
            copy_to_clipboard(&link);
            link_open.set(true);
        })
    };
    let toggle = |f: fn(&mut ViewOptions)| {
        let d = props.dispatcher.clone();
        let view = props.view;
        Callback::from(move |_: MouseEvent| {
            let mut v = view;
            f(&mut v);
            d.dispatch(Action::SetView(v));
        })
    };
    let embed_src = {
        let parsed = permalink::parse_query(&props.query);
        format!(
            "{}{}",
            page_base(),
            permalink::to_query(&Query {
                view: *embed_opts,
                ..parsed.query
            })
        )
    };
    let option = |name: &'static str,
                  label: &'static str,
                  get: fn(&ViewOptions) -> bool,
                  set: fn(&mut ViewOptions, bool)| {
        let opts = embed_opts.clone();
        let onchange = Callback::from(move |e: Event| {
            if let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            {
                let mut v = *opts;
                set(&mut v, input.checked());
                opts.set(v);
            }
        });
        html! {
            <label class="embed-option">
                <input type="checkbox" data-testid={format!("embed-opt-{name}")} checked={get(&embed_opts)} {onchange} />
                { label }
            </label>
        }
    };
    let close_link = {
        let link_open = link_open.clone();
        Callback::from(move |_: MouseEvent| link_open.set(false))
    };
    let toggle_embed = {
        let embed_open = embed_open.clone();
        Callback::from(move |_: MouseEvent| embed_open.set(!*embed_open))
    };
    let select_all = Callback::from(|e: FocusEvent| {
        if let Some(input) = e
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        {
            input.select();
        }
    });
    let v = props.view;
    html! {
        <div class="share-bar" role="group" aria-label="Classroom">
            <button type="button" data-testid="copy-link" onclick={copy}
                title="Copy a link that opens this scenario at this step, with these policies">{ "Copy link to this step" }</button>
            <button type="button" data-testid="embed-button" aria-expanded={embed_open.to_string()}
                onclick={toggle_embed.clone()}>{ "Embed…" }</button>
            <button type="button" data-testid="quiz-toggle" aria-pressed={v.quiz.to_string()}
                onclick={toggle(|v| v.quiz = !v.quiz)}>{ if v.quiz { "Quiz: on" } else { "Quiz" } }</button>
            <button type="button" data-testid="lesson-toggle" aria-pressed={v.lesson.to_string()}
                onclick={toggle(|v| v.lesson = !v.lesson)}>{ "Guided lesson" }</button>
            <button type="button" data-testid="present-toggle" aria-pressed={v.present.to_string()}
                title="Large type, high contrast, PageUp/PageDown"
                onclick={toggle(|v| v.present = !v.present)}>{ if v.present { "Leave presenter mode" } else { "Present" } }</button>
            { if *link_open { html! {
                <div class="popover" role="status" data-testid="link-popover">
                    <label>
                        <span class="label">{ "Copied to the clipboard: this link opens this very step" }</span>
                        <input type="text" readonly=true value={link.clone()} data-testid="permalink-url" onfocus={select_all.clone()} />
                    </label>
                    { if props.has_console || props.imported { html! {
                        <p class="muted">{ if props.imported { "An imported trace cannot travel in a link: the link opens the catalogue's scenario." } else { "The console entries are not in the link." } }</p>
                    } } else { html! {} } }
                    <button type="button" onclick={close_link}>{ "Close" }</button>
                </div>
            } } else { html! {} } }
            { if *embed_open { html! {
                <div class="popover embed-dialog" role="dialog" aria-labelledby="embed-title" data-testid="embed-dialog">
                    <h2 id="embed-title">{ "Embed this step in a page" }</h2>
                    <p class="muted">{ "The frame shows the diagram, the controls and the explanation; it posts its height so that the page can size it (docs/embedding.md)." }</p>
                    <div class="embed-options">
                        { option("knowledge", "knowledge panels", |v| v.knowledge, |v, on| v.knowledge = on) }
                        { option("wire", "wire panel", |v| v.wire, |v, on| v.wire = on) }
                        { option("quiz", "quiz", |v| v.quiz, |v, on| v.quiz = on) }
                    </div>
                    <textarea readonly=true rows="12" data-testid="embed-snippet" spellcheck="false"
                        value={embed_snippet(&embed_src, &props.title)} />
                    <p><a href={embed_src.clone()} target="_blank" rel="noopener" data-testid="embed-preview">{ "Open the embedded view" }</a></p>
                    <button type="button" onclick={toggle_embed}>{ "Close" }</button>
                </div>
            } } else { html! {} } }
        </div>
    }
}
