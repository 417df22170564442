// Runs www/bench.html from the built site in headless Chromium and prints its figures.
// Used by scripts/bench; not a test (it asserts nothing about speed).
// BENCH_ONLY=data runs only the data-path benchmark, BENCH_ONLY=clock only the clock one,
// BENCH_ONLY=fleet only the requests-with-a-fleet one (BENCH_WORKSPACES=N per cluster);
// BENCH_URL=http://host:port/ uses a site already being served there instead of serving dist/
// on a free port.
import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const port = await new Promise((resolve) => {
  const s = createServer();
  s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const base = process.env.BENCH_URL || `http://127.0.0.1:${port}/`;
const only = process.env.BENCH_ONLY;
const query = only ? `?only=${only}${process.env.BENCH_WORKSPACES ? `&workspaces=${process.env.BENCH_WORKSPACES}` : ""}` : "";
const server = process.env.BENCH_URL
  ? { kill() {} }
  : spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", path.join(root, "dist")], { stdio: "ignore" });
const executablePath = execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"]).toString().trim();
const browser = await chromium.launch({
  executablePath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let code = 0;
try {
  const page = await browser.newPage();
  const result = new Promise((resolve) => page.on("console", (m) => { if (m.text().startsWith("BENCH ")) resolve(JSON.parse(m.text().slice(6))); }));
  for (let i = 0; i < 50; i++) {
    try { await page.goto(new URL(`bench.html${query}`, base).href); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  const r = await result;
  if (r.error) throw new Error(r.error);
  const f = (x, d = 1) => Number(x).toFixed(d);
  console.log(`Chromium: ${r.userAgent}`);
  if (r.records) {
    console.log(`dataset: ${r.records} records, ${f(r.jsonMB)} MB JSON, ${r.blocks} column chunks sealed in WebCrypto, ${f(r.blockKiB, 0)} KiB on average (${f(r.plainMB)} MB of block plaintext)`);
    console.log(`pipeline, WebCrypto AES-GCM + wasm XChaCha20 (+ hot copy):  ${f(r.pipelineWebCryptoMBps)} MB/s  (${f(r.pipelineJsonMBps)} MB/s of JSON)`);
    console.log(`  of which: ingest call ${f(r.ingestCallMs, 0)} ms (JSON → rows → blocks), sealing ${f(r.sealStageMs, 0)} ms = ${f(r.sealStageMBps)} MB/s (double encryption + hot copy)`);
    console.log(`pipeline, all layers in wasm:                               ${f(r.pipelineWasmMBps)} MB/s`);
    console.log(`WebCrypto AES-256-GCM alone, same plaintexts:               ${f(r.webCryptoMBps)} MB/s`);
    console.log(`reference: all-WebCrypto double layer (GCM, then CTR+HMAC): ${f(r.webCryptoDoubleMBps)} MB/s (${f(r.webCryptoDoubleMBps / r.webCryptoMBps, 2)} of one layer)`);
    console.log(`ratio pipeline / WebCrypto:                                 ${f(r.ratio, 2)}  (sealing stage alone: ${f(r.sealRatio, 2)}; wasm-only pipeline: ${f(r.pipelineWasmMBps / r.webCryptoMBps, 2)})`);
    console.log(`decrypt + scan: hot ${Math.round(r.scanHotRowsPerSec)} rows/s, cold ${Math.round(r.scanColdRowsPerSec)} rows/s (${f(r.scanColdMBps)} MB/s through the key chain)`);
    if (r.split) console.log("SPLIT", JSON.stringify(r.split.slice(-12)));
    for (const h of r.hotQueries || []) {
      console.log(`  hot \`${h.query}\`: AES-GCM in wasm ${Math.round(h.wasmRowsPerSec)} rows/s; chunks opened in WebCrypto ${Math.round(h.webCryptoRowsPerSec)} rows/s; with the Worker's reply (execChanges) ${Math.round(h.withReplyRowsPerSec)} rows/s; same rows: ${h.same}`);
      console.log(`    of which: opening ${f(h.openBytes / 1e6, 1)} MB of chunks ${f(h.openMs, 1)} ms, the query on them ${f(h.scanMs, 1)} ms`);
    }
    console.log(`wasm primitives: AES-256-GCM ${f(r["wasm_aes-gcm_MBps"])} MB/s, XChaCha20-Poly1305 ${f(r["wasm_xchacha20-poly1305_MBps"])} MB/s, HKDF ${f(r.hkdfMicros)} µs/DEK`);
  }
  if (r.fleet) {
    const q = r.fleet;
    console.log(`fleet: ${q.workspaces} linked workspaces provisioned in ${f(q.provisionMs / 1000, 2)} s`);
    console.log(`  GET /subscriptions: handle ${f(q.handleMs, 3)} ms; exec (whole snapshot) ${f(q.execMs, 2)} ms, ${f(q.fullKiB, 0)} KiB, structured clone ${f(q.cloneFullMs, 2)} ms; execChanges (what worker.js sends) ${f(q.changesMs, 2)} ms, ${f(q.changesKiB, 1)} KiB, clone ${f(q.cloneChangesMs, 3)} ms; fields changed: ${q.changedFields.join(", ") || "none"}`);
  }
  if (r.clock) {
    const c = r.clock;
    const e = (x) => Number(x).toExponential(3);
    const adv = (label, a) => console.log(`  ${label}: ${e(a.rate)} virtual s per real s (${a.virtualSeconds} virtual s in ${a.chunks} advances of ${a.chunkSeconds} s: ${f(a.elapsedMs)} ms, slowest advance ${f(a.slowestChunkMs, 2)} ms; ${a.polls} Key Vault polls accounted for)`);
    for (const s of [c.healthy, c.degraded]) {
      console.log(`clock, ${s.scenario}: setup ${f(s.setupMs, 0)} ms (${s.clusters} clusters, ${s.workspaces} linked workspaces, ${s.setupRequests} requests)`);
      for (const p of s.setupPhases) console.log(`  setup: ${p.name.padEnd(45)} ${f(p.ms, 0).padStart(7)} ms, ${String(p.requests).padStart(5)} requests`);
      if (s.overheads) {
        const o = s.overheads;
        console.log(`  per call: GET /subscriptions ${f(o.requestMs, 3)} ms with the fleet (${f(o.emptyRequestMs, 3)} ms on an empty engine); snapshot ${f(o.snapshotMs, 2)} ms, as JSON ${f(o.snapshotJsonMs, 2)} ms (${Math.round(o.snapshotJsonBytes / 1000)} KB)`);
      }
      adv("days 1-30 (with data), 1-day advances", s.month);
      adv("days 31-365, 1-day advances", s.year);
      adv("30 days in 1-hour advances", s.hourly);
      adv("1 day in 1-minute advances", s.byMinute);
      console.log(`  storage at the end: ${s.accounts.map((a) => `${a.cluster} ${a.protection} ${a.access}${a.transient ? " (Key Vault unreachable)" : ""}`).join(", ")}`);
    }
    const q = c.ratios;
    console.log(`ratio degraded / healthy: days 1-30 ${f(q.month, 2)}, days 31-365 ${f(q.year, 2)}, 1-hour advances ${f(q.hourly, 2)}, 1-minute advances ${f(q.byMinute, 2)}`);
    const p = c.page;
    console.log(`as the page's Worker does it: 30 days in 720 one-hour slices + snapshot ${f(p.monthMs, 0)} ms = ${e(p.rate)} virtual s per real s (slices ${f(p.monthAdvanceMs, 0)} ms); one snapshot into JS ${f(p.snapshotMs, 1)} ms; GET /subscriptions ${f(p.requestMs, 2)} ms`);
  }
} catch (e) {
  console.error(`bench failed: ${e.stack || e}`);
  code = 1;
} finally {
  await browser.close();
  server.kill();
}
process.exit(code);
