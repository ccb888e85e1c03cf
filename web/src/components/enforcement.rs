//! Enforcement: a banner for each `530` or `554` refusal at this step, and each side's compact
//! state badges (SMTP state; TLS off, handshaking or on; the security verdict).

use starttls_sim::trace::Step;
use yew::prelude::*;

use crate::view::enforcement::{Refusal, refusals, tls_badge, verdict_badge};

/// Props of [`Enforcement`].
#[derive(Properties, PartialEq)]
pub struct EnforcementProps {
    /// The current step.
    pub step: Step,
    /// Lab sessions: which sides were real peers (their state is not visible).
    #[prop_or_default]
    pub real: (bool, bool),
}

fn banner(r: &Refusal) -> Html {
    let what = match r.code {
        530 => "TLS enforced",
        _ => "Security policy enforced",
    };
    html! {
        <div class={classes!("reply-banner", format!("code-{}", r.code))} role="status"
            data-testid="reply-banner" data-code={r.code.to_string()}
            data-command={r.command.clone().unwrap_or_default()}>
            <p class="banner-head">
                <span class="banner-code">{ r.code }</span>
                { for r.enhanced.as_ref().map(|e| html! { <span class="banner-esc">{ e }</span> }) }
                <strong>{ what }</strong>
                { for r.rule.map(|rule| html! { <span class="rule-id">{ rule.as_str() }</span> }) }
            </p>
            <p>
                { "Refused: " }
                <code>{ r.command.clone().unwrap_or_else(|| "the command".into()) }</code>
                { " → " }
                <code>{ format!("{} {}{}", r.code, r.enhanced.as_ref().map(|e| format!("{e} ")).unwrap_or_default(), r.text) }</code>
            </p>
            <p class="banner-reason">{ &r.reason }</p>
        </div>
    }
}

fn side(
    name: &str,
    state: &str,
    tls: &starttls_protocol::tls::TlsState,
    verdict: &starttls_protocol::tls::SecurityVerdict,
) -> Html {
    let (tls_class, tls_label) = tls_badge(tls);
    let (verdict_class, verdict_label) = verdict_badge(verdict);
    html! {
        <div class="side-badges" data-testid={format!("badges-{}", name.to_ascii_lowercase())}>
            <span class="side-name">{ name }</span>
            <span class="badge smtp-state" title="SMTP state">{ state.to_string() }</span>
            <span class={classes!("badge", "tls-state", format!("tls-{tls_class}"))} data-tls={tls_class}>{ tls_label }</span>
            <span class={classes!("badge", "verdict", format!("verdict-{verdict_class}"))} data-verdict={verdict_class}>{ verdict_label }</span>
        </div>
    }
}

/// A real peer's row: no state to show.
fn real(name: &str) -> Html {
    html! {
        <div class="side-badges" data-testid={format!("badges-{}", name.to_ascii_lowercase())} data-real="true">
            <span class="side-name">{ name }</span>
            <span class="badge">{ "a real peer: its state is not visible" }</span>
        </div>
    }
}

/// The refusal banners and the state badges.
#[component]
pub fn Enforcement(props: &EnforcementProps) -> Html {
    let step = &props.step;
    let banners = refusals(step);
    html! {
        <section class="panel enforcement" aria-label="Enforcement and state">
            <div class="badges">
                { if props.real.0 { real("Client") } else { side("Client", step.client.state.as_str(), &step.client.tls, &step.client.verdict) } }
                { if props.real.1 { real("Server") } else { side("Server", step.server.state.as_str(), &step.server.tls, &step.server.verdict) } }
            </div>
            { for banners.iter().map(banner) }
        </section>
    }
}
