//! The REST console: any method, URL, headers and JSON body to the engine, and the history of
//! every request sent from anywhere in the page.

use yew::prelude::*;

use super::response::{ResponseView, host_path};
use super::state::{Action, ConsoleDraft};
use super::util::{event_value, is_send_shortcut, no_newline, url_rows};
use super::{AppCtx, wcx};
use crate::engine::clock;
use crate::protocol::Command;

/// Requests worth trying, filled from the current state.
fn examples(app: &AppCtx) -> Vec<(&'static str, ConsoleDraft)> {
    let st = &app.state;
    let cx = wcx(&st.snap, &st.settings);
    let sub = &st.settings.subscription;
    let kv = cx.vault_uri();
    let key = &st.settings.key;
    let d = |method: &str, url: String, body: &str| ConsoleDraft {
        method: method.into(),
        url,
        headers: "Content-Type: application/json".into(),
        body: body.into(),
        shown: None,
    };
    vec![
        (
            "Who am I? (Graph)",
            d("GET", "https://graph.microsoft.com/v1.0/me".into(), ""),
        ),
        (
            "List subscriptions",
            d(
                "GET",
                "https://management.azure.com/subscriptions?api-version=2022-12-01".into(),
                "",
            ),
        ),
        (
            "List clusters in the subscription",
            d(
                "GET",
                format!(
                    "https://management.azure.com/subscriptions/{sub}/providers/Microsoft.OperationalInsights/clusters?api-version=2021-06-01"
                ),
                "",
            ),
        ),
        (
            "Get the cluster",
            d(
                "GET",
                format!(
                    "https://management.azure.com{}?api-version=2021-06-01",
                    cx.cluster_path()
                ),
                "",
            ),
        ),
        (
            "Get the workspace",
            d(
                "GET",
                format!(
                    "https://management.azure.com{}?api-version=2021-06-01",
                    cx.workspace_path()
                ),
                "",
            ),
        ),
        (
            "List key versions",
            d(
                "GET",
                format!("{kv}/keys/{key}/versions?api-version=7.4"),
                "",
            ),
        ),
        (
            "Rotate the key (new version)",
            d(
                "POST",
                format!("{kv}/keys/{key}/rotate?api-version=7.4"),
                "",
            ),
        ),
        (
            "Disable the latest key version",
            d(
                "PATCH",
                format!("{kv}/keys/{key}?api-version=7.4"),
                "{\n  \"attributes\": { \"enabled\": false }\n}",
            ),
        ),
        (
            "Wrap 32 bytes with the key (RSA-OAEP-256)",
            d(
                "POST",
                format!("{kv}/keys/{key}/wrapkey?api-version=7.4"),
                "{\n  \"alg\": \"RSA-OAEP-256\",\n  \"value\": \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"\n}",
            ),
        ),
        (
            "Delete the key (soft delete)",
            d("DELETE", format!("{kv}/keys/{key}?api-version=7.4"), ""),
        ),
        (
            "Recover the deleted key",
            d(
                "POST",
                format!("{kv}/deletedkeys/{key}/recover?api-version=7.4"),
                "",
            ),
        ),
        (
            "Unlink the workspace",
            d(
                "DELETE",
                format!(
                    "https://management.azure.com{}/linkedServices/cluster?api-version=2021-06-01",
                    cx.workspace_path()
                ),
                "",
            ),
        ),
        (
            "Decrease capacity (30-day lock)",
            d(
                "PATCH",
                format!(
                    "https://management.azure.com{}?api-version=2020-08-01",
                    cx.cluster_path()
                ),
                "{\n  \"sku\": { \"name\": \"CapacityReservation\", \"capacity\": 1000 }\n}",
            ),
        ),
        (
            "Unknown api-version",
            d(
                "GET",
                format!(
                    "https://management.azure.com/subscriptions/{sub}/resourcegroups?api-version=2099-01-01"
                ),
                "",
            ),
        ),
    ]
}

/// `Name: value` lines to header pairs; other lines are left out (and listed by [`not_headers`]).
fn parse_headers(text: &str) -> Vec<(String, String)> {
    text.lines().filter_map(header_line).collect()
}

fn header_line(l: &str) -> Option<(String, String)> {
    let (k, v) = l.split_once(':')?;
    let k = k.trim();
    (!k.is_empty()).then(|| (k.to_string(), v.trim().to_string()))
}

/// Non-empty lines of the headers field that are not `Name: value`, so the page can say they
/// will not be sent.
fn not_headers(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && header_line(l).is_none())
        .collect()
}

#[function_component(Console)]
pub fn console() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let st = &app.state;
    let draft = (*st.console).clone();
    let busy = st.busy.is_some();
    let send = {
        let app = app.clone();
        let draft = draft.clone();
        move || {
            let cmd = Command::Request {
                method: draft.method.clone(),
                url: crate::protocol::client_url(&draft.url),
                headers: parse_headers(&draft.headers),
                body: (!draft.body.trim().is_empty()).then(|| draft.body.clone()),
            };
            app.runner.run(cmd, "Console", None);
        }
    };
    let on_send = {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send())
    };
    let on_keys = Callback::from(move |e: KeyboardEvent| {
        if is_send_shortcut(&e) && !busy {
            e.prevent_default();
            send();
        }
    });
    let set = |f: fn(&mut ConsoleDraft, String)| {
        let app = app.clone();
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let mut d = draft.clone();
            f(&mut d, event_value(&e));
            app.dispatch(Action::Console(d));
        })
    };
    let set_input = |f: fn(&mut ConsoleDraft, String)| {
        let app = app.clone();
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            let mut d = draft.clone();
            f(&mut d, event_value(&e));
            app.dispatch(Action::Console(d));
        })
    };
    let examples = examples(&app);
    let on_example = {
        let app = app.clone();
        let examples = examples.clone();
        Callback::from(move |e: Event| {
            if let Ok(i) = event_value(&e).parse::<usize>() {
                if let Some((_, d)) = examples.get(i) {
                    app.dispatch(Action::Console(d.clone()));
                }
            }
        })
    };
    let shown = draft.shown.and_then(|i| st.history.get(i)).cloned();
    let history = st.history.iter().rev().map(|x| {
        let i = x.seq;
        let onclick = {
            let app = app.clone();
            Callback::from(move |_| app.dispatch(Action::Inspect(i)))
        };
        let current = draft.shown == Some(i);
        html! {
            <li>
                <button class={classes!("history-item", current.then_some("current"))} {onclick}>
                    <span class={classes!("pill", if x.response.status < 300 { "ok" } else { "bad" })}>{ x.response.status }</span>
                    <span class="method-tag">{ &x.method }</span>
                    <span class="path" title={x.url.clone()}>{ host_path(&x.url) }</span>
                    <span class="muted small">{ format!("{} · {}", x.source, clock::human(x.at)) }</span>
                </button>
                if app.runner.session().is_some() {
                    <button class="icon rewind" onclick={super::sharing::rewind_to_request(&app, i, &format!("{} {}", x.method, host_path(&x.url)))}
                        disabled={busy} data-testid="rewind-request"
                        title="Go back to just before this request (replays the session up to there; what you do next branches from it)"
                        aria-label={format!("Go back to just before {} {}", x.method, host_path(&x.url))}>{ "⟲" }</button>
                }
            </li>
        }
    });
    html! {
        <div class="console">
            <p class="muted">{ "Send any request to the simulated services. Like " }<code>{ "az rest" }</code>{ ", the page adds a token for whoever is signed in (top of the page), unless the request has an " }<code>{ "Authorization" }</code>{ " header of its own. Ctrl+Enter sends." }</p>
            <div class="row wrap">
                <label for="console-example">{ "Examples" }</label>
                <select id="console-example" onchange={on_example}>
                    <option value="" selected=true>{ "Choose a request…" }</option>
                    { for examples.iter().enumerate().map(|(i, (label, _))| html! { <option value={i.to_string()}>{ *label }</option> }) }
                </select>
            </div>
            <div class="request-line" onkeydown={on_keys.clone()}>
                <label class="sr-only" for="console-method">{ "Method" }</label>
                <select id="console-method" class="method" onchange={set(|d, v| d.method = v)}>
                    { for ["GET", "PUT", "POST", "PATCH", "DELETE"].iter().map(|m| html! { <option value={*m} selected={draft.method == *m}>{ m }</option> }) }
                </select>
                <label class="sr-only" for="console-url">{ "URL" }</label>
                <textarea id="console-url" class="url" spellcheck="false" rows={url_rows(&draft.url)} value={draft.url.clone()} oninput={set_input(|d, v| d.url = v)} onkeydown={no_newline()} />
            </div>
            // Nothing typed is dropped silently: when the URL is sent encoded, say how.
            if crate::protocol::client_url(&draft.url) != draft.url.trim() {
                <p class="small muted sent-as" data-testid="console-sent-as">{ "Sent as " }<code>{ crate::protocol::client_url(&draft.url) }</code></p>
            }
            <label for="console-headers" class="field-label">{ "Headers" }</label>
            <textarea id="console-headers" class="body small-area" rows="2" spellcheck="false" value={draft.headers.clone()}
                oninput={set_input(|d, v| d.headers = v)} onkeydown={on_keys.clone()} />
            if !not_headers(&draft.headers).is_empty() {
                <p class="small warn-text" role="status" data-testid="console-bad-headers">
                    { format!("Not sent (a header is \"Name: value\"): {}", not_headers(&draft.headers).join(" · ")) }
                </p>
            }
            <label for="console-body" class="field-label">{ "Body" }</label>
            <textarea id="console-body" class="body" rows="8" spellcheck="false" value={draft.body.clone()}
                oninput={set_input(|d, v| d.body = v)} onkeydown={on_keys} placeholder="JSON body (empty for none)" />
            <div class="row">
                <button class="primary" onclick={on_send} disabled={busy}>{ "Send" }<kbd>{ "Ctrl+Enter" }</kbd></button>
            </div>
            if let Some(x) = shown {
                <ResponseView exchange={x} />
            }
            <h3>{ format!("History ({})", st.history.len()) }</h3>
            if st.history.is_empty() {
                <p class="muted small">{ "Every request sent from the walkthrough or the console appears here; select one to load it." }</p>
            } else {
                <ol class="history" reversed=true>{ for history }</ol>
            }
        </div>
    }
}
