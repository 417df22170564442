//! Customer Lockbox for Microsoft Azure (`Microsoft.CustomerLockbox`), as it applies to Azure
//! Monitor: "In Azure Monitor, you have this control on data in workspaces linked to your Log
//! Analytics dedicated cluster" (seed, Customer Lockbox (preview)).
//!
//! * Tenant opt-in: `GET /providers/Microsoft.CustomerLockbox/tenantOptedIn/{tenantId}`,
//!   `POST …/enableLockbox`, `POST …/disableLockbox` (2018-02-28-preview only), and
//!   `GET …/operations` (both preview versions).
//! * Requests at subscription scope: list (only the status filter), get, and the decision, as
//!   `POST …/requests/{id}/updateApproval` or `PATCH …/requests/{id}`, with `status` or
//!   `decision` (the specification's own example mixes them, so both are accepted at both
//!   versions); the resource-group GET of 2018-10-11-preview.
//! * A Microsoft support engineer's request for a workspace's data is a playground control
//!   ([`support_access_request`], `protocol::Command::SupportAccessRequest`), not an Azure API.
//! * Lifecycle on the clock: Pending → Approved (access for eight hours, read hourly through
//!   storage's read path, then Completed) | Denied | Expired (four days without a decision).
//!
//! Invariant: a refused request or control changes nothing; decisions are taken only by the
//! Owner or the Azure Customer Lockbox Approver for Subscription at the subscription's scope.

use crate::engine::api_versions::{API_2018_02, API_2018_10, LOCKBOX_API};

use serde_json::{Value, json};

use super::Ctx;
use super::arm::authorization::{OWNER_ROLE, has_action, has_role_at, user_forbidden};
use super::arm::{
    ApiResult, api_version, body_object, group_scope, id_key, method_not_allowed, prop,
    subscription_scope, unknown_type,
};
use super::clock::{self, DAY, Event, HOUR, MINUTE};
use super::errors::{self, ApiError};
use super::http::{Method, Request, Response, seg_is};
use super::journal::Category;
use super::storage;
use super::workspace::LinkState;
use super::world::{TENANT_ID, find_region};

pub const NAMESPACE: &str = "Microsoft.CustomerLockbox";

/// Built-in role "Azure Customer Lockbox Approver for Subscription" (customer-lockbox-overview.md).
pub const APPROVER_ROLE: &str = "4dae6930-7baf-46f5-909e-0383bc931c46";
pub const APPROVE_ACTION: &str = "Microsoft.CustomerLockbox/requests/UpdateApproval/action";
pub const READ_ACTION: &str = "Microsoft.CustomerLockbox/requests/read";

/// "request stays in the queue four days, then auto-expires".
pub const PENDING_FOR: u64 = 4 * DAY;
/// "Approve grants access for a default eight hours".
pub const ACCESS_FOR: u64 = 8 * HOUR;
/// While access lasts, the engineer reads the workspace's data this often (the playground's own
/// rhythm), the first time a few minutes after the approval.
pub const READ_EVERY: u64 = HOUR;
pub const FIRST_READ_AFTER: u64 = 5 * MINUTE;

/// A request's state. `Completed` (access given and over) is absent from 2018-10-11-preview's
/// enum, which names it `Expired`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pending,
    Approved,
    Denied,
    Expired,
    Completed,
}

impl Status {
    #[cfg(test)]
    const ALL: [Status; 5] = [
        Status::Pending,
        Status::Approved,
        Status::Denied,
        Status::Expired,
        Status::Completed,
    ];

    /// The word a given api-version uses.
    pub fn name(self, version: &str) -> &'static str {
        match self {
            Status::Pending => "Pending",
            Status::Approved => "Approved",
            Status::Denied => "Denied",
            Status::Expired => "Expired",
            Status::Completed if version == API_2018_10 => "Expired",
            Status::Completed => "Completed",
        }
    }
}

/// The statuses an api-version's enum names (customerlockbox.json).
fn enum_names(version: &str) -> &'static [&'static str] {
    // 2018-10-11-preview's enum is the older one without its last two entries.
    const WITH_COMPLETED: [&str; 13] = [
        "Initializing",
        "Pending",
        "Approving",
        "Denying",
        "Approved",
        "Denied",
        "Expired",
        "Revoking",
        "Revoked",
        "Error",
        "Unknown",
        "Completed",
        "Completing",
    ];
    if version == API_2018_10 {
        &WITH_COMPLETED[..11]
    } else {
        &WITH_COMPLETED
    }
}

/// Who decided, when and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub time: u64,
    pub by: String,
    pub reason: String,
}

/// One Lockbox request: a Microsoft support engineer asking for a workspace's data.
#[derive(Clone, Debug, PartialEq)]
pub struct LockboxRequest {
    /// Lower-case GUID.
    pub id: String,
    pub subscription: String,
    pub group: String,
    /// The workspace's canonical ARM id.
    pub workspace: String,
    pub support_request: String,
    pub status: Status,
    pub created: u64,
    pub decision: Option<Decision>,
    /// Reads the engineer made while access lasted, and reads storage refused.
    pub reads: u64,
    pub refused_reads: u64,
}

impl LockboxRequest {
    pub fn arm_id(&self) -> String {
        format!(
            "/subscriptions/{}/providers/{NAMESPACE}/requests/{}",
            self.subscription, self.id
        )
    }

    /// When the current phase ends: the four days in the queue, or the eight hours of access.
    pub fn expires(&self) -> u64 {
        match (&self.decision, self.status) {
            (Some(d), Status::Approved | Status::Completed) => d.time + ACCESS_FOR,
            _ => self.created + PENDING_FOR,
        }
    }

    /// When the access the approval granted ends (None unless approved).
    pub fn access_ends(&self) -> Option<u64> {
        match (&self.decision, self.status) {
            (Some(d), Status::Approved | Status::Completed) => Some(d.time + ACCESS_FOR),
            _ => None,
        }
    }

    fn to_json(&self, version: &str) -> Value {
        let duration = if version == API_2018_10 {
            json!(ACCESS_FOR / HOUR)
        } else {
            json!((ACCESS_FOR / HOUR).to_string())
        };
        json!({
            "id": self.arm_id(),
            "name": format!("LockboxRequest_{}", self.id),
            "type": "requests",
            "properties": {
                "requestId": self.id,
                "justification": format!(
                    "Microsoft support needs to read the data of workspace {} to investigate support request {}.",
                    self.workspace.rsplit('/').next().unwrap_or_default(),
                    self.support_request
                ),
                "status": self.status.name(version),
                "createdDateTime": clock::iso(self.created),
                "expirationDateTime": clock::iso(self.expires()),
                "duration": duration,
                "resourceIds": self.workspace.trim_start_matches('/').to_ascii_uppercase(),
                "resourceType": "Microsoft.OperationalInsights/workspaces",
                "supportRequest": self.support_request,
                "supportCaseUrl": format!(
                    "https://portal.azure.com/#resource/subscriptions/{}/providers/microsoft.support/supporttickets/{}",
                    self.subscription, self.support_request
                ),
                "workitemsource": "Other",
                "subscriptionId": self.subscription,
                "accessLevel": "Read",
            },
        })
    }
}

/// Customer Lockbox in the tenant: the opt-in and every request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lockbox {
    pub opted_in: bool,
    /// Requests by lower-case id (a persistent map: see `World`).
    pub requests: imbl::OrdMap<String, LockboxRequest>,
    /// Support requests opened so far (their numbers follow one another).
    pub cases: u64,
}

// ---- routing -----------------------------------------------------------------------------------

/// `/providers/Microsoft.CustomerLockbox/{rest}`: the tenant-level operations.
pub fn route_tenant(cx: &mut Ctx, req: &Request, rest: &[String]) -> ApiResult {
    let version = api_version(req, LOCKBOX_API)?;
    match rest {
        [t] if seg_is(Some(t), "operations") => match req.method {
            Method::Get => Ok(Response::ok(json!({ "value": operations() }))),
            _ => Err(method_not_allowed(req)),
        },
        // 2018-10-11-preview has no tenant opt-in operations.
        [t, ..] if version == API_2018_10 => {
            Err(unknown_type(req, NAMESPACE, std::slice::from_ref(t)))
        }
        [t, tenant] if seg_is(Some(t), "tenantoptedin") => match req.method {
            Method::Get => {
                if !tenant.eq_ignore_ascii_case(TENANT_ID) {
                    return Err(user_forbidden(
                        cx,
                        "Microsoft.CustomerLockbox/tenantOptedIn/read",
                        &format!("/providers/{NAMESPACE}/tenantOptedIn/{tenant}"),
                    ));
                }
                Ok(Response::ok(json!({ "isOptedIn": cx.w.lockbox.opted_in })))
            }
            _ => Err(method_not_allowed(req)),
        },
        [t] if seg_is(Some(t), "enablelockbox") || seg_is(Some(t), "disablelockbox") => {
            if req.method != Method::Post {
                return Err(method_not_allowed(req));
            }
            let on = seg_is(Some(t), "enablelockbox");
            if cx.w.lockbox.opted_in != on {
                cx.w.lockbox.opted_in = on;
                cx.j.note(
                    cx.w.now,
                    Category::Resource,
                    &format!("/providers/{NAMESPACE}"),
                    if on {
                        "Customer Lockbox enabled for the tenant: Microsoft support needs your approval to access data in workspaces linked to a dedicated cluster"
                    } else {
                        "Customer Lockbox disabled for the tenant: no new Lockbox requests (requests already made keep their course)"
                    },
                );
            }
            Ok(Response::empty(200))
        }
        _ => Err(unknown_type(req, NAMESPACE, rest)),
    }
}

/// `{scope}/providers/Microsoft.CustomerLockbox/{rest}`: requests.
pub fn route(cx: &mut Ctx, req: &Request, scope: &[String], rest: &[String]) -> ApiResult {
    let version = api_version(req, LOCKBOX_API)?;
    if scope.len() == 4 {
        // Only 2018-10-11-preview has the resource-group GET.
        let (sub, rg) = group_scope(cx, scope)?;
        return match rest {
            [t, id] if seg_is(Some(t), "requests") && version == API_2018_10 => {
                if req.method != Method::Get {
                    return Err(method_not_allowed(req));
                }
                authorize_read(cx, sub)?;
                let r = find(cx, sub, id)?;
                if !r.group.eq_ignore_ascii_case(&rg) {
                    return Err(not_found(sub, id));
                }
                Ok(Response::ok(r.to_json(&version)))
            }
            _ => Err(unknown_type(req, NAMESPACE, rest)),
        };
    }
    let sub = subscription_scope(cx, scope)?;
    match rest {
        [t] if seg_is(Some(t), "requests") => {
            if req.method != Method::Get {
                return Err(method_not_allowed(req));
            }
            // ARM authorizes before the provider sees the request.
            authorize_read(cx, sub)?;
            let wanted = status_filter(req, &version)?;
            let value: Vec<Value> =
                cx.w.lockbox
                    .requests
                    .values()
                    .filter(|r| r.subscription == sub)
                    .filter(|r| wanted.is_none_or(|s| r.status.name(&version) == s))
                    .map(|r| r.to_json(&version))
                    .collect();
            Ok(Response::ok(json!({ "value": value })))
        }
        [t, id] if seg_is(Some(t), "requests") => match req.method {
            Method::Get => {
                authorize_read(cx, sub)?;
                Ok(Response::ok(find(cx, sub, id)?.to_json(&version)))
            }
            Method::Patch => decide(cx, req, sub, id, &version),
            _ => Err(method_not_allowed(req)),
        },
        [t, id, a] if seg_is(Some(t), "requests") && seg_is(Some(a), "updateapproval") => {
            match req.method {
                Method::Post => decide(cx, req, sub, id, &version),
                _ => Err(method_not_allowed(req)),
            }
        }
        _ => Err(unknown_type(req, NAMESPACE, rest)),
    }
}

fn operations() -> Vec<Value> {
    let op = |name: &str, resource: &str, operation: &str, description: &str| {
        json!({
            "name": name,
            "isDataAction": false,
            "display": {
                "provider": "Microsoft Customer Lockbox",
                "resource": resource,
                "operation": operation,
                "description": description,
            },
        })
    };
    vec![
        op(
            "Microsoft.CustomerLockbox/register/action",
            "Microsoft Customer Lockbox",
            "Register Provider",
            "Register Provider",
        ),
        op(
            READ_ACTION,
            "Lockbox Requests",
            "Get Lockbox Requests",
            "Get Lockbox Requests",
        ),
        op(
            APPROVE_ACTION,
            "Lockbox Requests",
            "Update Lockbox Request",
            "Approve or deny a Lockbox request",
        ),
        op(
            "Microsoft.CustomerLockbox/operations/read",
            "Lockbox Operations",
            "Read Lockbox Operations",
            "Read Lockbox Operations",
        ),
    ]
}

/// `$filter=properties/status eq 'X'`, the only filter the service supports. `Some(status)` as
/// the api-version spells it.
fn status_filter(req: &Request, version: &str) -> Result<Option<&'static str>, ApiError> {
    let Some(filter) = req.query("$filter") else {
        return Ok(None);
    };
    let refused = || ApiError::new(&errors::LOCKBOX_FILTER_NOT_SUPPORTED).arg("filter", filter);
    let words: Vec<&str> = filter.split_whitespace().collect();
    let [field, op, value] = words.as_slice() else {
        return Err(refused());
    };
    if !field.eq_ignore_ascii_case("properties/status") || !op.eq_ignore_ascii_case("eq") {
        return Err(refused());
    }
    let value = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .ok_or_else(refused)?;
    enum_names(version)
        .iter()
        .copied()
        .find(|s| s.eq_ignore_ascii_case(value))
        .map(Some)
        .ok_or_else(refused)
}

fn find<'c>(cx: &'c Ctx, sub: &str, id: &str) -> Result<&'c LockboxRequest, ApiError> {
    cx.w.lockbox
        .requests
        .get(&id.to_ascii_lowercase())
        .filter(|r| r.subscription.eq_ignore_ascii_case(sub))
        .ok_or_else(|| not_found(sub, id))
}

fn not_found(sub: &str, id: &str) -> ApiError {
    ApiError::new(&errors::LOCKBOX_REQUEST_NOT_FOUND)
        .arg("id", id)
        .arg("subscription", sub)
}

fn authorize_read(cx: &Ctx, sub: &str) -> Result<(), ApiError> {
    let scope = format!("/subscriptions/{sub}");
    let user = &cx.caller().object_id;
    if has_action(cx, user, &scope, READ_ACTION) {
        Ok(())
    } else {
        Err(user_forbidden(cx, READ_ACTION, &scope))
    }
}

/// "subscription-scoped requests → Owner or Azure Customer Lockbox Approver for Subscription",
/// assigned at the subscription: a resource-group assignment does not count, and the playground
/// has no management groups (whose assignments Lockbox does not support anyway).
fn authorize_decision(cx: &Ctx, sub: &str) -> Result<(), ApiError> {
    let scope = format!("/subscriptions/{sub}");
    let user = &cx.caller().object_id;
    if has_role_at(cx, user, &scope, OWNER_ROLE) || has_role_at(cx, user, &scope, APPROVER_ROLE) {
        Ok(())
    } else {
        Err(user_forbidden(cx, APPROVE_ACTION, &scope))
    }
}

/// Approve or deny: `{status|decision: "Approve"|"Deny", reason}`.
fn decide(cx: &mut Ctx, req: &Request, sub: &str, id: &str, version: &str) -> ApiResult {
    // ARM authorizes before the provider reads the body or looks the request up.
    authorize_decision(cx, sub)?;
    let body = body_object(req)?;
    let field = if prop(&body, "decision").is_some() {
        "decision"
    } else {
        "status"
    };
    let approve = match prop(&body, field) {
        Some(Value::String(s)) if s.eq_ignore_ascii_case("Approve") => true,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("Deny") => false,
        Some(v) => {
            return Err(ApiError::new(&errors::INVALID_REQUEST_CONTENT).arg(
                "detail",
                format!("Error converting value {v} to type 'Approval'. Path '{field}'."),
            ));
        }
        None => {
            return Err(ApiError::new(&errors::INVALID_REQUEST_CONTENT).arg(
                "detail",
                "Required property 'status' (or 'decision'): 'Approve' or 'Deny'. Path ''.",
            ));
        }
    };
    let reason = prop(&body, "reason")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let r = find(cx, sub, id)?;
    if r.status != Status::Pending {
        return Err(ApiError::new(&errors::LOCKBOX_REQUEST_NOT_PENDING)
            .arg("id", r.id.clone())
            .arg("status", r.status.name(version)));
    }
    let key = r.id.clone();
    let now = cx.w.now;
    let by = cx.caller().display_name.clone();
    let r = cx.w.lockbox.requests.get_mut(&key).expect("found above");
    r.status = if approve {
        Status::Approved
    } else {
        Status::Denied
    };
    r.decision = Some(Decision {
        time: now,
        by: by.clone(),
        reason: reason.clone(),
    });
    let subject = r.arm_id();
    let workspace = r.workspace.clone();
    let because = if reason.is_empty() {
        String::new()
    } else {
        format!(" (reason: {reason})")
    };
    if approve {
        cx.j.note(
            now,
            Category::Resource,
            &subject,
            format!(
                "Approve Lockbox Request: {by} approved request {key}{because}; Microsoft support may read workspace {workspace} for 8 hours"
            ),
        );
        cx.w.events.schedule(
            now + FIRST_READ_AFTER,
            Event::LockboxRead {
                request: key.clone(),
            },
        );
        cx.w.events.schedule(
            now + ACCESS_FOR,
            Event::LockboxAccessEnds {
                request: key.clone(),
            },
        );
    } else {
        cx.j.note(
            now,
            Category::Resource,
            &subject,
            format!(
                "Deny Lockbox Request: {by} denied request {key}{because}; Microsoft support gets no access to workspace {workspace}"
            ),
        );
    }
    Ok(Response::ok(cx.w.lockbox.requests[&key].to_json(version)))
}

// ---- the playground's control: a support engineer asks for access --------------------------------

/// A Microsoft support engineer asks for access to a workspace's data (a support case needs it).
/// Creates a Pending Lockbox request when the tenant opted in, the workspace is not in a China
/// region and it is linked to a dedicated cluster. Not an Azure API: the playground's stand-in
/// for Microsoft's side of the flow.
pub fn support_access_request(cx: &mut Ctx, workspace: &str) -> ApiResult {
    let key = id_key(workspace);
    let ws =
        cx.w.workspaces
            .get(&key)
            .filter(|w| w.deleted.is_none())
            .ok_or_else(|| {
                ApiError::new(&errors::LOCKBOX_WORKSPACE_NOT_FOUND).arg("workspace", workspace)
            })?;
    if !cx.w.lockbox.opted_in {
        return Err(ApiError::new(&errors::LOCKBOX_NOT_ENABLED)
            .arg("tenant", TENANT_ID)
            .arg("workspace", ws.name.clone()));
    }
    check_region(ws.location).map_err(|e| e.arg("workspace", ws.name.clone()))?;
    if !matches!(ws.link, LinkState::Linked { .. }) {
        return Err(ApiError::new(&errors::LOCKBOX_NOT_DEDICATED).arg("workspace", ws.name.clone()));
    }
    let (sub, group, ws_id, ws_name) = (
        ws.subscription.clone(),
        ws.group.clone(),
        ws.id.clone(),
        ws.name.clone(),
    );
    let id = cx.w.rng.guid();
    cx.w.lockbox.cases += 1;
    let now = cx.w.now;
    let (y, m, d) = clock::civil_from_days((now / DAY) as i64);
    let support_request = format!("{:02}{m:02}{d:02}{:010}", y % 100, cx.w.lockbox.cases);
    let r = LockboxRequest {
        id: id.clone(),
        subscription: sub,
        group,
        workspace: ws_id,
        support_request: support_request.clone(),
        status: Status::Pending,
        created: now,
        decision: None,
        reads: 0,
        refused_reads: 0,
    };
    cx.j.note(
        now,
        Category::Resource,
        &r.arm_id(),
        format!(
            "Create Lockbox Request: Microsoft support asks to read workspace {ws_name} (support request {support_request}); approve or deny within 4 days"
        ),
    );
    let body = r.to_json(API_2018_02);
    cx.w.lockbox.requests.insert(id.clone(), r);
    cx.w.events
        .schedule(now + PENDING_FOR, Event::LockboxExpiry { request: id });
    Ok(Response::json(201, body))
}

/// "Lockbox isn't available in China currently." (seed, cluster limits and constraints).
pub fn check_region(location: &str) -> Result<(), ApiError> {
    let region = find_region(location);
    let china = region.map_or(location.to_ascii_lowercase().starts_with("china"), |r| {
        r.china
    });
    if china {
        return Err(ApiError::new(&errors::LOCKBOX_NOT_IN_CHINA)
            .arg("region", region.map_or(location, |r| r.display)));
    }
    Ok(())
}

// ---- the clock ---------------------------------------------------------------------------------

/// Four days without a decision: the request expires.
pub fn expire(cx: &mut Ctx, request: &str) {
    let Some(r) = cx.w.lockbox.requests.get_mut(request) else {
        return;
    };
    if r.status != Status::Pending {
        return;
    }
    r.status = Status::Expired;
    let (subject, ws) = (r.arm_id(), r.workspace.clone());
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &subject,
        format!(
            "Lockbox Request Expiry: request {request} had no decision in 4 days; Microsoft support gets no access to workspace {ws}"
        ),
    );
}

/// Eight hours after the approval the access ends.
pub fn access_ends(cx: &mut Ctx, request: &str) {
    let Some(r) = cx.w.lockbox.requests.get_mut(request) else {
        return;
    };
    if r.status != Status::Approved {
        return;
    }
    r.status = Status::Completed;
    let (subject, ws, reads, refused) = (r.arm_id(), r.workspace.clone(), r.reads, r.refused_reads);
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &subject,
        format!(
            "Lockbox access ends: the 8 hours approved by request {request} are over ({reads} reads of workspace {ws}, {refused} refused)"
        ),
    );
}

/// The engineer reads the workspace's data through storage's read path, the one queries use: the
/// cluster's identity unwraps the account key when it must, and a revoked key stops the read.
pub fn read(cx: &mut Ctx, request: &str) {
    let Some(r) = cx.w.lockbox.requests.get(request) else {
        return;
    };
    let Some(ends) = r.access_ends().filter(|_| r.status == Status::Approved) else {
        return;
    };
    let (subject, ws_id) = (r.arm_id(), r.workspace.clone());
    let now = cx.w.now;
    if now + READ_EVERY < ends {
        cx.w.events.schedule(
            now + READ_EVERY,
            Event::LockboxRead {
                request: request.to_string(),
            },
        );
    }
    let outcome = match cx.w.workspaces.get(&id_key(&ws_id)) {
        Some(ws) if ws.deleted.is_none() => {
            let customer_id = ws.customer_id.clone();
            let tables: Vec<String> = storage::tables_of(cx.s, &customer_id).into_keys().collect();
            let mut rows = 0usize;
            let mut failure = None;
            for t in &tables {
                // The engineer reads whole rows: every column.
                match storage::read_table(cx, &customer_id, t, None) {
                    Ok(Some(read)) => rows += read.batch.selected(),
                    Ok(None) => {}
                    Err(e) => {
                        failure = Some(e.message());
                        break;
                    }
                }
            }
            match failure {
                None => Ok((rows, tables.len())),
                Some(m) => Err(m),
            }
        }
        _ => Err("the workspace no longer exists".to_string()),
    };
    let r = cx.w.lockbox.requests.get_mut(request).expect("found above");
    match outcome {
        Ok((rows, tables)) => {
            r.reads += 1;
            cx.j.note(
                now,
                Category::Data,
                &subject,
                format!(
                    "Lockbox access: Microsoft support read {rows} row{} from {tables} table{} of workspace {ws_id}",
                    if rows == 1 { "" } else { "s" },
                    if tables == 1 { "" } else { "s" },
                ),
            );
        }
        Err(why) => {
            r.refused_reads += 1;
            cx.j.alert(
                now,
                Category::Data,
                &subject,
                format!(
                    "Lockbox access: Microsoft support could not read workspace {ws_id}: {why}"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockbox_is_not_available_in_china_regions() {
        for china in ["chinanorth3", "China North 3", "chinaeast2", "chinanorth"] {
            let e = check_region(china).expect_err(china);
            assert_eq!(e.spec.name, "LOCKBOX_NOT_IN_CHINA");
            assert!(
                e.message()
                    .contains("Lockbox isn't available in China currently."),
                "{}",
                e.message()
            );
        }
        for other in ["eastus", "westeurope", "uksouth"] {
            assert!(check_region(other).is_ok(), "{other}");
        }
    }

    #[test]
    fn completed_is_expired_in_the_newer_version() {
        assert_eq!(Status::Completed.name(API_2018_02), "Completed");
        assert_eq!(Status::Completed.name(API_2018_10), "Expired");
        for s in Status::ALL {
            assert!(enum_names(API_2018_02).contains(&s.name(API_2018_02)));
            assert!(enum_names(API_2018_10).contains(&s.name(API_2018_10)));
        }
    }
}
