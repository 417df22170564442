// The in-page data-path benchmark: everything measured side by side in one run, on the same data.
//
//   pipeline (WebCrypto)  Data Collector ingest → rows → DEK per block → AES-256-GCM in WebCrypto
//                         + XChaCha20-Poly1305 in wasm (+ the hot-cache copy), as the Worker does it
//   pipeline (wasm only)  the same with every layer in wasm (aes-gcm + chacha20poly1305 crates)
//   WebCrypto AES-GCM     one layer, WebCrypto only, on exactly the plaintexts the pipeline sealed
//   decrypt + scan        a query over the same data: from the hot cache, and cold through the chain
//
// Then the clock benchmark: virtual time advanced per second of real time with five dedicated
// clusters and 1,000 linked workspaces, healthy and with one cluster revoked and one vault
// unreachable (the same Rust code as `cargo bench --bench clock`), and the same fleet advanced the
// way the page's Worker does it (one-hour slices, then a snapshot copied into JavaScript).
//
// Open bench.html in a browser (scripts/bench does it headless); results print to the console
// as one "BENCH {json}" line and render in the page. bench.html?only=clock runs only the clock
// benchmark; &workspaces=N sets the workspaces per cluster (200); ?only=data only the data path.
// bench.html?only=fleet runs only
// the requests-with-a-fleet benchmark (5 × 1,000 linked workspaces unless &workspaces=N).
import init, { WasmEngine, cryptoKernel, clockBenchmark } from "./bench-pkg/cmk_playground.js";
import { drainSeals, openForQuery } from "./sealing.js";

const SUB = "9f3b6c2e-1a4d-4e8b-b5c7-2d8f0a6e4c31";
const TENANT = "3c1d5e2a-8f47-4b6e-9a21-6d0f5c7b8e93";
const USER = "b7e4c1a9-3d6f-4a2b-9e8c-5f1d7a3b6c20";
const ARM = `https://management.azure.com/subscriptions/${SUB}/resourceGroups/bench`;
const POSTS = 10;
const RECORDS_PER_POST = 4000;

const out = document.getElementById("out");
const log = (s) => {
  out.textContent += s + "\n";
};

function call(e, method, url, body, headers = [["Content-Type", "application/json"]]) {
  const r = e.handle(method, url, headers, body === undefined ? undefined : JSON.stringify(body));
  if (r.status >= 400) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

/// A CMK cluster with a linked workspace; returns the workspace's customer id.
function provision(e) {
  call(e, "PUT", `${ARM}?api-version=2021-04-01`, { location: "eastus" });
  call(e, "PUT", `${ARM}/providers/Microsoft.KeyVault/vaults/benchkv?api-version=2023-07-01`, {
    location: "eastus",
    properties: {
      tenantId: TENANT, sku: { family: "A", name: "standard" }, enableSoftDelete: true, enablePurgeProtection: true,
      accessPolicies: [{ tenantId: TENANT, objectId: USER, permissions: { keys: ["create", "get"] } }],
    },
  });
  call(e, "POST", "https://benchkv.vault.azure.net/keys/kek/create?api-version=7.4", { kty: "RSA", key_size: 2048 });
  const cluster = `${ARM}/providers/Microsoft.OperationalInsights/clusters/benchcluster`;
  call(e, "PUT", `${cluster}?api-version=2021-06-01`, { location: "eastus", identity: { type: "SystemAssigned" }, sku: { name: "CapacityReservation", capacity: 1000 } });
  e.advance(3 * 3600);
  const principal = call(e, "GET", `${cluster}?api-version=2021-06-01`).body.identity.principalId;
  call(e, "PUT", `${ARM}/providers/Microsoft.KeyVault/vaults/benchkv/accessPolicies/add?api-version=2023-07-01`, {
    properties: { accessPolicies: [{ tenantId: TENANT, objectId: principal, permissions: { keys: ["get", "wrapKey", "unwrapKey"] } }] },
  });
  call(e, "PATCH", `${cluster}?api-version=2021-06-01`, { properties: { keyVaultProperties: { keyVaultUri: "https://benchkv.vault.azure.net", keyName: "kek", keyVersion: "" } } });
  e.advance(3600);
  const ws = `${ARM}/providers/Microsoft.OperationalInsights/workspaces/bench-ws`;
  const customerId = call(e, "PUT", `${ws}?api-version=2021-06-01`, { location: "eastus" }).body.properties.customerId;
  call(e, "PUT", `${ws}/linkedServices/cluster?api-version=2021-06-01`, { properties: { writeAccessResourceId: cluster.replace("https://management.azure.com", "") } });
  e.advance(2 * 3600);
  return customerId;
}

/// The same syslog-like records every run (a small xorshift generator, not Math.random).
function dataset() {
  let x = 0x9e3779b9;
  const rnd = (n) => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) % n;
  };
  const levels = ["info", "notice", "warning", "err", "crit"];
  const procs = ["sshd", "CRON", "systemd", "sudo", "kernel", "nginx"];
  const posts = [];
  for (let p = 0; p < POSTS; p++) {
    const records = [];
    for (let i = 0; i < RECORDS_PER_POST; i++) {
      records.push({
        Host: `vm-web-${String(rnd(40)).padStart(2, "0")}`,
        Level: levels[rnd(levels.length)],
        Process: procs[rnd(procs.length)],
        Pid: 300 + rnd(30000),
        Message: `Session ${rnd(100000)} for user u${rnd(500)} from 10.${rnd(255)}.${rnd(255)}.${rnd(255)} port ${1024 + rnd(60000)}: ${"x".repeat(60 + rnd(120))}`,
        LatencyMs: rnd(5000) / 10,
        Ok: rnd(10) > 1,
      });
    }
    posts.push(JSON.stringify(records));
  }
  return posts;
}

function ingest(e, customerId, body) {
  const r = e.handle("POST", `https://${customerId}.ods.opinsights.azure.com/api/logs?api-version=2016-04-01`,
    [["Content-Type", "application/json"], ["Log-Type", "BenchLog"]], body);
  if (r.status !== 200) throw new Error(`ingest: ${r.status} ${JSON.stringify(r.body)}`);
}

function query(e, customerId, q) {
  const r = e.handle("POST", `https://api.loganalytics.io/v1/workspaces/${customerId}/query`, [["Content-Type", "application/json"]], JSON.stringify({ query: q }));
  if (r.status !== 200) throw new Error(`query: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.tables[0].rows;
}

const MB = 1e6;
const rate = (bytes, ms) => bytes / MB / (ms / 1000);

async function run() {
  await init();
  const subtle = crypto.subtle;
  const posts = dataset();
  const jsonBytes = posts.reduce((n, p) => n + p.length, 0);
  const seed = new Uint8Array(32).fill(7);
  const result = { userAgent: navigator.userAgent, records: POSTS * RECORDS_PER_POST, jsonMB: jsonBytes / MB };
  log(`dataset: ${result.records} records, ${result.jsonMB.toFixed(1)} MB of JSON in ${POSTS} posts`);

  // 1. The pipeline as the Worker runs it: WebCrypto for AES-GCM, wasm for XChaCha20.
  const a = new WasmEngine(seed);
  const ws = provision(a);
  a.setExternalSealing(true);
  const recorded = [];
  const spy = {
    pendingSealJobs: () => a.pendingSealJobs(),
    takeSealJobs: (n) => { const j = a.takeSealJobs(n); recorded.push(...j); return j; },
    completeSeal: (id, s) => a.completeSeal(id, s),
  };
  let t = performance.now();
  let callMs = 0;
  let sealMs = 0;
  for (const body of posts) {
    const t0 = performance.now();
    ingest(a, ws, body);
    const t1 = performance.now();
    await drainSeals(spy, subtle);
    callMs += t1 - t0;
    sealMs += performance.now() - t1;
  }
  const pipelineMs = performance.now() - t;
  // Service-layer jobs carry the block header as AAD (JSON); hot-cache copies carry "hot|…".
  const service = recorded.filter((j) => j.aad[0] === 0x7b);
  const plainBytes = service.reduce((n, j) => n + j.plaintext.length, 0);
  result.blocks = service.length;
  result.blockKiB = plainBytes / service.length / 1024;
  result.plainMB = plainBytes / MB;
  result.pipelineWebCryptoMBps = rate(plainBytes, pipelineMs);
  result.pipelineJsonMBps = rate(jsonBytes, pipelineMs);
  // The two stages: the ingest call (JSON → rows → encoded blocks, DEKs, jobs) and sealing
  // (WebCrypto's AES-GCM for the service layer and the hot copy, wasm's XChaCha20 on top).
  result.ingestCallMs = callMs;
  result.sealStageMs = sealMs;
  result.sealStageMBps = rate(plainBytes, sealMs);
  log(`pipeline (WebCrypto AES-GCM + wasm XChaCha20 + hot copy): ${result.pipelineWebCryptoMBps.toFixed(1)} MB/s of block plaintext (${result.blocks} column chunks sealed in WebCrypto, ${result.blockKiB.toFixed(0)} KiB on average)`);

  // 2. WebCrypto's own AES-GCM, one layer, on exactly those plaintexts, all in flight per batch.
  t = performance.now();
  for (let i = 0; i < service.length; i += 64) {
    await Promise.all(service.slice(i, i + 64).map(async (j) => {
      const key = await subtle.importKey("raw", j.key, "AES-GCM", false, ["encrypt"]);
      return subtle.encrypt({ name: "AES-GCM", iv: j.nonce, additionalData: j.aad }, key, j.plaintext);
    }));
  }
  result.webCryptoMBps = rate(plainBytes, performance.now() - t);
  result.ratio = result.pipelineWebCryptoMBps / result.webCryptoMBps;
  result.sealRatio = result.sealStageMBps / result.webCryptoMBps;
  log(`WebCrypto AES-256-GCM alone, same data: ${result.webCryptoMBps.toFixed(1)} MB/s → pipeline / WebCrypto = ${result.ratio.toFixed(2)}`);

  // 2b. Reference: a double layer WebCrypto could do alone (AES-GCM, then AES-256-CTR +
  // HMAC-SHA-256, Tink's AES-CTR-HMAC construction), on the same plaintexts.
  t = performance.now();
  const zero = new Uint8Array(16);
  for (let i = 0; i < service.length; i += 64) {
    await Promise.all(service.slice(i, i + 64).map(async (j) => {
      const gcm = await subtle.importKey("raw", j.key, "AES-GCM", false, ["encrypt"]);
      const inner = await subtle.encrypt({ name: "AES-GCM", iv: j.nonce, additionalData: j.aad }, gcm, j.plaintext);
      const ctr = await subtle.importKey("raw", j.key, "AES-CTR", false, ["encrypt"]);
      const outer = await subtle.encrypt({ name: "AES-CTR", counter: zero, length: 64 }, ctr, inner);
      const mac = await subtle.importKey("raw", j.key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      return subtle.sign("HMAC", mac, outer);
    }));
  }
  result.webCryptoDoubleMBps = rate(plainBytes, performance.now() - t);
  log(`reference, all-WebCrypto double layer (AES-GCM + AES-CTR/HMAC-SHA-256): ${result.webCryptoDoubleMBps.toFixed(1)} MB/s`);

  // 3. The same pipeline with every layer in wasm.
  const b = new WasmEngine(seed);
  const wsB = provision(b);
  t = performance.now();
  for (const body of posts) ingest(b, wsB, body);
  result.pipelineWasmMBps = rate(plainBytes, performance.now() - t);
  log(`pipeline (all in wasm): ${result.pipelineWasmMBps.toFixed(1)} MB/s`);

  // 4. Decrypt + scan: from the hot cache (one AES-GCM layer), then cold (XChaCha20 + AES-GCM).
  const q = 'BenchLog_CL | where Level_s == "err" and Message_s contains "port 1" | summarize count() by Host_s';
  query(a, ws, "BenchLog_CL | count"); // warm-up (also unwraps the AEK)
  t = performance.now();
  const hot = query(a, ws, q);
  const hotMs = performance.now() - t;
  result.scanHotRowsPerSec = result.records / (hotMs / 1000);
  // 4b. Issue 14's three queries over the hot cache: AES-GCM in wasm (`handle`), and as the
  // Worker runs a query (`openForQuery`: the copies opened in WebCrypto, then `exec`).
  result.hotQueries = [];
  for (const hq of ['BenchLog_CL | where Level_s == "err" | count', "BenchLog_CL | summarize count() by Host_s", 'BenchLog_CL | where Message_s contains "port 1" | count']) {
    const cmd = { Request: { method: "POST", url: `https://api.loganalytics.io/v1/workspaces/${ws}/query`, headers: [["Content-Type", "application/json"]], body: JSON.stringify({ query: hq }) } };
    const best = async (f) => { let m = Infinity, out; for (let i = 0; i < 5; i++) { const t0 = performance.now(); out = await f(); m = Math.min(m, performance.now() - t0); } return [m, out]; };
    const [wasmMs, wasmRows] = await best(() => query(a, ws, hq));
    // The chunks opened in WebCrypto, then the request (what a query costs in the Worker) ...
    const [webMs, webRows] = await best(async () => { await openForQuery(a, subtle, cmd); return query(a, ws, hq); });
    // ... and with the Worker's reply: the snapshot's changed fields (`execChanges`).
    const [replyMs, reply] = await best(async () => { await openForQuery(a, subtle, cmd); return a.execChanges(cmd); });
    // Where the WebCrypto path's time goes: opening the chunks (openJobs, WebCrypto, completeOpen)
    // and the query that reads them; best of 5 each.
    let openMs = Infinity, scanMs = Infinity, openBytes = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      openBytes = await openForQuery(a, subtle, cmd);
      const t1 = performance.now();
      query(a, ws, hq);
      const t2 = performance.now();
      openMs = Math.min(openMs, t1 - t0);
      scanMs = Math.min(scanMs, t2 - t1);
    }
    log(`  of which: opening ${(openBytes / 1e6).toFixed(1)} MB of chunks ${openMs.toFixed(1)} ms, the query on them ${scanMs.toFixed(1)} ms`);
    const same = JSON.stringify(webRows) === JSON.stringify(wasmRows) && JSON.stringify(reply.response.body.tables[0].rows) === JSON.stringify(wasmRows);
    const rps = (ms) => result.records / (ms / 1000);
    result.hotQueries.push({ query: hq, wasmRowsPerSec: rps(wasmMs), webCryptoRowsPerSec: rps(webMs), withReplyRowsPerSec: rps(replyMs), openMs, scanMs, openBytes, same });
    log(`hot ${hq}: AES-GCM in wasm ${Math.round(rps(wasmMs))} rows/s; chunks opened in WebCrypto ${Math.round(rps(webMs))} rows/s; with the Worker's reply (execChanges) ${Math.round(rps(replyMs))} rows/s; same rows: ${same}`);
  }
  a.advance(15 * 86400); // the hot cache ages out after 14 days; the data stays (30-day retention)
  query(a, ws, "BenchLog_CL | count");
  t = performance.now();
  const cold = query(a, ws, q);
  const coldMs = performance.now() - t;
  result.scanColdRowsPerSec = result.records / (coldMs / 1000);
  result.scanColdMBps = rate(plainBytes, coldMs);
  if (JSON.stringify(hot) !== JSON.stringify(cold)) throw new Error("hot and cold reads disagree");
  log(`decrypt + scan: hot ${Math.round(result.scanHotRowsPerSec)} rows/s, cold ${Math.round(result.scanColdRowsPerSec)} rows/s (${result.scanColdMBps.toFixed(1)} MB/s through the chain)`);

  // 5. The primitives in wasm, for the breakdown.
  for (const [name, size, n] of [["aes-gcm", 262144, 40], ["xchacha20-poly1305", 262144, 60], ["hkdf", 0, 20000]]) {
    cryptoKernel(name, size, 2);
    t = performance.now();
    cryptoKernel(name, size, n);
    const ms = performance.now() - t;
    if (name === "hkdf") result.hkdfMicros = (ms * 1000) / n;
    else result[`wasm_${name}_MBps`] = rate(size * n, ms);
  }
  log(`wasm primitives: AES-256-GCM ${result["wasm_aes-gcm_MBps"].toFixed(1)} MB/s, XChaCha20-Poly1305 ${result["wasm_xchacha20-poly1305_MBps"].toFixed(1)} MB/s, HKDF ${result.hkdfMicros.toFixed(1)} µs per DEK`);
  return result;
}

const params = new URLSearchParams(location.search);
const pause = () => new Promise((r) => setTimeout(r, 0));

function logAdvance(label, a) {
  log(`  ${label}: ${a.rate.toExponential(2)} virtual s per real s (${a.chunks} advances of ${a.chunkSeconds} s in ${a.elapsedMs.toFixed(1)} ms, slowest ${a.slowestChunkMs.toFixed(2)} ms; ${a.polls} Key Vault polls accounted for)`);
}

function logScenario(r) {
  log(`${r.scenario}: setup ${r.setupMs.toFixed(0)} ms (${r.clusters} clusters, ${r.workspaces} linked workspaces, ${r.setupRequests} requests)`);
  for (const p of r.setupPhases) log(`  setup: ${p.name}: ${p.ms.toFixed(0)} ms, ${p.requests} requests`);
  if (r.overheads) {
    const o = r.overheads;
    log(`  per call: GET /subscriptions ${o.requestMs.toFixed(3)} ms with the fleet (${o.emptyRequestMs.toFixed(3)} ms empty), snapshot ${o.snapshotMs.toFixed(2)} ms, as JSON ${o.snapshotJsonMs.toFixed(2)} ms`);
  }
  logAdvance("days 1-30 (with data), 1-day advances", r.month);
  logAdvance("days 31-365, 1-day advances", r.year);
  logAdvance("30 days in 1-hour advances", r.hourly);
  logAdvance("1 day in 1-minute advances", r.byMinute);
  log(`  storage at the end: ${r.accounts.map((a) => `${a.cluster} ${a.access}${a.transient ? " (Key Vault unreachable)" : ""}`).join(", ")}`);
}

/// The clock benchmark; see the header.
async function runClock() {
  const per = Number(params.get("workspaces") || 200);
  const clock = { workspacesPerCluster: per };
  log(`clock benchmark: 5 clusters × ${per} linked workspaces (after a warm-up run with 10 per cluster)`);
  await pause();
  clockBenchmark("healthy", 10); // warm-up: lets V8 tier the hot wasm code up before measuring
  clock.healthy = clockBenchmark("healthy", per);
  logScenario(clock.healthy);
  await pause();
  clock.degraded = clockBenchmark("degraded", per);
  logScenario(clock.degraded);
  clock.ratios = {};
  for (const k of ["month", "year", "hourly", "byMinute"]) clock.ratios[k] = clock.degraded[k].rate / clock.healthy[k].rate;
  const q = clock.ratios;
  log(`ratio degraded / healthy: days 1-30 ${q.month.toFixed(2)}, days 31-365 ${q.year.toFixed(2)}, 1-hour advances ${q.hourly.toFixed(2)}, 1-minute advances ${q.byMinute.toFixed(2)}`);
  await pause();

  // As the page's Worker advances the clock: one-hour slices (draining seal jobs between them),
  // then the reply's snapshot, copied into a JavaScript object.
  const e = new WasmEngine(new Uint8Array(32).fill(7));
  e.setExternalSealing(true);
  e.provisionFleet(per);
  await drainSeals(e, crypto.subtle);
  const page = {};
  let t = performance.now();
  e.exec("Snapshot");
  page.snapshotMs = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < 20; i++) e.handle("GET", "https://management.azure.com/subscriptions?api-version=2021-04-01", [], undefined);
  page.requestMs = (performance.now() - t) / 20;
  t = performance.now();
  for (let h = 0; h < 30 * 24; h++) {
    e.advance(3600);
    await drainSeals(e, crypto.subtle);
  }
  const advanceMs = performance.now() - t;
  e.exec("Snapshot");
  page.monthMs = performance.now() - t;
  page.monthAdvanceMs = advanceMs;
  page.rate = (30 * 86400) / (page.monthMs / 1000);
  clock.page = page;
  log(`as the Worker does it: 30 days in 720 one-hour slices + snapshot: ${page.monthMs.toFixed(0)} ms (${page.rate.toExponential(2)} virtual s per real s; slices ${advanceMs.toFixed(0)} ms); a snapshot into JS ${page.snapshotMs.toFixed(1)} ms, GET /subscriptions ${page.requestMs.toFixed(2)} ms`);
  return clock;
}

/// Requests with a fleet (issue 14): provisioning 5 × `workspaces` linked workspaces, then what one
/// cheap request costs in the Worker and what crosses to the page: the whole reply (`exec`) or the
/// snapshot's changed fields only (`execChanges`, what worker.js sends), with the structured clone
/// postMessage makes of it.
async function runFleet() {
  const per = Number(params.get("workspaces") || 1000);
  const e = new WasmEngine(new Uint8Array(32).fill(7));
  let t = performance.now();
  const fleet = e.provisionFleet(per);
  const fleetResult = { workspaces: 5 * per, provisionMs: performance.now() - t };
  log(`fleet: 5 clusters × ${per} linked workspaces provisioned in ${fleetResult.provisionMs.toFixed(0)} ms`);
  const get = { Request: { method: "GET", url: "https://management.azure.com/subscriptions?api-version=2022-12-01", headers: [], body: null } };
  e.execChanges(get); // the first answer carries every field
  const median = (f) => {
    const xs = [];
    let out;
    for (let i = 0; i < 21; i++) {
      const t0 = performance.now();
      out = f();
      xs.push(performance.now() - t0);
    }
    xs.sort((a, b) => a - b);
    return [xs[10], out];
  };
  const [handleMs] = median(() => e.handle("GET", get.Request.url, [], undefined));
  const [execMs, full] = median(() => e.exec(get));
  const [changesMs, changes] = median(() => e.execChanges(get));
  const [cloneFullMs] = median(() => structuredClone(full));
  const [cloneChangesMs] = median(() => structuredClone(changes));
  Object.assign(fleetResult, {
    handleMs, execMs, changesMs, cloneFullMs, cloneChangesMs,
    fullKiB: JSON.stringify(full).length / 1024, changesKiB: JSON.stringify(changes).length / 1024,
    changedFields: Object.keys(changes.snapshotChanges),
  });
  log(`GET /subscriptions: handle ${handleMs.toFixed(3)} ms; exec (whole snapshot) ${execMs.toFixed(2)} ms, ${fleetResult.fullKiB.toFixed(0)} KiB, structured clone ${cloneFullMs.toFixed(2)} ms; execChanges ${changesMs.toFixed(2)} ms, ${fleetResult.changesKiB.toFixed(1)} KiB, clone ${cloneChangesMs.toFixed(3)} ms`);
  return fleetResult;
}

const only = params.get("only");
(only === "fleet"
  ? init().then(async () => ({ userAgent: navigator.userAgent, fleet: await runFleet() }))
  : only === "data"
    ? run()
    : (only === "clock" ? init().then(() => ({ userAgent: navigator.userAgent })) : run()).then(async (r) => {
        r.clock = await runClock();
        return r;
      }))
  .then((r) => {
    window.benchResult = r;
    console.log("BENCH " + JSON.stringify(r));
  })
  .catch((e) => {
    log("failed: " + (e && e.stack ? e.stack : e));
    console.log("BENCH " + JSON.stringify({ error: String(e) }));
  });
