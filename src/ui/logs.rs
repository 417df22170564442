//! Logs and queries: a workspace's simulated machines, records sent through the HTTP Data
//! Collector API, and KQL queries through the Query API, with where each workspace's data goes.

use yew::prelude::*;

use super::AppCtx;
use super::response::ResponseView;
use super::state::{Action, LogsDraft};
use super::util::{event_value, is_send_shortcut};
use crate::engine::sources::{self, SourceConfig};
use crate::engine::view::{Snapshot, WorkspaceView};
use crate::protocol::Command;

/// Rows shown in the results table; the count covers them all.
const SHOWN_ROWS: usize = 500;

fn current<'a>(snap: &'a Snapshot, draft: &LogsDraft) -> Option<&'a WorkspaceView> {
    match &draft.workspace {
        Some(id) => snap.workspaces.iter().find(|w| w.customer_id == *id),
        None => snap.workspaces.first(),
    }
}

/// Where the workspace's new data goes, in the seed's terms.
fn placement(snap: &Snapshot, ws: &WorkspaceView) -> (String, &'static str) {
    let cluster = ws
        .cluster
        .as_ref()
        .and_then(|id| snap.clusters.iter().find(|c| c.id == *id));
    match (ws.link_state.as_str(), cluster) {
        ("Linked" | "Unlinking", Some(c)) if c.provisioning_state == "ProvisioningAccount" => (
            format!(
                "Linked to {} before it finished provisioning: data ingested now is dropped and won't be recoverable.",
                c.name
            ),
            "warning",
        ),
        ("Linked" | "Unlinking", Some(c)) => match &c.storage_key {
            Some(k) => (
                format!(
                    "Linked to cluster {}: new data is encrypted with your key {}/keys/{} (CMK), then double encrypted.",
                    c.name, k.vault, k.key_name
                ),
                "done",
            ),
            None => (
                format!(
                    "Linked to cluster {}: no key identifier yet, so new data is protected by Microsoft-managed keys.",
                    c.name
                ),
                "running",
            ),
        },
        _ => (
            "Not linked to a cluster: data goes to shared storage under Microsoft-managed keys."
                .into(),
            "todo",
        ),
    }
}

#[function_component(Logs)]
pub fn logs() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let st = &app.state;
    let draft = (*st.logs).clone();
    let snap = &st.snap;
    let busy = st.busy.is_some();
    let Some(ws) = current(snap, &draft).cloned() else {
        return html! {
            <div class="logs">
                <p class="muted">{ "No workspace yet. Create one in step 5 of the walkthrough (or with a PUT in the REST console), then send it logs here." }</p>
            </div>
        };
    };
    let set = |f: fn(&mut LogsDraft, String)| {
        let app = app.clone();
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let mut d = draft.clone();
            f(&mut d, event_value(&e));
            app.dispatch(Action::Logs(d));
        })
    };
    let set_input = |f: fn(&mut LogsDraft, String)| {
        let app = app.clone();
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            let mut d = draft.clone();
            f(&mut d, event_value(&e));
            app.dispatch(Action::Logs(d));
        })
    };
    let (where_text, where_class) = placement(snap, &ws);
    let drops: Vec<_> = snap
        .storage
        .drops
        .iter()
        .filter(|d| d.workspace == ws.name)
        .collect();

    // ---- sending records ----
    let send_records = {
        let app = app.clone();
        let draft = draft.clone();
        let customer_id = ws.customer_id.clone();
        move || {
            let cmd = Command::Request {
                method: "POST".into(),
                url: format!(
                    "https://{customer_id}.ods.opinsights.azure.com/api/logs?api-version=2016-04-01"
                ),
                headers: vec![
                    ("Content-Type".into(), "application/json".into()),
                    ("Log-Type".into(), draft.log_type.trim().to_string()),
                ],
                body: Some(draft.records.clone()),
            };
            app.runner.run(cmd, "Ingest", None);
        }
    };
    let on_send_records = {
        let f = send_records.clone();
        Callback::from(move |_: MouseEvent| f())
    };
    let on_records_keys = Callback::from(move |e: KeyboardEvent| {
        if is_send_shortcut(&e) && !busy {
            e.prevent_default();
            send_records();
        }
    });
    let on_file = {
        let app = app.clone();
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let (app, draft) = (app.clone(), draft.clone());
            super::util::read_picked_file(&e, move |name, text| match text {
                Some(text) => {
                    let mut d = draft.clone();
                    d.records = text;
                    app.dispatch(Action::Logs(d));
                }
                None => app.dispatch(Action::Notice(Some(format!("Could not read {name}")))),
            });
        })
    };

    // ---- queries ----
    let run_query = {
        let app = app.clone();
        let draft = draft.clone();
        let customer_id = ws.customer_id.clone();
        move || {
            let body = serde_json::json!({ "query": draft.query }).to_string();
            let mut cmd = Command::request(
                "POST",
                &format!("https://api.loganalytics.io/v1/workspaces/{customer_id}/query"),
                Some(&body),
            );
            // Asks for the query's `render`, as the portal does, so the view can draw it.
            if let Command::Request { headers, .. } = &mut cmd {
                headers.push(("Prefer".into(), "include-render=true".into()));
            }
            app.runner.run(cmd, "Query", None);
        }
    };
    let on_run = {
        let f = run_query.clone();
        Callback::from(move |_: MouseEvent| f())
    };
    let on_query_keys = Callback::from(move |e: KeyboardEvent| {
        if is_send_shortcut(&e) && !busy {
            e.prevent_default();
            run_query();
        }
    });
    let table_chips = ws.tables.iter().map(|(t, n)| {
        let app = app.clone();
        let draft = draft.clone();
        let t2 = t.clone();
        let onclick = Callback::from(move |_| {
            let mut d = draft.clone();
            d.query = format!("{t2}\n| take 20");
            app.dispatch(Action::Logs(d));
        });
        html! { <button class="chip-toggle" {onclick} title="Start a query on this table">{ format!("{t} · {n}") }</button> }
    });
    let recent = draft
        .recent
        .iter()
        .filter(|(c, _)| *c == ws.customer_id)
        .map(|(_, q)| {
            let app = app.clone();
            let draft = draft.clone();
            let q2 = q.clone();
            let onclick = Callback::from(move |_| {
                let mut d = draft.clone();
                d.query = q2.clone();
                app.dispatch(Action::Logs(d));
            });
            let one_line = q.split_whitespace().collect::<Vec<_>>().join(" ");
            html! { <li><button class="link mono small" {onclick} title="Load this query">{ one_line }</button></li> }
        })
        .collect::<Vec<_>>();
    let last_query = draft.last_query.and_then(|i| st.history.get(i)).cloned();
    let last_ingest = draft.last_ingest.and_then(|i| st.history.get(i)).cloned();
    let workspace_options = snap.workspaces.iter().map(|w| {
        html! { <option value={w.customer_id.clone()} selected={w.customer_id == ws.customer_id}>{ format!("{} ({})", w.name, w.location) }</option> }
    });
    html! {
        <div class="logs">
            <div class="row wrap">
                <label for="logs-workspace">{ "Workspace" }</label>
                <select id="logs-workspace" onchange={set(|d, v| d.workspace = Some(v))}>{ for workspace_options }</select>
                <code class="small" title="customerId: the workspace id the data APIs use">{ &ws.customer_id }</code>
            </div>
            <p class={classes!("status-line", where_class)} data-testid="placement">{ where_text }</p>
            if !drops.is_empty() {
                <p class="status-line warning">
                    { "Dropped and not recoverable: " }
                    { drops.iter().map(|d| format!("{} rows of {}", d.rows, d.table)).collect::<Vec<_>>().join(", ") }
                </p>
            }

            <super::ingestion::Ingestion ws={ws.clone()} />

            <section class="card">
                <h3>{ "Simulated machines" }</h3>
                <Sources key={ws.customer_id.clone()} ws={ws.clone()} />
            </section>

            <section class="card">
                <h3>{ "Send records (HTTP Data Collector API)" }</h3>
                <p class="muted small">
                    { "POST https://{customerId}.ods.opinsights.azure.com/api/logs?api-version=2016-04-01 with a Log-Type header: the records land in the table {Log-Type}_CL, fields suffixed by type (_s, _d, _b, _t, _g)." }
                </p>
                <div class="row wrap">
                    <label for="log-type">{ "Log-Type" }</label>
                    <input id="log-type" type="text" value={draft.log_type.clone()} oninput={set_input(|d, v| d.log_type = v)} />
                    <label class="secondary file">
                        { "Load a JSON file…" }
                        <input type="file" accept=".json,application/json" onchange={on_file} />
                    </label>
                </div>
                <label for="log-records" class="sr-only">{ "Records (JSON array)" }</label>
                <textarea id="log-records" class="body" rows="7" spellcheck="false" value={draft.records.clone()}
                    oninput={set_input(|d, v| d.records = v)} onkeydown={on_records_keys} />
                <div class="row">
                    <button class="primary" onclick={on_send_records} disabled={busy} data-testid="send-records">{ "Send records" }<kbd>{ "Ctrl+Enter" }</kbd></button>
                </div>
                if let Some(x) = last_ingest {
                    <ResponseView exchange={x} />
                }
            </section>

            <section class="card">
                <h3>{ "Query (Log Analytics Query API)" }</h3>
                { super::byos::query_limits(&ws) }
                if !ws.tables.is_empty() {
                    <div class="row wrap" aria-label="Tables with data">{ for table_chips }</div>
                } else {
                    <p class="muted small">{ "No data yet: start the simulated machines and advance the clock, or send records above." }</p>
                }
                <label for="log-query" class="sr-only">{ "KQL query" }</label>
                <textarea id="log-query" class="body" rows="5" spellcheck="false" value={draft.query.clone()}
                    oninput={set_input(|d, v| d.query = v)} onkeydown={on_query_keys} />
                <div class="row wrap">
                    <button class="primary" onclick={on_run} disabled={busy} data-testid="run-query">{ "Run" }<kbd>{ "Ctrl+Enter" }</kbd></button>
                    <span class="muted small">{ crate::engine::query::subset::SUMMARY }{ " Other KQL is refused by name." }</span>
                </div>
                if let Some(x) = last_query {
                    <QueryResult exchange={x} />
                }
                if !recent.is_empty() {
                    <details class="query-history" data-testid="query-history">
                        <summary class="small">{ format!("Query history ({})", recent.len()) }</summary>
                        <ul class="plain">{ for recent }</ul>
                    </details>
                }
            </section>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct SourcesProps {
    ws: WorkspaceView,
}

#[function_component(Sources)]
fn sources(p: &SourcesProps) -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let busy = app.state.busy.is_some();
    let cfg = use_state(|| p.ws.sources.clone().unwrap_or_default());
    let on = p.ws.sources.is_some();
    let num = |f: fn(&mut SourceConfig, u32)| {
        let cfg = cfg.clone();
        Callback::from(move |e: InputEvent| {
            let mut c = (*cfg).clone();
            f(&mut c, event_value(&e).trim().parse().unwrap_or(0));
            cfg.set(c);
        })
    };
    let toggle_heartbeat = {
        let cfg = cfg.clone();
        Callback::from(move |_| {
            let mut c = (*cfg).clone();
            c.heartbeat = !c.heartbeat;
            cfg.set(c);
        })
    };
    let apply = |config: Option<SourceConfig>| {
        let app = app.clone();
        let customer_id = p.ws.customer_id.clone();
        Callback::from(move |_| {
            app.runner.run(
                Command::ConfigureSources {
                    customer_id: customer_id.clone(),
                    config: config.clone(),
                },
                "Sources",
                None,
            )
        })
    };
    let field = |id: &str, label: &str, value: u32, max: u32, oninput: Callback<InputEvent>| {
        html! {
            <label class="num-field" for={id.to_string()}>
                <span>{ label.to_string() }</span>
                <input id={id.to_string()} type="number" min="0" max={max.to_string()} value={value.to_string()} {oninput}
                    aria-describedby="src-rate" />
            </label>
        }
    };
    // The engine refuses what a browser tab cannot hold; the form says so before it is sent.
    let invalid = cfg.validate().err();
    let rate = format!(
        "{} rows per hour (at most {})",
        sources::thousands(cfg.rows_per_hour()),
        sources::thousands(sources::MAX_ROWS_PER_HOUR)
    );
    html! {
        <div class="sources">
            <p class="muted small">
                { "Agents on simulated machines send Heartbeat (one row per machine per minute), Syslog and SecurityEvent rows every five virtual minutes. " }
                if on { <strong>{ "Running: advance the clock to collect logs." }</strong> } else { { "Off." } }
            </p>
            <div class="row wrap">
                { field("src-linux", "Linux machines", cfg.linux, sources::MAX_MACHINES, num(|c, v| c.linux = v)) }
                { field("src-windows", "Windows machines", cfg.windows, sources::MAX_MACHINES, num(|c, v| c.windows = v)) }
                { field("src-syslog", "Syslog/h per machine", cfg.syslog_per_hour, sources::MAX_RATE, num(|c, v| c.syslog_per_hour = v)) }
                { field("src-security", "SecurityEvent/h per machine", cfg.security_per_hour, sources::MAX_RATE, num(|c, v| c.security_per_hour = v)) }
                <label class="toggle inline"><input type="checkbox" checked={cfg.heartbeat} onchange={toggle_heartbeat} />{ " Heartbeat" }</label>
            </div>
            <p id="src-rate" class={classes!("small", if invalid.is_some() { "error-text" } else { "muted" })}
                role={invalid.as_ref().map(|_| "alert")} data-testid="sources-rate">
                { match &invalid { Some(e) => format!("Too much for the playground: {e}."), None => rate } }
            </p>
            <div class="row">
                <button class="primary" onclick={apply(Some((*cfg).clone()))} disabled={busy || invalid.is_some()} data-testid="sources-on">
                    { if on { "Update rates" } else { "Start the machines" } }
                </button>
                if on {
                    <button class="secondary" onclick={apply(None)} disabled={busy}>{ "Stop" }</button>
                }
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ResultProps {
    exchange: super::state::Exchange,
}

/// A query's answer: a results table with the row count and the time it took, or the error.
#[function_component(QueryResult)]
fn query_result(p: &ResultProps) -> Html {
    // Chart or table: one toggle, the rows a click away whenever the chart shows.
    let as_table = use_state(|| false);
    let r = &p.exchange.response;
    if r.status != 200 {
        return html! { <ResponseView exchange={p.exchange.clone()} /> };
    }
    let table = &r.body["tables"][0];
    let columns: Vec<String> = table["columns"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| c["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    let rows = table["rows"].as_array().cloned().unwrap_or_default();
    let cell = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let show = |table: bool| {
        let as_table = as_table.clone();
        Callback::from(move |_: MouseEvent| as_table.set(table))
    };
    let chart = crate::chart::Spec::from_answer(&r.body)
        .filter(|s| s.visualization != "table")
        .map(|spec| crate::chart::layout(&r.body, &spec));
    let partial: Vec<String> = r.body["error"]["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|x| x["message"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    html! {
        <div class="results">
            if !partial.is_empty() {
                <div class="partial" role="status" data-testid="query-partial">
                    <strong>{ "Partial result: " }</strong>{ r.body["error"]["message"].as_str().unwrap_or("") }
                    <ul>{ for partial.iter().map(|m| html! { <li>{ m }</li> }) }</ul>
                </div>
            }
            <p class="muted small" data-testid="query-stats">
                { format!("{} row{} · {:.0} ms", rows.len(), if rows.len() == 1 { "" } else { "s" }, p.exchange.millis) }
                if rows.len() > SHOWN_ROWS { { format!(" · showing the first {SHOWN_ROWS}") } }
            </p>
            if let Some(chart) = &chart {
                <div class="row wrap chart-toggle" role="group" aria-label="Show the answer as">
                    <button class="chip-toggle" aria-pressed={(!*as_table).to_string()} disabled={chart.is_err()}
                        onclick={show(false)} data-testid="show-chart">{ "Chart" }</button>
                    <button class="chip-toggle" aria-pressed={(*as_table || chart.is_err()).to_string()}
                        onclick={show(true)} data-testid="show-table">{ "Table" }</button>
                    if let Err(why) = chart {
                        <span class="muted small" data-testid="chart-unavailable">{ format!("Not drawn: {why} The rows are below.") }</span>
                    }
                </div>
                if let (Ok(c), false) = (chart, *as_table) {
                    // Keyed by the answer: a new query starts without the last one's hovered value.
                    <super::chart::ChartView key={p.exchange.seq} chart={c.clone()} />
                }
            }
            <div class="table-wrap" hidden={matches!(chart, Some(Ok(_))) && !*as_table}>
                <table>
                    <thead><tr>{ for columns.iter().map(|c| html! { <th>{ c }</th> }) }</tr></thead>
                    <tbody>
                        { for rows.iter().take(SHOWN_ROWS).map(|row| html! {
                            <tr>{ for row.as_array().into_iter().flatten().map(|v| html! { <td>{ cell(v) }</td> }) }</tr>
                        }) }
                    </tbody>
                </table>
            </div>
        </div>
    }
}
