//! What happened: Key Vault audit events, the timeline, and the request history.
//!
//! The journal is append-only and sits outside the per-request rollback: a refused request still
//! leaves its trace (a 403 on `unwrapKey` is exactly what a Key Vault audit log must show).

use serde::{Deserialize, Serialize};

/// One Key Vault audit event (the shape of Key Vault's `AuditEvent` diagnostic log, simplified).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub time: u64,
    pub vault: String,
    /// `KeyCreate`, `KeyGet`, `KeyWrap`, `KeyUnwrap`, `KeyUpdate`, `KeyRotate`, ...
    pub operation: String,
    pub caller_object_id: String,
    pub caller_name: String,
    pub key: Option<String>,
    pub version: Option<String>,
    pub status: u16,
    /// `Success`, or the error code (`Forbidden`, `KeyNotFound`, ...).
    pub result: String,
    /// Extra detail: the algorithm of a wrap, the reason of a refusal.
    pub detail: String,
    /// Identical periodic calls (storage polling Key Vault) folded into one entry: how many, and
    /// the time of the last one. A single call has `count` 1 and `last == time`.
    #[serde(default = "one")]
    pub count: u64,
    #[serde(default)]
    pub last: u64,
}

fn one() -> u64 {
    1
}

/// Categories of timeline events, for filtering in the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Category {
    /// Asynchronous ARM operations starting and finishing.
    Operation,
    /// Key Vault calls made by service identities (wrap, unwrap, validation reads).
    KeyVault,
    /// Resource lifecycle: created, deleted, linked, purged.
    Resource,
    /// Data placement and access: ingestion, drops, revocation, recovery.
    Data,
}

/// One line of the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub time: u64,
    pub category: Category,
    /// Resource id (or vault/key path) the event is about, for linking in the page.
    pub subject: String,
    pub text: String,
    /// True when something went wrong (failed operation, refused call, dropped data).
    pub alert: bool,
}

/// One request received through `Engine::handle`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub seq: u64,
    pub time: u64,
    pub method: String,
    pub url: String,
    pub status: u16,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Journal {
    pub audit: Vec<AuditEntry>,
    pub timeline: Vec<TimelineEntry>,
    pub requests: Vec<RequestRecord>,
    pub request_seq: u64,
}

impl Journal {
    pub fn note(&mut self, time: u64, category: Category, subject: &str, text: impl Into<String>) {
        self.timeline.push(TimelineEntry {
            time,
            category,
            subject: subject.to_string(),
            text: text.into(),
            alert: false,
        });
    }

    pub fn alert(&mut self, time: u64, category: Category, subject: &str, text: impl Into<String>) {
        self.timeline.push(TimelineEntry {
            time,
            category,
            subject: subject.to_string(),
            text: text.into(),
            alert: true,
        });
    }
}
