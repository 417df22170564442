// Reply to rendered with a fleet (issue 14): how long the page takes from a Worker reply's arrival
// to the end of the DOM update it causes, with a fleet of linked workspaces in the engine, against
// the same interactions on the page's own small world, in one run. Not a test (it asserts nothing
// about speed); BENCHMARKS.md records its figures.
//
//   node tests/e2e/fleet.bench.mjs [WORKSPACES_PER_CLUSTER]   (default 200: 5 × 200 = 1,000)
//
// FLEET_SHOT=FILE.png saves a screenshot of the cluster panel once the fleet is in the page.
// FLEET_UI=DIR puts another build of the page's module in ui/ (one with its name section, say:
// wasm-bindgen without --remove-name-section), and FLEET_PROFILE=1 then prints where the page's
// time goes in the fleet's console interactions (a CDP CPU profile, self time by function).
//
// Needs dist/ (build_site) and dist/bench-pkg/ (build_bench_page). The page has no way to build a
// fleet, so the site is copied with the benchmark engine module (which exports `provisionFleet`)
// as pkg/, and the copy's worker.js answers one more message, `{ fleet: N }`, by provisioning the
// fleet in place (5 clusters × N linked workspaces, the `fleet` module's REST requests). The
// shipped files are not changed.
//
// Arrival: the `message` event's timeStamp, read by a listener on the page's Worker. Rendered: the
// last DOM mutation after it (a MutationObserver on the whole document), read 100 ms after the
// page went idle. Interactions: the REST console's Ctrl+Enter (GET /subscriptions) and the
// clock's "+1 h" button; 7 of each, median.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { serveSite } from "./serve.mjs";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const dist = path.join(root, "dist");
const per = Number(process.argv[2] || 200);

for (const need of ["ui", "bench-pkg"]) {
  if (!existsSync(path.join(dist, need))) {
    console.error(`error: dist/${need} is missing: build the site, then the benchmark module (bash -c 'source scripts/lib.sh; build_site; build_bench_page')`);
    process.exit(2);
  }
}
const site = mkdtempSync(path.join(tmpdir(), "cmk-fleet-"));
cpSync(dist, site, { recursive: true });
rmSync(path.join(site, "pkg"), { recursive: true });
cpSync(path.join(dist, "bench-pkg"), path.join(site, "pkg"), { recursive: true });
if (process.env.FLEET_UI) {
  rmSync(path.join(site, "ui"), { recursive: true });
  cpSync(process.env.FLEET_UI, path.join(site, "ui"), { recursive: true });
}
for (const f of readdirSync(site)) if (/^worker\.js\.(gz|br)$/.test(f)) rmSync(path.join(site, f));
writeFileSync(path.join(site, "worker.js"), readFileSync(path.join(dist, "worker.js"), "utf8") + `
// fleet.bench.mjs: provision a fleet in place, in the command queue's order.
const shipped = onmessage;
onmessage = (event) => {
  if (!(event.data && event.data.fleet)) return shipped(event);
  queue = queue.then(() => {
    const t = performance.now();
    try {
      // The fleet's requests carry no credentials: the engine's implicit sign-in, for them only.
      engine.setImplicitSignIn(true);
      engine.provisionFleet(event.data.fleet);
      engine.setImplicitSignIn(false);
      postMessage({ fleetProvisioned: performance.now() - t });
    } catch (e) {
      postMessage({ fleetFailed: String((e && e.message) || e) });
    }
  });
};
`);

const { server, url } = await serveSite(site);
const executablePath = execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"]).toString().trim();
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu"] });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function interactions(page, label) {
  const idle = () => page.waitForSelector(".busy.idle", { timeout: 600000 });
  const measure = async (act) => {
    await page.evaluate(() => { window.__arrived = []; window.__last = 0; });
    await act();
    await idle();
    return page.evaluate(() => new Promise((resolve) => setTimeout(() => {
      const arrived = window.__arrived.at(-1);
      resolve({ ms: window.__last - arrived, nodes: document.getElementsByTagName("*").length });
    }, 100)));
  };
  const consoleSend = async () => { await page.focus("#console-body"); await page.keyboard.press("Control+Enter"); };
  const hour = () => page.click("button:has-text('+1 h')");
  const out = {};
  for (const [name, act] of [["console GET", consoleSend], ["clock +1 h", hour]]) {
    const runs = [];
    for (let i = 0; i < 7; i++) runs.push(await measure(act));
    out[name] = { median: median(runs.map((r) => r.ms)), min: Math.min(...runs.map((r) => r.ms)), max: Math.max(...runs.map((r) => r.ms)), nodes: runs.at(-1).nodes };
    console.log(`${label}: ${name}: reply to rendered median ${out[name].median.toFixed(1)} ms (${out[name].min.toFixed(1)}–${out[name].max.toFixed(1)}), ${out[name].nodes} DOM elements`);
  }
  return out;
}

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url);
  await page.waitForSelector("#main-panel[data-ready=true]", { timeout: 120000 });
  await page.evaluate(() => {
    window.__arrived = [];
    window.__last = 0;
    new MutationObserver(() => { window.__last = performance.now(); })
      .observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    window.cmkEngine.worker.addEventListener("message", (e) => {
      if (e.data && e.data.reply) window.__arrived.push(e.timeStamp);
      if (e.data && e.data.fleetProvisioned !== undefined) window.__fleet = e.data.fleetProvisioned;
      if (e.data && e.data.fleetFailed !== undefined) window.__fleet = e.data.fleetFailed;
    });
  });
  await page.click("#tab-console");
  await page.fill("#console-url", "https://management.azure.com/subscriptions?api-version=2022-12-01");
  const small = await interactions(page, "no fleet");
  await page.evaluate((n) => window.cmkEngine.worker.postMessage({ fleet: n }), per);
  await page.waitForFunction(() => window.__fleet !== undefined, null, { timeout: 600000 });
  const provisioned = await page.evaluate(() => window.__fleet);
  if (typeof provisioned === "string") throw new Error(`the fleet could not be provisioned: ${provisioned}`);
  console.log(`fleet: 5 × ${per} linked workspaces provisioned in the Worker in ${(provisioned / 1000).toFixed(2)} s`);
  // The first reply after it carries the whole fleet into the page.
  const t = Date.now();
  await page.focus("#console-body");
  await page.keyboard.press("Control+Enter");
  await page.waitForSelector(".busy.idle", { timeout: 600000 });
  const first = await page.evaluate(() => new Promise((r) => setTimeout(() => r(window.__last - window.__arrived.at(-1)), 100)));
  console.log(`first reply with the fleet: reply to rendered ${first.toFixed(0)} ms (click to idle ${Date.now() - t} ms)`);
  const cdp = process.env.FLEET_PROFILE ? await page.context().newCDPSession(page) : null;
  if (cdp) {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
    await cdp.send("Profiler.start");
  }
  if (process.env.FLEET_SHOT) {
    await page.locator("#cluster-panel").screenshot({ path: process.env.FLEET_SHOT });
    console.log(`the cluster panel with the fleet: ${process.env.FLEET_SHOT}`);
  }
  const big = await interactions(page, `${5 * per} workspaces`);
  if (cdp) {
    const { profile } = await cdp.send("Profiler.stop");
    const self = new Map();
    const dt = new Map();
    profile.samples.forEach((id, i) => dt.set(id, (dt.get(id) || 0) + (profile.timeDeltas[i] || 0)));
    for (const n of profile.nodes) {
      const name = n.callFrame.functionName || `(${n.callFrame.url.split("/").pop()})`;
      self.set(name, (self.get(name) || 0) + (dt.get(n.id) || 0) / 1000);
    }
    // Inclusive time: each sample counts once for every function on its stack.
    const parent = new Map();
    for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const incl = new Map();
    for (const n of profile.nodes) {
      const t = (dt.get(n.id) || 0) / 1000;
      if (!t) continue;
      const seen = new Set();
      for (let id = n.id; id !== undefined; id = parent.get(id)) {
        const name = byId.get(id).callFrame.functionName;
        if (name && !seen.has(name)) { seen.add(name); incl.set(name, (incl.get(name) || 0) + t); }
      }
    }
    console.log("inclusive time, the page's own functions:");
    for (const [k, v] of [...incl.entries()].filter(([k]) => k.includes("cmk_playground")).sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${v.toFixed(1).padStart(7)} ms  ${k.slice(0, 150)}`);
    const total = [...self.entries()].filter(([k]) => k !== "(idle)" && k !== "(program)").reduce((a, [, v]) => a + v, 0);
    console.log(`profile (14 interactions, ${total.toFixed(0)} ms busy), self time:`);
    for (const [k, v] of [...self.entries()].filter(([k]) => k !== "(idle)").sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${v.toFixed(1).padStart(7)} ms  ${k.slice(0, 140)}`);
  }
  for (const k of Object.keys(big)) console.log(`ratio ${k}: ${(big[k].median / small[k].median).toFixed(1)}× the small world's`);
} finally {
  await browser.close();
  server.kill();
  rmSync(site, { recursive: true, force: true });
}
