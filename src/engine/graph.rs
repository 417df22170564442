//! Microsoft Graph, just enough to answer "who am I?" and look up service principals
//! (`GET /v1.0/me`, `GET /v1.0/servicePrincipals/{id}`).

use serde_json::json;

use super::Ctx;
use super::errors::{self, ApiError};
use super::http::{Method, Request, Response, seg_is};
use super::world::{PrincipalKind, USER_UPN};

pub fn route(cx: &mut Ctx, req: &Request) -> Result<Response, ApiError> {
    let s = &req.segments;
    let not_found = || ApiError::new(&errors::GRAPH_NOT_FOUND).arg("path", req.path());
    if req.method != Method::Get || !seg_is(s.first(), "v1.0") {
        return Err(not_found());
    }
    match s.len() {
        2 if seg_is(s.get(1), "me") => {
            let u = cx.w.directory.user();
            Ok(Response::ok(json!({
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
                "id": u.object_id,
                "displayName": u.display_name,
                "userPrincipalName": USER_UPN,
                "mail": USER_UPN,
                "jobTitle": "Cloud Platform Engineer",
            })))
        }
        3 if seg_is(s.get(1), "servicePrincipals") => {
            let p =
                cx.w.directory
                    .get(&s[2])
                    .filter(|p| p.kind != PrincipalKind::User)
                    .ok_or_else(not_found)?;
            let kind = match p.kind {
                PrincipalKind::ManagedIdentity(_) => "ManagedIdentity",
                _ => "Application",
            };
            Ok(Response::ok(json!({
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/$entity",
                "id": p.object_id,
                "appId": p.app_id,
                "displayName": p.display_name,
                "servicePrincipalType": kind,
            })))
        }
        _ => Err(not_found()),
    }
}
