//! The Key Vault keys data plane: `https://{vault}.vault.azure.net/keys/...` and
//! `/deletedkeys/...`.
//!
//! Every call is authorized (access policy or RBAC) and lands in the audit log, whether it comes
//! from a REST client or from a cluster's storage acting with its managed identity. Checks run in
//! Key Vault's order: api-version, caller's tenant, permission, then the key itself.

use crate::engine::api_versions::DATA_PLANE_API;
use serde_json::{Map, Value, json};

use super::access::{Audit, KeyPerm, authorize};
use super::{DeletedKey, Key, KeyVersion, Vault};
use crate::engine::Ctx;
use crate::engine::clock::{DAY, Event};
use crate::engine::crypto::{self, CryptoError, RsaKey, SignAlg, WrapAlg};
use crate::engine::errors::{self, ApiError};
use crate::engine::http::{Method, Request, Response};
use crate::engine::journal::Category;
use crate::engine::world::Principal;

const RSA_OPS: [&str; 6] = [
    "encrypt",
    "decrypt",
    "sign",
    "verify",
    "wrapKey",
    "unwrapKey",
];
const ALL_OPS: [&str; 8] = [
    "encrypt",
    "decrypt",
    "sign",
    "verify",
    "wrapKey",
    "unwrapKey",
    "import",
    "export",
];

/// The vault a `{name}.vault.azure.net` host names, if it exists (deleted vaults do not resolve).
pub fn vault_for_host(cx: &Ctx, host: &str) -> Option<String> {
    let name = host.strip_suffix(".vault.azure.net")?;
    cx.w.vaults.contains_key(name).then(|| name.to_string())
}

fn valid_key_name(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}

fn with_kv_headers(resp: Response, vault: &Vault) -> Response {
    resp.with_header("x-ms-keyvault-region", vault.location)
        .with_header("x-ms-keyvault-service-version", "1.9.2700.1")
}

/// Entry point for `https://{vault}.vault.azure.net/...` requests from the signed-in user.
pub fn route(cx: &mut Ctx, req: &Request, vault_key: &str) -> Result<Response, ApiError> {
    let caller = cx.caller().clone();
    let (operation, key_name, version) = describe(req);
    let result = dispatch(cx, req, vault_key, &caller);
    let status = result.as_ref().map(|r| r.status);
    Audit {
        vault: &cx.w.vaults[vault_key].name.clone(),
        operation: &operation,
        caller: &caller,
        key: key_name.as_deref(),
        version: version.as_deref(),
        detail: String::new(),
    }
    .record(cx, status);
    let vault = cx.w.vaults[vault_key].clone();
    result.map(|r| with_kv_headers(r, &vault))
}

/// The audit operation name, key and version a request is about.
fn describe(req: &Request) -> (String, Option<String>, Option<String>) {
    let s = &req.segments;
    let lower: Vec<String> = s.iter().map(|x| x.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    let op = match (req.method, l.as_slice()) {
        (Method::Get, ["keys"]) => "KeyList",
        (Method::Post, ["keys", _, "create"]) => "KeyCreate",
        (Method::Get, ["keys", _, "versions"]) => "KeyListVersions",
        (Method::Post, ["keys", _, "rotate"]) => "KeyRotate",
        (Method::Get, ["keys", _, "rotationpolicy"]) => "KeyGetRotationPolicy",
        (Method::Put, ["keys", _, "rotationpolicy"]) => "KeySetRotationPolicy",
        (Method::Post, ["keys", _, "wrapkey"] | ["keys", _, _, "wrapkey"]) => "KeyWrap",
        (Method::Post, ["keys", _, "unwrapkey"] | ["keys", _, _, "unwrapkey"]) => "KeyUnwrap",
        (Method::Post, ["keys", _, "encrypt"] | ["keys", _, _, "encrypt"]) => "KeyEncrypt",
        (Method::Post, ["keys", _, "decrypt"] | ["keys", _, _, "decrypt"]) => "KeyDecrypt",
        (Method::Post, ["keys", _, "sign"] | ["keys", _, _, "sign"]) => "KeySign",
        (Method::Post, ["keys", _, "verify"] | ["keys", _, _, "verify"]) => "KeyVerify",
        (Method::Get, ["keys", _] | ["keys", _, _]) => "KeyGet",
        (Method::Patch, ["keys", _] | ["keys", _, _]) => "KeyUpdate",
        (Method::Delete, ["keys", _]) => "KeyDelete",
        (Method::Get, ["deletedkeys"]) => "KeyListDeleted",
        (Method::Get, ["deletedkeys", _]) => "KeyGetDeleted",
        (Method::Post, ["deletedkeys", _, "recover"]) => "KeyRecover",
        (Method::Delete, ["deletedkeys", _]) => "KeyPurge",
        _ => "Unknown",
    };
    let key = s.get(1).cloned();
    let version = match l.as_slice() {
        ["keys", _, v] | ["keys", _, v, _] if super::is_key_version(v) => s.get(2).cloned(),
        _ => None,
    };
    (op.to_string(), key, version)
}

fn not_found_path(req: &Request) -> ApiError {
    ApiError::new(&errors::KV_NOT_FOUND_PATH).arg("path", req.path())
}

fn method_not_allowed(req: &Request) -> ApiError {
    ApiError::new(&errors::KV_METHOD_NOT_ALLOWED)
        .arg("method", req.method_text.to_ascii_uppercase())
        .arg("path", req.path())
}

fn dispatch(
    cx: &mut Ctx,
    req: &Request,
    vk: &str,
    caller: &Principal,
) -> Result<Response, ApiError> {
    let v = match req.api_version() {
        None => return Err(ApiError::new(&errors::KV_MISSING_API_VERSION)),
        Some(v) => v,
    };
    if !DATA_PLANE_API.contains(&v) {
        return Err(ApiError::new(&errors::KV_BAD_API_VERSION)
            .arg("version", v)
            .arg("latest", DATA_PLANE_API[0]));
    }
    let s: Vec<String> = req
        .segments
        .iter()
        .map(|x| x.to_ascii_lowercase())
        .collect();
    let segs: Vec<&str> = s.iter().map(String::as_str).collect();
    let raw = &req.segments;
    if let Some(name) = raw.get(1) {
        if !valid_key_name(name) {
            return Err(ApiError::new(&errors::KEY_NAME_INVALID).arg("name", name.as_str()));
        }
    }
    match segs.as_slice() {
        ["keys"] => match req.method {
            Method::Get => list_keys(cx, vk, caller),
            _ => Err(method_not_allowed(req)),
        },
        ["keys", _, "create"] => match req.method {
            Method::Post => create(cx, req, vk, caller, &raw[1]),
            _ => Err(method_not_allowed(req)),
        },
        ["keys", _, "versions"] => match req.method {
            Method::Get => list_versions(cx, vk, caller, &raw[1]),
            _ => Err(method_not_allowed(req)),
        },
        ["keys", _, "rotate"] => match req.method {
            Method::Post => rotate(cx, vk, caller, &raw[1]),
            _ => Err(method_not_allowed(req)),
        },
        ["keys", _, "rotationpolicy"] => match req.method {
            Method::Get => super::rotation::get_policy(cx, vk, caller, &raw[1]).map(Response::ok),
            Method::Put => {
                let b = body(req)?;
                super::rotation::set_policy(cx, vk, caller, &raw[1], &b).map(Response::ok)
            }
            _ => Err(method_not_allowed(req)),
        },
        [
            "keys",
            _,
            op @ ("wrapkey" | "unwrapkey" | "encrypt" | "decrypt"),
        ] => crypto_op(cx, req, vk, caller, &raw[1], "", op),
        [
            "keys",
            _,
            ver,
            op @ ("wrapkey" | "unwrapkey" | "encrypt" | "decrypt"),
        ] => crypto_op(cx, req, vk, caller, &raw[1], ver, op),
        ["keys", _, op @ ("sign" | "verify")] => sign_op(cx, req, vk, caller, &raw[1], "", op),
        ["keys", _, ver, op @ ("sign" | "verify")] => {
            sign_op(cx, req, vk, caller, &raw[1], ver, op)
        }
        ["keys", _] | ["keys", _, _] => {
            let version = raw.get(2).map(String::as_str).unwrap_or("");
            match req.method {
                Method::Get => get(cx, vk, caller, &raw[1], version).map(|(b, _)| Response::ok(b)),
                Method::Patch => update(cx, req, vk, caller, &raw[1], version),
                Method::Delete if version.is_empty() => delete(cx, vk, caller, &raw[1]),
                _ => Err(method_not_allowed(req)),
            }
        }
        ["deletedkeys"] => match req.method {
            Method::Get => list_deleted(cx, vk, caller),
            _ => Err(method_not_allowed(req)),
        },
        ["deletedkeys", _] => match req.method {
            Method::Get => get_deleted(cx, vk, caller, &raw[1]),
            Method::Delete => purge(cx, vk, caller, &raw[1]),
            _ => Err(method_not_allowed(req)),
        },
        ["deletedkeys", _, "recover"] => match req.method {
            Method::Post => recover(cx, vk, caller, &raw[1]),
            _ => Err(method_not_allowed(req)),
        },
        _ => Err(not_found_path(req)),
    }
}

fn vault<'c>(cx: &'c Ctx, vk: &str) -> &'c Vault {
    &cx.w.vaults[vk]
}

fn key_not_found(name: &str, version: &str) -> ApiError {
    let id = if version.is_empty() {
        name.to_string()
    } else {
        format!("{name}/{version}")
    };
    ApiError::new(&errors::KEY_NOT_FOUND).arg("name", id)
}

/// Resolves a live key and one of its versions ("" = the current version).
fn resolve<'c>(
    cx: &'c Ctx,
    vk: &str,
    name: &str,
    version: &str,
) -> Result<(&'c Key, &'c KeyVersion), ApiError> {
    let key = vault(cx, vk)
        .keys
        .get(&name.to_ascii_lowercase())
        .ok_or_else(|| key_not_found(name, ""))?;
    let v = if version.is_empty() {
        Some(key.latest())
    } else {
        key.version(version)
    };
    v.map(|v| (key, v))
        .ok_or_else(|| key_not_found(name, version))
}

fn list_keys(cx: &mut Ctx, vk: &str, caller: &Principal) -> Result<Response, ApiError> {
    let vlt = vault(cx, vk);
    authorize(cx, vlt, caller, KeyPerm::List, None)?;
    let value: Vec<Value> = vlt
        .keys
        .values()
        .map(|k| {
            json!({
                "kid": format!("{}/keys/{}", vlt.base_url(), k.name),
                "attributes": vlt.key_attributes(k.latest()),
                "tags": k.latest().tags,
            })
        })
        .collect();
    Ok(Response::ok(json!({ "value": value, "nextLink": null })))
}

fn list_versions(
    cx: &mut Ctx,
    vk: &str,
    caller: &Principal,
    name: &str,
) -> Result<Response, ApiError> {
    let vlt = vault(cx, vk);
    authorize(cx, vlt, caller, KeyPerm::List, Some(name))?;
    let key = vlt
        .keys
        .get(&name.to_ascii_lowercase())
        .ok_or_else(|| key_not_found(name, ""))?;
    let value: Vec<Value> = key
        .versions
        .iter()
        .map(|v| json!({ "kid": vlt.kid(&key.name, &v.version), "attributes": vlt.key_attributes(v), "tags": v.tags }))
        .collect();
    Ok(Response::ok(json!({ "value": value, "nextLink": null })))
}

/// GET of a key version as `caller`; also used by clusters to validate their key.
/// Returns the public KeyBundle and the version it resolved to.
pub fn get(
    cx: &Ctx,
    vk: &str,
    caller: &Principal,
    name: &str,
    version: &str,
) -> Result<(Value, String), ApiError> {
    let vlt = vault(cx, vk);
    authorize(cx, vlt, caller, KeyPerm::Get, Some(name))?;
    let (key, v) = resolve(cx, vk, name, version)?;
    Ok((vlt.key_bundle(key, v), v.version.clone()))
}

fn str_list(v: &Value, known: &[&str], field: &str) -> Result<Vec<String>, ApiError> {
    let bad = || ApiError::new(&errors::KV_PROPERTY_INVALID).arg("property", field);
    let Value::Array(items) = v else {
        return Err(bad());
    };
    let mut out: Vec<String> = Vec::new();
    for i in items {
        let s = i
            .as_str()
            .and_then(|s| known.iter().find(|k| k.eq_ignore_ascii_case(s)))
            .ok_or_else(bad)?;
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// `attributes` of a create or update body: (enabled, nbf, exp), each optional.
type Attrs = (Option<bool>, Option<Option<u64>>, Option<Option<u64>>);

fn attributes(body: &Map<String, Value>) -> Result<Attrs, ApiError> {
    let Some(a) = body.get("attributes") else {
        return Ok((None, None, None));
    };
    let Value::Object(a) = a else {
        return Err(ApiError::new(&errors::KV_PROPERTY_INVALID).arg("property", "attributes"));
    };
    let enabled = match a.get("enabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            return Err(ApiError::new(&errors::KV_PROPERTY_INVALID).arg("property", "enabled"));
        }
    };
    let time = |f: &'static str| -> Result<Option<Option<u64>>, ApiError> {
        match a.get(f) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(v) => v
                .as_u64()
                .map(|t| Some(Some(t)))
                .ok_or_else(|| ApiError::new(&errors::KV_PROPERTY_INVALID).arg("property", f)),
        }
    };
    Ok((enabled, time("nbf")?, time("exp")?))
}

fn tags_of(body: &Map<String, Value>) -> Result<Option<Value>, ApiError> {
    match body.get("tags") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) if m.values().all(Value::is_string) => {
            use crate::engine::arm::{MAX_TAG_NAME, MAX_TAG_VALUE, MAX_TAGS};
            let too_long = |s: &str, max: usize| s.chars().count() > max;
            let detail = if m.len() > MAX_TAGS {
                Some(format!("{} tags; at most {MAX_TAGS}", m.len()))
            } else {
                m.iter().find_map(|(k, v)| {
                    let v = v.as_str().unwrap_or("");
                    (too_long(k, MAX_TAG_NAME) || too_long(v, MAX_TAG_VALUE)).then(|| {
                        format!("a tag name can have at most {MAX_TAG_NAME} characters and a value at most {MAX_TAG_VALUE}")
                    })
                })
            };
            match detail {
                Some(d) => Err(ApiError::new(&errors::KV_TAGS_LIMIT).arg("detail", d)),
                None => Ok(Some(Value::Object(m.clone()))),
            }
        }
        Some(_) => Err(ApiError::new(&errors::KV_PROPERTY_INVALID).arg("property", "tags")),
    }
}

fn body(req: &Request) -> Result<Map<String, Value>, ApiError> {
    match req.json() {
        Ok(Some(Value::Object(m))) => Ok(m),
        Ok(None) => Ok(Map::new()),
        Err(detail) => Err(ApiError::new(&errors::KV_BODY_NOT_JSON).arg("detail", detail)),
        _ => Err(ApiError::new(&errors::KV_PROPERTY_INVALID).arg("property", "")),
    }
}

fn create(
    cx: &mut Ctx,
    req: &Request,
    vk: &str,
    caller: &Principal,
    name: &str,
) -> Result<Response, ApiError> {
    authorize(cx, vault(cx, vk), caller, KeyPerm::Create, Some(name))?;
    let b = body(req)?;
    let kty = match b.get("kty").and_then(Value::as_str) {
        Some(k) => k.to_string(),
        None => return Err(ApiError::new(&errors::KV_PROPERTY_INVALID).arg("property", "kty")),
    };
    match kty.as_str() {
        "RSA" => {}
        "RSA-HSM" if vault(cx, vk).sku == "premium" => {}
        "RSA-HSM" => {
            return Err(ApiError::new(&errors::KEY_HSM_NEEDS_PREMIUM)
                .arg("kty", kty.as_str())
                .arg("vault", vault(cx, vk).name.clone()));
        }
        "EC" | "EC-HSM" | "oct" | "oct-HSM" => {
            return Err(ApiError::new(&errors::KEY_TYPE_UNSUPPORTED).arg("kty", kty.as_str()));
        }
        _ => return Err(ApiError::new(&errors::KV_PROPERTY_INVALID).arg("property", "kty")),
    }
    let size = match b.get("key_size") {
        None | Some(Value::Null) => 2048,
        Some(v) => match v.as_u64() {
            Some(s @ (2048 | 3072 | 4096)) => s as usize,
            Some(s) => {
                return Err(ApiError::new(&errors::KEY_SIZE_UNSUPPORTED).arg("size", s.to_string()));
            }
            None => {
                return Err(ApiError::new(&errors::KV_PROPERTY_INVALID).arg("property", "key_size"));
            }
        },
    };
    match b.get("public_exponent") {
        None | Some(Value::Null) => {}
        Some(v) if v.as_u64() == Some(65537) => {}
        Some(_) => {
            return Err(
                ApiError::new(&errors::KV_PROPERTY_INVALID).arg("property", "public_exponent")
            );
        }
    }
    let key_ops = match b.get("key_ops") {
        None | Some(Value::Null) => RSA_OPS.iter().map(|s| s.to_string()).collect(),
        Some(v) => str_list(v, &ALL_OPS, "key_ops")?,
    };
    let (enabled, nbf, exp) = attributes(&b)?;
    let tags = tags_of(&b)?.unwrap_or_else(|| json!({}));
    let lname = name.to_ascii_lowercase();
    if vault(cx, vk).deleted_keys.contains_key(&lname) {
        return Err(ApiError::new(&errors::KEY_DELETED_BUT_RECOVERABLE).arg("name", name));
    }
    if let Some(key) = vault(cx, vk).keys.get(&lname) {
        key.room_for_version()?;
    }
    let now = cx.w.now;
    let version = cx.w.rng.hex(16);
    let material = RsaKey::generate(&mut cx.w.rng, size);
    let kv = KeyVersion {
        version: version.clone(),
        kty,
        key_ops,
        enabled: enabled.unwrap_or(true),
        nbf: nbf.flatten(),
        exp: exp.flatten(),
        created: now,
        updated: now,
        tags,
        material,
    };
    let vlt = cx.w.vaults.get_mut(vk).expect("vault exists");
    let key = vlt.keys.entry(lname.clone()).or_insert_with(|| Key {
        name: name.to_string(),
        versions: Vec::new(),
        rotation_policy: None,
    });
    key.versions.push(kv);
    let first = key.versions.len() == 1;
    let vlt = &cx.w.vaults[vk];
    let key = &vlt.keys[&lname];
    let bundle = vlt.key_bundle(key, key.latest());
    let subject = vlt.kid(&key.name, &version);
    let text = if first {
        format!(
            "Key {name} created in {} (RSA {size}), version {version}",
            vlt.name
        )
    } else {
        format!("Key {name}: new version {version} created (RSA {size})")
    };
    cx.j.note(now, Category::Resource, &subject, text);
    super::rotation::reschedule(cx, vk, &lname);
    Ok(Response::ok(bundle))
}

fn update(
    cx: &mut Ctx,
    req: &Request,
    vk: &str,
    caller: &Principal,
    name: &str,
    version: &str,
) -> Result<Response, ApiError> {
    authorize(cx, vault(cx, vk), caller, KeyPerm::Update, Some(name))?;
    let b = body(req)?;
    let (key, v) = resolve(cx, vk, name, version)?;
    let (lname, ver) = (key.name.to_ascii_lowercase(), v.version.clone());
    let was_enabled = v.enabled;
    let key_ops = match b.get("key_ops") {
        None | Some(Value::Null) => None,
        Some(x) => Some(str_list(x, &ALL_OPS, "key_ops")?),
    };
    let (enabled, nbf, exp) = attributes(&b)?;
    let tags = tags_of(&b)?;
    let now = cx.w.now;
    let vlt = cx.w.vaults.get_mut(vk).expect("vault exists");
    let kv = vlt
        .keys
        .get_mut(&lname)
        .and_then(|k| k.versions.iter_mut().find(|x| x.version == ver))
        .expect("resolved above");
    if let Some(ops) = key_ops {
        kv.key_ops = ops;
    }
    if let Some(e) = enabled {
        kv.enabled = e;
    }
    if let Some(n) = nbf {
        kv.nbf = n;
    }
    if let Some(x) = exp {
        kv.exp = x;
    }
    if let Some(t) = tags {
        kv.tags = t;
    }
    kv.updated = now;
    let vlt = &cx.w.vaults[vk];
    let key = &vlt.keys[&lname];
    let bundle = vlt.key_bundle(key, key.version(&ver).expect("exists"));
    if let Some(e) = enabled.filter(|e| *e != was_enabled) {
        let subject = vlt.kid(&key.name, &ver);
        let text = format!(
            "Key {} version {ver} {}",
            key.name,
            if e { "enabled" } else { "disabled" }
        );
        if e {
            cx.j.note(now, Category::Resource, &subject, text);
        } else {
            cx.j.alert(now, Category::Resource, &subject, text);
        }
    }
    super::rotation::reschedule(cx, vk, &lname);
    Ok(Response::ok(bundle))
}

/// Creates a new version with the current version's type, size and operations.
pub fn rotate(
    cx: &mut Ctx,
    vk: &str,
    caller: &Principal,
    name: &str,
) -> Result<Response, ApiError> {
    authorize(cx, vault(cx, vk), caller, KeyPerm::Rotate, Some(name))?;
    let (key, _) = resolve(cx, vk, name, "")?;
    key.room_for_version()?;
    let lname = key.name.to_ascii_lowercase();
    let version = super::rotation::new_version(cx, vk, &lname).expect("resolved above");
    let vlt = &cx.w.vaults[vk];
    let key = &vlt.keys[&lname];
    let bundle = vlt.key_bundle(key, key.latest());
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &vlt.kid(&key.name, &version),
        format!("Key {} rotated: new version {version}", key.name),
    );
    super::rotation::note_clusters(cx, vk, &lname, &version);
    Ok(Response::ok(bundle))
}

fn delete(cx: &mut Ctx, vk: &str, caller: &Principal, name: &str) -> Result<Response, ApiError> {
    authorize(cx, vault(cx, vk), caller, KeyPerm::Delete, Some(name))?;
    resolve(cx, vk, name, "")?;
    let lname = name.to_ascii_lowercase();
    let now = cx.w.now;
    let vlt = cx.w.vaults.get_mut(vk).expect("vault exists");
    let key = vlt.keys.remove(&lname).expect("resolved above");
    let purge_at = now + vlt.retention_days as u64 * DAY;
    let d = DeletedKey {
        key,
        deleted: now,
        purge_at,
    };
    let body = vlt.deleted_bundle(&d);
    let subject = format!("{}/keys/{}", vlt.base_url(), d.key.name);
    if vlt.soft_delete {
        let text = format!(
            "Key {} deleted (soft delete: recoverable until purge in {} days)",
            d.key.name, vlt.retention_days
        );
        vlt.deleted_keys.insert(lname.clone(), d);
        cx.w.events.schedule(
            purge_at,
            Event::PurgeDeletedKey {
                vault: vk.to_string(),
                key: lname,
            },
        );
        cx.j.alert(now, Category::Resource, &subject, text);
    } else {
        cx.j.alert(
            now,
            Category::Resource,
            &subject,
            format!(
                "Key {} deleted permanently (vault has no soft delete)",
                d.key.name
            ),
        );
    }
    Ok(Response::ok(body))
}

fn deleted<'c>(cx: &'c Ctx, vk: &str, name: &str) -> Result<&'c DeletedKey, ApiError> {
    vault(cx, vk)
        .deleted_keys
        .get(&name.to_ascii_lowercase())
        .ok_or_else(|| ApiError::new(&errors::DELETED_KEY_NOT_FOUND).arg("name", name))
}

fn list_deleted(cx: &mut Ctx, vk: &str, caller: &Principal) -> Result<Response, ApiError> {
    let vlt = vault(cx, vk);
    authorize(cx, vlt, caller, KeyPerm::List, None)?;
    let value: Vec<Value> = vlt
        .deleted_keys
        .values()
        .map(|d| {
            let mut item = json!({
                "kid": format!("{}/keys/{}", vlt.base_url(), d.key.name),
                "attributes": vlt.key_attributes(d.key.latest()),
                "deletedDate": d.deleted,
                "scheduledPurgeDate": d.purge_at,
            });
            item["recoveryId"] = json!(format!("{}/deletedkeys/{}", vlt.base_url(), d.key.name));
            item
        })
        .collect();
    Ok(Response::ok(json!({ "value": value, "nextLink": null })))
}

fn get_deleted(
    cx: &mut Ctx,
    vk: &str,
    caller: &Principal,
    name: &str,
) -> Result<Response, ApiError> {
    let vlt = vault(cx, vk);
    authorize(cx, vlt, caller, KeyPerm::Get, Some(name))?;
    let d = deleted(cx, vk, name)?;
    Ok(Response::ok(vlt.deleted_bundle(d)))
}

fn recover(cx: &mut Ctx, vk: &str, caller: &Principal, name: &str) -> Result<Response, ApiError> {
    authorize(cx, vault(cx, vk), caller, KeyPerm::Recover, Some(name))?;
    deleted(cx, vk, name)?;
    let lname = name.to_ascii_lowercase();
    let vlt = cx.w.vaults.get_mut(vk).expect("vault exists");
    let d = vlt.deleted_keys.remove(&lname).expect("checked above");
    vlt.keys.insert(lname.clone(), d.key);
    let (v, l) = (vk.to_string(), lname.clone());
    cx.w.events.retain(|e| {
        *e != Event::PurgeDeletedKey {
            vault: v.clone(),
            key: l.clone(),
        }
    });
    let vlt = &cx.w.vaults[vk];
    let key = &vlt.keys[&lname];
    let body = vlt.key_bundle(key, key.latest());
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &format!("{}/keys/{}", vlt.base_url(), key.name),
        format!("Key {} recovered", key.name),
    );
    super::rotation::reschedule(cx, vk, &lname);
    Ok(Response::ok(body))
}

fn purge(cx: &mut Ctx, vk: &str, caller: &Principal, name: &str) -> Result<Response, ApiError> {
    let vlt = vault(cx, vk);
    authorize(cx, vlt, caller, KeyPerm::Purge, Some(name))?;
    deleted(cx, vk, name)?;
    if vlt.purge_protection {
        return Err(ApiError::new(&errors::KEY_PURGE_PROTECTED)
            .arg("vault", vlt.name.clone())
            .arg("location", vlt.location));
    }
    purge_key(cx, vk, &name.to_ascii_lowercase());
    Ok(Response::empty(204))
}

/// A soft-deleted key is purged (explicitly or at its scheduled date): its material is gone.
pub fn purge_key(cx: &mut Ctx, vk: &str, lname: &str) {
    let Some(vlt) = cx.w.vaults.get_mut(vk) else {
        return;
    };
    let Some(d) = vlt.deleted_keys.remove(lname) else {
        return;
    };
    let subject = format!("{}/keys/{}", vlt.base_url(), d.key.name);
    let (v, l) = (vk.to_string(), lname.to_string());
    cx.w.events.retain(|e| {
        *e != Event::PurgeDeletedKey {
            vault: v.clone(),
            key: l.clone(),
        }
    });
    cx.j.alert(
        cx.w.now,
        Category::Resource,
        &subject,
        format!(
            "Key {} purged: all its versions are gone for good",
            d.key.name
        ),
    );
    crate::engine::storage::access::key_purged(cx, vk, Some(&d.key.name));
}

fn crypto_op(
    cx: &mut Ctx,
    req: &Request,
    vk: &str,
    caller: &Principal,
    name: &str,
    version: &str,
    op: &str,
) -> Result<Response, ApiError> {
    if req.method != Method::Post {
        return Err(method_not_allowed(req));
    }
    let b = body(req)?;
    let alg_text = b.get("alg").and_then(Value::as_str).unwrap_or("");
    let value_text = b.get("value").and_then(Value::as_str);
    // encrypt/decrypt are the same RSA operations as wrapKey/unwrapKey, under their own
    // permission and key_ops entry.
    let (wrap, perm, key_op) = match op {
        "wrapkey" => (true, KeyPerm::WrapKey, "wrapKey"),
        "unwrapkey" => (false, KeyPerm::UnwrapKey, "unwrapKey"),
        "encrypt" => (true, KeyPerm::Encrypt, "encrypt"),
        _ => (false, KeyPerm::Decrypt, "decrypt"),
    };
    authorize(cx, vault(cx, vk), caller, perm, Some(name))?;
    let alg = WrapAlg::parse(alg_text)
        .ok_or_else(|| ApiError::new(&errors::KV_PROPERTY_INVALID).arg("property", "alg"))?;
    let value = value_text
        .and_then(crypto::from_b64url)
        .ok_or_else(|| ApiError::new(&errors::KV_PROPERTY_INVALID).arg("property", "value"))?;
    let (kid, out) = if wrap {
        wrap_checked(cx, vk, name, version, alg, &value, key_op)?
    } else {
        unwrap_checked(cx, vk, name, version, alg, &value, key_op)?
    };
    Ok(Response::ok(
        json!({ "kid": kid, "value": crypto::b64url(&out) }),
    ))
}

/// `sign` (`{alg, value}`: a digest → `{kid, value}`: the signature) and `verify`
/// (`{alg, digest, value}` → `{value}`: whether the signature holds), RS256/384/512 and
/// PS256/384/512 over a digest the caller computed, each under its own permission and key_ops
/// entry. A signature that does not verify is an answer (`false`), not an error.
fn sign_op(
    cx: &mut Ctx,
    req: &Request,
    vk: &str,
    caller: &Principal,
    name: &str,
    version: &str,
    op: &str,
) -> Result<Response, ApiError> {
    if req.method != Method::Post {
        return Err(method_not_allowed(req));
    }
    let b = body(req)?;
    let (perm, key_op) = if op == "sign" {
        (KeyPerm::Sign, "sign")
    } else {
        (KeyPerm::Verify, "verify")
    };
    authorize(cx, vault(cx, vk), caller, perm, Some(name))?;
    let invalid = |p: &str| ApiError::new(&errors::KV_PROPERTY_INVALID).arg("property", p);
    let alg = b
        .get("alg")
        .and_then(Value::as_str)
        .and_then(SignAlg::parse)
        .ok_or_else(|| invalid("alg"))?;
    let bytes = |field: &str| {
        b.get(field)
            .and_then(Value::as_str)
            .and_then(crypto::from_b64url)
            .ok_or_else(|| invalid(field))
    };
    if op == "sign" {
        let digest = bytes("value")?;
        let (kid, v) = usable(cx, vk, name, version, key_op)?;
        let material = v.material.clone();
        let signature = material
            .sign(&mut cx.w.rng, alg, &digest)
            .ok_or_else(|| invalid("value"))?;
        Ok(Response::ok(
            json!({ "kid": kid, "value": crypto::b64url(&signature) }),
        ))
    } else {
        let digest = bytes("digest")?;
        let signature = bytes("value")?;
        if digest.len() != alg.digest_len() {
            return Err(invalid("digest"));
        }
        let (_, v) = usable(cx, vk, name, version, key_op)?;
        Ok(Response::ok(
            json!({ "value": v.material.verify(alg, &digest, &signature) }),
        ))
    }
}

/// Key-state checks shared by wrap and unwrap: the version exists, is enabled, allows the op.
fn usable<'c>(
    cx: &'c Ctx,
    vk: &str,
    name: &str,
    version: &str,
    op: &str,
) -> Result<(String, &'c KeyVersion), ApiError> {
    let (key, v) = resolve(cx, vk, name, version)?;
    if !v.enabled {
        return Err(ApiError::new(&errors::KEY_DISABLED).arg("operation", op));
    }
    if !v.allows(op) {
        return Err(ApiError::new(&errors::KEY_OPERATION_FORBIDDEN).arg("operation", op));
    }
    Ok((vault(cx, vk).kid(&key.name, &v.version), v))
}

fn wrap_checked(
    cx: &mut Ctx,
    vk: &str,
    name: &str,
    version: &str,
    alg: WrapAlg,
    plain: &[u8],
    key_op: &str,
) -> Result<(String, Vec<u8>), ApiError> {
    let (kid, v) = usable(cx, vk, name, version, key_op)?;
    let material = v.material.clone();
    let out = material
        .wrap(&mut cx.w.rng, alg, plain)
        .map_err(|_| ApiError::new(&errors::KV_PROPERTY_INVALID).arg("property", "value"))?;
    Ok((kid, out))
}

fn unwrap_checked(
    cx: &mut Ctx,
    vk: &str,
    name: &str,
    version: &str,
    alg: WrapAlg,
    wrapped: &[u8],
    key_op: &str,
) -> Result<(String, Vec<u8>), ApiError> {
    let (kid, v) = usable(cx, vk, name, version, key_op)?;
    let out = v.material.unwrap(alg, wrapped).map_err(|e| match e {
        CryptoError::Decrypt | CryptoError::TooLong => ApiError::new(&errors::UNWRAP_FAILED)
            .arg("version", kid.rsplit('/').next().unwrap_or(""))
            .arg("alg", alg.as_str()),
    })?;
    Ok((kid, out))
}

/// Wrap as a service identity (a cluster's storage): authorized and audited like a REST call.
pub fn wrap_as(
    cx: &mut Ctx,
    vk: &str,
    caller: &Principal,
    name: &str,
    version: &str,
    plain: &[u8],
) -> Result<(String, Vec<u8>), ApiError> {
    let result = authorize(cx, vault(cx, vk), caller, KeyPerm::WrapKey, Some(name))
        .and_then(|_| wrap_checked(cx, vk, name, version, WrapAlg::RsaOaep256, plain, "wrapKey"));
    let resolved = result
        .as_ref()
        .ok()
        .and_then(|(kid, _)| kid.rsplit('/').next().map(str::to_string));
    Audit {
        vault: &vault(cx, vk).name.clone(),
        operation: "KeyWrap",
        caller,
        key: Some(name),
        version: resolved
            .as_deref()
            .or(Some(version).filter(|v| !v.is_empty())),
        detail: "RSA-OAEP-256".into(),
    }
    .record(cx, result.as_ref().map(|_| 200));
    result
}

/// Unwrap as a service identity: authorized and audited like a REST call.
pub fn unwrap_as(
    cx: &mut Ctx,
    vk: &str,
    caller: &Principal,
    name: &str,
    version: &str,
    wrapped: &[u8],
) -> Result<(String, Vec<u8>), ApiError> {
    let result =
        authorize(cx, vault(cx, vk), caller, KeyPerm::UnwrapKey, Some(name)).and_then(|_| {
            unwrap_checked(
                cx,
                vk,
                name,
                version,
                WrapAlg::RsaOaep256,
                wrapped,
                "unwrapKey",
            )
        });
    Audit {
        vault: &vault(cx, vk).name.clone(),
        operation: "KeyUnwrap",
        caller,
        key: Some(name),
        version: Some(version).filter(|v| !v.is_empty()),
        detail: "RSA-OAEP-256".into(),
    }
    .record(cx, result.as_ref().map(|_| 200));
    result
}

/// GET as a service identity, audited (used by clusters to validate their key).
pub fn get_as(
    cx: &mut Ctx,
    vk: &str,
    caller: &Principal,
    name: &str,
    version: &str,
) -> Result<(Value, String), ApiError> {
    let result = get(cx, vk, caller, name, version);
    Audit {
        vault: &vault(cx, vk).name.clone(),
        operation: "KeyGet",
        caller,
        key: Some(name),
        version: result
            .as_ref()
            .ok()
            .map(|(_, v)| v.as_str())
            .or(Some(version).filter(|v| !v.is_empty())),
        detail: "key validation".into(),
    }
    .record(cx, result.as_ref().map(|_| 200));
    result
}

/// A call storage repeats at every poll, audited folded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Periodic {
    /// The periodic `unwrapkey` check of the AEK.
    Unwrap,
    /// A retried `wrapkey` of the AEK with a newer key version that Key Vault refuses.
    Rewrap,
}

/// Whether storage's call as this identity would succeed now (permission, key present, version
/// enabled and allowing the operation), without doing the RSA work. Storage's periodic checks and
/// retried rewraps are decided this way; the real RSA runs when the outcome changes.
pub fn check(
    cx: &Ctx,
    call: Periodic,
    vk: &str,
    caller: &Principal,
    name: &str,
    version: &str,
) -> Result<(), ApiError> {
    let (perm, op) = match call {
        Periodic::Unwrap => (KeyPerm::UnwrapKey, "unwrapKey"),
        Periodic::Rewrap => (KeyPerm::WrapKey, "wrapKey"),
    };
    authorize(cx, vault(cx, vk), caller, perm, Some(name))?;
    usable(cx, vk, name, version, op).map(|_| ())
}

/// Audits storage's periodic calls: `span` is the first and last time and how many (folded per
/// hour; see [`Audit::record_periodic`]).
#[allow(clippy::too_many_arguments)]
pub fn audit_polls(
    cx: &mut Ctx,
    call: Periodic,
    vk: &str,
    caller: &Principal,
    name: &str,
    version: &str,
    outcome: Result<(), &ApiError>,
    span: (u64, u64, u64),
) {
    let Some(v) = cx.w.vaults.get(vk) else { return };
    let (operation, detail) = match call {
        Periodic::Unwrap => ("KeyUnwrap", "RSA-OAEP-256 (storage's periodic check)"),
        Periodic::Rewrap => (
            "KeyWrap",
            "RSA-OAEP-256 (storage's rewrap to a newer version)",
        ),
    };
    Audit {
        vault: &v.name.clone(),
        operation,
        caller,
        key: Some(name),
        version: Some(version).filter(|v| !v.is_empty()),
        detail: detail.into(),
    }
    .record_periodic(cx, outcome.map(|_| 200), span);
}
