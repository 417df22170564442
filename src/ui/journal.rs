//! What happened and why: the timeline, the Key Vault audit log, and the catalogue of every error
//! message the simulated services can return, with where each comes from.

use yew::prelude::*;

use super::AppCtx;
use super::response::source_text;
use super::state::{Action, TimelineFilter};
use super::util::{event_value, short};
use crate::engine::clock;
use crate::engine::errors::CATALOGUE;
use crate::engine::journal::{AuditEntry, Category, TimelineEntry};

const CATEGORIES: [(Category, &str); 4] = [
    (Category::Operation, "Operations"),
    (Category::KeyVault, "Key Vault"),
    (Category::Resource, "Resources"),
    (Category::Data, "Data"),
];

fn category_label(c: Category) -> &'static str {
    CATEGORIES
        .iter()
        .find(|(k, _)| *k == c)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

#[function_component(Timeline)]
pub fn timeline() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let filter = app.state.timeline_filter.clone();
    // Every change goes through the app state, so the filters survive a visit to another tab.
    let update = {
        let app = app.clone();
        let filter = filter.clone();
        move |f: fn(&mut TimelineFilter)| {
            let app = app.clone();
            let filter = filter.clone();
            Callback::from(move |_| {
                let mut next = (*filter).clone();
                f(&mut next);
                app.dispatch(Action::TimelineFilter(next));
            })
        }
    };
    let on_search = {
        let app = app.clone();
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| {
            let mut next = (*filter).clone();
            next.search = event_value(&e);
            app.dispatch(Action::TimelineFilter(next));
        })
    };
    let needle = filter.search.to_lowercase();
    let picked = app.state.highlight.clone();
    let chips = CATEGORIES.iter().map(|(c, label)| {
        let c = *c;
        let on = !filter.hidden.contains(&c);
        let onclick = {
            let app = app.clone();
            let filter = filter.clone();
            Callback::from(move |_: MouseEvent| {
                let mut next = (*filter).clone();
                if let Some(i) = next.hidden.iter().position(|x| *x == c) {
                    next.hidden.remove(i);
                } else {
                    next.hidden.push(c);
                }
                app.dispatch(Action::TimelineFilter(next));
            })
        };
        html! { <button class={classes!("chip-toggle", on.then_some("on"))} aria-pressed={on.to_string()} {onclick}>{ *label }</button> }
    });
    let alerts_only = filter.alerts_only;
    let toggle_alerts: Callback<MouseEvent> = update(|f| f.alerts_only = !f.alerts_only);
    let clear_filters: Callback<MouseEvent> = update(|f| *f = TimelineFilter::default());
    // Key Vault calls (from the audit log) interleaved with the timeline, newest first.
    let snap = &app.state.snap;
    // Timeline entries keep their index among all entries, so a rewind can name them.
    let first = snap.timeline_len.saturating_sub(snap.timeline.len());
    let mut merged: Vec<(TimelineEntry, Option<usize>)> = snap
        .timeline
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, e)| (e, Some(first + i)))
        .chain(snap.audit.iter().map(|a| (audit_event(a), None)))
        .collect();
    merged.sort_by_key(|(e, i)| (std::cmp::Reverse(e.time), std::cmp::Reverse(*i)));
    let can_rewind = app.runner.session().is_some();
    let entries: Vec<_> = merged
        .iter()
        .filter(|(e, _)| !filter.hidden.contains(&e.category) && (!alerts_only || e.alert))
        .filter(|(e, _)| {
            needle.is_empty()
                || e.text.to_lowercase().contains(&needle)
                || e.subject.to_lowercase().contains(&needle)
        })
        .collect();
    let pick = |subject: String| {
        let app = app.clone();
        Callback::from(move |_| {
            let again = app.state.highlight.as_deref() == Some(subject.as_str());
            app.dispatch(Action::Highlight((!again).then(|| subject.clone())));
            if !again {
                scroll_to("kh-title");
            }
        })
    };
    let ingestion = |subject: String| {
        let app = app.clone();
        Callback::from(move |_| super::ingestion::open(&app, Some(&subject)))
    };
    html! {
        <div class="timeline">
            <div class="row wrap" role="group" aria-label="Filter by category">
                { for chips }
                <button class={classes!("chip-toggle", alerts_only.then_some("on"))} aria-pressed={alerts_only.to_string()} onclick={toggle_alerts}>
                    { "Problems only" }
                </button>
                <label for="timeline-search" class="sr-only">{ "Search the timeline" }</label>
                <input id="timeline-search" type="search" placeholder="Search: unwrap, dropped, a version…" value={filter.search.clone()} oninput={on_search} />
            </div>
            <p class="muted small">{ format!("{} events shown. Pick an event's subject to highlight what it affected in the key hierarchy.", entries.len()) }</p>
            if entries.is_empty() && merged.is_empty() {
                <p class="muted">{ "Nothing yet. Everything the simulation does on the virtual clock shows up here, newest first." }</p>
            } else if entries.is_empty() {
                <p class="muted" data-testid="timeline-no-match">
                    { format!("No events match the filters ({} events in all). ", merged.len()) }
                    <button class="link" onclick={clear_filters}>{ "Clear the filters" }</button>
                </p>
            }
            <ol class="events">
                { for entries.iter().take(SHOWN).map(|(e, index)| html! {
                    <li class={classes!(e.alert.then_some("alert"), (picked.as_deref() == Some(e.subject.as_str())).then_some("picked"))}>
                        <time>{ clock::human(e.time) }</time>
                        <span class={classes!("cat", format!("cat-{:?}", e.category).to_lowercase())}>{ category_label(e.category) }</span>
                        <span class="text">
                            { &e.text }
                            if !e.subject.is_empty() {
                                <button class="subject" onclick={pick(e.subject.clone())} title={format!("Highlight {} in the key hierarchy", e.subject)}>
                                    { subject_label(&e.subject) }
                                </button>
                            }
                            if e.category == Category::Data && e.subject.contains("/workspaces/") {
                                <button class="link small" onclick={ingestion(e.subject.clone())} data-testid="timeline-ingestion"
                                    title="Rows stored and dropped per hour for this workspace, with revocation, outage and Lockbox windows">
                                    { "Ingestion over time" }
                                </button>
                            }
                        </span>
                        if let (Some(i), true) = (index, can_rewind) {
                            <button class="icon rewind" onclick={super::sharing::rewind_to_event(&app, *i, e.time, &e.text)}
                                disabled={app.state.busy.is_some()} data-testid="rewind-event"
                                title="Go back to just before this event (replays the session up to there; what you do next branches from it)"
                                aria-label={format!("Go back to just before: {}", e.text)}>{ "⟲" }</button>
                        }
                    </li>
                }) }
            </ol>
        </div>
    }
}

/// A Key Vault call as a timeline line: operation, caller, key version, result (and, for storage's
/// periodic calls folded per hour, how many and until when).
fn audit_event(a: &AuditEntry) -> TimelineEntry {
    let target = match (&a.key, &a.version) {
        (Some(k), Some(v)) => format!(" on {k}/{}", short(v)),
        (Some(k), None) => format!(" on {k}"),
        _ => String::new(),
    };
    let times = if a.count > 1 {
        format!(" ×{} until {}", a.count, clock::human(a.last))
    } else {
        String::new()
    };
    let subject = match (&a.key, &a.version) {
        (Some(k), Some(v)) => format!("https://{}.vault.azure.net/keys/{k}/{v}", a.vault),
        (Some(k), None) => format!("https://{}.vault.azure.net/keys/{k}", a.vault),
        _ => String::new(),
    };
    TimelineEntry {
        time: a.time,
        category: Category::KeyVault,
        subject,
        text: format!(
            "{} by {}{target}: {} {}{times}",
            a.operation, a.caller_name, a.status, a.result
        ),
        alert: a.status >= 400,
    }
}

/// Most entries the timeline renders at once (the snapshot carries the newest 1,500).
const SHOWN: usize = 400;

/// A short name for a subject: the last path segment of an id, or the name itself.
fn subject_label(s: &str) -> String {
    let last = s.trim_end_matches('/').rsplit('/').next().unwrap_or(s);
    if last.len() == 32 && last.bytes().all(|c| c.is_ascii_hexdigit()) {
        format!("version {}", short(last))
    } else {
        last.to_string()
    }
}

fn scroll_to(id: &str) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
    {
        el.scroll_into_view();
    }
}

/// Per key version: created, enabled, last use in the audit log (Sentinel's rotation guidance).
fn versions_table(snap: &crate::engine::Snapshot) -> Html {
    let rows: Vec<Html> = snap
        .vaults
        .iter()
        .flat_map(|v| v.keys.iter().map(move |k| (v, k)))
        .flat_map(|(v, k)| {
            let in_use: Vec<String> = snap
                .clusters
                .iter()
                .filter_map(|c| c.key_version_in_use.clone())
                .collect();
            k.versions.iter().rev().map(move |x| {
                let used = in_use.contains(&x.version);
                let advice = match (used, x.enabled, x.last_use) {
                    (true, false, _) => "disabled while in use: key revocation".to_string(),
                    (true, true, _) => "in use by a cluster".to_string(),
                    (false, false, _) => "disabled".to_string(),
                    (false, true, Some(t)) if snap.now >= t + crate::engine::clock::DAY => {
                        "no use for 24 hours: safe to disable".to_string()
                    }
                    (false, true, Some(t)) => format!(
                        "last used {} ago: wait 24 hours",
                        clock::duration(snap.now.saturating_sub(t))
                    ),
                    (false, true, None) => "never used by a cluster".to_string(),
                };
                html! {
                    <tr>
                        <td>{ format!("{}/{}", v.name, k.name) }</td>
                        <td><code title={x.version.clone()}>{ short(&x.version) }</code></td>
                        <td>{ if x.enabled { "enabled" } else { "disabled" } }</td>
                        <td>{ x.last_use.map(clock::human).unwrap_or_else(|| "—".into()) }</td>
                        <td>{ advice }</td>
                    </tr>
                }
            })
        })
        .collect();
    if rows.is_empty() {
        return html! {};
    }
    html! {
        <div class="table-wrap">
            <table class="version-table" data-testid="versions">
                <caption class="small muted">{ "Key versions and their last wrap or unwrap in the audit log" }</caption>
                <thead><tr><th>{ "Key" }</th><th>{ "Version" }</th><th>{ "State" }</th><th>{ "Last use" }</th><th>{ "Guidance (Sentinel)" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

#[function_component(Audit)]
pub fn audit() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let audit = &app.state.snap.audit;
    html! {
        <div class="audit">
            <p class="muted">{ "Every Key Vault data-plane call, from you or from a cluster's identity, with its result. Storage's periodic unwrap calls (every 6–60 seconds) are folded per hour, with their count and last time. Sentinel's rotation guidance (disable the previous version after 24 hours, or once the audit log shows no more use) is checked in the first table." }</p>
            { versions_table(&app.state.snap) }
            if audit.is_empty() {
                <p class="muted">{ "No Key Vault calls yet." }</p>
            } else {
                <div class="table-wrap">
                    <table class="audit-table">
                        <thead><tr><th>{ "Time (UTC)" }</th><th>{ "Operation" }</th><th>{ "Caller" }</th><th>{ "Vault / key / version" }</th><th>{ "Result" }</th><th>{ "Calls" }</th></tr></thead>
                        <tbody>
                            { for audit.iter().rev().map(|a| html! {
                                <tr class={classes!((a.status >= 400).then_some("alert"))}>
                                    <td class="nowrap">{ clock::human(a.time)[..10].to_string() }<br />{ clock::human(a.time)[11..19].to_string() }</td>
                                    <td>{ &a.operation }</td>
                                    <td title={a.caller_object_id.clone()}>{ &a.caller_name }</td>
                                    // Breaks only between vault, key and version.
                                    <td class="key-cell"><code>{ &a.vault }</code>
                                        if let Some(k) = &a.key { <wbr /><code>{ format!("/{k}") }</code> }
                                        if let Some(v) = &a.version { <wbr /><code title={v.clone()}>{ format!("/{}", short(v)) }</code> }
                                    </td>
                                    <td>{ format!("{} {}", a.status, a.result) }</td>
                                    <td title={a.detail.clone()} class="nowrap">
                                        if a.count > 1 {
                                            { format!("×{}", a.count) }<br />
                                            <span class="small muted">{ format!("until {}", if clock::date(a.last) == clock::date(a.time) { clock::human(a.last)[11..19].to_string() } else { clock::human(a.last).trim_end_matches(" UTC").to_string() }) }</span>
                                        } else { { "1" } }
                                    </td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            }
        </div>
    }
}

#[function_component(Catalogue)]
pub fn catalogue() -> Html {
    let filter = use_state(String::new);
    let on_filter = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| filter.set(event_value(&e)))
    };
    let needle = filter.to_lowercase();
    let rows: Vec<_> = CATALOGUE
        .iter()
        .filter(|e| {
            needle.is_empty()
                || e.message.get().to_lowercase().contains(&needle)
                || e.code.to_lowercase().contains(&needle)
                || e.name.to_lowercase().contains(&needle)
        })
        .collect();
    html! {
        <div class="catalogue">
            <p class="muted">{ format!("All {} error answers the simulated services can give, with the document each message comes from. Messages quoted in the Azure Monitor seed document are used word for word.", CATALOGUE.len()) }</p>
            <label for="catalogue-filter" class="sr-only">{ "Filter" }</label>
            <input id="catalogue-filter" type="search" placeholder="Filter by code or wording…" value={(*filter).clone()} oninput={on_filter} />
            <div class="table-wrap">
                <table class="catalogue-table">
                    <thead><tr><th>{ "Status" }</th><th>{ "Code" }</th><th>{ "Message and its source" }</th></tr></thead>
                    <tbody>
                        { for rows.iter().map(|e| html! {
                            <tr>
                                <td>{ e.status }</td>
                                <td><code>{ camel_breaks(e.code) }</code>{ e.inner.map(|i| html! { <><br /><code class="muted">{ camel_breaks(i) }</code></> }) }</td>
                                // The source under the message: a fourth column squeezed every other.
                                <td class="msg">{ e.message.get() }<span class="small muted source-of">{ source_text(&e.source) }</span></td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        </div>
    }
}

/// An error code with break opportunities between its words (`Location·Not·Available…`), so a
/// long code wraps at a capital rather than push the message out of view or break anywhere.
fn camel_breaks(code: &str) -> Html {
    let mut parts: Vec<String> = vec![String::new()];
    let mut prev_lower = false;
    for c in code.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            parts.push(String::new());
        }
        prev_lower = c.is_ascii_lowercase();
        if let Some(p) = parts.last_mut() {
            p.push(c);
        }
    }
    html! { { for parts.into_iter().enumerate().map(|(i, p)| html! { <>if i > 0 { <wbr /> }{ p }</> }) } }
}
