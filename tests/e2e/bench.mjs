// Runs www/bench.html from the built site in headless Chromium and prints its figures.
// Used by scripts/bench; not a test (it asserts nothing about speed).
import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const port = await new Promise((resolve) => {
  const s = createServer();
  s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const server = spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", path.join(root, "dist")], { stdio: "ignore" });
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
    try { await page.goto(`http://127.0.0.1:${port}/bench.html`); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  const r = await result;
  if (r.error) throw new Error(r.error);
  const f = (x, d = 1) => Number(x).toFixed(d);
  console.log(`Chromium: ${r.userAgent}`);
  console.log(`dataset: ${r.records} records, ${f(r.jsonMB)} MB JSON, ${r.blocks} blocks of ${f(r.blockKiB, 0)} KiB (${f(r.plainMB)} MB of block plaintext)`);
  console.log(`pipeline, WebCrypto AES-GCM + wasm XChaCha20 (+ hot copy):  ${f(r.pipelineWebCryptoMBps)} MB/s  (${f(r.pipelineJsonMBps)} MB/s of JSON)`);
  console.log(`  of which: ingest call ${f(r.ingestCallMs, 0)} ms (JSON → rows → blocks), sealing ${f(r.sealStageMs, 0)} ms = ${f(r.sealStageMBps)} MB/s (double encryption + hot copy)`);
  console.log(`pipeline, all layers in wasm:                               ${f(r.pipelineWasmMBps)} MB/s`);
  console.log(`WebCrypto AES-256-GCM alone, same plaintexts:               ${f(r.webCryptoMBps)} MB/s`);
  console.log(`reference: all-WebCrypto double layer (GCM, then CTR+HMAC): ${f(r.webCryptoDoubleMBps)} MB/s (${f(r.webCryptoDoubleMBps / r.webCryptoMBps, 2)} of one layer)`);
  console.log(`ratio pipeline / WebCrypto:                                 ${f(r.ratio, 2)}  (sealing stage alone: ${f(r.sealRatio, 2)}; wasm-only pipeline: ${f(r.pipelineWasmMBps / r.webCryptoMBps, 2)})`);
  console.log(`decrypt + scan: hot ${Math.round(r.scanHotRowsPerSec)} rows/s, cold ${Math.round(r.scanColdRowsPerSec)} rows/s (${f(r.scanColdMBps)} MB/s through the key chain)`);
  console.log(`wasm primitives: AES-256-GCM ${f(r["wasm_aes-gcm_MBps"])} MB/s, XChaCha20-Poly1305 ${f(r["wasm_xchacha20-poly1305_MBps"])} MB/s, HKDF ${f(r.hkdfMicros)} µs/DEK`);
} catch (e) {
  console.error(`bench failed: ${e.stack || e}`);
  code = 1;
} finally {
  await browser.close();
  server.kill();
}
process.exit(code);
