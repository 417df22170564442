// The shared harness of the end-to-end checks: serve dist/ under a sub-path, launch Debian's
// Chromium through playwright-core, and the helpers every check file uses. Each check file
// imports it, runs its checks inside `run`, and exits with the count of failures.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { mkdirSync, existsSync } from "node:fs";
import path from "node:path";
import { serveSite } from "./serve.mjs";

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
export const dist = path.join(root, "dist");
export const shots = path.join(root, "target", "e2e");
mkdirSync(shots, { recursive: true });
if (!existsSync(path.join(dist, "index.html"))) throw new Error("dist/ is missing: build the site first");

export { freePort, waitForPort } from "./serve.mjs";
// The site under /docs/playground/; `site` is the server's root (a check may serve its own pages
// beside the site, under it) and `base` its URL.
export const { site, server, base, url } = await serveSite(dist);

const chromiumPath = execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"]).toString().trim();
export const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

let failures = 0;
export const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures++;
};

export async function open(viewport, colorScheme = "light") {
  const page = await browser.newPage({ viewport, colorScheme });
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(url);
  try {
    await page.waitForSelector("text=Engine: Web Worker", { state: "attached", timeout: 30000 });
  } catch (e) {
    const shown = await page.locator("body").innerText({ timeout: 5000 }).catch((x) => `(unreadable: ${x.message})`);
    throw new Error(`${e.message}\nthe page showed: ${shown.slice(0, 600)}\nproblems: ${problems.join("; ") || "none"}`);
  }
  return { page, problems };
}

export const idle = (page) => page.waitForSelector(".busy.idle", { timeout: 120000 });
export const send = async (page, card) => {
  await page.click(`[data-send="${card}"]`);
  await idle(page);
  return (await page.textContent(`[data-card="${card}"] .pill`)).trim();
};
// Reloads and waits for the session replay to say it is done (before the page has mounted,
// "no loading marker" and "idle" are both true of a page that has restored nothing yet);
// returns how long the page took to be ready, in ms.
export async function reloadAndReplay(page) {
  const t0 = Date.now();
  const replayed = page.waitForEvent("console", { predicate: (m) => m.text().includes("restored"), timeout: 120000 });
  await page.reload();
  await replayed;
  await idle(page);
  return Date.now() - t0;
}
export const stepStatus = (page) => page.textContent("[data-testid=step-status]");

// The Sentinel walkthrough's cards: the pill of a card, and its response body.
export const cardBody = (page, card) => page.textContent(`[data-card="${card}"] .json`);
export const sentinelStatus = (page) => page.textContent("[data-testid=step-status]");
export async function runNextUntil(page, done) {
  for (let i = 0; i < 10 && !(await done()); i++) { await page.click("[data-testid=run-next]"); await idle(page); }
}

export async function provision(page) {
  const sent = [];
  for (const [step, cards, wait] of [[1, ["group", "vault", "key"], false], [2, ["cluster"], true], [3, ["grant"], false], [4, ["key-identifier"], true], [5, ["workspace", "link"], true]]) {
    await page.click(`#step-${step}`);
    for (const c of cards) sent.push(`${c}:${await send(page, c)}`);
    if (wait) { await page.click("[data-testid=run-next]"); await idle(page); }
  }
  return sent;
}

/// Runs `body`, counts an exception as a failure, closes the browser and the server, prints the
/// outcome under `name` and exits with 1 if any check failed.
export async function run(name, body) {
  try {
    await body();
  } catch (e) {
    check(false, `${name} run: ${e.stack || e}`);
  } finally {
    await browser.close();
    server.kill();
  }
  console.log(failures ? `${name}: ${failures} check(s) failed` : `${name}: all checks passed; screenshots in ${path.relative(root, shots)}/`);
  process.exit(failures ? 1 : 0);
}
