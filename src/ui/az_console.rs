//! The consoles: terminals for Azure CLI scripts (`consoles::az`) and Azure PowerShell scripts
//! (`consoles::pwsh`), one component for both. Enter runs, Shift+Enter (or a line ending in `\`
//! for az, a backtick for PowerShell) adds a line, Up/Down recall earlier scripts; each run shows
//! what it printed, its exit status and the requests it sent, which open in the REST console's
//! view.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::AppCtx;
use super::response::host_path;
use super::state::{Action, AzConsole as ConsoleState};
use super::util::event_value;
use crate::consoles::az::examples::{Names, examples};
use crate::protocol::Command;

/// Which console a tab shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Az,
    Pwsh,
}

impl Dialect {
    fn id(self) -> &'static str {
        match self {
            Dialect::Az => "az",
            Dialect::Pwsh => "pwsh",
        }
    }

    fn prompt(self) -> &'static str {
        match self {
            Dialect::Az => "$",
            Dialect::Pwsh => "PS>",
        }
    }

    /// The character that continues a line.
    fn continuation(self) -> char {
        match self {
            Dialect::Az => '\\',
            Dialect::Pwsh => '`',
        }
    }

    fn command(self, script: String, env: Vec<(String, String)>) -> Command {
        match self {
            Dialect::Az => Command::Az { script, env },
            Dialect::Pwsh => Command::Pwsh { script, env },
        }
    }

    fn action(self, state: ConsoleState) -> Action {
        match self {
            Dialect::Az => Action::Az(state),
            Dialect::Pwsh => Action::Pwsh(state),
        }
    }

    fn examples(self, n: &Names) -> Vec<(&'static str, String)> {
        match self {
            Dialect::Az => examples(n),
            Dialect::Pwsh => crate::consoles::pwsh::examples::examples(
                &n.group,
                &n.location,
                &n.vault,
                &n.key,
                &n.cluster,
                &n.workspace,
            ),
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct ConsoleProps {
    pub dialect: Dialect,
}

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
pub fn az_console(p: &ConsoleProps) -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let st = &app.state;
    let dialect = p.dialect;
    let draft = match dialect {
        Dialect::Az => (*st.az).clone(),
        Dialect::Pwsh => (*st.pwsh).clone(),
    };
    let busy = st.busy.is_some();
    let run = {
        let app = app.clone();
        let draft = draft.clone();
        move || {
            if draft.script.trim().is_empty() {
                return;
            }
            let cmd = dialect.command(draft.script.clone(), draft.env.clone());
            let mut d = draft.clone();
            d.script.clear();
            d.recall = None;
            app.dispatch(dialect.action(d));
            let source = match dialect {
                Dialect::Az => "az",
                Dialect::Pwsh => "PowerShell",
            };
            app.runner.run(cmd, source, None);
        }
    };
    let on_keys = {
        let app = app.clone();
        let draft = draft.clone();
        let run = run.clone();
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Enter" if !e.shift_key() => {
                // A line ending in `\` (az) or a backtick (PowerShell) continues.
                if draft
                    .script
                    .trim_end_matches([' ', '\t'])
                    .ends_with(dialect.continuation())
                {
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
                app.dispatch(dialect.action(d));
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
            app.dispatch(dialect.action(d));
        })
    };
    let on_run = {
        let run = run.clone();
        Callback::from(move |_: MouseEvent| run())
    };
    let examples = dialect.examples(&names(&app));
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
                app.dispatch(dialect.action(d));
            }
        })
    };
    let on_clear = {
        let app = app.clone();
        let draft = draft.clone();
        Callback::from(move |_: MouseEvent| {
            let mut d = draft.clone();
            d.runs.clear();
            app.dispatch(dialect.action(d));
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
                <pre class="terminal"><span class="prompt">{ format!("{} ", dialect.prompt()) }</span>{ &r.script }{ "\n" }
                    { for r.output.iter().map(|c| html! { <span class={classes!(if c.stream == "stderr" { "stderr" } else { "stdout" })}>{ &c.text }</span> }) }
                </pre>
                <p class="az-status small">
                    <span class={classes!("pill", if r.status == 0 { "ok" } else { "bad" })} data-testid={format!("{}-exit", dialect.id())}>{ format!("exit {}", r.status) }</span>
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
    let id = dialect.id();
    let intro = match dialect {
        Dialect::Az => html! {
            <p class="muted">{ "The Azure CLI's commands for a customer-managed key runbook, sending the requests the real " }<code>{ "az" }</code>{ " sends, as whoever is signed in. A shell around it: variables, quotes, " }<code>{ "\\" }</code>{ " continuations, " }<code>{ "$(az … -o tsv --query …)" }</code>{ ". Long operations poll on the virtual clock. Type " }<code>{ "az" }</code>{ " for the commands." }</p>
        },
        Dialect::Pwsh => html! {
            <p class="muted">{ "Azure PowerShell's cmdlets for a customer-managed key, sending the requests the Az modules send (their api-versions, their output objects and error records), as whoever is signed in. Variables, " }<code>{ "$x.Member" }</code>{ ", " }<code>{ "\"$($x.Name)\"" }</code>{ ", " }<code>{ "@{ }" }</code>{ ", pipelines to " }<code>{ "Select-Object" }</code>{ ", " }<code>{ "Format-List" }</code>{ ", " }<code>{ "ConvertTo-Json" }</code>{ ", backtick continuations; " }<code>{ "-Debug" }</code>{ " shows every HTTP request. Long operations poll on the virtual clock." }</p>
        },
    };
    let placeholder = match dialect {
        Dialect::Az => "az account show",
        Dialect::Pwsh => "Get-AzContext",
    };
    html! {
        <div class={classes!("console", "az-console", format!("{id}-console"))}>
            { intro }
            <div class="row wrap">
                <label for={format!("{id}-example")}>{ "Examples" }</label>
                <select id={format!("{id}-example")} onchange={on_example}>
                    <option value="" selected=true>{ "Choose a script…" }</option>
                    { for examples.iter().enumerate().map(|(i, (label, _))| html! { <option value={i.to_string()}>{ *label }</option> }) }
                </select>
                if vars > 0 {
                    <span class="muted small" title={draft.env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("\n")}>{ format!("{vars} variable{} set", if vars == 1 { "" } else { "s" }) }</span>
                }
            </div>
            <div class="az-runs" aria-live="polite">{ for runs }</div>
            <label for={format!("{id}-script")} class="sr-only">{ if dialect == Dialect::Az { "az script" } else { "PowerShell script" } }</label>
            <div class="az-input">
                <span class="prompt" aria-hidden="true">{ dialect.prompt() }</span>
                <textarea id={format!("{id}-script")} class="body terminal-input" spellcheck="false" data-testid={format!("{id}-script")}
                    rows={(draft.script.lines().count().clamp(1, 20) + 1).to_string()}
                    value={draft.script.clone()} oninput={on_input} onkeydown={on_keys}
                    {placeholder} />
            </div>
            <div class="row">
                <button class="primary" onclick={on_run} disabled={busy} data-testid={format!("{id}-run")}>{ "Run" }<kbd>{ "Enter" }</kbd></button>
                <span class="muted small">{ "Shift+Enter: new line · Up/Down: earlier scripts" }</span>
                if !draft.runs.is_empty() {
                    <button class="secondary" onclick={on_clear}>{ "Clear" }</button>
                }
            </div>
        </div>
    }
}
