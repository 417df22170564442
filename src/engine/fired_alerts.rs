//! Log search alert rules evaluated on the virtual clock, and the alerts they fire
//! (`Microsoft.AlertsManagement/alerts`, 2019-05-05-preview and 2023-07-12-preview).
//!
//! Every enabled rule is evaluated every `evaluationFrequency` (the first time one frequency
//! after it was created or updated), the way Sentinel's scheduled analytics rules run: a clock
//! event per rule, the rule's query run over the last `windowSize` of its workspace through the
//! same storage reads and key chain as the Query API (`logs::run_for_service`). A workspace whose
//! data cannot be read (key revoked) fails the evaluation, the timeline says why, nothing fires.
//!
//! The rule's query is read only through `alerts::rule_queries`, and whether it lives in an
//! `Alerts` linked storage account only through `alerts::storage_configured`: then, as the seed
//! says, "Fired log alerts will not contains search results or alert query. You can use alert
//! dimensions to get context in the fired alerts."

use super::api_versions::ALERTS_MANAGEMENT_API;
use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Ctx;
use super::alerts::{self, AlertRule};
use super::arm::{
    ApiResult, api_version, group_scope, id_key, method_not_allowed, resource_id,
    subscription_scope, unknown_type,
};
use super::clock::{self, Event};
use super::errors::{self, ApiError};
use super::http::{Method, Request, Response};
use super::journal::Category;
use super::limits;
use super::logs;
use super::table::{RowSet, Value as Cell};

const NAMESPACE: &str = "Microsoft.AlertsManagement";
const TYPE: &str = "Microsoft.AlertsManagement/alerts";

/// The seed sentence a fired alert of a rule whose query is in linked storage follows.
pub const SEED_BYOS: &str = "Fired log alerts will not contains search results or alert query. You can use alert dimensions to get context in the fired alerts.";

/// Rows of the search results kept in a fired alert's context (a sample, not the whole result).
const RESULT_ROWS: usize = 10;

/// The playground's bound on `failingPeriods.numberOfEvaluationPeriods` (what each dimension
/// combination remembers between evaluations).
const MAX_PERIODS: usize = 64;

/// A dimension combination: `(column, value)` in the rule's dimension order.
pub type Dimensions = Vec<(String, String)>;

/// Fired alerts, and what each rule's evaluations remember (persistent maps: see `World`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FiredAlerts {
    /// Every alert by its GUID (lower case).
    pub alerts: imbl::OrdMap<String, FiredAlert>,
    /// Each evaluated rule's memory, by the rule's key (lower-cased id).
    pub rules: imbl::OrdMap<String, RuleState>,
}

/// What a rule's evaluations remember between runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleState {
    /// Per dimension combination, whether the condition held at each recent evaluation (newest
    /// last, at most `numberOfEvaluationPeriods` of them).
    pub history: BTreeMap<Dimensions, Vec<bool>>,
    /// The combinations with a fired alert not yet resolved: the alert's GUID and how many
    /// evaluations in a row have not met the condition since. Kept when the rule is updated, and
    /// after the alert itself is deleted (30 days), so a stateful alert does not fire twice.
    pub open: BTreeMap<Dimensions, (String, u64)>,
    /// Why the last evaluation failed, said once until one succeeds again.
    pub failing: Option<String>,
}

/// One fired alert.
#[derive(Clone, Debug, PartialEq)]
pub struct FiredAlert {
    pub guid: String,
    pub subscription: String,
    /// The rule's key (lower-cased id), its id and name.
    pub rule_key: String,
    pub rule_id: String,
    pub rule_name: String,
    pub workspace_id: String,
    pub workspace_name: String,
    pub workspace_group: String,
    pub severity: u8,
    pub description: String,
    pub dimensions: Dimensions,
    pub metric_value: f64,
    /// `context` as the API answers it (built when the alert fired).
    pub context: Value,
    pub has_query: bool,
    pub has_results: bool,
    pub fired: u64,
    pub resolved: Option<u64>,
    pub modified: u64,
}

impl FiredAlert {
    pub fn arm_id(&self) -> String {
        format!(
            "/subscriptions/{}/providers/{TYPE}/{}",
            self.subscription, self.guid
        )
    }

    pub fn monitor_condition(&self) -> &'static str {
        if self.resolved.is_some() {
            "Resolved"
        } else {
            "Fired"
        }
    }

    fn to_json(&self) -> Value {
        let mut essentials = json!({
            "severity": format!("Sev{}", self.severity),
            "signalType": "Log",
            "alertState": "New",
            "monitorCondition": self.monitor_condition(),
            "monitorService": "Log Alerts V2",
            "targetResource": self.workspace_id,
            "targetResourceName": self.workspace_name,
            "targetResourceGroup": self.workspace_group,
            "targetResourceType": "microsoft.operationalinsights/workspaces",
            "alertRule": self.rule_id,
            "sourceCreatedId": format!("{}_{}", self.rule_id, self.guid),
            "startDateTime": clock::iso(self.fired),
            "lastModifiedDateTime": clock::iso(self.modified),
            "lastModifiedUserName": "System",
            "description": self.description,
            "actionStatus": { "isSuppressed": false },
        });
        if let Some(t) = self.resolved {
            essentials["monitorConditionResolvedDateTime"] = json!(clock::iso(t));
        }
        json!({
            "id": self.arm_id(),
            "name": self.rule_name,
            "type": TYPE,
            "properties": {
                "essentials": essentials,
                "context": self.context,
                "egressConfig": {},
            },
        })
    }
}

// ---- the rules' side: scheduling --------------------------------------------------------------

/// `scheduledQueryRules` requests: answered by `alerts::route`; a rule it created, updated or
/// deleted is (re)scheduled here, so rule storage and evaluation stay apart.
pub fn route_rules(cx: &mut Ctx, req: &Request, scope: &[String], rest: &[String]) -> ApiResult {
    let r = alerts::route(cx, req, scope, rest)?;
    if let [_, name] = rest
        && matches!(req.method, Method::Put | Method::Patch | Method::Delete)
        && r.status < 400
        && let Ok((sub, rg)) = group_scope(cx, scope)
    {
        let key = id_key(&resource_id(sub, &rg, alerts::TYPE, name));
        reschedule(cx, &key);
    }
    Ok(r)
}

/// A property of the rule (`Null` when absent: `Map`'s index would panic).
fn prop<'r>(rule: &'r AlertRule, field: &str) -> &'r Value {
    rule.properties.get(field).unwrap_or(&Value::Null)
}

fn enabled(rule: &AlertRule) -> bool {
    prop(rule, "enabled").as_bool().unwrap_or(true)
}

fn duration(rule: &AlertRule, field: &str) -> Option<u64> {
    prop(rule, field)
        .as_str()
        .and_then(clock::parse_duration)
        .filter(|s| *s > 0)
}

fn unschedule(cx: &mut Ctx, key: &str) {
    cx.w.events
        .retain(|e| !matches!(e, Event::LogAlertRule { rule } if rule == key));
}

/// A rule was created, updated or deleted: its evaluations start over (an update may change
/// anything the memory of earlier periods depends on), one frequency from now.
fn reschedule(cx: &mut Ctx, key: &str) {
    unschedule(cx, key);
    let Some(rule) = cx.w.alert_rules.get(key).cloned() else {
        cx.w.fired_alerts.rules.remove(key);
        return;
    };
    if let Some(state) = cx.w.fired_alerts.rules.get_mut(key) {
        state.history.clear();
        state.failing = None;
    }
    let now = cx.w.now;
    match duration(&rule, "evaluationFrequency") {
        Some(freq) if enabled(&rule) => {
            cx.w.events.schedule(
                now + freq,
                Event::LogAlertRule {
                    rule: key.to_string(),
                },
            );
            let window = duration(&rule, "windowSize").unwrap_or(freq);
            cx.j.note(
                now,
                Category::Resource,
                &rule.id,
                format!(
                    "Log search alert rule {} is evaluated every {} over the last {} of its workspace's data, first at {}",
                    rule.name,
                    clock::duration(freq),
                    clock::duration(window),
                    clock::human(now + freq)
                ),
            );
        }
        _ => cx.j.note(
            now,
            Category::Resource,
            &rule.id,
            format!(
                "Log search alert rule {} is disabled: it is not evaluated",
                rule.name
            ),
        ),
    }
}

// ---- evaluation ---------------------------------------------------------------------------------

/// What one evaluation found: per dimension combination, the measured value and its rows.
struct Group {
    value: Option<f64>,
    rows: Vec<usize>,
}

struct Outcome {
    ws_key: String,
    rows: RowSet,
    groups: BTreeMap<Dimensions, Group>,
}

/// A rule's evaluation falls due.
pub fn evaluate(cx: &mut Ctx, key: &str) {
    let Some(rule) = cx.w.alert_rules.get(key).cloned() else {
        cx.w.fired_alerts.rules.remove(key);
        return;
    };
    let Some(freq) = duration(&rule, "evaluationFrequency").filter(|_| enabled(&rule)) else {
        return;
    };
    let now = cx.w.now;
    cx.w.events.schedule(
        now + freq,
        Event::LogAlertRule {
            rule: key.to_string(),
        },
    );
    let criterion = prop(&rule, "criteria")["allOf"][0].clone();
    let outcome = run(cx, &rule, &criterion, freq);
    let state = cx.w.fired_alerts.rules.entry(key.to_string()).or_default();
    let failing = state.failing.take();
    let outcome = match outcome {
        Ok(o) => o,
        Err(why) => {
            if failing.as_deref() != Some(why.as_str()) {
                cx.j.alert(
                    now,
                    Category::Data,
                    &rule.id,
                    format!(
                        "Log search alert rule {} could not be evaluated: {why}. No alert fires until it is evaluated again",
                        rule.name
                    ),
                );
            }
            cx.w.fired_alerts
                .rules
                .get_mut(key)
                .expect("just made")
                .failing = Some(why);
            return;
        }
    };
    if failing.is_some() {
        cx.j.note(
            now,
            Category::Data,
            &rule.id,
            format!("Log search alert rule {} is evaluated again", rule.name),
        );
    }
    purge(cx);
    let firing = remember(cx, key, &criterion, &outcome);
    let resolve_after = resolve_after(&rule, freq);
    let mut open = std::mem::take(
        &mut cx
            .w
            .fired_alerts
            .rules
            .get_mut(key)
            .expect("made above")
            .open,
    );
    let mut resolved = Vec::new();
    for (dims, (guid, clean)) in open.iter_mut() {
        // Without auto-resolve the condition is kept only as long as its alert is (30 days).
        if resolve_after.is_none() && !cx.w.fired_alerts.alerts.contains_key(guid.as_str()) {
            resolved.push(dims.clone());
            continue;
        }
        if firing.contains(dims) {
            *clean = 0;
            continue;
        }
        *clean += 1;
        if resolve_after.is_some_and(|n| *clean >= n) {
            resolved.push(dims.clone());
        }
    }
    for dims in resolved {
        if let Some((guid, _)) = open.remove(&dims) {
            resolve(cx, &rule, &guid);
        }
    }
    for (dims, group) in &outcome.groups {
        if firing.contains(dims) && !open.contains_key(dims) {
            let guid = fire(cx, &rule, &criterion, &outcome, dims, group);
            open.insert(dims.clone(), (guid, 0));
        }
    }
    cx.w.fired_alerts
        .rules
        .get_mut(key)
        .expect("made above")
        .open = open;
}

/// Evaluations in a row without the condition before a fired alert resolves; `None` when the
/// rule does not resolve its alerts (`autoMitigate` or `ruleResolveConfiguration.autoResolved`
/// false; "The default is true").
fn resolve_after(rule: &AlertRule, freq: u64) -> Option<u64> {
    let config = prop(rule, "ruleResolveConfiguration");
    let auto = config["autoResolved"]
        .as_bool()
        .or_else(|| prop(rule, "autoMitigate").as_bool())
        .unwrap_or(true);
    if !auto {
        return None;
    }
    Some(
        match config["timeToResolve"]
            .as_str()
            .and_then(clock::parse_duration)
        {
            Some(t) => t.div_ceil(freq).max(1),
            None => limits::log_alert_resolve_periods(freq),
        },
    )
}

/// "Alerts are stored for 30 days and are deleted after the 30-day retention period."
fn purge(cx: &mut Ctx) {
    let now = cx.w.now;
    let gone: Vec<String> =
        cx.w.fired_alerts
            .alerts
            .iter()
            .filter(|(_, a)| a.fired + limits::ALERT_RETENTION <= now)
            .map(|(k, _)| k.clone())
            .collect();
    for k in gone {
        cx.w.fired_alerts.alerts.remove(&k);
    }
}

/// Runs the rule's query over its window and measures each dimension combination.
fn run(cx: &mut Ctx, rule: &AlertRule, criterion: &Value, freq: u64) -> Result<Outcome, String> {
    let scopes: Vec<&str> = prop(rule, "scopes")
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let ws_key = scopes
        .iter()
        .map(|s| id_key(s))
        .find(|k| cx.w.workspaces.get(k).is_some_and(|w| w.deleted.is_none()))
        .ok_or_else(|| {
            format!(
                "its scope {} is not a Log Analytics workspace that exists",
                scopes.first().unwrap_or(&"(none)")
            )
        })?;
    let query = alerts::rule_queries(cx, rule)
        .map_err(|e| format!("its query cannot be read ({})", e.message()))?
        .into_iter()
        .next()
        .ok_or("it has no query")?;
    let window = duration(rule, "windowSize").unwrap_or(freq);
    let customer_id = cx.w.workspaces[&ws_key].customer_id.clone();
    let to = cx.w.now as i64 * 1000;
    let from = to - window as i64 * 1000;
    let rows = logs::run_for_service(cx, &customer_id, &query, (from, to))
        .map_err(|why| format!("its query failed: {why}"))?;
    let groups = measure(criterion, &rows)?;
    Ok(Outcome {
        ws_key,
        rows,
        groups,
    })
}

/// A cell as a dimension value.
fn text(v: &Cell) -> String {
    match v.to_json() {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn number(v: &Cell) -> Option<f64> {
    match v {
        Cell::Long(n) => Some(*n as f64),
        Cell::Real(f) if f.is_finite() => Some(*f),
        _ => None,
    }
}

/// Splits the rows by the rule's dimensions (Include `*` = every value; Include or Exclude a list
/// filters) and applies `timeAggregation` to each combination.
fn measure(criterion: &Value, rows: &RowSet) -> Result<BTreeMap<Dimensions, Group>, String> {
    let operator = criterion["operator"].as_str().unwrap_or_default();
    if !OPERATORS.contains(&operator) {
        return Err(format!(
            "its operator '{operator}' is not one of {}",
            OPERATORS.join(", ")
        ));
    }
    if !criterion["threshold"].is_number() {
        return Err("its threshold is not a number".into());
    }
    let mut dims = Vec::new();
    for d in criterion["dimensions"].as_array().into_iter().flatten() {
        let name = d["name"].as_str().unwrap_or_default();
        let column = rows.schema.index(name).ok_or_else(|| {
            format!("its dimension '{name}' is not a column of the query's result")
        })?;
        let include = !d["operator"]
            .as_str()
            .is_some_and(|o| o.eq_ignore_ascii_case("Exclude"));
        let values: Vec<&str> = d["values"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        dims.push((name.to_string(), column, include, values));
    }
    let mut groups: BTreeMap<Dimensions, Vec<usize>> = BTreeMap::new();
    if dims.is_empty() {
        // No split: one combination, measured even when no row came back (Count 0).
        groups.insert(Vec::new(), (0..rows.rows.len()).collect());
    } else {
        'rows: for (i, row) in rows.rows.iter().enumerate() {
            let mut combo = Vec::with_capacity(dims.len());
            for (name, column, include, values) in &dims {
                let v = row.get(*column).map(text).unwrap_or_default();
                let listed = values.contains(&v.as_str());
                let kept = if *include {
                    listed || values.contains(&"*")
                } else {
                    !listed
                };
                if !kept {
                    continue 'rows;
                }
                combo.push((name.clone(), v));
            }
            groups.entry(combo).or_default().push(i);
        }
    }
    let aggregation = criterion["timeAggregation"].as_str().unwrap_or("Count");
    let measure_column = match aggregation {
        "Count" => None,
        "Average" | "Minimum" | "Maximum" | "Total" => {
            let name = criterion["metricMeasureColumn"]
                .as_str()
                .unwrap_or_default();
            Some(rows.schema.index(name).ok_or_else(|| {
                format!("its metricMeasureColumn '{name}' is not a column of the query's result")
            })?)
        }
        other => {
            return Err(format!(
                "its timeAggregation '{other}' is not one of Count, Average, Minimum, Maximum, Total"
            ));
        }
    };
    Ok(groups
        .into_iter()
        .map(|(combo, idx)| {
            let value = match measure_column {
                None => Some(idx.len() as f64),
                Some(c) => {
                    let xs: Vec<f64> = idx
                        .iter()
                        .filter_map(|i| rows.rows[*i].get(c).and_then(number))
                        .collect();
                    match aggregation {
                        "Total" => Some(xs.iter().sum()),
                        _ if xs.is_empty() => None,
                        "Average" => Some(xs.iter().sum::<f64>() / xs.len() as f64),
                        "Minimum" => xs.iter().copied().reduce(f64::min),
                        _ => xs.iter().copied().reduce(f64::max),
                    }
                }
            };
            (combo, Group { value, rows: idx })
        })
        .collect())
}

const OPERATORS: [&str; 5] = [
    "GreaterThan",
    "GreaterThanOrEqual",
    "LessThan",
    "LessThanOrEqual",
    "Equal",
];

fn holds(criterion: &Value, value: Option<f64>) -> bool {
    let (Some(v), Some(t)) = (value, criterion["threshold"].as_f64()) else {
        return false;
    };
    match criterion["operator"].as_str().unwrap_or("GreaterThan") {
        "GreaterThanOrEqual" => v >= t,
        "LessThan" => v < t,
        "LessThanOrEqual" => v <= t,
        "Equal" => v == t,
        _ => v > t, // GreaterThan: `measure` refused any other
    }
}

/// Records this evaluation in each combination's history and returns the combinations whose
/// last `numberOfEvaluationPeriods` hold at least `minFailingPeriodsToAlert` failing ones.
fn remember(cx: &mut Ctx, key: &str, criterion: &Value, outcome: &Outcome) -> Vec<Dimensions> {
    let periods = &criterion["failingPeriods"];
    let n = periods["numberOfEvaluationPeriods"]
        .as_u64()
        .map_or(1, |n| n.clamp(1, MAX_PERIODS as u64) as usize);
    let min = periods["minFailingPeriodsToAlert"]
        .as_u64()
        .map_or(1, |m| m.clamp(1, n as u64) as usize);
    let state = cx.w.fired_alerts.rules.entry(key.to_string()).or_default();
    // A combination that returned no rows this time did not fail this period.
    for (dims, h) in state.history.iter_mut() {
        if !outcome.groups.contains_key(dims) {
            h.push(false);
        }
    }
    for (dims, g) in &outcome.groups {
        state
            .history
            .entry(dims.clone())
            .or_default()
            .push(holds(criterion, g.value));
    }
    let mut firing = Vec::new();
    state.history.retain(|dims, h| {
        if h.len() > n {
            h.drain(..h.len() - n);
        }
        if h.iter().filter(|b| **b).count() >= min {
            firing.push(dims.clone());
        }
        h.iter().any(|b| *b)
    });
    firing
}

fn fire(
    cx: &mut Ctx,
    rule: &AlertRule,
    criterion: &Value,
    outcome: &Outcome,
    dims: &Dimensions,
    group: &Group,
) -> String {
    let now = cx.w.now;
    // With an Alerts link the query is the customer's, kept under their key: the alert carries
    // neither it nor its results.
    let byos = alerts::storage_configured(cx, rule);
    let ws = &cx.w.workspaces[&outcome.ws_key];
    let (ws_id, ws_name, ws_group) = (ws.id.clone(), ws.name.clone(), ws.group.clone());
    let subscription = ws.subscription.clone();
    let metric_value = group.value.unwrap_or(0.0);
    let aggregation = criterion["timeAggregation"].as_str().unwrap_or("Count");
    let window = (
        now.saturating_sub(duration(rule, "windowSize").unwrap_or(0)),
        now,
    );
    let context = context(rule, criterion, &outcome.rows, dims, group, window, byos);
    let guid = cx.w.rng.guid().to_ascii_lowercase();
    let alert = FiredAlert {
        guid: guid.clone(),
        subscription,
        rule_key: id_key(&rule.id),
        rule_id: rule.id.clone(),
        rule_name: rule.name.clone(),
        workspace_id: ws_id,
        workspace_name: ws_name.clone(),
        workspace_group: ws_group,
        severity: prop(rule, "severity")
            .as_u64()
            .filter(|s| *s <= 4)
            .unwrap_or(3) as u8,
        description: prop(rule, "description")
            .as_str()
            .unwrap_or_default()
            .to_string(),
        dimensions: dims.clone(),
        metric_value,
        context,
        has_query: !byos,
        has_results: !byos,
        fired: now,
        resolved: None,
        modified: now,
    };
    let shown_dims = if dims.is_empty() {
        String::new()
    } else {
        let d: Vec<String> = dims.iter().map(|(n, v)| format!("{n}={v}")).collect();
        format!(" for {}", d.join(", "))
    };
    let id = alert.arm_id();
    cx.j.alert(
        now,
        Category::Data,
        &id,
        format!(
            "Log search alert rule {} fired (Sev{}) on workspace {ws_name}{shown_dims}: {aggregation} {} {} {}",
            rule.name,
            alert.severity,
            show_number(metric_value),
            alert.context["condition"]["allOf"][0]["operator"]
                .as_str()
                .unwrap_or_default(),
            criterion["threshold"]
        ),
    );
    if byos {
        cx.j.note(
            now,
            Category::Data,
            &id,
            format!(
                "The alert holds only its dimensions, value and threshold, no search results and no query: workspace {ws_name} keeps alert queries in its Alerts linked storage account. \"{SEED_BYOS}\""
            ),
        );
    }
    cx.w.fired_alerts.alerts.insert(guid.clone(), alert);
    guid
}

/// The alert's `context`: the condition, its value and dimensions, and (without BYOS) the query
/// and a sample of its results.
fn context(
    rule: &AlertRule,
    criterion: &Value,
    rows: &RowSet,
    dims: &Dimensions,
    group: &Group,
    (from, to): (u64, u64),
    byos: bool,
) -> Value {
    let mut condition = json!({
        "metricMeasureColumn": criterion["metricMeasureColumn"],
        "targetResourceTypes": "['microsoft.operationalinsights/workspaces']",
        "timeAggregation": criterion["timeAggregation"].as_str().unwrap_or("Count"),
        "operator": criterion["operator"].as_str().unwrap_or("GreaterThan"),
        "threshold": criterion["threshold"],
        "metricValue": group.value.unwrap_or(0.0),
        "dimensions": dims.iter().map(|(n, v)| json!({ "name": n, "value": v })).collect::<Vec<_>>(),
        "failingPeriods": {
            "numberOfEvaluationPeriods": criterion["failingPeriods"]["numberOfEvaluationPeriods"].as_u64().unwrap_or(1),
            "minFailingPeriodsToAlert": criterion["failingPeriods"]["minFailingPeriodsToAlert"].as_u64().unwrap_or(1),
        },
    });
    if !byos {
        condition["searchQuery"] = criterion["query"].clone();
        condition["searchResults"] = json!({ "tables": [{
            "name": "PrimaryResult",
            "columns": rows.schema.columns.iter()
                .map(|(n, t)| json!({ "name": n, "type": t.kql_name() }))
                .collect::<Vec<_>>(),
            "rows": group.rows.iter().take(RESULT_ROWS)
                .map(|i| rows.rows[*i].iter().map(Cell::to_json).collect::<Vec<_>>())
                .collect::<Vec<_>>(),
        }] });
    }
    json!({
        "conditionType": "LogQueryCriteria",
        "condition": {
            "windowSize": prop(rule, "windowSize"),
            "allOf": [condition],
            "windowStartTime": clock::iso(from),
            "windowEndTime": clock::iso(to),
        },
    })
}

/// `3` rather than `3.0` for whole values.
fn show_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn resolve(cx: &mut Ctx, rule: &AlertRule, guid: &str) {
    let now = cx.w.now;
    // Deleted after 30 days: only its condition was left.
    let Some(a) = cx.w.fired_alerts.alerts.get_mut(guid) else {
        return;
    };
    a.resolved = Some(now);
    a.modified = now;
    let id = a.arm_id();
    cx.j.note(
        now,
        Category::Data,
        &id,
        format!(
            "Alert {guid} of log search alert rule {} resolved: its condition is no longer met",
            rule.name
        ),
    );
}

// ---- Microsoft.AlertsManagement -----------------------------------------------------------------

/// `/subscriptions/{s}/providers/Microsoft.AlertsManagement/…`; `rest` starts at the type.
pub fn route(cx: &mut Ctx, req: &Request, scope: &[String], rest: &[String]) -> ApiResult {
    api_version(req, ALERTS_MANAGEMENT_API)?;
    let sub = subscription_scope(cx, scope)?;
    let is_alerts = |t: &String| t.eq_ignore_ascii_case("alerts");
    match rest {
        [t] if is_alerts(t) => {
            if req.method != Method::Get {
                return Err(method_not_allowed(req));
            }
            let value: Vec<Value> =
                cx.w.fired_alerts
                    .alerts
                    .values()
                    .filter(|a| a.subscription.eq_ignore_ascii_case(sub))
                    .map(FiredAlert::to_json)
                    .collect();
            Ok(Response::ok(json!({ "value": value })))
        }
        [t, id] if is_alerts(t) => {
            if req.method != Method::Get {
                return Err(method_not_allowed(req));
            }
            cx.w.fired_alerts
                .alerts
                .get(&id.to_ascii_lowercase())
                .filter(|a| a.subscription.eq_ignore_ascii_case(sub))
                .map(|a| Response::ok(a.to_json()))
                .ok_or_else(|| {
                    ApiError::new(&errors::FIRED_ALERT_NOT_FOUND)
                        .arg("id", id.as_str())
                        .arg("subscription", sub)
                })
        }
        _ => Err(unknown_type(req, NAMESPACE, rest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::table::{ColumnType, Schema};

    /// The BYOS form of the context, on the function that builds it (`tests/scenarios/linked_storage.rs`
    /// checks it end to end through an `Alerts` link).
    #[test]
    fn with_byos_the_context_has_dimensions_but_no_query_and_no_results() {
        let criterion = json!({
            "query": "AppEvents_CL | where Message_s has 'secret'",
            "timeAggregation": "Count", "operator": "GreaterThan", "threshold": 0,
        });
        let rule = AlertRule {
            id: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Insights/scheduledQueryRules/r".into(),
            name: "r".into(),
            location: "eastus",
            kind: "LogAlert".into(),
            tags: json!({}),
            properties: json!({ "windowSize": "PT5M", "criteria": { "allOf": [criterion] } })
                .as_object()
                .unwrap()
                .clone(),
            created_with: "2023-12-01".into(),
            created: 0,
            modified: 0,
            query_store: None,
        };
        let rows = RowSet {
            schema: Schema {
                columns: vec![("Computer_s".into(), ColumnType::String)],
            },
            rows: vec![vec![Cell::String("web1".into())]],
        };
        let group = Group {
            value: Some(1.0),
            rows: vec![0],
        };
        let dims = vec![("Computer_s".to_string(), "web1".to_string())];
        let with = context(&rule, &criterion, &rows, &dims, &group, (0, 300), false);
        let c = &with["condition"]["allOf"][0];
        assert_eq!(c["searchQuery"], criterion["query"]);
        assert_eq!(c["searchResults"]["tables"][0]["rows"], json!([["web1"]]));
        let byos = context(&rule, &criterion, &rows, &dims, &group, (0, 300), true);
        let c = byos["condition"]["allOf"][0].as_object().unwrap();
        assert!(!c.contains_key("searchQuery") && !c.contains_key("searchResults"));
        assert_eq!(
            c["dimensions"],
            json!([{ "name": "Computer_s", "value": "web1" }])
        );
        assert_eq!(c["metricValue"], 1.0);
        assert_eq!(c["operator"], "GreaterThan");
        assert_eq!(c["threshold"], 0);
        assert!(
            !byos.to_string().contains("secret"),
            "the query appears nowhere"
        );
    }
}
