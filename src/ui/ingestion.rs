//! The Ingestion view: a workspace's rows stored and dropped per virtual hour
//! (`Snapshot::storage.ingestion`), with the hours ingestion met a revoked key or an unreachable
//! Key Vault, and Customer Lockbox approvals, shaded. Layout in [`crate::chart::ingestion`].

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::AppCtx;
use super::state::{Action, Tab};
use crate::chart;
use crate::engine::clock;
use crate::engine::view::WorkspaceView;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub ws: WorkspaceView,
}

#[function_component(Ingestion)]
pub fn ingestion(p: &Props) -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let as_table = use_state(|| false);
    let snap = &app.state.snap;
    let buckets = snap
        .storage
        .ingestion
        .iter()
        .find(|s| s.customer_id == p.ws.customer_id)
        .map(|s| s.buckets.clone())
        .unwrap_or_default();
    let mut windows = chart::ingestion_windows(&buckets);
    windows.extend(chart::lockbox_windows(&snap.lockbox.requests, &p.ws.id));
    let laid = chart::ingestion(&buckets, &windows);
    let show = |table: bool| {
        let as_table = as_table.clone();
        Callback::from(move |_: MouseEvent| as_table.set(table))
    };
    let body = match laid {
        Err(why) => html! { <p class="muted small" data-testid="ingestion-empty">{ why }</p> },
        Ok(c) => html! {
            <>
                <div class="row wrap chart-toggle" role="group" aria-label="Show ingestion as">
                    <button class="chip-toggle" aria-pressed={(!*as_table).to_string()} onclick={show(false)}>{ "Chart" }</button>
                    <button class="chip-toggle" aria-pressed={(*as_table).to_string()} onclick={show(true)} data-testid="ingestion-table-toggle">{ "Table" }</button>
                </div>
                if *as_table {
                    <div class="table-wrap">
                        <table data-testid="ingestion-table">
                            <thead><tr><th>{ "Hour (UTC)" }</th><th>{ "Sent" }</th><th>{ "Stored" }</th><th>{ "Dropped" }</th><th>{ "Why dropped / what ingestion met" }</th></tr></thead>
                            <tbody>
                                { for buckets.iter().map(|b| {
                                    let mut notes: Vec<String> = b.reasons.iter().map(|(r, n)| format!("{n}: {r}")).collect();
                                    if b.key_unusable { notes.push("key unusable".into()); }
                                    if b.vault_unreachable { notes.push("Key Vault unreachable".into()); }
                                    html! {
                                        <tr>
                                            <td>{ clock::iso(b.start) }</td>
                                            <td>{ b.ingested }</td><td>{ b.stored }</td><td>{ b.dropped }</td>
                                            <td>{ notes.join("; ") }</td>
                                        </tr>
                                    }
                                }) }
                            </tbody>
                        </table>
                    </div>
                } else {
                    <super::chart::ChartView chart={c} />
                }
                if !windows.is_empty() {
                    <ul class="ingestion-windows" aria-label="Shaded windows">
                        { for windows.iter().map(|w| html! {
                            <li data-window={w.kind}>{ format!("{}: {} to {}", w.label, clock::iso(w.from), clock::iso(w.to)) }</li>
                        }) }
                    </ul>
                }
            </>
        },
    };
    html! {
        <section class="card" id="ingestion" data-testid="ingestion" aria-labelledby="ingestion-title">
            <h3 id="ingestion-title">{ "Ingestion over time" }</h3>
            <p class="muted small">
                { "Rows sent to this workspace per virtual hour: stored, or dropped and not recoverable. Shaded: hours in which ingestion found the key unusable (revoked) or Key Vault unreachable (storage carried on with its cached key), and Customer Lockbox approvals (a Microsoft engineer may read the data). The engine keeps the newest 72 hours per workspace; the page gets up to 48." }
            </p>
            { body }
        </section>
    }
}

/// Opens the Ingestion view of the workspace `subject` names (its ARM id or customer id) in
/// the Logs tab; the timeline's data entries and the drills link here.
pub fn open(app: &AppCtx, subject: Option<&str>) {
    let mut draft = (*app.state.logs).clone();
    if let Some(ws) = subject.and_then(|s| {
        app.state
            .snap
            .workspaces
            .iter()
            .find(|w| w.id.eq_ignore_ascii_case(s) || w.customer_id == s)
    }) {
        draft.workspace = Some(ws.customer_id.clone());
    }
    app.dispatch(Action::Logs(draft));
    app.dispatch(Action::Tab(Tab::Logs));
    // After the tab has rendered: bring the view into sight.
    scroll_into_sight();
}

fn scroll_into_sight() {
    let cb = wasm_bindgen::closure::Closure::once_into_js(|| {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("ingestion"))
        {
            el.scroll_into_view();
        }
    });
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), 0);
    }
}
