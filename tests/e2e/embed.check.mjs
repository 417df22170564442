// Documentation embeds, checked the way a documentation site uses them: a host page on another
// origin frames `?embed=1&step=N` (or `preset=`), the reader sends the step's request, and it
// succeeds; the frame sizes itself (`height=auto`), never asks "Leave site?", and "Open the full
// playground" carries the reader's world.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { browser, url, shots, check, run, freePort, waitForPort } from "./lib.mjs";

// The host page: another origin (another port), with the few lines the README asks of a host.
const hostDir = mkdtempSync(path.join(tmpdir(), "cmk-host-"));
const hostPort = await freePort();
const host = spawn("python3", ["-m", "http.server", String(hostPort), "--bind", "127.0.0.1", "--directory", hostDir], { stdio: "ignore" });
await waitForPort(hostPort);
// "localhost" and "127.0.0.1" are different origins (and different sites): the frame is cross-origin.
const playground = url.replace("127.0.0.1", "localhost");
const hostPage = (query, height) => `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Docs</title></head>
<body style="margin:0;font:16px sans-serif">
<p>Some documentation text above the playground.</p>
<iframe id="cmk" title="CMK playground" src="${playground}?${query}" style="width:100%;border:0" height="${height}"></iframe>
<script>
  // Resize the frame to the playground's height (height=auto).
  addEventListener("message", (e) => {
    const frame = document.getElementById("cmk");
    if (e.source === frame.contentWindow && e.data && e.data.type === "cmk-playground:height") frame.style.height = e.data.height + "px";
  });
</script>
<p id="after">Text after it.</p>
</body></html>`;
let pages = 0;
async function openEmbed(query, { height = 760, viewport = { width: 1100, height: 900 } } = {}) {
  const name = `host-${pages++}.html`;
  writeFileSync(path.join(hostDir, name), hostPage(query, height));
  const page = await browser.newPage({ viewport });
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
  const dialogs = [];
  page.on("dialog", async (d) => { dialogs.push(d.type()); await d.accept(); });
  await page.goto(`http://127.0.0.1:${hostPort}/${name}`);
  const frame = page.frameLocator("#cmk");
  try {
    await frame.locator("#main-panel[data-ready=true]").waitFor({ timeout: 120000 });
    await frame.locator(".busy.idle").waitFor({ state: "attached", timeout: 120000 });
  } catch (e) {
    // Say what the frame showed, so a failure on another machine can be understood.
    const shown = await frame.locator("body").innerText({ timeout: 5000 }).catch((x) => `(unreadable: ${x.message})`);
    await page.screenshot({ path: path.join(shots, `embed-timeout-${name}.png`) }).catch(() => {});
    throw new Error(`${e.message}\nthe frame showed: ${shown.slice(0, 600)}\nproblems: ${problems.join("; ") || "none"}`);
  }
  return { page, frame, problems, dialogs };
}
const idleIn = (frame) => frame.locator(".busy.idle").waitFor({ state: "attached", timeout: 120000 });

// The cards of each walkthrough step, as the page names them.
const STEPS = {
  monitor: [["group", "vault", "key"], ["cluster"], ["grant"], ["key-identifier"], ["workspace", "link"]],
  sentinel: [["sentinel-cluster", "sentinel-workspace"], ["register-documentdb", "register-securityinsights"], ["find-cosmosdb", "grant-cosmosdb"], ["onboard"], ["onboarding-state", "cluster-key"]],
  byos: [["byos-workspace"], ["byos-identity"], ["byos-key", "byos-grant"], ["byos-storage-account"], ["byos-list-searches", "byos-link-query", "byos-link-alerts"], ["byos-saved-search"], ["byos-alert-rule"], ["byos-read-search", "byos-read-rule"]],
};

await run("embed", async () => {
  // Every step of every walkthrough: the step's own requests succeed in its embed.
  for (const [guide, steps] of Object.entries(STEPS)) {
    for (let n = 1; n <= steps.length; n++) {
      const t0 = Date.now();
      const { page, frame, problems, dialogs } = await openEmbed(`embed=1&guide=${guide}&step=${n}`);
      const statuses = [];
      for (const card of steps[n - 1]) {
        const send = frame.locator(`[data-send="${card}"]`);
        if (!(await send.count())) { statuses.push(`${card}:missing`); continue; }
        await send.click();
        await idleIn(frame);
        statuses.push(`${card}:${(await frame.locator(`[data-card="${card}"] .pill`).textContent()).trim()}`);
      }
      const ok = statuses.every((s) => /:2\d\d$/.test(s));
      check(ok && problems.length === 0, `embed of ${guide} step ${n} on another origin: ${statuses.join(" ")} (${Date.now() - t0} ms)${problems.length ? " " + problems.join("; ") : ""}`);
      if (guide === "monitor" && n === 4) {
        // No "Leave site?" when the reader leaves the documentation page after a Send.
        const handler = await frame.locator("body").evaluate(() => window.onbeforeunload);
        await page.goto("about:blank");
        check(handler === null && dialogs.length === 0, `leaving a documentation page after a Send in its embed asks nothing (onbeforeunload ${handler}, dialogs ${dialogs.length})`);
      }
      await page.close();
    }
  }

  // The named presets open their worlds.
  for (const [preset, what, test] of [
    ["provisioned", "the workspace is linked", async (f) => (await f.locator("[data-testid=cluster-state]").textContent()).includes("Succeeded")],
    ["data", "the workspace has rows", async (f) => { await f.locator("#tab-logs").click(); return (await f.locator(".logs").textContent()).includes("DrillProbe_CL"); }],
    ["revoked", "the cluster's badge says revoked", async (f) => (await f.locator(".side").textContent()).includes("revoked")],
    ["sentinel", "the workspace is onboarded to Sentinel with CMK", async (f) => (await f.locator(".side").textContent()).includes("Sentinel · CMK")],
  ]) {
    const { page, frame, problems } = await openEmbed(`embed=1&preset=${preset}`);
    check((await test(frame)) && problems.length === 0, `embed preset=${preset}: ${what}${problems.length ? " " + problems.join("; ") : ""}`);
    await page.close();
  }

  // At the README's 760 px: compact, the request card in view, nothing floating over it.
  {
    const { page, frame } = await openEmbed("embed=1&step=4", { height: 760, viewport: { width: 1000, height: 900 } });
    const card = await frame.locator('[data-card="key-identifier"]').boundingBox();
    const frameBox = await page.locator("#cmk").boundingBox();
    const send = await frame.locator('[data-send="key-identifier"]').boundingBox();
    const title = await frame.locator("#step-title").boundingBox();
    check(title.y >= frameBox.y && send.y + send.height <= frameBox.y + 760, `in a 760 px frame the step-4 request and its Send button are in view with the step's title above them (title top ${Math.round(title.y - frameBox.y)} px, card top ${Math.round(card.y - frameBox.y)} px, Send bottom ${Math.round(send.y + send.height - frameBox.y)} px)`);
    const floating = await frame.locator("body").evaluate(() => [...document.querySelectorAll("body *")].filter((e) => getComputedStyle(e).position === "fixed" && e.offsetParent !== null && e.getBoundingClientRect().height > 0).map((e) => e.className));
    check(floating.length === 0, `nothing floats over the embed (${floating.join(", ") || "no fixed elements"})`);
    await page.locator("#cmk").screenshot({ path: path.join(shots, "embed-760.png") });
    // "Open the full playground" carries the reader's world and view.
    await frame.locator('[data-send="key-identifier"]').click();
    await idleIn(frame);
    const href = await frame.locator("[data-testid=open-full]").getAttribute("href");
    check(href.includes("#session=") && href.includes("step=4"), `"Open the full playground" carries the session and the step (${href.slice(0, 60)}…)`);
    const [full] = await Promise.all([page.context().waitForEvent("page"), frame.locator("[data-testid=open-full]").click()]);
    await full.waitForSelector("#main-panel[data-ready=true]", { timeout: 120000 });
    await full.waitForSelector(".busy.idle", { state: "attached", timeout: 120000 });
    const pill = (await full.textContent('[data-card="key-identifier"] .pill')).trim();
    const address = full.url();
    check(pill === "202" && !address.includes("#session="), `the full playground opens with the reader's world: step 4's PATCH answered ${pill}; the link's session left the address bar (${address.replace(/^.*\//, "")})`);
    check(await full.evaluate(() => localStorage.getItem("cmk-playground.session.v1") !== null), "and keeps it as its own session");
    await full.close();
    await page.close();
  }

  // height=auto: the host page's frame takes the playground's height, and follows it.
  {
    const { page, frame } = await openEmbed("embed=1&step=2&height=auto", { height: 300 });
    await page.waitForFunction(() => parseInt(document.getElementById("cmk").style.height || "0", 10) > 300, null, { timeout: 10000 }).catch(() => {});
    const h1 = await page.evaluate(() => parseInt(document.getElementById("cmk").style.height || "0", 10));
    const inner = await frame.locator("html").evaluate((e) => e.scrollHeight);
    check(h1 > 300 && Math.abs(h1 - inner) <= 2, `height=auto: the frame is resized to the playground's height (${h1} px, content ${inner} px)`);
    await frame.locator('[data-send="cluster"]').click();
    await idleIn(frame);
    await page.waitForTimeout(300);
    const h2 = await page.evaluate(() => parseInt(document.getElementById("cmk").style.height || "0", 10));
    check(h2 > h1, `and grows with it when a response appears (${h1} → ${h2} px)`);
    await page.close();
  }
  host.kill();
});
