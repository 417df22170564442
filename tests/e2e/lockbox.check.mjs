// The Customer Lockbox walkthrough and drill in the page: from an empty world, step 1 offers the
// Azure Monitor walkthrough and the records; every card of steps 1-6 is sent in order (REST
// requests and the playground's controls); the page shows the request Approved, the engineer's
// reads and the end of the eight hours; then the drill "Lockbox: approve, then revoke the key"
// runs with every check held. One embed of `guide=lockbox&step=4` approves in its preset.
import path from "node:path";
import { open, idle, send, url, browser, shots, check, provision, stepStatus, run } from "./lib.mjs";

// The cards of each step; controls have no status pill.
const STEPS = [
  ["lockbox-workspace"],
  ["lockbox-opt-in", "lockbox-opted-in"],
  ["lockbox-ask", "lockbox-pending"],
  ["lockbox-approve"],
  ["lockbox-wait-read", "lockbox-wait-access", "lockbox-request"],
  ["lockbox-ask-again", "lockbox-wait-expiry", "lockbox-expired"],
];
const isControl = async (page, card) => (await page.locator(`[data-card="${card}"].control`).count()) > 0;
const panel = (page) => page.textContent("[data-testid=lockbox-panel]");

await run("lockbox", async () => {
  const t0 = Date.now();
  const { page, problems } = await open({ width: 1280, height: 900 });
  await page.click("#guide-lockbox");
  check((await page.textContent("#step-title")).includes("dedicated cluster"), "the Lockbox guide opens at its step 1");
  check((await stepStatus(page)).includes("Azure Monitor walkthrough"), `step 1 says what is missing: ${(await stepStatus(page)).trim()}`);
  // Step 1 offers the Azure Monitor walkthrough, then the records.
  await page.click("[data-testid=go-monitor]");
  const sent = await provision(page);
  check(sent.every((s) => /:2\d\d$/.test(s)), `the Azure Monitor steps: ${sent.join(" ")}`);
  await page.click("#guide-lockbox");
  await page.click("#lockbox-step-1");
  await page.click("[data-testid=lockbox-records]");
  await idle(page);

  for (let n = 1; n <= STEPS.length; n++) {
    await page.click(`#lockbox-step-${n}`);
    const statuses = [];
    for (const card of STEPS[n - 1]) {
      if (await isControl(page, card)) {
        await page.click(`[data-send="${card}"]`);
        await idle(page);
        statuses.push(`${card}:control`);
      } else {
        statuses.push(`${card}:${await send(page, card)}`);
      }
      if (card === "lockbox-approve") {
        const p = await panel(page);
        check(p.includes("Approved") && p.includes("access ends"), `after the approval the page shows the request Approved: ${p.slice(0, 160)}`);
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: path.join(shots, "lockbox-approved.png") });
      }
      if (card === "lockbox-wait-read") {
        const reads = await page.textContent("[data-testid=lockbox-read-list]");
        const audit = await page.textContent("[data-testid=lockbox-audit]");
        check(reads.includes("Microsoft support read 20 rows"), `the engineer's read is shown: ${reads.trim().slice(0, 160)}`);
        check(/\d+ unwrapKey call\(s\) by the cluster's identity succeeded, 0 refused/.test(audit), `the Key Vault audit entries are pointed at: ${audit.trim().slice(0, 120)}`);
      }
      if (card === "lockbox-wait-access") {
        const p = await panel(page);
        check(p.includes("Completed") && p.includes("access ended") && p.includes("8 read(s)"), `the eight hours end: ${p.slice(0, 200)}`);
        await page.locator("article.step").screenshot({ path: path.join(shots, "lockbox-guide.png") });
      }
    }
    const ok = statuses.every((s) => /:(2\d\d|control)$/.test(s));
    const st = (await stepStatus(page)).trim();
    const done = (await page.getAttribute(`#lockbox-step-${n}`, "class")).includes("done");
    check(ok && done, `Lockbox step ${n}: ${statuses.join(" ")} — ${st}`);
  }
  check(problems.length === 0, `no page errors (${problems.join("; ")})`);
  console.log(`  walkthrough: ${Date.now() - t0} ms`);

  // The drill, every stage.
  const t1 = Date.now();
  await page.click("#tab-drills");
  await page.click("[data-drill=lockbox-revoke]");
  await page.click("[data-testid=drill-run-all]");
  await page.click("[data-testid=drill-confirm]");
  await page.waitForSelector("[data-testid=drill-verdict]", { timeout: 120000 });
  await idle(page);
  const verdict = (await page.textContent("[data-testid=drill-verdict]")).trim();
  const failed = await page.$$eval(".checks li.bad", (l) => l.map((x) => x.textContent));
  check(verdict.startsWith("All") && failed.length === 0, `the drill: ${verdict}${failed.length ? " " + failed.join(" | ") : ""}`);
  await page.locator("[data-testid=drill]").screenshot({ path: path.join(shots, "lockbox-drill.png") });
  console.log(`  drill: ${Date.now() - t1} ms`);
  await page.close();

  // An embed of step 4: the approval succeeds in its preset.
  const t2 = Date.now();
  const embed = await browser.newPage({ viewport: { width: 900, height: 800 } });
  await embed.goto(`${url}?embed=1&guide=lockbox&step=4`);
  await embed.waitForSelector("#main-panel[data-ready=true]", { timeout: 120000 });
  await idle(embed);
  const pill = await send(embed, "lockbox-approve");
  check(pill === "200", `an embed of guide=lockbox&step=4 approves: ${pill} (${Date.now() - t2} ms)`);
  console.log(`  total: ${Date.now() - t0} ms`);
});
