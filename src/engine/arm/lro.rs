//! Asynchronous ARM operations: 202 Accepted with `Azure-AsyncOperation`, `Location` and
//! `Retry-After`, the operation-status resource, and the operation-result resource.
//!
//! An operation is created by the handler that accepts a request and finished by a scheduled
//! [`Event::CompleteOperation`]; the resource module that owns the operation applies its effect.

use crate::engine::api_versions::OPERATIONAL_INSIGHTS_API;
use serde_json::{Value, json};

use super::{ApiResult, api_version, method_not_allowed, subscription_scope};
use crate::engine::Ctx;
use crate::engine::clock::{self, Event};
use crate::engine::cluster::ClusterChange;
use crate::engine::errors::{self, ApiError};
use crate::engine::http::{Method, Request, Response, seg_is};
use crate::engine::journal::Category;

/// What an operation does when it completes.
#[derive(Clone, Debug, PartialEq)]
pub enum OpKind {
    ClusterCreate {
        cluster: String,
    },
    ClusterUpdate {
        cluster: String,
        change: Box<ClusterChange>,
    },
    ClusterDelete {
        cluster: String,
    },
    WorkspaceLink {
        workspace: String,
        cluster: String,
    },
    WorkspaceUnlink {
        workspace: String,
        cluster: String,
    },
    GroupDelete {
        group: String,
    },
}

impl OpKind {
    /// The status an operation reports while it runs, per the seed's list
    /// ('InProgress', 'Updating', 'Deleting').
    fn running_status(&self) -> &'static str {
        match self {
            OpKind::ClusterUpdate { .. } => "Updating",
            OpKind::ClusterDelete { .. }
            | OpKind::WorkspaceUnlink { .. }
            | OpKind::GroupDelete { .. } => "Deleting",
            OpKind::ClusterCreate { .. } | OpKind::WorkspaceLink { .. } => "InProgress",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            OpKind::ClusterCreate { .. } => "Create cluster",
            OpKind::ClusterUpdate { .. } => "Update cluster",
            OpKind::ClusterDelete { .. } => "Delete cluster",
            OpKind::WorkspaceLink { .. } => "Link workspace",
            OpKind::WorkspaceUnlink { .. } => "Unlink workspace",
            OpKind::GroupDelete { .. } => "Delete resource group",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum OpState {
    Running,
    Succeeded,
    Failed {
        code: String,
        message: String,
        status: u16,
    },
    Canceled,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AsyncOp {
    pub id: String,
    pub subscription: String,
    pub location: String,
    /// The resource the operation acts on (canonical casing).
    pub resource_id: String,
    pub kind: OpKind,
    pub state: OpState,
    pub start: u64,
    pub due: u64,
    pub end: Option<u64>,
    pub api_version: String,
}

impl AsyncOp {
    pub fn status(&self) -> &'static str {
        match &self.state {
            OpState::Running => self.kind.running_status(),
            OpState::Succeeded => "Succeeded",
            OpState::Failed { .. } => "Failed",
            OpState::Canceled => "Canceled",
        }
    }

    pub fn is_running(&self) -> bool {
        self.state == OpState::Running
    }

    pub fn status_url(&self) -> String {
        format!(
            "https://management.azure.com/subscriptions/{}/providers/Microsoft.OperationalInsights/locations/{}/operationStatuses/{}?api-version={}",
            self.subscription, self.location, self.id, self.api_version
        )
    }

    pub fn result_url(&self) -> String {
        // A resource group's deletion is polled at the subscription, as ARM's Location says.
        let base = match self.kind {
            OpKind::GroupDelete { .. } => {
                format!("/subscriptions/{}/operationresults", self.subscription)
            }
            _ => format!("{}/operationResults", self.resource_id),
        };
        format!(
            "https://management.azure.com{base}/{}?api-version={}",
            self.id, self.api_version
        )
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": format!("/subscriptions/{}/providers/Microsoft.OperationalInsights/locations/{}/operationStatuses/{}", self.subscription, self.location, self.id),
            "name": self.id,
            "status": self.status(),
            "startTime": clock::iso(self.start),
        });
        if let Some(end) = self.end {
            v["endTime"] = json!(clock::iso(end));
        }
        if let OpState::Failed { code, message, .. } = &self.state {
            v["error"] = json!({ "code": code, "message": message });
        }
        v
    }
}

/// Creates a running operation that will complete after `delay` seconds; returns its id.
pub fn start(
    cx: &mut Ctx,
    kind: OpKind,
    sub: &str,
    location: &str,
    resource_id: &str,
    api_version: &str,
    delay: u64,
) -> String {
    let id = cx.w.rng.guid();
    let label = kind.label();
    let op = AsyncOp {
        id: id.clone(),
        subscription: sub.to_string(),
        location: location.to_string(),
        resource_id: resource_id.to_string(),
        kind,
        state: OpState::Running,
        start: cx.w.now,
        due: cx.w.now + delay,
        end: None,
        api_version: api_version.to_string(),
    };
    cx.w.events
        .schedule(op.due, Event::CompleteOperation(id.clone()));
    cx.w.operations.insert(id.clone(), op);
    cx.j.note(
        cx.w.now,
        Category::Operation,
        resource_id,
        format!(
            "{label} accepted; expected to take about {}",
            clock::duration(delay)
        ),
    );
    id
}

/// The 202 Accepted answer for an operation: async-operation headers and an empty body.
pub fn accepted(cx: &Ctx, op_id: &str) -> Response {
    let op = &cx.w.operations[op_id];
    Response::empty(202)
        .with_header("Azure-AsyncOperation", op.status_url())
        .with_header("Location", op.result_url())
        .with_header("Retry-After", "60")
}

/// Marks an operation finished.
pub fn finish(cx: &mut Ctx, op_id: &str, outcome: Result<(), ApiError>) {
    let now = cx.w.now;
    let Some(op) = cx.w.operations.get_mut(op_id) else {
        return;
    };
    op.end = Some(now);
    let label = op.kind.label();
    let rid = op.resource_id.clone();
    match outcome {
        Ok(()) => {
            op.state = OpState::Succeeded;
            cx.j.note(now, Category::Operation, &rid, format!("{label} succeeded"));
        }
        Err(e) => {
            op.state = OpState::Failed {
                code: e.spec.code.to_string(),
                message: e.message(),
                status: e.spec.status,
            };
            cx.j.alert(
                now,
                Category::Operation,
                &rid,
                format!("{label} failed: {}", e.message()),
            );
        }
    }
}

pub fn cancel(cx: &mut Ctx, op_id: &str) {
    let now = cx.w.now;
    if let Some(op) = cx.w.operations.get_mut(op_id) {
        if op.is_running() {
            op.state = OpState::Canceled;
            op.end = Some(now);
            let (label, rid) = (op.kind.label(), op.resource_id.clone());
            cx.j.alert(now, Category::Operation, &rid, format!("{label} canceled"));
        }
    }
    cx.w.events
        .retain(|e| *e != Event::CompleteOperation(op_id.to_string()));
}

/// `GET /subscriptions/{s}/providers/Microsoft.OperationalInsights/locations/{l}/operationStatuses/{id}`.
pub fn route_status(cx: &mut Ctx, req: &Request, scope: &[String], rest: &[String]) -> ApiResult {
    api_version(req, OPERATIONAL_INSIGHTS_API)?;
    let sub = subscription_scope(cx, scope)?;
    match rest {
        [_locations, _loc, statuses, id] if seg_is(Some(statuses), "operationstatuses") => {
            if req.method != Method::Get {
                return Err(method_not_allowed(req));
            }
            match cx.w.operations.get(&id.to_ascii_lowercase()) {
                Some(op) if op.subscription == sub => Ok(Response::ok(op.to_json())),
                _ => Err(ApiError::new(&errors::OPERATION_NOT_FOUND).arg("id", id.as_str())),
            }
        }
        _ => Err(super::unknown_type(
            req,
            "Microsoft.OperationalInsights",
            rest,
        )),
    }
}

/// The `Location` URL of an operation: 202 while it runs, then the outcome.
pub fn results(cx: &mut Ctx, req: &Request, sub: &str, id: &str) -> ApiResult {
    if req.method != Method::Get {
        return Err(method_not_allowed(req));
    }
    let op = match cx.w.operations.get(&id.to_ascii_lowercase()) {
        Some(op) if op.subscription == sub => op.clone(),
        _ => return Err(ApiError::new(&errors::OPERATION_NOT_FOUND).arg("id", id)),
    };
    match &op.state {
        OpState::Running => Ok(Response::empty(202)
            .with_header("Location", op.result_url())
            .with_header("Retry-After", "60")),
        OpState::Failed {
            code,
            message,
            status,
        } => Ok(Response::json(
            *status,
            json!({ "error": { "code": code, "message": message } }),
        )),
        OpState::Canceled => Ok(Response::json(
            409,
            json!({ "error": { "code": "OperationCanceled", "message": "The operation was canceled." } }),
        )),
        OpState::Succeeded => Ok(match &op.kind {
            OpKind::ClusterCreate { cluster } | OpKind::ClusterUpdate { cluster, .. } => {
                match cx.w.clusters.get(cluster) {
                    Some(c) => Response::ok(c.to_json(cx.w)),
                    None => Response::empty(204),
                }
            }
            OpKind::WorkspaceLink { workspace, .. } => match cx.w.workspaces.get(workspace) {
                Some(ws) => Response::ok(crate::engine::workspace::linked_service_json(ws)),
                None => Response::empty(204),
            },
            _ => Response::empty(204),
        }),
    }
}
