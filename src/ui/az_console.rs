//! The `az` console: a terminal for Azure CLI scripts (`consoles::az`). Enter runs, Shift+Enter
//! (or a line ending in `\`) adds a line, Up/Down recall earlier scripts; each run shows what it
//! printed, its exit status and the requests it sent, which open in the REST console's view.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::AppCtx;
use super::response::host_path;
use super::state::Action;
use super::util::event_value;
use crate::consoles::az::examples::{Names, examples};
use crate::protocol::Command;

fn names(app: &AppCtx) -> Names {
    let s = &app.state.settings;
    Names {
        group: s.group.clone(),
        location: s.location.clone(),
        vault: s.vault.clone(),
        key: s.key.clone(),
        cluster: s.cluster.clone(),
        workspace: s.workspace.clone(),
    }
}

/// Where the caret is in the script: on its first line, on its last line.
fn caret_lines(e: &KeyboardEvent) -> (bool, bool) {
    let Some(t) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
    else {
        return (true, true);
    };
    // selectionStart counts UTF-16 units.
    let units: Vec<u16> = t.value().encode_utf16().collect();
    let at = (t.selection_start().ok().flatten().unwrap_or(0) as usize).min(units.len());
    (!units[..at].contains(&10), !units[at..].contains(&10))
}

#[function_component(AzConsole)]
pub fn az_console() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let st = &app.state;
    let draft = (*st.az).clone();
    let busy = st.busy.is_some();
    let run = {
        let app = app.clone();
        let draft = draft.clone();
        move || {
            if draft.script.trim().is_empty() {
                return;
            }
            let cmd = Command::Az {
                script: draft.script.clone(),
                env: draft.env.clone(),
            };
            let mut d = draft.clone();
            d.script.clear();
            d.recall = None;
            app.dispatch(Action::Az(d));
            app.runner.run(cmd, "az", None);
        }
    };
    let on_keys = {
        let app = app.clone();
        let draft = draft.clone();
        let run = run.clone();
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Enter" if !e.shift_key() => {
                // A line ending in `\` continues, as in a shell.
                if draft.script.trim_end_matches([' ', '\t']).ends_with('\\') {
                    return;
                }
                e.prevent_default();
                if !busy {
                    run();
                }
            }
            "ArrowUp" | "ArrowDown" if !e.shift_key() && !draft.recent.is_empty() => {
                let (first, last) = caret_lines(&e);
                let up = e.key() == "ArrowUp";
                if (up && !first) || (!up && !last) {
                    return;
                }
                let n = draft.recent.len();
                let next = match (draft.recall, up) {
                    (None, true) => Some(n - 1),
                    (None, false) => return,
                    (Some(i), true) => Some(i.saturating_sub(1)),
                    (Some(i), false) if i + 1 < n => Some(i + 1),
                    (Some(_), false) => None,
                };
                e.prevent_default();
                let mut d = draft.clone();
                d.recall = next;
                d.script = next.map(|i| draft.recent[i].clone()).unwrap_or_default();
                app.dispatch(Action::Az(d));
            }
            _ => {}
        })
    };
    let on_input = {
        let app = app.clone();
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            let mut d = draft.clone();
            d.script = event_value(&e);
            app.dispatch(Action::Az(d));
        })
    };
    let on_run = {
        let run = run.clone();
        Callback::from(move |_: MouseEvent| run())
    };
    let examples = examples(&names(&app));
    let on_example = {
        let app = app.clone();
        let draft = draft.clone();
        let examples = examples.clone();
        Callback::from(move |e: Event| {
            if let Some((_, script)) = event_value(&e)
                .parse::<usize>()
                .ok()
                .and_then(|i| examples.get(i))
            {
                let mut d = draft.clone();
                d.script = script.clone();
                d.recall = None;
                app.dispatch(Action::Az(d));
            }
        })
    };
    let on_clear = {
        let app = app.clone();
        let draft = draft.clone();
        Callback::from(move |_: MouseEvent| {
            let mut d = draft.clone();
            d.runs.clear();
            app.dispatch(Action::Az(d));
        })
    };
    let runs = draft.runs.iter().map(|r| {
        let requests = r.requests.iter().filter_map(|i| st.history.get(*i)).map(|x| {
            let i = x.seq;
            let onclick = {
                let app = app.clone();
                Callback::from(move |_| app.dispatch(Action::Inspect(i)))
            };
            html! {
                <li>
                    <button class="history-item" {onclick} title="Open in the REST console's response view">
                        <span class={classes!("pill", if x.response.status < 300 { "ok" } else { "bad" })}>{ x.response.status }</span>
                        <span class="method-tag">{ &x.method }</span>
                        <span class="path" title={x.url.clone()}>{ host_path(&x.url) }</span>
                    </button>
                </li>
            }
        });
        let polls = r.requests.len();
        html! {
            <div class="az-run">
                <pre class="terminal"><span class="prompt">{ "$ " }</span>{ &r.script }{ "\n" }
                    { for r.output.iter().map(|c| html! { <span class={classes!(if c.stream == "stderr" { "stderr" } else { "stdout" })}>{ &c.text }</span> }) }
                </pre>
                <p class="az-status small">
                    <span class={classes!("pill", if r.status == 0 { "ok" } else { "bad" })} data-testid="az-exit">{ format!("exit {}", r.status) }</span>
                    { format!(" {} request{} sent", polls, if polls == 1 { "" } else { "s" }) }
                </p>
                if polls > 0 {
                    <details class="az-requests">
                        <summary>{ "Requests" }</summary>
                        <ol class="history">{ for requests }</ol>
                    </details>
                }
            </div>
        }
    });
    let vars = draft.env.len();
    html! {
        <div class="console az-console">
            <p class="muted">{ "The Azure CLI's commands for a customer-managed key runbook, sending the requests the real " }<code>{ "az" }</code>{ " sends, as whoever is signed in. A shell around it: variables, quotes, " }<code>{ "\\" }</code>{ " continuations, " }<code>{ "$(az … -o tsv --query …)" }</code>{ ". Long operations poll on the virtual clock. Type " }<code>{ "az" }</code>{ " for the commands." }</p>
            <div class="row wrap">
                <label for="az-example">{ "Examples" }</label>
                <select id="az-example" onchange={on_example}>
                    <option value="" selected=true>{ "Choose a script…" }</option>
                    { for examples.iter().enumerate().map(|(i, (label, _))| html! { <option value={i.to_string()}>{ *label }</option> }) }
                </select>
                if vars > 0 {
                    <span class="muted small" title={draft.env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("\n")}>{ format!("{vars} shell variable{} set", if vars == 1 { "" } else { "s" }) }</span>
                }
            </div>
            <div class="az-runs" aria-live="polite">{ for runs }</div>
            <label for="az-script" class="sr-only">{ "az script" }</label>
            <div class="az-input">
                <span class="prompt" aria-hidden="true">{ "$" }</span>
                <textarea id="az-script" class="body terminal-input" spellcheck="false" data-testid="az-script"
                    rows={(draft.script.lines().count().clamp(1, 20) + 1).to_string()}
                    value={draft.script.clone()} oninput={on_input} onkeydown={on_keys}
                    placeholder="az account show" />
            </div>
            <div class="row">
                <button class="primary" onclick={on_run} disabled={busy} data-testid="az-run">{ "Run" }<kbd>{ "Enter" }</kbd></button>
                <span class="muted small">{ "Shift+Enter: new line · Up/Down: earlier scripts" }</span>
                if !draft.runs.is_empty() {
                    <button class="secondary" onclick={on_clear}>{ "Clear" }</button>
                }
            </div>
        </div>
    }
}
