// The saved queries and alerts walkthrough (Guide::Byos) in the built site: provision with the
// Azure Monitor walkthrough, switch to the guide, send every step's cards in order, see the saved
// search and the rule's query kept in the storage account under the key, the Logs view's "Query
// history isn't supported", the key hierarchy's customer account, then the drill "Revoke the
// storage account's key" with every check held.
import path from "node:path";
import { check, idle, open, provision, run, send, shots, stepStatus } from "./lib.mjs";

const STEPS = [
  ["byos-workspace"],
  ["byos-identity"],
  ["byos-key", "byos-grant"],
  ["byos-storage-account"],
  ["byos-list-searches", "byos-link-query", "byos-link-alerts"],
  ["byos-saved-search"],
  ["byos-alert-rule"],
  ["byos-read-search", "byos-read-rule"],
];

await run("byos", async () => {
  const t0 = Date.now();
  const { page, problems } = await open({ width: 1280, height: 900 });
  const sent = await provision(page);
  check(sent.every((s) => /:2\d\d$/.test(s)), `the Azure Monitor walkthrough provisions: ${sent.join(" ")}`);

  // A query before the Query link is in the Logs view's history.
  await page.click("#tab-logs");
  await page.click("[data-testid=run-query]");
  await idle(page);
  check((await page.$("[data-testid=query-history]")) !== null, "before the Query link, the Logs view keeps a query history");

  await page.click("#tab-walkthrough");
  await page.click("#guide-byos");
  // A saved search before the Query link: kept in the workspace, under Microsoft's key.
  await page.click("#byos-step-6");
  await send(page, "byos-saved-search");
  check((await stepStatus(page)).includes("kept in the workspace, under a Microsoft-managed key"), "before the Query link, a saved search is kept in the workspace under a Microsoft-managed key");
  for (const [i, cards] of STEPS.entries()) {
    await page.click(`#byos-step-${i + 1}`);
    const pills = [];
    for (const c of cards) {
      if (c === "byos-link-query") {
        check((await page.textContent("[data-testid=byos-saved-now]")).includes("holds 1 saved search now: Failed payments (failed-payments)"), "before the Query link, step 5 names the saved searches the workspace holds");
        const w = await page.textContent(`[data-card="${c}"] [data-testid=replace-warning]`);
        check(w.includes("failed-payments") && w.includes("Copy and any saves searches"), `before it is sent, the Query link's card names the saved searches it removes: ${w}`);
      }
      pills.push(`${c}:${await send(page, c)}`);
    }
    const status = (await stepStatus(page)).trim();
    const done = (await page.getAttribute("[data-testid=step-status]", "class")).includes("done");
    check(done && pills.every((p) => /:2\d\d$/.test(p)), `step ${i + 1}: ${pills.join(" ")} → ${status}`);
    if (i === 4) {
      check((await page.textContent("article.step .why")).includes("Existing saves searches are removed from your workspace"), "step 5 warns, in the seed's words, that existing saved searches are removed");
      check((await page.textContent("[data-testid=byos-saved-now]")).includes("kept in contosoqueries"), "after the Query link, step 5 says where the saved searches went");
      await page.locator("article.step").screenshot({ path: path.join(shots, "byos-step5.png") });
    }
  }
  const search = await page.$("[data-testid=byos-saved-search][data-stored-in=contosoqueries][data-protection=CMK]");
  const rule = await page.$("[data-testid=byos-alert-rule][data-stored-in=contosoqueries][data-protection=CMK]");
  check(search !== null, "the page shows the saved search kept in storage account contosoqueries under CMK");
  check(rule !== null, "and the alert rule's query kept in the account under CMK");
  check((await page.textContent("[data-testid=byos-protects]")).includes("Alert queries of workspace contoso-logs"), "the account's protects names the saved searches and alert queries");
  const alertsPanel = await page.textContent("#alerts-panel");
  check(alertsPanel.includes("payment-errors") && alertsPanel.includes("Query kept in contosoqueries"), `the log search alerts panel says where the rule's query is kept: ${alertsPanel.slice(0, 120)}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, "byos-guide.png"), fullPage: true });
  const hierarchy = await page.textContent("[data-testid=hierarchy]");
  check(hierarchy.includes("contosoqueries") && hierarchy.includes("another key") && hierarchy.includes("Saved searches of workspace contoso-logs"), "the key hierarchy shows the account's AEK, its key and what it protects");
  await page.locator("#keys-panel").screenshot({ path: path.join(shots, "byos-hierarchy.png") });

  // The Logs view: the seed's note, and no history while linked.
  await page.click("#tab-logs");
  const note = await page.textContent("[data-testid=query-history-note]");
  check(note.includes("Query history isn't supported") && note.includes("Pin to dashboard isn't supported"), "the Logs view says query history and pin to dashboard aren't supported");
  await page.click("[data-testid=run-query]");
  await idle(page);
  check((await page.$("[data-testid=query-history]")) === null, "while linked for Query, the Logs view keeps no query history");
  await page.locator(".logs").screenshot({ path: path.join(shots, "byos-logs.png") });

  // The drill, every stage.
  await page.click("#tab-drills");
  await page.click("[data-drill=byos-revoke]");
  // Stage by stage to the revocation: the account's AEK badge says revoked, the cluster's not.
  for (let stage = 0; stage < 3; stage++) {
    await page.click("[data-testid=drill-run]");
    if (await page.$("[data-testid=drill-confirm]")) await page.click("[data-testid=drill-confirm]");
    await page.waitForSelector(`[data-stage='${stage}'].done`, { timeout: 120000 });
  }
  check((await page.$("[data-testid=hierarchy] g.aek[data-principal=queries-cmk-id] .badge[data-access=revoked]")) !== null
    && (await page.$("[data-testid=hierarchy] g.aek[data-principal=contosocluster] .badge[data-access=accessible]")) !== null,
    "in the hierarchy, the account's AEK is revoked while the cluster's stays accessible");
  await page.locator("#keys-panel").screenshot({ path: path.join(shots, "byos-hierarchy-revoked.png") });
  await page.click("[data-testid=drill-run-all]");
  if (await page.$("[data-testid=drill-confirm]")) await page.click("[data-testid=drill-confirm]");
  await page.waitForSelector("[data-testid=drill-verdict]", { timeout: 120000 });
  const verdict = (await page.textContent("[data-testid=drill-verdict]")).trim();
  check(verdict.startsWith("All 16 checks held"), `drill byos-revoke: ${verdict}`);
  const revoked = await page.textContent("[data-stage='2']");
  check(revoked.includes("403 KeyVaultEncryptionKeyNotFound") && revoked.includes("the query counted 20"), "while revoked, saved searches answer 403 KeyVaultEncryptionKeyNotFound and the logs still count 20 rows");
  await page.locator("[data-testid=drill]").screenshot({ path: path.join(shots, "byos-drill.png") });
  check(problems.length === 0, `no errors${problems.length ? ": " + problems.join("; ") : ""}`);
  console.log(`byos: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
