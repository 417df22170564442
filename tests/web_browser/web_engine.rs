//! The engine in WebAssembly, in headless Chromium: seeded from WebCrypto, with real RSA.
#![cfg(target_arch = "wasm32")]

use cmk_playground::engine::{Engine, Response};
use js_sys::{Array, Object, Reflect, Uint8Array};
use serde_json::{Value, json};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

const SUB: &str = "9f3b6c2e-1a4d-4e8b-b5c7-2d8f0a6e4c31";
const TENANT: &str = "3c1d5e2a-8f47-4b6e-9a21-6d0f5c7b8e93";
const USER: &str = "b7e4c1a9-3d6f-4a2b-9e8c-5f1d7a3b6c20";

fn call(e: &mut Engine, method: &str, url: &str, body: Option<Value>) -> Response {
    let text = body.map(|b| b.to_string());
    e.handle(
        method,
        url,
        &[("Content-Type", "application/json")],
        text.as_deref(),
    )
}

/// A vault with an RSA-2048 key; returns the key's public JWK (n, e) and its kid.
fn vault_with_key(e: &mut Engine) -> (String, String, String) {
    let rg = format!("https://management.azure.com/subscriptions/{SUB}/resourceGroups/web");
    assert_eq!(
        call(
            e,
            "PUT",
            &format!("{rg}?api-version=2021-04-01"),
            Some(json!({"location": "eastus"}))
        )
        .status,
        201
    );
    let vault = json!({ "location": "eastus", "properties": {
        "tenantId": TENANT, "sku": { "family": "A", "name": "standard" },
        "enableSoftDelete": true, "enablePurgeProtection": true,
        "accessPolicies": [{ "tenantId": TENANT, "objectId": USER, "permissions": { "keys": ["create", "get", "wrapKey", "unwrapKey"] } }]
    }});
    let r = call(
        e,
        "PUT",
        &format!("{rg}/providers/Microsoft.KeyVault/vaults/webkv?api-version=2023-07-01"),
        Some(vault),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(
        e,
        "POST",
        "https://webkv.vault.azure.net/keys/kek/create?api-version=7.4",
        Some(json!({"kty": "RSA", "key_size": 2048})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let k = &r.body["key"];
    (
        k["n"].as_str().unwrap().into(),
        k["e"].as_str().unwrap().into(),
        k["kid"].as_str().unwrap().into(),
    )
}

#[wasm_bindgen_test]
fn webcrypto_seeds_each_engine_differently() {
    let ids: Vec<String> = (0..2)
        .map(|_| {
            let mut e = Engine::new();
            let (_, _, kid) = vault_with_key(&mut e);
            kid
        })
        .collect();
    assert_ne!(
        ids[0], ids[1],
        "two WebCrypto-seeded engines made the same key version"
    );
}

#[wasm_bindgen_test]
fn rsa_oaep_256_wrap_unwrap_round_trip_in_wasm() {
    let mut e = Engine::new();
    let (_, _, kid) = vault_with_key(&mut e);
    let aek = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    let wrapped = call(
        &mut e,
        "POST",
        &format!("{kid}/wrapkey?api-version=7.4"),
        Some(json!({"alg": "RSA-OAEP-256", "value": aek})),
    );
    assert_eq!(wrapped.status, 200, "{}", wrapped.body);
    let value = wrapped.body["value"].as_str().unwrap().to_string();
    assert_ne!(value, aek);
    let unwrapped = call(
        &mut e,
        "POST",
        &format!("{kid}/unwrapkey?api-version=7.4"),
        Some(json!({"alg": "RSA-OAEP-256", "value": value})),
    );
    assert_eq!(unwrapped.status, 200, "{}", unwrapped.body);
    assert_eq!(unwrapped.body["value"], aek);
}

fn set(o: &Object, k: &str, v: impl Into<JsValue>) {
    Reflect::set(o, &k.into(), &v.into()).unwrap();
}

/// Independent check of the engine's RSA-OAEP-256: WebCrypto (BoringSSL) encrypts with the
/// key's public JWK, and the engine's Key Vault unwraps it.
#[wasm_bindgen_test]
async fn webcrypto_wrapped_value_unwraps_in_the_engine() {
    let mut e = Engine::new();
    let (n, exp, kid) = vault_with_key(&mut e);
    let subtle = web_sys::window().unwrap().crypto().unwrap().subtle();
    let jwk = Object::new();
    set(&jwk, "kty", "RSA");
    set(&jwk, "n", n.as_str());
    set(&jwk, "e", exp.as_str());
    set(&jwk, "alg", "RSA-OAEP-256");
    set(&jwk, "ext", true);
    let algo = Object::new();
    set(&algo, "name", "RSA-OAEP");
    set(&algo, "hash", "SHA-256");
    let usages = Array::of1(&"encrypt".into());
    let key = JsFuture::from(
        subtle
            .import_key_with_object("jwk", &jwk, &algo, true, &usages)
            .unwrap(),
    )
    .await
    .unwrap();
    let secret: Vec<u8> = (0u8..32).map(|i| i.wrapping_mul(7)).collect();
    let params = Object::new();
    set(&params, "name", "RSA-OAEP");
    let ct = JsFuture::from(
        subtle
            .encrypt_with_object_and_u8_array(&params, key.unchecked_ref(), &secret)
            .unwrap(),
    )
    .await
    .unwrap();
    let ct = Uint8Array::new(&ct).to_vec();
    assert_eq!(ct.len(), 256);
    let b64 = |b: &[u8]| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    };
    let r = call(
        &mut e,
        "POST",
        &format!("{kid}/unwrapkey?api-version=7.4"),
        Some(json!({"alg": "RSA-OAEP-256", "value": b64(&ct)})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["value"], b64(&secret));
}

/// Ids shown in tight spaces are cut on characters: a URL segment typed in the console can hold
/// any text, and cutting it mid-character would take the page down.
#[wasm_bindgen_test]
fn short_ids_cut_on_characters_not_bytes() {
    use cmk_playground::ui::util::short;
    assert_eq!(short("€€€€€€€€€€€€€"), "€€€€€€€€…");
    assert_eq!(short("0123456789abcdef"), "01234567…");
    assert_eq!(short("la-cmk"), "la-cmk");
}
