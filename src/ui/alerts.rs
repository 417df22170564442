//! The log search alerts panel: each rule and where its query is kept (Azure Monitor under a
//! Microsoft-managed key, or a linked storage account under its key), and the alerts fired on
//! the clock, saying when an alert carries neither the query nor its results (an `Alerts` link).

use yew::prelude::*;

use super::AppCtx;
use crate::engine::clock;
use crate::engine::view::FiredAlertView;

/// Alerts shown at most (newest first); the rest are a count and the API.
const SHOWN: usize = 5;

/// The seed's words for what a fired alert holds with an `Alerts` link.
const NO_QUERY: &str = "Fired log alerts will not contains search results or alert query. You can use alert dimensions to get context in the fired alerts.";

fn fired_line(a: &FiredAlertView) -> Html {
    let dims = a
        .dimensions
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        <li data-testid="fired-alert">
            <span class={classes!("pill", if a.monitor_condition == "Fired" { "bad" } else { "ok" })}>{ &a.monitor_condition }</span>
            { " " }<strong>{ &a.rule_name }</strong>
            <span class="muted small">{ format!(" · {} · {}", a.severity, clock::human(a.fired)) }</span>
            if !dims.is_empty() { <span class="small">{ format!(" · {dims}") }</span> }
            <span class="muted small">{ format!(" · value {}", a.metric_value) }</span>
            if !a.has_query && !a.has_results {
                <span class="pill" title={NO_QUERY}>{ "no query, no results" }</span>
            }
        </li>
    }
}

#[function_component(LogAlerts)]
pub fn log_alerts() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let snap = &app.state.snap;
    if snap.alert_rules.is_empty() && snap.fired_alerts.is_empty() {
        return html! {};
    }
    let mut fired: Vec<&FiredAlertView> = snap.fired_alerts.iter().collect();
    fired.sort_by_key(|a| std::cmp::Reverse(a.fired));
    let byos = fired.iter().any(|a| !a.has_query && !a.has_results);
    html! {
        <section class="panel" id="alerts-panel" aria-labelledby="alerts-title">
            <h2 id="alerts-title">{ "Log search alerts" }</h2>
            <ul class="ops">
                { for snap.alert_rules.iter().map(|r| html! {
                    <li data-testid="alert-rule">
                        <strong>{ &r.name }</strong>
                        <span class="muted small">{ format!(" on {} · Sev{}{}", r.workspace, r.severity, if r.enabled { "" } else { " · disabled" }) }</span>
                        <br />
                        <span class="small">{ "Query kept in " }{ &r.query_stored_in }{ " " }</span>
                        <span class={classes!("pill", if r.protection == "CMK" { "ok" } else { "" })}>{ &r.protection }</span>
                    </li>
                }) }
            </ul>
            <h3>{ "Fired alerts" }</h3>
            if fired.is_empty() {
                <p class="muted small">{ "None yet: each rule runs every evaluationFrequency on the clock." }</p>
            } else {
                <ul class="ops">{ for fired.iter().take(SHOWN).map(|a| fired_line(a)) }</ul>
                if fired.len() > SHOWN {
                    <p class="muted small">{ format!("… and {} more: GET /subscriptions/{{s}}/providers/Microsoft.AlertsManagement/alerts", fired.len() - SHOWN) }</p>
                }
            }
            if byos {
                <p class="small muted" data-testid="alerts-byos-note">{ format!("With an Alerts linked storage account: \u{201c}{NO_QUERY}\u{201d}") }</p>
            }
        </section>
    }
}
