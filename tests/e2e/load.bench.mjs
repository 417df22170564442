// Page-load benchmark (issue 14): how soon the walkthrough is usable, and what the page downloads.
// Not a test (it asserts nothing about speed); scripts/bench runs it and BENCHMARKS.md records it.
//
//   node tests/e2e/load.bench.mjs [DIST_DIR]     (default: dist/)
//
// "Usable" = the engine has answered the page's boot (`#main-panel[data-ready=true]`, set when the
// Reset + sign-in reply arrived) and the first walkthrough card's Send button is on screen: a
// click there is answered at once. Measured as `performance.now()` in the page at that moment
// (time since navigation started), polled every animation frame.
//
// The site is served by scripts/static_server.py (serve.mjs), which answers with a precompressed `.br` or
// `.gz` twin when the browser accepts it (the headers the README asks of a static host); a dist/
// without twins is served as it is. Each load is a fresh browser context (cold HTTP cache).
// Conditions: localhost as it is (median of 6), and DevTools' "Fast 3G" preset (562.5 ms latency,
// 180,000 B/s down, 84,375 B/s up) with a 4x CPU slowdown (median of 3).
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { serveSite } from "./serve.mjs";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const dist = path.resolve(process.argv[2] || path.join(root, "dist"));
const { server, url } = await serveSite(dist);
const close = () => server.kill();
const executablePath = execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"]).toString().trim();
const browser = await chromium.launch({
  executablePath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

const FAST_3G = { offline: false, latency: 562.5, downloadThroughput: 180000, uploadThroughput: 84375 };

async function load(throttled) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const bytes = new Map();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  cdp.on("Network.loadingFinished", (e) => bytes.set(e.requestId, e.encodedDataLength));
  const wasm = [];
  page.on("response", (r) => { if (r.url().endsWith(".wasm")) wasm.push(`${r.url().split("/").pop()} ${r.headers()["content-encoding"] || "identity"}`); });
  if (throttled) {
    await cdp.send("Network.emulateNetworkConditions", FAST_3G);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  }
  await page.goto(url, { waitUntil: "commit", timeout: 120000 });
  await page.waitForFunction(
    () => document.querySelector("#main-panel[data-ready=true]") && document.querySelector("[data-send]"),
    null, { polling: "raf", timeout: 180000 });
  const ms = await page.evaluate(() => performance.now());
  const engine = await page.evaluate(() => (document.body.innerText.match(/Engine: ([^\n·]+)/) || [])[1] || "?");
  const transferred = [...bytes.values()].reduce((a, b) => a + b, 0);
  await context.close();
  return { ms, transferred, wasm, engine: engine.trim() };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)] + (s.length % 2 ? 0 : (s[s.length / 2] - s[Math.floor((s.length - 1) / 2)]) / 2); };
try {
  console.log(`site: ${dist}`);
  await load(false); // warm the server and the OS file cache; not counted
  for (const [label, throttled, n] of [["localhost", false, 6], ["Fast 3G + 4x CPU", true, 3]]) {
    const runs = [];
    for (let i = 0; i < n; i++) runs.push(await load(throttled));
    const ms = runs.map((r) => r.ms);
    console.log(`walkthrough usable, ${label}: median ${Math.round(median(ms))} ms (runs: ${ms.map((x) => Math.round(x)).join(", ")}); ` +
      `${Math.round(runs[0].transferred / 1024)} KiB transferred; wasm: ${[...new Set(runs[0].wasm)].join(", ")}; engine: ${runs[0].engine}`);
  }
} finally {
  await browser.close();
  close();
}
