//! Key rotation: the rotation policy (`GET`/`PUT /keys/{name}/rotationpolicy`) and the new versions
//! it creates on the virtual clock, plus what a new version means for the clusters that use the key
//! (auto-rotation follows it; a pinned `keyVersion` does not).
//!
//! Rules (Key Vault's rotation docs): `lifetimeActions` holds at most one `Rotate` and one `Notify`
//! action, each triggered by `timeAfterCreate` or `timeBeforeExpiry` (ISO-8601 durations);
//! `timeAfterCreate` is for `Rotate` only; rotation is at least 7 days after creation and 7 days
//! before expiry; `expiryTime`, stamped on every new version, is at least 28 days.

use serde_json::{Map, Value, json};

use super::access::{Audit, KeyPerm, authorize};
use super::{Key, KeyVersion};
use crate::engine::Ctx;
use crate::engine::clock::{self, DAY, Event};
use crate::engine::crypto::RsaKey;
use crate::engine::errors::{self, ApiError};
use crate::engine::journal::Category;
use crate::engine::world::{Principal, PrincipalKind};

/// Key Vault's first-party application, the caller of policy-driven rotations in the audit log.
const KEY_VAULT_APP_ID: &str = "cfa8b339-82a2-471a-a3c9-0fc0be7a4093";
const MIN_ROTATE: u64 = 7 * DAY;
const MIN_BEFORE_EXPIRY: u64 = 7 * DAY;
const MIN_EXPIRY: u64 = 28 * DAY;
/// What Key Vault returns for a key that never had a policy set.
const DEFAULT_NOTIFY: &str = "P30D";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Rotate,
    Notify,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Seconds after the current version was created, and the duration as written.
    AfterCreate(u64, String),
    /// Seconds before the current version expires, and the duration as written.
    BeforeExpiry(u64, String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifetimeAction {
    pub trigger: Trigger,
    pub action: Action,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationPolicy {
    pub actions: Vec<LifetimeAction>,
    /// Lifetime of new versions (seconds, and as written).
    pub expiry: Option<(u64, String)>,
    pub created: u64,
    pub updated: u64,
}

impl RotationPolicy {
    fn rotate_trigger(&self) -> Option<&Trigger> {
        self.actions
            .iter()
            .find(|a| a.action == Action::Rotate)
            .map(|a| &a.trigger)
    }

    /// When the policy rotates a key whose current version is `v`, if it does.
    pub fn due(&self, v: &KeyVersion) -> Option<u64> {
        match self.rotate_trigger()? {
            Trigger::AfterCreate(s, _) => Some(v.created.saturating_add(*s)),
            Trigger::BeforeExpiry(s, _) => v.exp.map(|e| e.saturating_sub(*s)),
        }
    }

    /// A one-line summary for the page.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .actions
            .iter()
            .map(|a| {
                let (when, d) = match &a.trigger {
                    Trigger::AfterCreate(_, d) => ("after creation", d),
                    Trigger::BeforeExpiry(_, d) => ("before expiry", d),
                };
                format!("{:?} {d} {when}", a.action)
            })
            .collect();
        if let Some((_, d)) = &self.expiry {
            parts.push(format!("new versions expire after {d}"));
        }
        if parts.is_empty() {
            "no lifetime actions".into()
        } else {
            parts.join("; ")
        }
    }
}

fn to_json(id: &str, p: Option<&RotationPolicy>) -> Value {
    let Some(p) = p else {
        return json!({
            "id": id,
            "lifetimeActions": [{ "trigger": { "timeBeforeExpiry": DEFAULT_NOTIFY }, "action": { "type": "Notify" } }],
            "attributes": { "expiryTime": null, "created": null, "updated": null },
        });
    };
    let actions: Vec<Value> = p
        .actions
        .iter()
        .map(|a| {
            let trigger = match &a.trigger {
                Trigger::AfterCreate(_, d) => json!({ "timeAfterCreate": d }),
                Trigger::BeforeExpiry(_, d) => json!({ "timeBeforeExpiry": d }),
            };
            json!({ "trigger": trigger, "action": { "type": format!("{:?}", a.action) } })
        })
        .collect();
    json!({
        "id": id,
        "lifetimeActions": actions,
        "attributes": {
            "expiryTime": p.expiry.as_ref().map(|(_, d)| d.clone()),
            "created": p.created,
            "updated": p.updated,
        },
    })
}

fn invalid(reason: impl Into<String>) -> ApiError {
    ApiError::new(&errors::ROTATION_POLICY_INVALID).arg("reason", reason.into())
}

fn duration(v: &Value, field: &str) -> Result<(u64, String), ApiError> {
    let text = v.as_str().ok_or_else(|| {
        invalid(format!(
            "'{field}' must be an ISO-8601 duration such as P90D"
        ))
    })?;
    // Durations past the end of the calendar (year 9999) are refused like malformed ones: no
    // date could be computed from them.
    let secs = clock::parse_duration(text)
        .filter(|s| *s <= clock::LATEST)
        .ok_or_else(|| {
            invalid(format!(
                "'{field}' value '{text}' is not an ISO-8601 duration such as P90D"
            ))
        })?;
    Ok((secs, text.to_ascii_uppercase()))
}

/// Parses and checks a policy body. `now` stamps `created`/`updated`.
fn parse(
    body: &Map<String, Value>,
    previous: Option<&RotationPolicy>,
    now: u64,
) -> Result<RotationPolicy, ApiError> {
    let expiry = match body.get("attributes").and_then(|a| a.get("expiryTime")) {
        None | Some(Value::Null) => None,
        Some(v) => Some(duration(v, "expiryTime")?),
    };
    if let Some((s, d)) = &expiry {
        if *s < MIN_EXPIRY {
            return Err(invalid(format!(
                "expiryTime {d} is shorter than the minimum of 28 days (P28D)"
            )));
        }
    }
    let list = match body.get("lifetimeActions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(invalid("'lifetimeActions' must be an array")),
    };
    let mut actions = Vec::new();
    for item in &list {
        let kind = item
            .get("action")
            .and_then(|a| a.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let action = match kind.to_ascii_lowercase().as_str() {
            "rotate" => Action::Rotate,
            "notify" => Action::Notify,
            _ => {
                return Err(invalid(format!(
                    "action type '{kind}' is not one of Rotate, Notify"
                )));
            }
        };
        if actions.iter().any(|a: &LifetimeAction| a.action == action) {
            return Err(invalid(format!("only one {action:?} action is allowed")));
        }
        let t = item.get("trigger").cloned().unwrap_or(Value::Null);
        let trigger = match (t.get("timeAfterCreate"), t.get("timeBeforeExpiry")) {
            (Some(a), None) => {
                let (s, d) = duration(a, "timeAfterCreate")?;
                Trigger::AfterCreate(s, d)
            }
            (None, Some(b)) => {
                let (s, d) = duration(b, "timeBeforeExpiry")?;
                Trigger::BeforeExpiry(s, d)
            }
            _ => {
                return Err(invalid(
                    "each lifetime action needs exactly one trigger: timeAfterCreate or timeBeforeExpiry",
                ));
            }
        };
        match (&trigger, action) {
            (Trigger::AfterCreate(..), Action::Notify) => {
                return Err(invalid("timeAfterCreate can only trigger a Rotate action"));
            }
            (Trigger::AfterCreate(s, d), Action::Rotate) if *s < MIN_ROTATE => {
                return Err(invalid(format!(
                    "timeAfterCreate {d} is shorter than the minimum of 7 days (P7D)"
                )));
            }
            (Trigger::BeforeExpiry(s, d), _) if *s < MIN_BEFORE_EXPIRY => {
                return Err(invalid(format!(
                    "timeBeforeExpiry {d} is shorter than the minimum of 7 days (P7D)"
                )));
            }
            _ => {}
        }
        match (&trigger, &expiry) {
            (Trigger::AfterCreate(s, d), Some((e, ed)))
                if s.saturating_add(MIN_BEFORE_EXPIRY) > *e =>
            {
                return Err(invalid(format!(
                    "timeAfterCreate {d} must be at least 7 days before expiryTime {ed}"
                )));
            }
            (Trigger::BeforeExpiry(s, d), Some((e, ed))) if *s >= *e => {
                return Err(invalid(format!(
                    "timeBeforeExpiry {d} must be shorter than expiryTime {ed}"
                )));
            }
            (Trigger::BeforeExpiry(_, d), None) if action == Action::Rotate => {
                return Err(invalid(format!(
                    "timeBeforeExpiry {d} needs attributes.expiryTime, so that new versions expire"
                )));
            }
            _ => {}
        }
        actions.push(LifetimeAction { trigger, action });
    }
    Ok(RotationPolicy {
        actions,
        expiry,
        created: previous.map(|p| p.created).unwrap_or(now),
        updated: now,
    })
}

fn policy_id(cx: &Ctx, vk: &str, key: &Key) -> String {
    format!(
        "{}/keys/{}/rotationpolicy",
        cx.w.vaults[vk].base_url(),
        key.name
    )
}

fn live_key<'c>(cx: &'c Ctx, vk: &str, name: &str) -> Result<&'c Key, ApiError> {
    cx.w.vaults[vk]
        .keys
        .get(&name.to_ascii_lowercase())
        .ok_or_else(|| ApiError::new(&errors::KEY_NOT_FOUND).arg("name", name))
}

/// `GET /keys/{name}/rotationpolicy`.
pub fn get_policy(
    cx: &mut Ctx,
    vk: &str,
    caller: &Principal,
    name: &str,
) -> Result<Value, ApiError> {
    authorize(
        cx,
        &cx.w.vaults[vk],
        caller,
        KeyPerm::GetRotationPolicy,
        Some(name),
    )?;
    let key = live_key(cx, vk, name)?;
    Ok(to_json(
        &policy_id(cx, vk, key),
        key.rotation_policy.as_ref(),
    ))
}

/// `PUT /keys/{name}/rotationpolicy`.
pub fn set_policy(
    cx: &mut Ctx,
    vk: &str,
    caller: &Principal,
    name: &str,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    authorize(
        cx,
        &cx.w.vaults[vk],
        caller,
        KeyPerm::SetRotationPolicy,
        Some(name),
    )?;
    let key = live_key(cx, vk, name)?;
    let policy = parse(body, key.rotation_policy.as_ref(), cx.w.now)?;
    let lname = key.name.to_ascii_lowercase();
    let id = policy_id(cx, vk, key);
    let text = format!(
        "Rotation policy of key {} set: {}",
        key.name,
        policy.describe()
    );
    let subject = format!("{}/keys/{}", cx.w.vaults[vk].base_url(), key.name);
    let vlt = cx.w.vaults.get_mut(vk).expect("vault exists");
    let key = vlt.keys.get_mut(&lname).expect("checked above");
    key.rotation_policy = Some(policy);
    let out = to_json(&id, key.rotation_policy.as_ref());
    cx.j.note(cx.w.now, Category::Resource, &subject, text);
    reschedule(cx, vk, &lname);
    Ok(out)
}

/// Adds a new version like the current one (type, size, operations, tags); with a policy that has
/// `expiryTime`, the new version expires that long after now. Returns the new version.
pub fn new_version(cx: &mut Ctx, vk: &str, lname: &str) -> Option<String> {
    let now = cx.w.now;
    let key = cx.w.vaults.get(vk)?.keys.get(lname)?;
    let latest = key.latest();
    let (kty, ops, size, tags) = (
        latest.kty.clone(),
        latest.key_ops.clone(),
        latest.material.bits(),
        latest.tags.clone(),
    );
    let exp = key
        .rotation_policy
        .as_ref()
        .and_then(|p| p.expiry.as_ref())
        .map(|(s, _)| now.saturating_add(*s));
    let version = cx.w.rng.hex(16);
    let material = RsaKey::generate(&mut cx.w.rng, size);
    let key = cx.w.vaults.get_mut(vk)?.keys.get_mut(lname)?;
    key.versions.push(KeyVersion {
        version: version.clone(),
        kty,
        key_ops: ops,
        enabled: true,
        nbf: None,
        exp,
        created: now,
        updated: now,
        tags,
        material,
    });
    reschedule(cx, vk, lname);
    Some(version)
}

/// Replaces any scheduled rotation of this key with the one its policy calls for now.
pub fn reschedule(cx: &mut Ctx, vk: &str, lname: &str) {
    let (v, l) = (vk.to_string(), lname.to_string());
    cx.w.events
        .retain(|e| !matches!(e, Event::KeyRotationDue { vault, key } if *vault == v && *key == l));
    let due =
        cx.w.vaults
            .get(vk)
            .and_then(|vlt| vlt.keys.get(lname))
            .and_then(|k| k.rotation_policy.as_ref()?.due(k.latest()));
    if let Some(at) = due {
        cx.w.events.schedule(
            at.max(cx.w.now),
            Event::KeyRotationDue {
                vault: vk.to_string(),
                key: lname.to_string(),
            },
        );
    }
}

/// The clock reached a policy rotation: Key Vault creates the new version itself.
pub fn rotation_due(cx: &mut Ctx, vk: &str, lname: &str) {
    let due =
        cx.w.vaults
            .get(vk)
            .and_then(|vlt| vlt.keys.get(lname))
            .and_then(|k| k.rotation_policy.as_ref()?.due(k.latest()));
    match due {
        None => return,
        // Rotated by hand since this was scheduled: wait for the new due date.
        Some(at) if at > cx.w.now => return reschedule(cx, vk, lname),
        Some(_) => {}
    }
    let key = &cx.w.vaults[vk].keys[lname];
    if let Err(e) = key.room_for_version() {
        // Not rescheduled: the policy stays, but rotates no further until the key has room.
        let subject = format!("{}/keys/{}", cx.w.vaults[vk].base_url(), key.name);
        let text = format!(
            "Rotation policy did not rotate key {}: {}",
            key.name,
            e.message()
        );
        cx.j.alert(cx.w.now, Category::Resource, &subject, text);
        return;
    }
    let caller = Principal {
        object_id: KEY_VAULT_APP_ID.into(),
        app_id: KEY_VAULT_APP_ID.into(),
        display_name: "Azure Key Vault (rotation policy)".into(),
        kind: PrincipalKind::Application,
    };
    let Some(version) = new_version(cx, vk, lname) else {
        return;
    };
    let vlt = &cx.w.vaults[vk];
    let (vault_name, key_name) = (vlt.name.clone(), vlt.keys[lname].name.clone());
    let kid = vlt.kid(&key_name, &version);
    Audit {
        vault: &vault_name,
        operation: "KeyRotate",
        caller: &caller,
        key: Some(&key_name),
        version: Some(&version),
        detail: "rotation policy".into(),
    }
    .record(cx, Ok(200));
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &kid,
        format!("Key {key_name} rotated by its rotation policy: new version {version}"),
    );
    note_clusters(cx, vk, lname, &version);
}

/// Says what a new version means for each cluster using the key (the seed's two rotation modes).
pub fn note_clusters(cx: &mut Ctx, vk: &str, lname: &str, version: &str) {
    let now = cx.w.now;
    let mut notes = Vec::new();
    for c in cx.w.clusters.values() {
        let Some(kvp) = &c.storage_key else { continue };
        if kvp.vault() != vk || kvp.key_name.to_ascii_lowercase() != lname {
            continue;
        }
        let text = if kvp.auto_rotation() {
            format!(
                "Cluster {} uses the latest key version (keyVersion empty): its storage rewraps the AEK with {version} at its next Key Vault check; data stays readable, blocks are not re-encrypted",
                c.name
            )
        } else {
            format!(
                "Cluster {} pins key version {}: its storage keeps using it until you update the cluster's keyVersion to {version}. Disabling or deleting {} first puts the cluster in the key revocation state",
                c.name, kvp.key_version, kvp.key_version
            )
        };
        notes.push((c.id.clone(), text));
    }
    for (id, text) in notes {
        cx.j.note(now, Category::KeyVault, &id, text);
    }
}
