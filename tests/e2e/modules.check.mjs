// The two modules (issue 14): index.html starts the engine's Worker before the page's own module
// has loaded; the page's module has no engine in it, and loads the engine module itself only when
// a Worker cannot start; assets travel precompressed; the benchmark module is not shipped.
import { existsSync } from "node:fs";
import path from "node:path";
import { browser, url, dist, check, run, idle, send } from "./lib.mjs";

async function load(blockWorker) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  const requests = [];
  // Playwright reports a dedicated Worker's requests on the page too.
  page.on("request", (r) => requests.push({ url: r.url(), at: Date.now() }));
  const responses = [];
  page.on("response", async (r) => responses.push({ url: r.url(), encoding: r.headers()["content-encoding"] || "identity", at: Date.now() }));
  if (blockWorker) await page.route("**/worker.js", (r) => r.fulfill({ status: 404, body: "" }));
  await page.goto(url);
  await page.waitForSelector("#main-panel[data-ready=true]", { timeout: 120000 });
  await idle(page);
  return { page, problems, requests, responses };
}

const name = (u) => new URL(u).pathname.split("/").slice(-2).join("/");

await run("modules", async () => {
  const { page, problems, requests, responses } = await load(false);
  // index.html creates the Worker while it parses its head, before the page's module has arrived
  // (resource timing of the page's wasm against the moment recorded by index.html), and the page
  // takes that Worker over rather than starting another.
  const t = await page.evaluate(() => ({
    started: window.cmkEngine && window.cmkEngine.started,
    wasm: (performance.getEntriesByType("resource").find((e) => e.name.endsWith("/ui/cmk_page_bg.wasm")) || {}).responseEnd,
  }));
  check(t.started !== undefined && t.wasm !== undefined && t.started < t.wasm,
    `the Worker is started before the page's module has arrived (at ${Math.round(t.started)} ms; cmk_page_bg.wasm arrived at ${Math.round(t.wasm)} ms)`);
  const workers = requests.filter((r) => name(r.url) === "playground/worker.js").length;
  check(workers === 1, `the page takes over that Worker rather than starting another (${workers} worker.js request)`);
  const engineFetches = requests.filter((r) => name(r.url) === "pkg/cmk_playground_bg.wasm");
  check(engineFetches.length === 1, `the engine module is fetched once, by the Worker: the page does not load it too (${engineFetches.length} fetches)`);
  check(await page.locator("text=Engine: Web Worker").count() > 0, "the engine runs in the Web Worker");
  const encodings = responses.filter((r) => /\.(wasm|js|css)$/.test(new URL(r.url).pathname)).map((r) => `${name(r.url)}:${r.encoding}`);
  check(encodings.length > 0 && encodings.every((e) => e.endsWith(":br")), `scripts, styles and wasm arrive precompressed (${encodings.join(", ")})`);
  check((await send(page, "group")) === "201", "step 1's first request is answered 201 through the Worker");
  check(!existsSync(path.join(dist, "bench-pkg")) && !existsSync(path.join(dist, "bench.html")), "the benchmark page and its module are not in the shipped site");
  check(problems.length === 0, `no page errors (${problems.join("; ") || "none"})`);
  await page.close();

  // A browser where the Worker cannot start: the engine module is loaded into the page instead.
  const fb = await load(true);
  const inPage = fb.requests.filter((r) => name(r.url) === "pkg/cmk_playground_bg.wasm").length;
  check(inPage === 1, `with the Worker refused, the page loads the engine module itself (${inPage} fetch)`);
  const notice = await fb.page.locator("text=/The engine runs in the page because/").first().textContent().catch(() => "");
  check(notice.includes("worker"), `and says so: "${notice.trim().slice(0, 140)}…"`);
  check(await fb.page.locator("text=Engine: page").count() > 0, "the engine badge says it runs in the page");
  const statuses = [];
  for (const card of ["group", "vault", "key"]) statuses.push(`${card}:${await send(fb.page, card)}`);
  check(statuses.join(" ") === "group:201 vault:200 key:200", `step 1 works in the page's engine (${statuses.join(" ")})`);
  check(fb.problems.length === 0, `no page errors (${fb.problems.join("; ") || "none"})`);
  await fb.page.close();
});
