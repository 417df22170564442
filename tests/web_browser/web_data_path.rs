//! The data path in WebAssembly, in headless Chromium: the key chain with WebCrypto-seeded
//! randomness, WebCrypto sealing identical to the engine's, and the page reflecting an ingest.
#![cfg(target_arch = "wasm32")]

use crate::web_common;
use cmk_playground::engine::crypto::{self, SymKey};
use cmk_playground::engine::{Engine, Response};
use cmk_playground::ui::{host::Host, mount_with};
use js_sys::{Object, Reflect, Uint8Array};
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_common::*;

const SUB: &str = "9f3b6c2e-1a4d-4e8b-b5c7-2d8f0a6e4c31";
const TENANT: &str = "3c1d5e2a-8f47-4b6e-9a21-6d0f5c7b8e93";
const USER: &str = "b7e4c1a9-3d6f-4a2b-9e8c-5f1d7a3b6c20";

fn call(e: &mut Engine, method: &str, url: &str, body: Option<Value>) -> Response {
    let text = body.map(|b| b.to_string());
    let r = e.handle(
        method,
        url,
        &[("Content-Type", "application/json")],
        text.as_deref(),
    );
    assert!(r.status < 400, "{method} {url}: {} {}", r.status, r.body);
    r
}

/// A CMK cluster with a linked workspace; returns the workspace's customer id.
fn provision_engine(e: &mut Engine) -> String {
    let arm = format!("https://management.azure.com/subscriptions/{SUB}/resourceGroups/web");
    call(
        e,
        "PUT",
        &format!("{arm}?api-version=2021-04-01"),
        Some(json!({ "location": "eastus" })),
    );
    call(
        e,
        "PUT",
        &format!("{arm}/providers/Microsoft.KeyVault/vaults/webdatakv?api-version=2023-07-01"),
        Some(json!({
            "location": "eastus",
            "properties": { "tenantId": TENANT, "sku": { "family": "A", "name": "standard" }, "enableSoftDelete": true, "enablePurgeProtection": true,
                "accessPolicies": [{ "tenantId": TENANT, "objectId": USER, "permissions": { "keys": ["create", "get"] } }] }
        })),
    );
    call(
        e,
        "POST",
        "https://webdatakv.vault.azure.net/keys/kek/create?api-version=7.4",
        Some(json!({ "kty": "RSA", "key_size": 2048 })),
    );
    let cluster = format!("{arm}/providers/Microsoft.OperationalInsights/clusters/webcluster");
    call(
        e,
        "PUT",
        &format!("{cluster}?api-version=2021-06-01"),
        Some(
            json!({ "location": "eastus", "identity": { "type": "SystemAssigned" }, "sku": { "name": "CapacityReservation", "capacity": 1000 } }),
        ),
    );
    e.advance(3 * 3600);
    let principal = call(e, "GET", &format!("{cluster}?api-version=2021-06-01"), None).body["identity"]["principalId"].as_str().unwrap().to_string();
    call(
        e,
        "PUT",
        &format!(
            "{arm}/providers/Microsoft.KeyVault/vaults/webdatakv/accessPolicies/add?api-version=2023-07-01"
        ),
        Some(json!({
            "properties": { "accessPolicies": [{ "tenantId": TENANT, "objectId": principal, "permissions": { "keys": ["get", "wrapKey", "unwrapKey"] } }] }
        })),
    );
    call(
        e,
        "PATCH",
        &format!("{cluster}?api-version=2021-06-01"),
        Some(
            json!({ "properties": { "keyVaultProperties": { "keyVaultUri": "https://webdatakv.vault.azure.net", "keyName": "kek", "keyVersion": "" } } }),
        ),
    );
    e.advance(3600);
    let ws = format!("{arm}/providers/Microsoft.OperationalInsights/workspaces/web-ws");
    let id = call(
        e,
        "PUT",
        &format!("{ws}?api-version=2021-06-01"),
        Some(json!({ "location": "eastus" })),
    )
    .body["properties"]["customerId"]
        .as_str()
        .unwrap()
        .to_string();
    let cluster_id = cluster
        .trim_start_matches("https://management.azure.com")
        .to_string();
    call(
        e,
        "PUT",
        &format!("{ws}/linkedServices/cluster?api-version=2021-06-01"),
        Some(json!({ "properties": { "writeAccessResourceId": cluster_id } })),
    );
    e.advance(2 * 3600);
    id
}

fn post(e: &mut Engine, customer_id: &str, n: usize) {
    let records: Vec<Value> = (0..n)
        .map(|i| json!({ "Seq": i, "Message": format!("event {i} {}", "x".repeat(80)) }))
        .collect();
    let r = e.handle(
        "POST",
        &format!("https://{customer_id}.ods.opinsights.azure.com/api/logs?api-version=2016-04-01"),
        &[("Content-Type", "application/json"), ("Log-Type", "Web")],
        Some(&Value::Array(records).to_string()),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

fn count(e: &mut Engine, customer_id: &str) -> Value {
    let r = call(
        e,
        "POST",
        &format!("https://api.loganalytics.io/v1/workspaces/{customer_id}/query"),
        Some(json!({ "query": "Web_CL | count" })),
    );
    r.body["tables"][0]["rows"][0][0].clone()
}

fn set(o: &Object, k: &str, v: &wasm_bindgen::JsValue) {
    Reflect::set(o, &k.into(), v).unwrap();
}

/// AES-256-GCM in the browser's SubtleCrypto.
async fn subtle_gcm(key: &[u8], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let subtle = web_sys::window().unwrap().crypto().unwrap().subtle();
    let usages = js_sys::Array::of1(&"encrypt".into());
    let k = JsFuture::from(
        subtle
            .import_key_with_str("raw", &Uint8Array::from(key), "AES-GCM", false, &usages)
            .unwrap(),
    )
    .await
    .unwrap();
    let params = Object::new();
    set(&params, "name", &"AES-GCM".into());
    set(&params, "iv", &Uint8Array::from(nonce));
    set(&params, "additionalData", &Uint8Array::from(aad));
    let ct = JsFuture::from(
        subtle
            .encrypt_with_object_and_u8_array(&params, k.unchecked_ref(), plaintext)
            .unwrap(),
    )
    .await
    .unwrap();
    Uint8Array::new(&ct).to_vec()
}

/// The page's bulk path (SubtleCrypto) and the engine's own `aes-gcm` seal identical bytes for the
/// same key, nonce and header; blocks sealed by WebCrypto then read back through the chain.
#[wasm_bindgen_test]
async fn webcrypto_sealing_gives_the_same_bytes_as_the_engine() {
    let mut e = Engine::new();
    let id = provision_engine(&mut e);
    e.set_external_sealing(true);
    post(&mut e, &id, 3000);
    let jobs = e.take_seal_jobs(usize::MAX);
    assert!(jobs.len() >= 2, "large blocks are handed to the host");
    for j in jobs {
        let by_webcrypto = subtle_gcm(&j.key, &j.nonce, &j.aad, &j.plaintext).await;
        let key = SymKey::from_bytes(&j.key).unwrap();
        let by_engine = crypto::gcm_seal(
            &key,
            &j.nonce.clone().try_into().unwrap(),
            &j.aad,
            &j.plaintext,
        );
        assert_eq!(by_webcrypto, by_engine, "job {}", j.id);
        e.complete_seal(j.id, &by_webcrypto).unwrap();
    }
    assert_eq!(count(&mut e, &id), json!(3000));
}

/// The whole chain in wasm with WebCrypto-seeded randomness: RSA-OAEP-256 wrapped AEK, HKDF DEKs,
/// AES-256-GCM and XChaCha20-Poly1305, read back, and tampering detected.
#[wasm_bindgen_test]
fn the_key_chain_runs_in_wasm_with_webcrypto_randomness() {
    let mut e = Engine::new();
    let id = provision_engine(&mut e);
    post(&mut e, &id, 50);
    assert_eq!(count(&mut e, &id), json!(50));
    let snap = e.snapshot();
    let block = &snap.storage.blocks[0];
    assert!(block.cmk && block.double && block.hot);
    let inspection = e.inspect_block(block.id).unwrap();
    assert!(inspection.check.is_ok(), "{:?}", inspection.check);
    assert!(inspection.key_path[0].starts_with("KEK: https://webdatakv.vault.azure.net/keys/kek/"));
    e.tamper(
        block.id,
        cmk_playground::engine::storage::TamperTarget::Sealed,
        10,
    )
    .unwrap();
    assert!(e.inspect_block(block.id).unwrap().check.is_err());
    assert!(
        e.audit_log()
            .iter()
            .any(|a| a.operation == "KeyWrap" && a.status == 200)
    );
}

/// The page: records sent from the logs view land in a block the key hierarchy shows, under the
/// customer's key; the inspector decrypts it.
#[wasm_bindgen_test]
async fn the_hierarchy_view_reflects_an_ingest() {
    let root = root();
    let _app = mount_with(root.clone(), Host::local(Some([44; 32])));
    settle(&root).await;
    provision(&root).await;
    assert!(
        find(&root, "[data-testid=blocks]").is_none(),
        "no blocks before any data"
    );
    click(&root, "#tab-logs").await;
    assert!(text(&root, "[data-testid=placement]").contains("(CMK)"));
    click(&root, "[data-testid=send-records]").await;
    let blocks = text(&root, "[data-testid=blocks]");
    assert!(
        blocks.contains("AppEvents_CL") && blocks.contains("CMK"),
        "{blocks}"
    );
    let svg = text(&root, "[data-testid=hierarchy]");
    assert!(svg.contains("1 DEKs → 1 blocks"), "{svg}");
    click(&root, "[data-block]").await;
    assert!(
        text(&root, "[data-testid=inspector-check]")
            .contains("decrypted and authenticated: 2 rows")
    );
    click(&root, "[data-testid=tamper-sealed]").await;
    assert!(text(&root, "[data-testid=inspector-check]").contains("failed authentication"));
    click(&root, "[data-testid=run-query]").await;
    root.remove();
}
