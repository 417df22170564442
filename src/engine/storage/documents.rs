//! Documents sealed under a storage holder's account key: Microsoft Sentinel's own store (Azure
//! Cosmos DB in the service: watchlists, analytics rules, incidents) and a customer's storage
//! account (the saved searches a `Query` link moves into its table, the alert queries an
//! `Alerts` link keeps as blobs). Every document is sealed with AES-256-GCM under a data key
//! derived from the holder's AEK (HKDF-SHA256, bound to the holder and the document id).
//!
//! The AEK comes through [`storage::account_key`], so reaching a document is exactly as possible
//! as the holder's Key Vault access allows: cached while Key Vault answers, gone within the hour
//! after it refuses, back after it answers again (the seed's revocation, for every holder).

use serde_json::Value;

use crate::engine::Ctx;
use crate::engine::crypto::{self, GCM_NONCE};
use crate::engine::storage;

const DOC_SALT: &[u8] = b"cmk-playground/document/v1";

/// One sealed document: nonce and AES-256-GCM ciphertext with its tag.
#[derive(Clone, Debug, PartialEq)]
pub struct Sealed {
    nonce: [u8; GCM_NONCE],
    bytes: Vec<u8>,
}

fn data_key(aek: &crypto::SymKey, account: &str, doc: &str) -> crypto::SymKey {
    crypto::derive_key(aek, DOC_SALT, format!("{account}|{doc}").as_bytes())
}

/// Seals `value` as document `doc` of the holder `account`; `Err` says why the holder's key is out
/// of reach.
pub fn seal(cx: &mut Ctx, account: &str, doc: &str, value: &Value) -> Result<Sealed, String> {
    let aek = storage::account_key(cx, account)?;
    let key = data_key(&aek, account, doc);
    let nonce: [u8; GCM_NONCE] = cx.w.rng.bytes();
    let plain = zeroize::Zeroizing::new(value.to_string().into_bytes());
    Ok(Sealed {
        nonce,
        bytes: crypto::gcm_seal(&key, &nonce, doc.as_bytes(), &plain),
    })
}

/// Opens document `doc` of the holder `account`.
pub fn open(cx: &mut Ctx, account: &str, doc: &str, sealed: &Sealed) -> Result<Value, String> {
    let aek = storage::account_key(cx, account)?;
    let key = data_key(&aek, account, doc);
    let plain = crypto::gcm_open(&key, &sealed.nonce, doc.as_bytes(), &sealed.bytes)
        .map(zeroize::Zeroizing::new)
        .map_err(|_| format!("document {doc} failed authentication"))?;
    serde_json::from_slice(&plain).map_err(|_| format!("document {doc} is not JSON"))
}

/// Whether the holder's key is within reach now (without unwrapping it).
pub fn reachable(cx: &Ctx, account: &str) -> Result<(), String> {
    match cx.w.storage.accounts.get(account) {
        None => Err(format!("no storage account {account}")),
        Some(a) => a.access.unavailable().map_or(Ok(()), Err),
    }
}
