//! What the saved queries and alerts walkthrough shows beside its steps (the seed's
//! considerations are the steps' quotations): the account's facts, the saved searches a `Query`
//! link would take out of the workspace, and where each saved search and alert query is kept,
//! under which key. The Logs view uses [`query_limits`] too.

use yew::prelude::*;

use super::panels::access_badge;
use super::util::short;
use crate::byos_walkthrough as bw;
use crate::engine::view::WorkspaceView;
use crate::walkthrough::Context;

/// The step's extra panel (steps 2 to 8; the seed's considerations are the steps' own
/// quotations).
pub fn extra(cx: &Context, n: usize) -> Html {
    match n {
        4 => account_facts(cx),
        5 => copy_first(cx),
        8 => summary(cx),
        _ => html! {},
    }
}

/// Before the `Query` link: what the workspace holds now, which the link takes out of it (the
/// seed's warning is the step's own quotation, above).
fn copy_first(cx: &Context) -> Html {
    let Some(w) = cx.workspace() else {
        return html! {};
    };
    let here: Vec<String> = w
        .saved_searches
        .iter()
        .filter(|s| s.stored_in == "workspace")
        .map(|s| format!("{} ({})", s.display_name, s.name))
        .collect();
    if bw::query_linked(w) {
        return html! {
            <p class="muted small" data-testid="byos-saved-now">
                { format!("Linked for Query: the workspace's saved searches are kept in {}.", bw::linked(w, "Query").join(", ")) }
            </p>
        };
    }
    if here.is_empty() {
        return html! {
            <p class="muted small" data-testid="byos-saved-now">
                { format!("Workspace {} holds no saved searches now: nothing to copy.", w.name) }
            </p>
        };
    }
    html! {
        <p class="warning small" role="note" data-testid="byos-saved-now">
            { format!(
                "Workspace {} holds {} saved search{} now: {}. The Query link removes {} from the workspace: copy what you need first (card 1 lists {}).",
                w.name,
                here.len(),
                if here.len() == 1 { "" } else { "es" },
                here.join(", "),
                if here.len() == 1 { "it" } else { "them" },
                if here.len() == 1 { "it" } else { "them" }
            ) }
        </p>
    }
}

fn key_words(cx: &Context, a: &crate::engine::view::StorageAccountView) -> String {
    let Some(k) = &a.key else {
        return "a Microsoft-managed key".into();
    };
    let cluster_key = cx
        .cluster()
        .and_then(|c| c.storage_key.as_ref())
        .map(|k| k.key_name.clone());
    format!(
        "{}/keys/{} · version {}{}",
        k.vault,
        k.key_name,
        short(a.current_key_version.as_deref().unwrap_or("none")),
        match cluster_key {
            Some(c) if c.eq_ignore_ascii_case(&k.key_name) => " (the cluster's key)".to_string(),
            Some(c) => format!(" (another key than the cluster's {c})"),
            None => String::new(),
        }
    )
}

fn account_facts(cx: &Context) -> Html {
    let Some(a) = bw::account(cx) else {
        return html! {};
    };
    html! {
        <section class="store-summary" data-testid="byos-account">
            <h3>{ format!("Storage account {}", a.name) }</h3>
            <dl class="facts">
                <dt>{ "Region" }</dt><dd>{ &a.location }</dd>
                <dt>{ "Tables' key type" }</dt>
                <dd>{ format!("{}{}", a.table_key_type, if a.table_cmk_capable { "" } else { ": never under your key" }) }</dd>
                <dt>{ "AEK wrapped by" }</dt><dd>{ key_words(cx, a) }</dd>
                <dt>{ "Unwrapped by" }</dt><dd>{ a.principal.clone().unwrap_or_else(|| "Microsoft (no Key Vault call)".into()) }</dd>
                <dt>{ "Access" }</dt><dd>{ access_badge(&a.access) }</dd>
            </dl>
            <p class="muted small">{ bw::COSTS }</p>
        </section>
    }
}

/// Step 8: every saved search and alert query of the workspace, where it is kept and under
/// which key; the account's AEK; what stays under Microsoft's key whatever you do.
fn summary(cx: &Context) -> Html {
    let Some(w) = cx.workspace() else {
        return html! {};
    };
    let protection = |p: &str| {
        html! { <span class={classes!("pill", if p == "CMK" { "ok" } else { "running" })}>{ p.to_string() }</span> }
    };
    let kept = |s: &str| {
        if s == "workspace" {
            "the workspace".to_string()
        } else if s == "Azure Monitor" {
            s.to_string()
        } else {
            format!("storage account {s}")
        }
    };
    let searches = w.saved_searches.iter().map(|s| {
        html! {
            <tr data-testid="byos-saved-search" data-stored-in={s.stored_in.clone()} data-protection={s.protection.clone()}>
                <td>{ format!("Saved search {}", s.display_name) }</td>
                <td>{ kept(&s.stored_in) }{ if s.stored_in == "workspace" { "" } else { " (table)" } }</td>
                <td>{ protection(&s.protection) }</td>
            </tr>
        }
    });
    let rules = cx
        .snap
        .alert_rules
        .iter()
        .filter(|r| r.workspace == w.name)
        .map(|r| {
            html! {
                <tr data-testid="byos-alert-rule" data-stored-in={r.query_stored_in.clone()} data-protection={r.protection.clone()}>
                    <td>{ format!("Alert rule {}'s query", r.name) }</td>
                    <td>{ kept(&r.query_stored_in) }{ if r.query_stored_in == "Azure Monitor" { "" } else { " (blob)" } }</td>
                    <td>{ protection(&r.protection) }</td>
                </tr>
            }
        });
    let account = bw::account(cx);
    html! {
        <section class="store-summary" aria-labelledby="byos-summary-title" data-testid="byos-summary">
            <h3 id="byos-summary-title">{ format!("Where workspace {}'s queries are kept", w.name) }</h3>
            <div class="table-wrap">
                <table class="byos-table">
                    <thead><tr><th>{ "What" }</th><th>{ "Kept in" }</th><th>{ "Key" }</th></tr></thead>
                    <tbody>{ for searches }{ for rules }</tbody>
                </table>
            </div>
            if let Some(a) = account {
                <dl class="facts">
                    <dt>{ "Account" }</dt><dd>{ format!("{} ({})", a.name, a.location) }{ " " }{ access_badge(&a.access) }</dd>
                    <dt>{ "AEK wrapped by" }</dt><dd>{ key_words(cx, a) }</dd>
                    <dt>{ "Unwrapped by" }</dt><dd>{ a.principal.clone().unwrap_or_else(|| "Microsoft (no Key Vault call)".into()) }</dd>
                    <dt>{ "Protects" }</dt>
                    <dd data-testid="byos-protects">{ if a.protects.is_empty() { "nothing yet: no workspace links it".to_string() } else { a.protects.join("; ") } }</dd>
                </dl>
            }
            <h4>{ "Not here: under Microsoft's key (MMK) whatever you link" }</h4>
            <p class="small" data-testid="byos-mmk-always">{ "Queries saved in Workbooks in Azure Monitor, Azure dashboards, Azure Logic App, Azure Notebooks and Automation Runbooks (the document's note, quoted above)." }</p>
            <h4>{ "While the workspace is linked for Query" }</h4>
            <ul class="small byos-limits">
                <li>{ format!("{}.", bw::NO_PIN) }</li>
                <li>{ format!("{} (the Logs view keeps none while the workspace is linked for Query).", bw::NO_QUERY_HISTORY) }</li>
                <li>{ bw::FIRED_ALERTS }</li>
            </ul>
        </section>
    }
}

/// The Logs view's note for a workspace linked for Query, or nothing.
pub fn query_limits(w: &WorkspaceView) -> Html {
    if !bw::query_linked(w) {
        return html! {};
    }
    html! {
        <div class="warning small byos-note" role="note" data-testid="query-history-note">
            <strong>{ format!("Workspace {} keeps its saved searches in storage account {} (Query link). ", w.name, bw::linked(w, "Query").join(", ")) }</strong>
            { format!("{}: this view keeps no history of the queries you run here. {}.", bw::NO_QUERY_HISTORY, bw::NO_PIN) }
            <span class="muted">{ " Queries in workbooks, Azure dashboards, Logic Apps, notebooks and Automation runbooks stay under Microsoft's key (MMK) regardless." }</span>
        </div>
    }
}
