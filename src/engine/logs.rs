//! The Log Analytics data plane: ingestion through the HTTP Data Collector API
//! (`https://{customerId}.ods.opinsights.azure.com/api/logs`) and queries through the Query API
//! (`https://api.loganalytics.io/v1/workspaces/{customerId}/query`), plus the simulated sources'
//! ticks. Rows go to storage (where placement, key chain and drops are decided); queries read
//! them back through the key chain and run the KQL subset in `query`.

use crate::engine::api_versions::DATA_COLLECTOR_API;
use std::collections::BTreeSet;

use serde_json::{Map, Value as Json, json};

use super::Ctx;
use super::clock::{self, Event};
use super::columnar::{Batch, Column};
use super::errors::{self, ApiError};
use super::http::{Method, Request, Response, seg_is};
use super::journal::Category;
use super::query::lexer::parse_datetime;
use super::query::{self, ErrorKind, QueryError, TableSource};
use super::sources::{self, SourceConfig};
use super::storage::{self, Ingested, ReadError};
use super::table::{ColumnType, RowSet, Schema, Value};

/// Data Collector API limits: 30 MB per post, 32 KB per field (longer values are truncated).
pub const MAX_POST_BYTES: usize = 30 * 1024 * 1024;
pub const MAX_FIELD_BYTES: usize = 32 * 1024;
/// Columns a custom table may have, counting earlier posts, and characters in a field name. The
/// shared reference documents neither; these are the playground's choices, far inside what a
/// block's encoding holds (u16 column count and name length).
pub const MAX_COLUMNS: usize = 500;
pub const MAX_FIELD_NAME_CHARS: usize = 500;

/// The workspace (lower-cased id) whose customer id is `customer_id`.
pub fn workspace_by_customer_id(cx: &Ctx, customer_id: &str) -> Option<String> {
    cx.w.workspace_by_customer_id(customer_id)
        .map(|w| super::arm::id_key(&w.id))
}

// ---- ingestion ---------------------------------------------------------------------------------

/// `POST https://{customerId}.ods.opinsights.azure.com/api/logs?api-version=2016-04-01`.
/// `implicit`: the post carries no `Authorization` and implicit sign-in is on, so it is taken as
/// signed; otherwise its SharedKey signature is checked against the workspace's keys.
pub fn ingest(
    cx: &mut Ctx,
    req: &Request,
    customer_id: &str,
    implicit: bool,
) -> Result<Response, ApiError> {
    let s = &req.segments;
    if req.method != Method::Post
        || s.len() != 2
        || !seg_is(s.first(), "api")
        || !seg_is(s.get(1), "logs")
    {
        return Err(ApiError::new(&errors::INGEST_NOT_FOUND));
    }
    match req.api_version() {
        None => return Err(ApiError::new(&errors::INGEST_MISSING_API_VERSION)),
        Some(DATA_COLLECTOR_API) => {}
        Some(_) => return Err(ApiError::new(&errors::INGEST_INVALID_API_VERSION)),
    }
    let Some(ws) = workspace_by_customer_id(cx, customer_id) else {
        return Err(ApiError::new(&errors::INGEST_INVALID_CUSTOMER_ID));
    };
    if !implicit {
        let keys = cx.w.workspaces[&ws].shared_keys.as_ref();
        crate::engine::entra::check_collector(cx, req, customer_id, keys)?;
    }
    match req.header("Content-Type") {
        None => return Err(ApiError::new(&errors::INGEST_MISSING_CONTENT_TYPE)),
        Some(ct)
            if !ct
                .trim()
                .to_ascii_lowercase()
                .starts_with("application/json") =>
        {
            return Err(ApiError::new(&errors::INGEST_UNSUPPORTED_CONTENT_TYPE));
        }
        Some(_) => {}
    }
    let log_type = req.header("Log-Type").map(str::trim).unwrap_or("");
    if log_type.is_empty() {
        return Err(ApiError::new(&errors::INGEST_MISSING_LOG_TYPE));
    }
    if log_type.len() > 100
        || !log_type
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_')
    {
        return Err(ApiError::new(&errors::INGEST_INVALID_LOG_TYPE));
    }
    let body = req.body.unwrap_or("");
    if body.len() > MAX_POST_BYTES {
        return Err(ApiError::new(&errors::INGEST_NOT_FOUND));
    }
    let records = match serde_json::from_str::<Json>(body) {
        Ok(Json::Array(items)) if items.iter().all(Json::is_object) => items,
        Ok(o @ Json::Object(_)) => vec![o],
        Ok(_) => {
            return Err(ApiError::new(&errors::INGEST_INVALID_DATA_FORMAT).arg(
                "detail",
                "The body must be a JSON object or an array of JSON objects.",
            ));
        }
        Err(e) => {
            return Err(
                ApiError::new(&errors::INGEST_INVALID_DATA_FORMAT).arg("detail", e.to_string())
            );
        }
    };
    let table = format!("{log_type}_CL");
    let rows = records_to_rows(
        &records,
        customer_id,
        log_type,
        req.header("time-generated-field").map(str::trim),
        req.header("x-ms-AzureResourceId"),
        cx.w.now,
        cx.w.workspaces[&ws].custom_columns.get(&table),
    )?;
    let n = rows.rows.len();
    let columns: Vec<String> = rows.schema.columns.iter().map(|(c, _)| c.clone()).collect();
    let outcome = storage::ingest(cx, &ws, &table, rows);
    if let Ingested::Refused(_) = outcome {
        // The checks above keep rows encodable; this is the backstop, and it changes nothing.
        return Err(ApiError::new(&errors::INGEST_INVALID_DATA_FORMAT)
            .arg("detail", "The records cannot be stored."));
    }
    if let Some(w) = cx.w.workspaces.get_mut(&ws) {
        w.custom_columns
            .entry(table.clone())
            .or_default()
            .extend(columns);
    }
    match outcome {
        Ingested::Stored { blocks, account } if !blocks.is_empty() => {
            let id = cx.w.workspaces[&ws].id.clone();
            let text = format!(
                "{n} rows received for {table} through the Data Collector API: {} block(s) in {account}",
                blocks.len()
            );
            cx.j.note(cx.w.now, Category::Data, &id, text);
        }
        _ => {}
    }
    // The API answers 200 once it has the data; whether it was stored is not its to say.
    Ok(Response::empty(200))
}

/// How the Data Collector API types a JSON value: its column suffix and type (None for null).
/// Strings that are GUIDs become `_g`, dates `_t` (read as a query reads `datetime()`, so a
/// field's type and a query's view of it agree; dates before 1970 are dates too, as in Kusto);
/// nested values are kept as text.
fn classify(v: &Json) -> Option<(&'static str, ColumnType)> {
    Some(match v {
        Json::Null => return None,
        Json::Bool(_) => ("b", ColumnType::Bool),
        Json::Number(_) => ("d", ColumnType::Real),
        Json::String(s) if is_guid(s) => ("g", ColumnType::Guid),
        Json::String(s) if parse_datetime(s).is_some() => ("t", ColumnType::DateTime),
        _ => ("s", ColumnType::String),
    })
}

fn cell(ty: ColumnType, v: &Json) -> Value {
    match (ty, v) {
        (ColumnType::Bool, Json::Bool(b)) => Value::Bool(*b),
        (ColumnType::Real, Json::Number(n)) => Value::Real(n.as_f64().unwrap_or(0.0)),
        (ColumnType::Guid, Json::String(s)) => Value::String(s.to_ascii_lowercase()),
        (ColumnType::DateTime, Json::String(s)) => Value::DateTime(parse_datetime(s).unwrap_or(0)),
        (_, Json::String(s)) => Value::String(truncate(s)),
        (_, other) => Value::String(truncate(&other.to_string())),
    }
}

/// `name_s` (string), `_d` (number), `_b` (boolean), `_t` (date), `_g` (GUID). "The property name
/// can contain only letters, numbers, and the underscore (_) character" (data-collector-api.md):
/// letters and digits of any script are kept, every other character becomes `_`.
fn column_name(name: &str, suffix: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{clean}_{suffix}")
}

fn truncate(s: &str) -> String {
    if s.len() <= MAX_FIELD_BYTES {
        return s.to_string();
    }
    let mut end = MAX_FIELD_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

fn is_guid(s: &str) -> bool {
    super::arm::is_guid(s.trim_matches(|c| c == '{' || c == '}'))
}

fn records_to_rows(
    records: &[Json],
    customer_id: &str,
    log_type: &str,
    time_field: Option<&str>,
    resource: Option<&str>,
    now: u64,
    existing: Option<&BTreeSet<String>>,
) -> Result<RowSet, ApiError> {
    let invalid =
        |detail: String| ApiError::new(&errors::INGEST_INVALID_DATA_FORMAT).arg("detail", detail);
    let mut schema = Schema {
        columns: vec![
            ("TenantId".into(), ColumnType::String),
            ("SourceSystem".into(), ColumnType::String),
            ("TimeGenerated".into(), ColumnType::DateTime),
            ("Type".into(), ColumnType::String),
        ],
    };
    if resource.is_some() {
        schema
            .columns
            .push(("_ResourceId".into(), ColumnType::String));
    }
    let existing_has = |name: &str| existing.is_some_and(|e| e.contains(name));
    // Columns of the table after this post: the earlier ones plus those new here.
    let mut total = existing.map_or(0, BTreeSet::len)
        + schema
            .columns
            .iter()
            .filter(|(n, _)| !existing_has(n))
            .count();
    let mut rows: Vec<Vec<Value>> = Vec::with_capacity(records.len());
    let mut columns: std::collections::HashMap<(&str, &str), usize> =
        std::collections::HashMap::new();
    let table = format!("{log_type}_CL");
    for (record, r) in records.iter().enumerate() {
        let Json::Object(obj) = r else { continue };
        // Which property of this record filled each column: two may not share one.
        let mut filled: std::collections::HashMap<usize, &str> = std::collections::HashMap::new();
        let time = time_field
            .and_then(|f| obj.get(f))
            .and_then(Json::as_str)
            .and_then(parse_datetime)
            .unwrap_or(now as i64 * 1000);
        let mut row = vec![
            Value::String(customer_id.to_string()),
            Value::String("RestAPI".into()),
            Value::DateTime(time),
            Value::String(table.clone()),
        ];
        if let Some(res) = resource {
            row.push(Value::String(res.to_string()));
        }
        row.resize(schema.columns.len(), Value::Null);
        for (k, v) in obj {
            let Some((suffix, ty)) = classify(v) else {
                continue;
            };
            // Each (field, type) maps to one column: look it up once per request, not per row.
            let i = match columns.get(&(k.as_str(), suffix)) {
                Some(i) => *i,
                None => {
                    let chars = k.chars().count();
                    if chars > MAX_FIELD_NAME_CHARS {
                        let head: String = k.chars().take(40).collect();
                        return Err(invalid(format!(
                            "The field name '{head}...' has {chars} characters; a field name can have at most {MAX_FIELD_NAME_CHARS}."
                        )));
                    }
                    let name = column_name(k, suffix);
                    let i = match schema.index(&name) {
                        Some(i) => i,
                        None => {
                            if !existing_has(&name) {
                                total += 1;
                                if total > MAX_COLUMNS {
                                    return Err(invalid(format!(
                                        "Table {table} would have more than {MAX_COLUMNS} columns; a custom table can have at most {MAX_COLUMNS}."
                                    )));
                                }
                            }
                            schema.columns.push((name, ty));
                            for earlier in &mut rows {
                                earlier.push(Value::Null);
                            }
                            row.push(Value::Null);
                            schema.columns.len() - 1
                        }
                    };
                    columns.insert((k.as_str(), suffix), i);
                    i
                }
            };
            if let Some(first) = filled.insert(i, k.as_str()) {
                let mut names: Vec<&str> = obj
                    .iter()
                    .filter(|(other, v)| {
                        classify(v)
                            .is_some_and(|(sx, _)| column_name(other, sx) == schema.columns[i].0)
                    })
                    .map(|(other, _)| other.as_str())
                    .collect();
                names.sort_unstable();
                debug_assert!(names.contains(&first));
                let names: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
                return Err(ApiError::new(&errors::INGEST_PROPERTY_NAMES_COLLIDE)
                    .arg("names", names.join(", "))
                    .arg("record", (record + 1).to_string())
                    .arg("column", schema.columns[i].0.clone()));
            }
            row[i] = cell(ty, v);
        }
        rows.push(row);
    }
    Ok(RowSet { schema, rows })
}

// ---- simulated sources -----------------------------------------------------------------------

/// Turns a workspace's simulated machines on (with rates) or off.
pub fn configure_sources(
    cx: &mut Ctx,
    workspace: &str,
    config: Option<SourceConfig>,
) -> Result<(), String> {
    if let Some(c) = &config {
        c.validate()?;
    }
    let now = cx.w.now;
    let ws =
        cx.w.workspaces
            .get_mut(workspace)
            .ok_or("no such workspace")?;
    let was_on = ws.sources.is_some();
    ws.sources = config.clone();
    let (id, name) = (ws.id.clone(), ws.name.clone());
    match &config {
        Some(c) => {
            if !was_on {
                ws.sources_since = now;
                cx.w.events.schedule(
                    now + sources::TICK,
                    Event::SourceTick {
                        workspace: workspace.to_string(),
                    },
                );
            }
            cx.j.note(
                now,
                Category::Data,
                &id,
                format!(
                    "Simulated sources for {name}: {} Linux and {} Windows machines, heartbeat {}, {} Syslog/h and {} SecurityEvent/h per machine",
                    c.linux,
                    c.windows,
                    if c.heartbeat { "on" } else { "off" },
                    c.syslog_per_hour,
                    c.security_per_hour
                ),
            );
        }
        None if was_on => cx.j.note(
            now,
            Category::Data,
            &id,
            format!("Simulated sources for {name} switched off"),
        ),
        None => {}
    }
    Ok(())
}

/// A workspace's sources send what their machines logged since the last tick.
pub fn source_tick(cx: &mut Ctx, workspace: &str) {
    let now = cx.w.now;
    let Some(ws) =
        cx.w.workspaces
            .get(workspace)
            .filter(|w| w.deleted.is_none())
    else {
        return;
    };
    let Some(cfg) = ws.sources.clone() else {
        return;
    };
    let (customer_id, sub, group, location) = (
        ws.customer_id.clone(),
        ws.subscription.clone(),
        ws.group.clone(),
        ws.location,
    );
    let from = now.saturating_sub(sources::TICK).max(ws.sources_since);
    let target = sources::Target {
        customer_id: &customer_id,
        subscription: &sub,
        group: &group,
        location,
    };
    for (table, rows) in sources::generate(&mut cx.w.rng, &target, &cfg, from, now) {
        storage::ingest(cx, workspace, table, rows);
    }
    cx.w.events.schedule(
        now + sources::TICK,
        Event::SourceTick {
            workspace: workspace.to_string(),
        },
    );
}

// ---- queries ---------------------------------------------------------------------------------

/// Reads tables for a query through storage, remembering why a read failed.
struct StorageSource<'c, 'a> {
    cx: &'c mut Ctx<'a>,
    customer_id: String,
    /// Only rows with TimeGenerated in this range (the request's `timespan`), in milliseconds.
    window: Option<(i64, i64)>,
    failure: Option<ReadError>,
    /// Data left out of the answer, and why.
    partial: Vec<ReadError>,
}

impl TableSource for StorageSource<'_, '_> {
    fn table_names(&mut self) -> Vec<String> {
        storage::tables_of(self.cx.s, &self.customer_id)
            .into_keys()
            .collect()
    }

    fn schema(&mut self, name: &str) -> Result<Option<Schema>, String> {
        storage::table_schema(self.cx, &self.customer_id, name)
            .map(|s| s.or_else(|| super::sources::builtin_schema(name)))
            .map_err(|e| {
                let m = e.message();
                self.failure = Some(e);
                m
            })
    }

    fn table(&mut self, name: &str) -> Result<Option<RowSet>, String> {
        self.columns(name, None).map(|b| b.map(Batch::into_rows))
    }

    fn columns(&mut self, name: &str, wanted: Option<&[String]>) -> Result<Option<Batch>, String> {
        // The request's timespan reads TimeGenerated too.
        let mut wanted = wanted.map(<[String]>::to_vec);
        if let (Some(w), Some(_)) = (&mut wanted, self.window) {
            if !w.iter().any(|c| c == "TimeGenerated") {
                w.push("TimeGenerated".into());
            }
        }
        match storage::read_table(self.cx, &self.customer_id, name, wanted.as_deref()) {
            Ok(Some(read)) => {
                let mut batch = read.batch;
                for e in read.skipped {
                    if !self.partial.contains(&e) {
                        self.partial.push(e);
                    }
                }
                if let (Some((lo, hi)), Some(ti)) =
                    (self.window, batch.schema.index("TimeGenerated"))
                {
                    for part in &mut batch.parts {
                        // Only datetimes fall in a window (a block without the column has none).
                        let inside: Vec<bool> = match part.column(ti) {
                            Some(Column::Fixed {
                                ty: ColumnType::DateTime,
                                present,
                                cells,
                            }) => (present.iter().zip(cells))
                                .map(|(p, t)| *p && *t >= lo && *t <= hi)
                                .collect(),
                            _ => Vec::new(),
                        };
                        part.retain(|i| inside.get(i) == Some(&true));
                    }
                }
                Ok(Some(batch))
            }
            // A built-in table with no data yet is an empty table.
            Ok(None) => Ok(super::sources::builtin_schema(name).map(|schema| Batch {
                schema,
                parts: Vec::new(),
            })),
            Err(e) => {
                let m = e.message();
                self.failure = Some(e);
                Err(m)
            }
        }
    }
}

/// A query a service runs on a workspace's data (Sentinel's scheduled analytics rules), through
/// the same storage reads and key chain as the Query API, over `window` (milliseconds): the rows,
/// or why the query could not run, in Log Analytics' words.
pub fn run_for_service(
    cx: &mut Ctx,
    customer_id: &str,
    text: &str,
    window: (i64, i64),
) -> Result<RowSet, String> {
    let now_ms = cx.w.now as i64 * 1000;
    let mut source = StorageSource {
        cx,
        customer_id: customer_id.to_string(),
        window: Some(window),
        failure: None,
        partial: Vec::new(),
    };
    query::answer(text, now_ms, &mut source)
        .map(|a| a.rows)
        .map_err(|e| e.to_string())
}

/// `GET|POST https://api.loganalytics.io/v1/workspaces/{customerId}/query`.
/// The control-plane action reading a workspace's data needs ("Microsoft.OperationalInsights/
/// workspaces/query/read"; Reader and Log Analytics Reader have it through `*/read`).
pub const QUERY_ACTION: &str = "Microsoft.OperationalInsights/workspaces/query/read";

pub fn query(cx: &mut Ctx, req: &Request) -> Result<Response, ApiError> {
    let s = &req.segments;
    if s.len() == 2 && seg_is(s.first(), "v1") && seg_is(s.get(1), "$batch") {
        return match req.method {
            Method::Post => batch(cx, req),
            _ => Err(ApiError::new(&errors::QUERY_PATH_NOT_FOUND)),
        };
    }
    // `/v1/workspaces/{customerId}/query`, or the workspace's resource id in place of
    // `workspaces/{customerId}` (azure-monitor-query's `query_resource`; the playground resolves
    // workspace resource ids only).
    let by_resource = s.len() == 10
        && seg_is(s.get(1), "subscriptions")
        && seg_is(s.get(3), "resourceGroups")
        && seg_is(s.get(5), "providers")
        && seg_is(s.get(6), "Microsoft.OperationalInsights")
        && seg_is(s.get(7), "workspaces");
    let path_ok = (s.len() == 4 && seg_is(s.get(1), "workspaces") || by_resource)
        && seg_is(s.first(), "v1")
        && seg_is(s.last(), "query");
    if !path_ok || !matches!(req.method, Method::Get | Method::Post) {
        return Err(ApiError::new(&errors::QUERY_PATH_NOT_FOUND));
    }
    let customer_id = if by_resource {
        let id = format!("/{}", s[1..9].join("/"));
        cx.w.workspaces
            .values()
            .find(|w| w.deleted.is_none() && w.id.eq_ignore_ascii_case(&id))
            .map(|w| w.customer_id.clone())
            .ok_or_else(|| ApiError::new(&errors::QUERY_PATH_NOT_FOUND))?
    } else {
        s[2].clone()
    };
    readable(cx, &customer_id)?;
    let (text, timespan) = match req.method {
        Method::Get => (
            req.query("query").map(str::to_string),
            req.query("timespan").map(str::to_string),
        ),
        _ => match req.json() {
            Ok(Some(Json::Object(m))) => (str_field(&m, "query"), str_field(&m, "timespan")),
            Ok(_) => (None, None),
            Err(e) => return Err(bad_argument(&format!("the body is not valid JSON: {e}"))),
        },
    };
    let render = prefers_render(req.header("Prefer"));
    run_query(cx, customer_id, text, timespan, render)
}

/// Whether a `Prefer` header asks for the query's visualization (`include-render=true`, among
/// other comma-separated preferences such as `wait=…`).
fn prefers_render(prefer: Option<&str>) -> bool {
    prefer.is_some_and(|p| {
        p.split(',').any(|item| {
            let (name, value) = item.split_once('=').unwrap_or((item, ""));
            name.trim().eq_ignore_ascii_case("include-render")
                && value.trim().eq_ignore_ascii_case("true")
        })
    })
}

/// The answer's `render` property: the documented fields always (Kusto's defaults where the
/// query says nothing), the axis titles and legend only when the query sets them.
fn render_json(r: &query::ast::Render) -> Json {
    let mut m = Map::new();
    m.insert("visualization".into(), json!(r.visualization));
    m.insert("title".into(), json!(r.title.as_deref().unwrap_or("")));
    m.insert("accumulate".into(), json!(r.accumulate));
    m.insert("isQuerySorted".into(), json!(r.sorted));
    m.insert("kind".into(), json!(r.kind.unwrap_or("default")));
    m.insert("annotation".into(), json!(""));
    m.insert("by".into(), Json::Null);
    for (name, value) in [
        ("xtitle", r.xtitle.as_deref()),
        ("ytitle", r.ytitle.as_deref()),
        ("legend", r.legend),
    ] {
        if let Some(v) = value {
            m.insert(name.into(), json!(v));
        }
    }
    Json::Object(m)
}

/// The workspace a query names exists and the caller may read its data (a query alone or in a
/// batch).
fn readable(cx: &Ctx, customer_id: &str) -> Result<(), ApiError> {
    let Some(ws) = workspace_by_customer_id(cx, customer_id) else {
        return Err(ApiError::new(&errors::QUERY_PATH_NOT_FOUND));
    };
    let workspace_id = &cx.w.workspaces[&ws].id;
    if !crate::engine::arm::authorization::caller_may(cx, workspace_id, QUERY_ACTION) {
        return Err(ApiError::new(&errors::QUERY_INSUFFICIENT_ACCESS));
    }
    Ok(())
}

fn bad_argument(detail: &str) -> ApiError {
    ApiError::new(&errors::QUERY_BAD_ARGUMENT).arg("detail", detail)
}

/// `POST /v1/$batch`: `{"requests": [{"id", "workspace", "path": "/query", "method": "POST",
/// "body": {"query", "timespan"}, "headers"}]}` answered 200 with `{"responses": [{"id", "status",
/// "headers", "body"}]}`, each answer what the query alone would have been (azure-monitor-query's
/// `query_batch`). Each query is its own request: one that fails changes nothing and does not stop
/// the others. The batch itself is refused (400) only when it is not a list of requests.
fn batch(cx: &mut Ctx, req: &Request) -> Result<Response, ApiError> {
    let requests = match req.json() {
        Ok(Some(Json::Object(m))) => match m.get("requests") {
            Some(Json::Array(items)) => items.clone(),
            _ => return Err(bad_argument("the 'requests' property must be an array")),
        },
        Ok(_) => return Err(bad_argument("the 'requests' property must be an array")),
        Err(e) => return Err(bad_argument(&format!("the body is not valid JSON: {e}"))),
    };
    let mut responses = Vec::with_capacity(requests.len());
    for item in &requests {
        let id = item.get("id").cloned().unwrap_or(Json::Null);
        let saved = cx.w.clone();
        let answer = batch_item(cx, item).unwrap_or_else(|e| Response::from_error(&e));
        if answer.status >= 400 {
            *cx.w = saved;
        }
        responses.push(json!({
            "id": id,
            "status": answer.status,
            "headers": { "Content-Type": "application/json; charset=utf-8" },
            "body": answer.body,
        }));
    }
    Ok(Response::ok(json!({ "responses": responses })))
}

fn batch_item(cx: &mut Ctx, item: &Json) -> Result<Response, ApiError> {
    let field = |name: &str| item.get(name).and_then(Json::as_str);
    let path_ok = field("path").is_none_or(|p| p.eq_ignore_ascii_case("/query"))
        && field("method").is_none_or(|m| m.eq_ignore_ascii_case("POST"));
    let customer_id = field("workspace").unwrap_or("").to_string();
    if !path_ok {
        return Err(ApiError::new(&errors::QUERY_PATH_NOT_FOUND));
    }
    readable(cx, &customer_id)?;
    let (text, timespan) = match item.get("body") {
        Some(Json::Object(m)) => (str_field(m, "query"), str_field(m, "timespan")),
        _ => (None, None),
    };
    // A batch item carries its own headers (azure-monitor-query puts `Prefer` there).
    let prefer = item.get("headers").and_then(|h| match h {
        Json::Object(m) => m
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Prefer"))
            .and_then(|(_, v)| v.as_str()),
        _ => None,
    });
    let render = prefers_render(prefer);
    run_query(cx, customer_id, text, timespan, render)
}

/// One query of a workspace (by its customer id), from `GET`/`POST …/query` or a batch.
fn run_query(
    cx: &mut Ctx,
    customer_id: String,
    text: Option<String>,
    timespan: Option<String>,
    include_render: bool,
) -> Result<Response, ApiError> {
    let bad = bad_argument;
    let text = text
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| bad("the 'query' property is required"))?;
    let now_ms = cx.w.now as i64 * 1000;
    let window = match timespan.as_deref() {
        None | Some("") => None,
        Some(t) => Some(
            parse_timespan(t, now_ms)
                .ok_or_else(|| bad(&format!("'{t}' is not an ISO 8601 duration or interval")))?,
        ),
    };
    let mut source = StorageSource {
        cx,
        customer_id,
        window,
        failure: None,
        partial: Vec::new(),
    };
    let with_render = |mut body: Json, a: &query::Answer| {
        if let (true, Some(r), Json::Object(m)) = (include_render, &a.render, &mut body) {
            m.insert("render".into(), render_json(r));
        }
        Response::ok(body)
    };
    match query::answer(&text, now_ms, &mut source) {
        Ok(a) if source.partial.is_empty() && a.truncated.is_none() => Ok(with_render(
            json!({ "tables": [result_table(&a.rows)] }),
            &a,
        )),
        // Log Analytics answers 200 with the tables and a PartialError naming what is missing or
        // which limit cut the rows.
        Ok(a) => {
            let mut details: Vec<Json> = source
                .partial
                .iter()
                .map(|e| json!({ "code": "CustomerManagedKeyUnavailable", "message": e.message() }))
                .collect();
            if let Some(m) = &a.truncated {
                details.push(json!({
                    "code": "EngineError",
                    "message": m,
                    "innererror": {
                        "code": "-2133196797",
                        "message": m,
                        "severity": 2,
                        "severityName": "Error",
                    },
                }));
            }
            Ok(with_render(
                json!({
                    "tables": [result_table(&a.rows)],
                    "error": {
                        "code": "PartialError",
                        "message": "There were some errors when processing your query.",
                        "details": details,
                    },
                }),
                &a,
            ))
        }
        Err(e) => Err(query_error(&e, source.failure)),
    }
}

fn str_field(m: &Map<String, Json>, name: &str) -> Option<String> {
    m.get(name).and_then(Json::as_str).map(str::to_string)
}

/// An ISO 8601 duration ending now (`PT1H`, `P2DT3H`, `P1M`: months and years count as in
/// [`clock::parse_duration_ms`]), or an interval `start/end`, `start/duration` or
/// `duration/end` → (from, to) in milliseconds; `None` if malformed or out of range.
fn parse_timespan(t: &str, now_ms: i64) -> Option<(i64, i64)> {
    let duration = |s: &str| {
        clock::parse_duration_ms(s)
            .and_then(|ms| i64::try_from(ms).ok())
            .filter(|ms| *ms > 0)
    };
    let Some((a, b)) = t.split_once('/') else {
        return Some((now_ms.checked_sub(duration(t)?)?, now_ms));
    };
    match (parse_datetime(a), parse_datetime(b)) {
        (Some(from), Some(to)) => Some((from, to)),
        (Some(from), None) => Some((from, from.checked_add(duration(b)?)?)),
        (None, Some(to)) => Some((to.checked_sub(duration(a)?)?, to)),
        (None, None) => None,
    }
}

fn result_table(rows: &RowSet) -> Json {
    json!({
        "name": "PrimaryResult",
        "columns": rows.schema.columns.iter().map(|(n, t)| json!({ "name": n, "type": t.kql_name() })).collect::<Vec<_>>(),
        "rows": rows.rows.iter().map(|r| r.iter().map(Value::to_json).collect::<Vec<_>>()).collect::<Vec<_>>(),
    })
}

/// Log Analytics' nested error shape for queries.
fn query_error(e: &QueryError, failure: Option<ReadError>) -> ApiError {
    match (&e.kind, failure) {
        (ErrorKind::Source, Some(ReadError::KeyUnavailable { .. })) | (ErrorKind::Source, None) => {
            ApiError::new(&errors::QUERY_DATA_UNAVAILABLE).arg("detail", e.message.clone())
        }
        (ErrorKind::Source, Some(ReadError::Integrity(m))) => {
            ApiError::new(&errors::QUERY_DATA_CORRUPTED).arg("detail", format!("Stored data failed authentication: {m}"))
        }
        (ErrorKind::Syntax, _) => ApiError::new(&errors::QUERY_SYNTAX_ERROR).detail(json!({
            "code": "SyntaxError",
            "message": "A recognition error occurred in the query.",
            "innererror": { "code": e.code, "message": e.message, "line": e.line, "pos": e.pos, "token": e.token },
        })),
        (ErrorKind::Limit, _) => {
            ApiError::new(&errors::QUERY_RUNAWAY).arg("detail", e.message.clone())
        }
        (ErrorKind::Unsupported, _) => ApiError::new(&errors::QUERY_UNSUPPORTED).detail(json!({
            "code": e.code,
            "message": e.message,
            "line": e.line,
            "pos": e.pos,
            "token": e.token,
        })),
        (ErrorKind::Semantic, _) => ApiError::new(&errors::QUERY_SEMANTIC_ERROR).detail(json!({
            "code": "SemanticError",
            "message": "A semantic error occurred.",
            "innererror": { "code": e.code, "message": e.message },
        })),
    }
}
