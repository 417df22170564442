//! Microsoft Entra ID as the services see it: the token endpoint that issues access tokens
//! (`https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`), its discovery document, and
//! the check every surface runs on a request's `Authorization` header.
//!
//! Tokens are JWTs with the claims Azure's services read (`aud`, `iss`, `oid`, `tid`, `appid`,
//! `iat`, `nbf`, `exp`), valid for an hour of virtual time. The tenant signs them with HMAC-SHA256
//! (`HS256`) under a key drawn from a side stream of the engine's seed; Entra
//! signs with RSA (`RS256`) and publishes its public keys, which would cost the page an RSA key
//! generation at sign-in for no difference any surface can observe: every surface verifies the
//! signature, the tenant, the audience and the lifetime, and answers as the real one does.

use serde_json::{Value, json};

use super::crypto;
use super::errors::{self, ApiError};
use super::http::{Method, Request, Response, percent_decode};
use super::world::{
    CLI_APP_ID, Principal, PrincipalKind, RUNBOOK_APP_ID, RUNBOOK_APP_SECRET, RUNBOOK_OBJECT_ID,
    SAM_OBJECT_ID, SAM_UPN, TENANT_DOMAIN, TENANT_ID, USER_OBJECT_ID, USER_UPN,
};
use super::{Ctx, clock, limits};

pub const LOGIN_HOST: &str = "login.microsoftonline.com";

/// The people who can sign in with a password (the resource-owner password grant, as a script
/// would; the page signs them in the same way): object id, user principal name, password. The
/// passwords are the playground's own and shown in the page.
pub const PEOPLE: [(&str, &str, &str); 2] = [
    (USER_OBJECT_ID, USER_UPN, "Avery-Playground-1"),
    (SAM_OBJECT_ID, SAM_UPN, "Sam-Playground-1"),
];

/// Applications that can sign in with a client secret: app id, object id, secret.
pub const APPS: [(&str, &str, &str); 1] = [(RUNBOOK_APP_ID, RUNBOOK_OBJECT_ID, RUNBOOK_APP_SECRET)];

/// A service that accepts bearer tokens, with the audiences it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Arm,
    KeyVault,
    LogAnalytics,
    Graph,
}

impl Audience {
    /// The `aud` a token for this service carries (what `{resource}/.default` resolves to).
    pub fn resource(self) -> &'static str {
        match self {
            Audience::Arm => "https://management.azure.com",
            Audience::KeyVault => "https://vault.azure.net",
            Audience::LogAnalytics => "https://api.loganalytics.io",
            Audience::Graph => "https://graph.microsoft.com",
        }
    }

    /// Every `aud` the service accepts (ARM lists its four in its own error message).
    fn accepts(self, aud: &str) -> bool {
        let aud = aud.trim_end_matches('/').to_ascii_lowercase();
        match self {
            Audience::Arm => {
                aud == "https://management.azure.com"
                    || aud == "https://management.core.windows.net"
            }
            Audience::KeyVault => {
                aud == "https://vault.azure.net" || aud == "cfa8b339-82a2-471a-a3c9-0fc0be7a4093"
            }
            Audience::LogAnalytics => {
                aud == "https://api.loganalytics.io" || aud == "https://api.loganalytics.azure.com"
            }
            Audience::Graph => {
                aud == "https://graph.microsoft.com"
                    || aud == "00000003-0000-0000-c000-000000000000"
            }
        }
    }

    /// The service a request's host belongs to, if it takes bearer tokens.
    pub fn for_host(host: &str) -> Option<Audience> {
        let host = host.to_ascii_lowercase();
        match host.as_str() {
            "management.azure.com" => Some(Audience::Arm),
            "api.loganalytics.io" => Some(Audience::LogAnalytics),
            "graph.microsoft.com" => Some(Audience::Graph),
            h if h.ends_with(".vault.azure.net") => Some(Audience::KeyVault),
            _ => None,
        }
    }

    /// The audience a `scope` (`{resource}/.default`) or v1 `resource` asks for.
    fn from_scope(scope: &str) -> Option<Audience> {
        let first = scope
            .split_whitespace()
            .find(|s| s.contains("://") || s.contains('-'))?;
        let resource = first.strip_suffix("/.default").unwrap_or(first);
        [
            Audience::Arm,
            Audience::KeyVault,
            Audience::LogAnalytics,
            Audience::Graph,
        ]
        .into_iter()
        .find(|a| a.accepts(resource))
    }
}

/// The claims the playground's services read from a token.
#[derive(Clone, Debug, PartialEq)]
pub struct Claims {
    pub aud: String,
    pub oid: String,
    pub tid: String,
    pub appid: String,
    pub nbf: u64,
    pub exp: u64,
}

/// The display form of a token for the page: its claims, as jwt.ms would show them.
pub fn decode_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&crypto::from_b64url(payload)?).ok()
}

fn issuer() -> String {
    format!("https://sts.windows.net/{TENANT_ID}/")
}

/// Issues an access token for `principal` to call `audience`: (token, expiry). Draws nothing
/// from the world's random stream (see `Directory::signing_key`).
pub fn issue(cx: &mut Ctx, principal: &Principal, audience: Audience) -> (String, u64) {
    let key = cx.w.directory.signing_key.clone();
    let now = cx.w.now;
    let exp = now + limits::ACCESS_TOKEN_LIFETIME;
    let header = json!({ "typ": "JWT", "alg": "HS256", "kid": "playground-tenant" });
    let mut claims = json!({
        "aud": audience.resource(),
        "iss": issuer(),
        "iat": now,
        "nbf": now,
        "exp": exp,
        "appid": principal.app_id,
        "appidacr": if principal.kind == PrincipalKind::User { "0" } else { "1" },
        "idtyp": if principal.kind == PrincipalKind::User { "user" } else { "app" },
        "oid": principal.object_id,
        "sub": principal.object_id,
        "tid": TENANT_ID,
        // A token's unique id, from what makes it unique (a random one would use the stream).
        "uti": crypto::b64url(&crypto::hmac_sha256(key.bytes(), format!("{}|{}|{now}|{}", principal.object_id, audience.resource(), cx.j.request_seq).as_bytes())[..16]),
        "ver": "1.0",
    });
    if principal.kind == PrincipalKind::User {
        claims["name"] = json!(principal.display_name);
        claims["upn"] = json!(upn(&principal.object_id).unwrap_or_default());
        claims["scp"] = json!("user_impersonation");
    }
    let signing_input = format!(
        "{}.{}",
        crypto::b64url(header.to_string().as_bytes()),
        crypto::b64url(claims.to_string().as_bytes())
    );
    let signature = crypto::hmac_sha256(key.bytes(), signing_input.as_bytes());
    (
        format!("{signing_input}.{}", crypto::b64url(&signature)),
        exp,
    )
}

/// A person's user principal name.
pub fn upn(object_id: &str) -> Option<&'static str> {
    PEOPLE
        .iter()
        .find(|(oid, _, _)| oid.eq_ignore_ascii_case(object_id))
        .map(|(_, upn, _)| *upn)
}

/// How ARM names a client in its errors: a person's UPN, otherwise the application id.
pub fn client_name(p: &Principal) -> String {
    upn(&p.object_id)
        .map(str::to_string)
        .unwrap_or_else(|| p.app_id.clone())
}

/// Why a bearer token was refused, before the surface words it.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    Missing,
    /// Not `Bearer <token>`.
    Scheme,
    /// Not a JWT, or its signature does not verify.
    Invalid,
    Expired {
        exp: u64,
    },
    NotYetValid,
    Issuer {
        iss: String,
    },
    Audience {
        aud: String,
    },
}

/// The claims of a well-formed, correctly signed token from this tenant, whatever its audience
/// and lifetime (the caller checks those, since each surface words them differently).
fn verify(cx: &Ctx, token: &str) -> Result<(Claims, String), Refusal> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::Invalid);
    };
    let header: Value = crypto::from_b64url(h)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(Refusal::Invalid)?;
    let claims: Value = crypto::from_b64url(p)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(Refusal::Invalid)?;
    let text = |k: &str| claims[k].as_str().unwrap_or_default().to_string();
    let num = |k: &str| claims[k].as_u64().unwrap_or(0);
    // Another tenant's token: its signature would verify against that tenant's published keys,
    // and the service then refuses the issuer.
    let iss = text("iss");
    if iss.is_empty() {
        return Err(Refusal::Invalid);
    }
    if iss != issuer() {
        return Err(Refusal::Issuer { iss });
    }
    if header["alg"] != "HS256" {
        return Err(Refusal::Invalid);
    }
    let signature = crypto::from_b64url(s).ok_or(Refusal::Invalid)?;
    let key = &cx.w.directory.signing_key;
    if !crypto::hmac_sha256_verify(key.bytes(), format!("{h}.{p}").as_bytes(), &signature) {
        return Err(Refusal::Invalid);
    }
    Ok((
        Claims {
            aud: text("aud"),
            oid: text("oid"),
            tid: text("tid"),
            appid: text("appid"),
            nbf: num("nbf"),
            exp: num("exp"),
        },
        iss,
    ))
}

/// Who is calling: the object id of the principal a request's bearer token names, checked for
/// `audience` on the virtual clock. With no `Authorization` header at all, `implicit` (the
/// signed-in person while implicit sign-in is on) answers instead.
pub fn authenticate(
    cx: &Ctx,
    req: &Request,
    audience: Audience,
    implicit: Option<&str>,
) -> Result<String, Refusal> {
    let Some(header) = req.header("Authorization") else {
        return implicit.map(str::to_string).ok_or(Refusal::Missing);
    };
    let header = header.trim();
    let token = match header.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty() => {
            t.trim()
        }
        _ if header.is_empty() => return Err(Refusal::Missing),
        _ => return Err(Refusal::Scheme),
    };
    let (claims, _) = verify(cx, token)?;
    if !audience.accepts(&claims.aud) {
        return Err(Refusal::Audience { aud: claims.aud });
    }
    if claims.nbf > cx.w.now {
        return Err(Refusal::NotYetValid);
    }
    if claims.exp <= cx.w.now {
        return Err(Refusal::Expired { exp: claims.exp });
    }
    if cx.w.directory.get(&claims.oid).is_none() || claims.tid != TENANT_ID {
        return Err(Refusal::Invalid);
    }
    Ok(claims.oid.to_ascii_lowercase())
}

/// ARM's answer to a refused token.
pub fn arm_error(cx: &Ctx, r: Refusal) -> ApiError {
    match r {
        Refusal::Missing => ApiError::new(&errors::ARM_AUTHENTICATION_MISSING),
        Refusal::Scheme => ApiError::new(&errors::ARM_AUTHENTICATION_FORMAT),
        Refusal::Invalid | Refusal::NotYetValid => ApiError::new(&errors::ARM_TOKEN_INVALID),
        Refusal::Expired { exp } => ApiError::new(&errors::ARM_TOKEN_EXPIRED)
            .arg("exp", clock::dotnet(exp))
            .arg("now", clock::dotnet(cx.w.now)),
        Refusal::Issuer { iss } => ApiError::new(&errors::ARM_TOKEN_TENANT)
            .arg("iss", iss)
            .arg("tenant", TENANT_ID),
        Refusal::Audience { aud } => ApiError::new(&errors::ARM_TOKEN_AUDIENCE).arg("aud", aud),
    }
}

/// Key Vault's answer to a refused token (always 401 with its challenge: see `challenge`).
pub fn key_vault_error(cx: &Ctx, r: Refusal) -> ApiError {
    match r {
        Refusal::Missing | Refusal::Scheme => ApiError::new(&errors::KV_TOKEN_MISSING),
        Refusal::Audience { aud } => ApiError::new(&errors::KV_TOKEN_AUDIENCE).arg("aud", aud),
        Refusal::Issuer { iss } => ApiError::new(&errors::KV_TOKEN_ISSUER)
            .arg("iss", iss)
            .arg("expected", issuer()),
        Refusal::Expired { exp } => ApiError::new(&errors::KV_TOKEN_EXPIRED)
            .arg("exp", clock::iso(exp))
            .arg("now", clock::iso(cx.w.now)),
        Refusal::Invalid | Refusal::NotYetValid => ApiError::new(&errors::KV_TOKEN_INVALID),
    }
}

/// The Log Analytics query API's answer to a refused token.
pub fn query_error(r: Refusal) -> ApiError {
    match r {
        Refusal::Missing | Refusal::Scheme => ApiError::new(&errors::QUERY_AUTHENTICATION_MISSING),
        Refusal::Audience { aud } => ApiError::new(&errors::QUERY_TOKEN_AUDIENCE).arg("aud", aud),
        Refusal::Expired { exp } => {
            ApiError::new(&errors::QUERY_TOKEN_EXPIRED).arg("exp", clock::iso(exp))
        }
        Refusal::Invalid | Refusal::NotYetValid | Refusal::Issuer { .. } => {
            ApiError::new(&errors::QUERY_TOKEN_INVALID)
        }
    }
}

/// Microsoft Graph's answer to a refused token.
pub fn graph_error(r: Refusal) -> ApiError {
    match r {
        Refusal::Missing => ApiError::new(&errors::GRAPH_TOKEN_EMPTY),
        Refusal::Expired { .. } => ApiError::new(&errors::GRAPH_TOKEN_EXPIRED),
        _ => ApiError::new(&errors::GRAPH_TOKEN_INVALID),
    }
}

/// The `WWW-Authenticate` header a 401 of this surface carries.
pub fn challenge(surface: errors::Surface, message: &str) -> Option<String> {
    match surface {
        // azure-keyvault's challenge policy reads `authorization` (the tenant) and `resource`.
        errors::Surface::KeyVault => Some(format!(
            "Bearer authorization=\"https://{LOGIN_HOST}/{TENANT_ID}\", resource=\"https://vault.azure.net\""
        )),
        errors::Surface::Arm => Some(format!(
            "Bearer authorization_uri=\"https://{LOGIN_HOST}/{TENANT_ID}\", error=\"invalid_token\", error_description=\"{}\"",
            message.replace('"', "'")
        )),
        errors::Surface::Graph | errors::Surface::Query => Some(format!(
            "Bearer realm=\"\", authorization_uri=\"https://{LOGIN_HOST}/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\""
        )),
        _ => None,
    }
}

/// `https://login.microsoftonline.com/...`: the token endpoint and the discovery documents MSAL
/// reads before it asks for a token.
pub fn route(cx: &mut Ctx, req: &Request) -> Result<Response, ApiError> {
    let s = &req.segments;
    let not_found = || ApiError::new(&errors::ENTRA_NOT_FOUND).arg("path", req.path());
    let Some(tenant) = s.first() else {
        return Err(not_found());
    };
    // `common` and `organizations` serve discovery; tokens need this tenant (id or domain).
    let known =
        tenant.eq_ignore_ascii_case(TENANT_ID) || tenant.eq_ignore_ascii_case(TENANT_DOMAIN);
    let generic = ["common", "organizations"]
        .iter()
        .any(|t| tenant.eq_ignore_ascii_case(t));
    let rest: Vec<String> = s[1..].iter().map(|x| x.to_ascii_lowercase()).collect();
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    match (req.method, rest.as_slice()) {
        (Method::Get, ["discovery", "instance"])
        | (Method::Get, ["discovery", "v2.0", "instance"])
            if generic =>
        {
            Ok(Response::ok(instance_discovery()))
        }
        (Method::Get, ["v2.0", ".well-known", "openid-configuration"])
        | (Method::Get, [".well-known", "openid-configuration"]) => {
            if !known && !generic {
                return Err(tenant_not_found(tenant));
            }
            Ok(Response::ok(openid_configuration()))
        }
        (Method::Post, ["oauth2", "v2.0", "token"]) | (Method::Post, ["oauth2", "token"]) => {
            if !known {
                return Err(tenant_not_found(tenant));
            }
            token(cx, req)
        }
        _ => Err(not_found()),
    }
}

fn tenant_not_found(tenant: &str) -> ApiError {
    ApiError::new(&errors::ENTRA_TENANT_NOT_FOUND).arg("tenant", tenant)
}

fn openid_configuration() -> Value {
    let base = format!("https://{LOGIN_HOST}/{TENANT_ID}");
    json!({
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("https://{LOGIN_HOST}/{TENANT_ID}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("https://{LOGIN_HOST}/{TENANT_ID}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": format!("{base}/kerberos"),
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    })
}

fn instance_discovery() -> Value {
    json!({
        "tenant_discovery_endpoint": format!("https://{LOGIN_HOST}/{TENANT_ID}/v2.0/.well-known/openid-configuration"),
        "api-version": "1.1",
        "metadata": [{
            "preferred_network": LOGIN_HOST,
            "preferred_cache": "login.windows.net",
            "aliases": [LOGIN_HOST, "login.windows.net", "login.microsoft.com", "sts.windows.net"],
        }],
    })
}

/// The form fields of a token request (`application/x-www-form-urlencoded`).
fn form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

/// `POST /{tenant}/oauth2/v2.0/token`: client credentials (an application and its secret) or the
/// resource-owner password grant (a person, through the Azure CLI's public client).
fn token(cx: &mut Ctx, req: &Request) -> Result<Response, ApiError> {
    let fields = form(req.body.unwrap_or(""));
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let missing = |name: &str| ApiError::new(&errors::ENTRA_MISSING_PARAMETER).arg("param", name);
    let grant = field("grant_type").ok_or_else(|| missing("grant_type"))?;
    let client_id = field("client_id").ok_or_else(|| missing("client_id"))?;
    let scope = field("scope").ok_or_else(|| missing("scope"))?;
    let principal = match grant {
        "client_credentials" => {
            let Some((_, oid, secret)) = APPS
                .iter()
                .find(|(app, _, _)| app.eq_ignore_ascii_case(client_id))
            else {
                return Err(ApiError::new(&errors::ENTRA_APPLICATION_NOT_FOUND)
                    .arg("app", client_id)
                    .arg("tenant", TENANT_DOMAIN));
            };
            if !scope.split_whitespace().all(|s| s.ends_with("/.default")) {
                return Err(ApiError::new(&errors::ENTRA_INVALID_SCOPE).arg("scope", scope));
            }
            if field("client_secret") != Some(*secret) {
                return Err(ApiError::new(&errors::ENTRA_INVALID_SECRET).arg("app", client_id));
            }
            cx.w.directory.get(oid).cloned()
        }
        "password" => {
            if !client_id.eq_ignore_ascii_case(CLI_APP_ID) {
                return Err(ApiError::new(&errors::ENTRA_APPLICATION_NOT_FOUND)
                    .arg("app", client_id)
                    .arg("tenant", TENANT_DOMAIN));
            }
            let username = field("username").ok_or_else(|| missing("username"))?;
            let Some((oid, _, secret)) = PEOPLE
                .iter()
                .find(|(_, upn, _)| upn.eq_ignore_ascii_case(username))
            else {
                return Err(
                    ApiError::new(&errors::ENTRA_USER_NOT_FOUND).arg("tenant", TENANT_DOMAIN)
                );
            };
            let password = field("password").ok_or_else(|| missing("password"))?;
            if password != *secret {
                return Err(ApiError::new(&errors::ENTRA_INVALID_PASSWORD));
            }
            cx.w.directory.get(oid).cloned()
        }
        other => {
            return Err(ApiError::new(&errors::ENTRA_UNSUPPORTED_GRANT).arg("grant", other));
        }
    };
    // Every account in the tables above is in the directory the world starts with.
    let principal = principal.ok_or_else(|| missing("client_id"))?;
    let audience = Audience::from_scope(scope).ok_or_else(|| {
        let resource = scope.split_whitespace().next().unwrap_or(scope);
        ApiError::new(&errors::ENTRA_RESOURCE_NOT_FOUND)
            .arg("resource", resource.trim_end_matches("/.default"))
            .arg("tenant", TENANT_DOMAIN)
    })?;
    let (access_token, exp) = issue(cx, &principal, audience);
    let lifetime = exp - cx.w.now;
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    });
    if grant == "password" {
        body["scope"] = json!(format!("{}/user_impersonation", audience.resource()));
    }
    Ok(Response::ok(body)
        .with_header("Cache-Control", "no-store, no-cache")
        .with_header("Pragma", "no-cache"))
}

/// The string a Data Collector API post signs: `POST\n{length}\n{content type}\nx-ms-date:{date}\n/api/logs`
/// (data-collector-api.md, "Authorization").
pub fn collector_string_to_sign(content_length: usize, content_type: &str, date: &str) -> String {
    format!("POST\n{content_length}\n{content_type}\nx-ms-date:{date}\n/api/logs")
}

/// `SharedKey {customerId}:{base64 HMAC-SHA256}` for a post, signed with a base64 shared key.
pub fn collector_signature(
    customer_id: &str,
    shared_key: &str,
    string_to_sign: &str,
) -> Option<String> {
    let key = crypto::from_b64(shared_key)?;
    Some(format!(
        "SharedKey {customer_id}:{}",
        crypto::b64(&crypto::hmac_sha256(&key, string_to_sign.as_bytes()))
    ))
}

/// Checks a Data Collector post's `Authorization` and `x-ms-date` against the workspace's shared
/// keys (either one signs) and the virtual clock. `None` keys: nobody has asked for them yet, so
/// no signature can be right.
pub fn check_collector(
    cx: &Ctx,
    req: &Request,
    customer_id: &str,
    keys: Option<&(String, String)>,
) -> Result<(), ApiError> {
    let refused = || ApiError::new(&errors::INGEST_INVALID_AUTHORIZATION);
    let header = req
        .header("Authorization")
        .map(str::trim)
        .ok_or_else(refused)?;
    let (scheme, credential) = header.split_once(' ').ok_or_else(refused)?;
    let (id, signature) = credential.trim().split_once(':').ok_or_else(refused)?;
    if !scheme.eq_ignore_ascii_case("SharedKey") || !id.eq_ignore_ascii_case(customer_id) {
        return Err(refused());
    }
    let date = req.header("x-ms-date").map(str::trim).unwrap_or("");
    let Some(at) = clock::parse_rfc1123(date) else {
        return Err(ApiError::new(&errors::INGEST_BAD_DATE)
            .arg("date", date)
            .arg("now", clock::rfc1123(cx.w.now)));
    };
    if at.abs_diff(cx.w.now) > limits::COLLECTOR_CLOCK_SKEW {
        return Err(ApiError::new(&errors::INGEST_BAD_DATE)
            .arg("date", date)
            .arg("now", clock::rfc1123(cx.w.now)));
    }
    let Some(signature) = crypto::from_b64(signature.trim()) else {
        return Err(refused());
    };
    let to_sign = collector_string_to_sign(
        req.body.map_or(0, str::len),
        req.header("Content-Type").map(str::trim).unwrap_or(""),
        date,
    );
    let signed_by = |key: &String| {
        crypto::from_b64(key)
            .is_some_and(|k| crypto::hmac_sha256_verify(&k, to_sign.as_bytes(), &signature))
    };
    match keys {
        Some((primary, secondary)) if signed_by(primary) || signed_by(secondary) => Ok(()),
        _ => Err(refused()),
    }
}
