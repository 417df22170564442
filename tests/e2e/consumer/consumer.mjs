// A consumer's own module: it imports the engine package as served next to it (the test server
// puts dist/ at /docs/playground/), runs a small runbook through real REST requests, and writes
// each result into the page for its headless test to read.
import init, { WasmEngine } from "../docs/playground/pkg/cmk_playground.js";

const results = document.getElementById("results");
const show = (name, value) => {
  const li = document.createElement("li");
  li.dataset.result = name;
  li.textContent = typeof value === "string" ? value : JSON.stringify(value);
  results.append(li);
};

try {
  await init();
  const e = new WasmEngine(new Uint8Array(32).fill(7)); // a fixed seed: the same run every time
  const json = [["Content-Type", "application/json"]];
  const send = (method, url, body) =>
    e.handle(method, url, json, body === undefined ? undefined : JSON.stringify(body));

  const arm = "https://management.azure.com";
  const subs = send("GET", `${arm}/subscriptions?api-version=2022-12-01`);
  const sub = subs.body.value[0].subscriptionId;
  const me = send("GET", "https://graph.microsoft.com/v1.0/me");
  const rg = `${arm}/subscriptions/${sub}/resourceGroups/runbook`;
  show("group", send("PUT", `${rg}?api-version=2021-04-01`, { location: "eastus" }).status);

  const tenantId = e.snapshot().tenant_id;
  const vault = send("PUT", `${rg}/providers/Microsoft.KeyVault/vaults/runbook-kv?api-version=2023-07-01`, {
    location: "eastus",
    properties: {
      tenantId,
      sku: { family: "A", name: "standard" },
      enableSoftDelete: true,
      enablePurgeProtection: true,
      accessPolicies: [{ tenantId, objectId: me.body.id, permissions: { keys: ["get", "create", "wrapKey", "unwrapKey"] } }],
    },
  });
  show("vault", vault.status);
  const kv = vault.body.properties.vaultUri.replace(/\/$/, "");

  const key = send("POST", `${kv}/keys/runbook-key/create?api-version=7.4`, { kty: "RSA", key_size: 2048, key_ops: ["wrapKey", "unwrapKey"] });
  show("key", `${key.status} ${key.body.key.kty}`);

  // Wrap a 32-byte value with the key through the data plane, and unwrap it again.
  const plain = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
  const wrapped = send("POST", `${key.body.key.kid}/wrapkey?api-version=7.4`, { alg: "RSA-OAEP-256", value: plain });
  show("wrap", `${wrapped.status} ${wrapped.body.value.length}`);
  const unwrapped = send("POST", `${key.body.key.kid}/unwrapkey?api-version=7.4`, { alg: "RSA-OAEP-256", value: wrapped.body.value });
  show("unwrap", unwrapped.body.value === plain ? "round trip" : `different: ${unwrapped.body.value}`);

  // A refusal, in Key Vault's words.
  const missing = send("POST", `${kv}/keys/nokey/wrapkey?api-version=7.4`, { alg: "RSA-OAEP-256", value: plain });
  show("missing", `${missing.status} ${missing.body.error.code}: ${missing.body.error.message}`);

  // An asynchronous ARM operation on the virtual clock, through the protocol's Command/Reply.
  const cluster = e.exec({ Request: {
    method: "PUT",
    url: `${rg}/providers/Microsoft.OperationalInsights/clusters/runbookcluster?api-version=2021-06-01`,
    headers: json,
    body: JSON.stringify({ location: "eastus", identity: { type: "SystemAssigned" }, sku: { name: "CapacityReservation", capacity: 1000 } }),
  } });
  show("cluster", `${cluster.response.status} ${cluster.snapshot.clusters[0].provisioning_state}`);
  const before = e.now();
  e.advance(3 * 3600);
  show("clock", e.now() - before);
  const snap = e.snapshot();
  show("snapshot", {
    cluster: snap.clusters[0].provisioning_state,
    keys: snap.vaults[0].keys.map((k) => k.name),
    audit: snap.audit.filter((a) => a.operation === "KeyWrap").map((a) => a.result),
  });
  document.getElementById("status").textContent = "done";
} catch (err) {
  document.getElementById("status").textContent = `failed: ${err}`;
  throw err;
}
