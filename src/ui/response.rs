//! A response as the page shows it: status, the headers that matter, the body, where an error's
//! wording comes from, and shortcuts to follow an asynchronous operation.

use yew::prelude::*;

use super::state::Exchange;
use super::util::reason;
use super::{AppCtx, json};
use crate::engine::clock;
use crate::engine::errors::{self, Source};
use crate::protocol::Command;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub exchange: Exchange,
}

/// Human wording of where a catalogue entry's message comes from.
pub fn source_text(s: &Source) -> String {
    match s {
        Source::AzureMonitorSeed => {
            "Quoted from the Azure Monitor customer-managed key document".into()
        }
        Source::SentinelSeed => {
            "Quoted from the Microsoft Sentinel customer-managed key document".into()
        }
        Source::Docs(d) => format!("Microsoft documentation: {d}"),
        Source::Service(d) => format!("Verbatim service output ({d})"),
        Source::Playground(d) => format!("Playground wording for a documented rule ({d})"),
    }
}

#[function_component(ResponseView)]
pub fn response_view(p: &Props) -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let x = &p.exchange;
    let r = &x.response;
    let class = match r.status {
        200..=299 => "status ok",
        400..=499 => "status client",
        _ => "status server",
    };
    let spec = {
        let e = &r.body["error"];
        let (code, msg) = (
            e["code"].as_str().unwrap_or(""),
            e["message"].as_str().unwrap_or(""),
        );
        let inner = e["innererror"]["code"].as_str();
        errors::identify_with_inner(r.status, code, inner, msg)
    };
    let async_url = r.header("Azure-AsyncOperation").map(str::to_string);
    let busy = app.state.busy.is_some();
    let poll = async_url.clone().map(|url| {
        let runner = app.runner.clone();
        Callback::from(move |_| {
            runner.run(
                Command::request("GET", &url, None),
                "Operation status",
                None,
            )
        })
    });
    // The newest status check of this operation, shown here as well as in the console history.
    let status_check = async_url.as_ref().and_then(|u| {
        app.state
            .history
            .iter()
            .rev()
            .take_while(|h| h.seq > x.seq)
            .find(|h| h.source == "Operation status" && &h.url == u)
            .cloned()
    });
    let next = {
        let runner = app.runner.clone();
        Callback::from(move |_| runner.run(Command::RunToNextEvent, "Clock", None))
    };
    let shown_headers: Vec<&(String, String)> = r
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("content-type") && !k.starts_with("x-ms-keyvault"))
        .collect();
    html! {
        <div class="response" aria-live="polite">
            <div class="response-head">
                <span class={class}>{ format!("{} {}", r.status, reason(r.status)) }</span>
                <span class="muted">{ format!("{} {} · sent at {} · {:.0} ms", x.method, host_path(&x.url), clock::human(x.at), x.millis) }</span>
                <super::copy_as::CopyAs exchange={x.clone()} />
            </div>
            { credentials_view(x) }
            if !shown_headers.is_empty() {
                <dl class="headers">
                    { for shown_headers.iter().map(|(k, v)| html! { <><dt>{ k }</dt><dd><code>{ v }</code></dd></> }) }
                </dl>
            }
            if let Some(poll) = poll {
                <div class="row">
                    <button class="secondary" onclick={poll} disabled={busy}>{ "Check operation status" }</button>
                    <button class="secondary" onclick={next} disabled={busy}>{ "Run clock to next event" }</button>
                </div>
            }
            if let Some(c) = status_check {
                <div class="op-status" data-testid="op-status">
                    <p class="small">
                        <span class={classes!("pill", if c.response.status < 300 { "ok" } else { "bad" })}>{ c.response.status }</span>
                        { format!(" Operation status at {}: ", clock::human(c.at)) }
                        <strong>{ c.response.body["status"].as_str().unwrap_or("(no status)") }</strong>
                        if let Some(e) = c.response.body["error"]["message"].as_str() {
                            <span>{ format!(" — {e}") }</span>
                        }
                    </p>
                    { json::view(&c.response.body) }
                </div>
            }
            if !r.body.is_null() {
                { json::view(&r.body) }
            } else {
                <p class="muted small">{ "(empty body)" }</p>
            }
            if let Some(spec) = spec {
                <p class="source small">
                    <strong>{ spec.name }</strong>{ " · " }{ source_text(&spec.source) }
                </p>
            }
        </div>
    }
}

/// The credentials the page added to a request (`Reply::credentials`): a bearer token
/// abbreviated, with its decoded claims one click away, or the Data Collector's SharedKey
/// signature and date. Nothing for a request that carried its own `Authorization`.
fn credentials_view(x: &Exchange) -> Html {
    if x.credentials.is_empty() {
        return html! {};
    }
    let rows = x.credentials.iter().map(|(k, v)| {
        let bearer = v.strip_prefix("Bearer ");
        let shown = match bearer {
            Some(t) => format!("Bearer {}", abbreviate(t)),
            None => v.clone(),
        };
        let claims = bearer.and_then(crate::engine::entra::decode_claims);
        html! {
            <div class="sent-credential">
                <code class="sent-header" title={v.clone()}><span class="header-name">{ format!("{k}: ") }</span>{ shown }</code>
                if let (Some(token), Some(c)) = (bearer, claims) {
                    <details class="token-claims" data-testid="token-claims">
                        <summary>{ "Decoded token" }</summary>
                        { claims_view(&c) }
                        <p class="small muted">{ "The whole token (header.claims.signature, HS256 under the simulated tenant's key):" }</p>
                        <code class="token-full">{ token }</code>
                    </details>
                }
            </div>
        }
    });
    html! {
        <div class="sent-auth" data-testid="sent-auth">
            <p class="small muted sent-auth-title">
                { "Credentials the page added for whoever is signed in:" }
                if let Some(note) = &x.token_note {
                    // Not a `.pill`, and the claims below are not a `.json`: a card's status pill and
                    // response body stay the only ones in it (the e2e checks find them so).
                    { " " }<span class="token-badge" title={note.clone()}>
                        { if note.starts_with("Refreshed") { "token refreshed" } else { "new token" } }
                    </span>
                }
            </p>
            { for rows }
            if let Some(note) = &x.token_note {
                <p class="small muted token-note" data-testid="token-note">{ note }</p>
            }
        </div>
    }
}

/// A token shortened to its start and end (`eyJ0eXAi…Qx3k`): enough to tell two apart.
pub fn abbreviate(token: &str) -> String {
    let chars: Vec<char> = token.chars().collect();
    if chars.len() <= 24 {
        return token.to_string();
    }
    format!(
        "{}…{}",
        chars[..12].iter().collect::<String>(),
        chars[chars.len() - 6..].iter().collect::<String>()
    )
}

/// The claims a reader checks first, times in virtual time; the rest follow as JSON.
pub fn claims_view(c: &serde_json::Value) -> Html {
    let time = |k: &str| c[k].as_u64().map(|t| format!("{} ({t})", clock::human(t)));
    let text = |k: &str| c[k].as_str().map(str::to_string);
    let rows = [
        ("aud", text("aud"), "the service it is for"),
        ("oid", text("oid"), "who: the principal's object id"),
        ("appid", text("appid"), "the client application"),
        ("upn", text("upn"), "the person's user principal name"),
        ("iat", time("iat"), "issued at (virtual time)"),
        ("exp", time("exp"), "expires (virtual time)"),
    ];
    html! {
        <>
            <dl class="claims">
                { for rows.into_iter().filter_map(|(k, v, what)| v.map(|v| html! {
                    <><dt title={what}>{ k }</dt><dd><code>{ v }</code></dd></>
                })) }
            </dl>
            <details class="claims-all">
                <summary class="small">{ "All claims" }</summary>
                <pre class="claims-json">{ serde_json::to_string_pretty(c).unwrap_or_default() }</pre>
            </details>
        </>
    }
}

/// The path of a URL for display, shortened from the left when long (char-safe).
pub fn path_of(url: &str) -> String {
    let no_scheme = url.split("://").nth(1).unwrap_or(url);
    let path = no_scheme.split('?').next().unwrap_or(no_scheme);
    let path = path.find('/').map(|i| &path[i..]).unwrap_or("/");
    let chars: Vec<char> = path.chars().collect();
    if chars.len() > 80 {
        format!("…{}", chars[chars.len() - 70..].iter().collect::<String>())
    } else {
        path.to_string()
    }
}

/// Host and path of a URL for a history row: the host shortened to what tells services apart
/// (`management.azure.com`, `contosokv.vault…`, `api.loganalytics.io`), the path from the left.
pub fn host_path(url: &str) -> String {
    let no_scheme = url.split("://").nth(1).unwrap_or(url);
    let host = no_scheme.split(['/', '?']).next().unwrap_or("");
    let host = match host.split_once(".vault.azure.net") {
        Some((vault, _)) => format!("{vault}.vault"),
        None => match host.split_once(".ods.opinsights.azure.com") {
            Some((id, _)) => format!("{}….ods", id.chars().take(8).collect::<String>()),
            None => host.to_string(),
        },
    };
    format!("{host}{}", path_of(url))
}
