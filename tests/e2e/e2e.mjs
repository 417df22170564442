// End-to-end check of the built site: serve dist/ under a sub-path, open it in headless
// Chromium, and use it the way a person would. Run by scripts/test after the build.
import path from "node:path";
import { root, dist, shots, url, browser, check, open, idle, send, reloadAndReplay, stepStatus, cardBody, sentinelStatus, runNextUntil, provision, run } from "./lib.mjs";

await run("e2e", async () => {
  // 1. The walkthrough, end to end, with the engine in its Worker, at 1280x800.
  {
    const { page, problems } = await open({ width: 1280, height: 800 });
    check(true, `page loads from a sub-path (${url}) with the engine in a Web Worker`);
    const sent = await provision(page);
    check(sent.join(" ") === "group:201 vault:200 key:200 cluster:202 grant:200 key-identifier:202 workspace:201 link:202", `walkthrough requests answered: ${sent.join(" ")}`);
    check((await stepStatus(page)).includes("is linked"), "step 5 ends with the workspace linked");
    check((await page.textContent("[data-testid=cluster-state]")).trim() === "Succeeded", "cluster state panel shows Succeeded");
    check(await page.$("[data-testid=hierarchy] .chip.used") !== null, "key hierarchy marks the key version in use");
    check((await page.getAttribute("[data-testid=hierarchy] g.aek", "data-principal")) === "contosocluster", "the storage AEK names the cluster's identity as the principal that unwraps it");
    await page.locator("[data-testid=hierarchy]").screenshot({ path: path.join(shots, "hierarchy-monitor.png") });
    await page.click("#step-4");
    await page.screenshot({ path: path.join(shots, "desktop-light.png") });

    // The data path in the Worker: simulated machines, a virtual day with progress, bulk
    // AES-GCM through WebCrypto, a query, and the block inspector with tampering.
    check((await page.textContent(".engine-badge")).includes("WebCrypto"), "bulk AES-GCM runs in WebCrypto in the Worker");
    await page.click("#tab-logs");
    await page.click("[data-testid=sources-on]");
    await idle(page);
    await page.click("text=+1 day");
    let sawProgress = false;
    for (let i = 0; i < 300 && !(await page.$(".busy.idle")); i++) {
      if (await page.$(".busy-done")) sawProgress = true;
      await page.waitForTimeout(50);
    }
    await idle(page);
    check(sawProgress, "a long clock run shows its progress");
    // What a tab cannot hold is refused in the form, with the figure, before it is sent.
    await page.fill("#src-linux", "250");
    await page.fill("#src-syslog", "36000");
    const rate = await page.textContent("[data-testid=sources-rate]");
    check(rate.includes("Too much") && rate.includes("9,015,240 rows per hour"), `the sources form refuses 250 machines at 36,000 rows/h with the figure (${rate})`);
    check(await page.$eval("[data-testid=sources-on]", (b) => b.disabled), "and its button is disabled");
    await page.screenshot({ path: path.join(shots, "sources-limit.png") });
    await page.fill("#src-linux", "2");
    await page.fill("#src-syslog", "120");
    check(!(await page.$eval("[data-testid=sources-on]", (b) => b.disabled)), "a configuration within the limit can be sent again");
    // A month of machine data is a long move: Stop ends it where it is, and says so.
    await page.click("[data-testid=advance-30d]");
    await page.waitForSelector("[data-testid=stop-advance]", { timeout: 30000 });
    await page.screenshot({ path: path.join(shots, "long-move.png"), clip: { x: 0, y: 0, width: 1280, height: 140 } });
    await page.click("[data-testid=stop-advance]");
    await idle(page);
    const stopped = await page.textContent(".notice");
    check(stopped.includes("Stopped: the clock moved") && stopped.includes("of the 30d asked for"), `Stop ends a long clock move and says how far it got (${stopped.trim().slice(0, 120)})`);
    await page.click(".notice button");
    await page.fill("#log-query", "Heartbeat | summarize count() by Computer");
    await page.click("[data-testid=run-query]");
    await idle(page);
    const stats = await page.textContent("[data-testid=query-stats]");
    check(stats.startsWith("4 rows"), `a query over a day of simulated data answers (${stats})`);
    await page.screenshot({ path: path.join(shots, "logs.png") });
    await page.click("[data-block]");
    await idle(page);
    check((await page.textContent("[data-testid=inspector-check]")).includes("decrypted and authenticated"), "the inspector decrypts a block through the key chain");
    await page.click("[data-testid=tamper-sealed]");
    await idle(page);
    check((await page.textContent("[data-testid=inspector-check]")).includes("failed authentication"), "a flipped bit fails authentication");
    check((await page.textContent("[data-testid=inspector-result]")).includes("failed authentication"), "the outcome is shown next to the tamper buttons");
    // Each column is its own AEAD message: the flipped byte (in the first chunk) fails that chunk only.
    const chunks = await page.$$eval("[data-testid=inspector-chunks] tbody tr", (rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
    check(chunks.length >= 2 && chunks.some((c) => c[2] === "dictionary"), `the inspector lists the column chunks and their encodings (${chunks.map((c) => `${c[0]}:${c[2]}`).join(", ")})`);
    check(chunks[0][5].startsWith("✗") && chunks.slice(1).every((c) => c[5] === "✓"), "the flipped byte fails its own column chunk and no other");
    await page.$eval("[data-testid=inspector-chunks]", (t) => t.scrollIntoView({ block: "start" }));
    await page.screenshot({ path: path.join(shots, "inspector-chunks.png") });
    await page.screenshot({ path: path.join(shots, "inspector.png") });
    // Focus stays in the dialog: many Tabs never leave it.
    for (let k = 0; k < 12; k++) await page.keyboard.press("Tab");
    check(await page.evaluate(() => document.querySelector("[data-testid=inspector]").contains(document.activeElement)), "Tab keeps focus inside the inspector");
    // Closed and reopened, the flip is remembered: the block is marked and the undo is offered.
    await page.keyboard.press("Escape");
    check((await page.$("[data-testid=inspector]")) === null, "Escape closes the inspector");
    check(await page.evaluate(() => document.activeElement && document.activeElement.matches("[data-block]")), "focus goes back to the block that opened it");
    check((await page.$("[data-testid=block-tampered]")) !== null, "the block list marks the tampered block");
    await page.click("[data-block]");
    await idle(page);
    await page.click("[data-testid=tamper-undo]");
    await idle(page);
    check((await page.textContent("[data-testid=inspector-check]")).includes("decrypted and authenticated"), "undoing the flip restores the block");
    check((await page.$("[data-testid=block-tampered]")) === null, "and the mark goes away");
    await page.keyboard.press("Escape");

    // Keyboard: Ctrl+Enter sends from the console's body editor; arrow keys move between tabs.
    await page.click("#tab-walkthrough");
    await page.focus("#tab-walkthrough");
    await page.keyboard.press("ArrowRight");
    check(await page.$("#tab-drills[aria-selected=true]") !== null, "ArrowRight moves to the next tab (drills)");
    await page.keyboard.press("ArrowRight");
    check(await page.$("#tab-logs[aria-selected=true]") !== null, "and to the next (logs)");
    await page.keyboard.press("ArrowRight");
    check(await page.$("#tab-console[aria-selected=true]") !== null, "and again to the REST console");
    await page.keyboard.press("End");
    check(await page.$("#tab-catalogue[aria-selected=true]") !== null, "End moves to the last tab");
    await page.keyboard.press("Home");
    check(await page.$("#tab-walkthrough[aria-selected=true]") !== null, "Home moves to the first tab");
    check((await page.$$("[role=tab][tabindex='0']")).length === 1, "only the selected tab is a Tab stop");
    await page.click("#tab-console");
    await page.fill("#console-url", "https://graph.microsoft.com/v1.0/me");
    await page.focus("#console-body");
    await page.keyboard.press("Control+Enter");
    await idle(page);
    const body = await page.textContent(".console .json");
    check(body.includes("avery@contoso.onmicrosoft.com"), "Ctrl+Enter in the console sends the request");
    await page.fill("#console-url", "https://management.azure.com/subscriptions?api-version=2099-01-01");
    await page.keyboard.press("Control+Enter");
    await idle(page);
    check((await page.textContent(".console .response")).includes("InvalidApiVersionParameter"), "a bad api-version gets ARM's InvalidApiVersionParameter in the page");
    await page.fill("#console-headers", "Content-Type: application/json\nnot a header");
    check((await page.textContent("[data-testid=console-bad-headers]")).includes("not a header"), "a header line that is not Name: value is named as not sent");
    await page.fill("#console-headers", "Content-Type: application/json");
    await page.screenshot({ path: path.join(shots, "console.png") });
    await page.click("#tab-timeline");
    await page.screenshot({ path: path.join(shots, "timeline.png") });
    // A reload replays all of it, a day of sealed machine data included.
    const seen = async () => [await page.textContent("[data-testid=clock-time]"), await page.textContent("[data-testid=cluster]"), await page.textContent("#main-panel")].join("\n");
    const before = await seen();
    const ms = await reloadAndReplay(page);
    await page.click("#tab-timeline");
    check((await seen()) === before, `a reload restores a provisioned session with a day of machine data, tampering and console requests (page ready ${ms} ms after the reload)`);
    // Filters survive a visit to another tab; no match says so and offers to clear them.
    await page.fill("#timeline-search", "zzzz-no-such-event");
    check((await page.$("[data-testid=timeline-no-match]")) !== null, "a search without matches says so");
    await page.click("#tab-logs");
    await page.click("#tab-timeline");
    check((await page.inputValue("#timeline-search")) === "zzzz-no-such-event", "the timeline search survives a tab switch");
    await page.click("[data-testid=timeline-no-match] button");
    check((await page.inputValue("#timeline-search")) === "", "clearing the filters empties the search");
    check(problems.length === 0, `no console errors, page errors or failed requests${problems.length ? ": " + problems.join("; ") : ""}`);
    await page.close();
  }

  // 1a. The Microsoft Sentinel walkthrough, end to end, with its mistakes, in the Worker.
  {
    const { page, problems } = await open({ width: 1280, height: 900 });
    // Before anything exists, Sentinel's step 1 sends the learner to the Azure Monitor walkthrough.
    await page.click("#guide-sentinel");
    check((await page.textContent("[data-testid=go-monitor]")).trim() === "Open the Azure Monitor walkthrough at step 1", "Sentinel step 1 offers the Azure Monitor walkthrough at its first unfinished step");
    await page.click("[data-testid=go-monitor]");
    check((await page.getAttribute("#guide-monitor", "aria-pressed")) === "true" && (await page.$("#step-1[aria-current=step]")) !== null, "and takes the learner there");
    await provision(page);
    // The switch: two buttons, reachable with Tab, the pressed one said.
    await page.focus("#guide-monitor");
    await page.keyboard.press("Tab");
    check(await page.evaluate(() => document.activeElement && document.activeElement.id === "guide-sentinel"), "Tab moves from the Azure Monitor switch to the Microsoft Sentinel one");
    await page.keyboard.press("Enter");
    check((await page.getAttribute("#guide-sentinel", "aria-pressed")) === "true" && (await page.getAttribute("#guide-monitor", "aria-pressed")) === "false", "Enter shows the Microsoft Sentinel walkthrough (aria-pressed follows)");
    check((await page.$$(".stepper-item")).length === 5 && (await page.$("#sentinel-step-1[aria-current=step]")) !== null, "the Sentinel walkthrough has five steps and opens at step 1");
    check((await sentinelStatus(page)).includes("is linked to cluster"), `Sentinel step 1 is done by the Azure Monitor walkthrough (${(await sentinelStatus(page)).trim()})`);
    const quote = await page.textContent(".why");
    check(quote.includes("Make sure you have a Log Analytics workspace, and that it's linked to a dedicated cluster on which CMK is enabled.") && quote.includes("should be of System Assigned type"), "step 1 quotes the document with its words spaced");
    const sent = [];
    for (const c of ["sentinel-cluster", "sentinel-workspace"]) sent.push(`${c}:${await send(page, c)}`);
    check((await cardBody(page, "sentinel-cluster")).includes("SystemAssigned"), "the cluster answers with its system-assigned identity");

    await page.click("#sentinel-step-2");
    for (const c of ["register-documentdb", "register-securityinsights"]) sent.push(`${c}:${await send(page, c)}`);
    check((await cardBody(page, "register-documentdb")).includes("Registering"), "registering Microsoft.DocumentDB answers Registering");
    await runNextUntil(page, async () => (await sentinelStatus(page)).includes("are registered"));
    check((await sentinelStatus(page)).includes("are registered"), "run to next event until both providers are Registered");

    // Mistake: onboarding before the Azure Cosmos DB grant loads step 4's request and moves there.
    await page.click("#sentinel-step-3");
    await page.click(".mistakes button");
    check((await page.$("#sentinel-step-4[aria-current=step]")) !== null && (await page.$("[data-card=onboard].mistake")) !== null, "the forgotten-grant mistake loads the onboarding request in step 4");
    sent.push(`onboard(before grant):${await send(page, "onboard")}`);
    check((await cardBody(page, "onboard")).includes("Add an access policy that allows Azure Cosmos DB to access the Azure Key Vault instance that is linked to your dedicated Log Analytics cluster (the same key will be used by Microsoft Sentinel)."), "onboarding before the grant is refused in the document's words");
    await page.click("#sentinel-step-3");
    sent.push(`find-cosmosdb:${await send(page, "find-cosmosdb")}`);
    check((await cardBody(page, "find-cosmosdb")).includes("Azure Cosmos DB"), "Graph finds the Azure Cosmos DB principal");
    sent.push(`grant-cosmosdb:${await send(page, "grant-cosmosdb")}`);
    check((await sentinelStatus(page)).includes("get, wrapKey and unwrapKey"), "step 3 is done: Azure Cosmos DB can use the key");

    // Mistake: onboarded without CMK first, then CMK is refused; DELETE starts over.
    await page.click("#sentinel-step-4");
    await page.click(".mistakes button");
    sent.push(`onboard(without CMK):${await send(page, "onboard")}`);
    check((await page.$(".status-line.warning")) !== null, "onboarded without CMK: step 4 warns");
    check((await page.textContent("[data-testid=sentinel-badge]")).trim() === "Sentinel · Microsoft-managed key", "the cluster panel badges the workspace Sentinel · Microsoft-managed key");
    const ineffective = (await page.textContent("[data-testid=sentinel-ineffective]")) || "";
    check(ineffective.includes("Microsoft Sentinel data continues is encrypted only by the Microsoft-managed key, and not by the CMK") && (await page.getAttribute("[data-testid=sentinel-badge]", "title")) === ineffective.replace("Microsoft Sentinel: ", ""), "the panel says why Sentinel's data stays under the Microsoft-managed key (text and tooltip)");
    await page.locator("[data-testid=cluster]").screenshot({ path: path.join(shots, "cluster-panel-sentinel-mmk.png") });
    await page.click("[data-card=onboard] button.secondary");
    sent.push(`onboard:${await send(page, "onboard")}`);
    check((await cardBody(page, "onboard")).includes("The Microsoft Sentinel CMK capability is provided only to workspaces in Log Analytics dedicated clusters that have not already been onboarded to Microsoft Sentinel."), "CMK on a workspace already onboarded is refused in the document's words");
    await page.selectOption("#onboard-method", "DELETE");
    sent.push(`offboard:${await send(page, "onboard")}`);
    await page.click("[data-card=onboard] button.secondary");
    sent.push(`onboard:${await send(page, "onboard")}`);
    check((await cardBody(page, "onboard")).includes('"customerManagedKey": true'), "onboarding with customerManagedKey true answers with it");

    await page.click("#sentinel-step-5");
    for (const c of ["onboarding-state", "cluster-key"]) sent.push(`${c}:${await send(page, c)}`);
    check((await sentinelStatus(page)).includes("unwrapped by Azure Cosmos DB"), `step 5 is done: ${(await sentinelStatus(page)).trim()}`);
    const store = await page.textContent("[data-testid=sentinel-store]");
    check(store.includes("Azure Cosmos DB") && store.includes("accessible"), "step 5 shows Sentinel's store, unwrapped by Azure Cosmos DB, accessible");
    check((await page.textContent("[data-testid=sentinel-badge]")).trim() === "Sentinel · CMK", "the cluster panel badges the workspace Sentinel · CMK");
    check((await page.$$(".stepper-item.done")).length === 5, "all five Sentinel steps are done");
    check(sent.join(" ") === "sentinel-cluster:200 sentinel-workspace:200 register-documentdb:200 register-securityinsights:200 onboard(before grant):400 find-cosmosdb:200 grant-cosmosdb:200 onboard(without CMK):201 onboard:400 offboard:200 onboard:201 onboarding-state:200 cluster-key:200", `Sentinel walkthrough requests answered: ${sent.join(" ")}`);
    // The hierarchy: both AEKs under the same KEK, each with the principal that unwraps it.
    const principals = await page.$$eval("[data-testid=hierarchy] g.aek", (gs) => gs.map((g) => g.getAttribute("data-principal")));
    check(principals.includes("Azure Cosmos DB") && principals.length >= 2 && principals.every((p) => p), `the hierarchy draws both AEKs with their principals (${principals.join(", ")})`);
    check((await page.$$("[data-testid=hierarchy] g.aek .badge[data-access=accessible]")).length >= 2, "each AEK carries its access badge");
    check((await page.$$("[data-testid=hierarchy] .edge.wrap")).length >= 2, "the same key version wraps both AEKs");
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(shots, "sentinel-walkthrough.png") });
    await page.locator("[data-testid=hierarchy]").screenshot({ path: path.join(shots, "hierarchy-sentinel.png") });
    // Mistakes after onboarding: the cluster's identity and key are Sentinel's too.
    await (await page.$$(".mistakes button"))[0].click();
    const uaStatus = await send(page, "cluster-key");
    check(uaStatus === "400" && (await cardBody(page, "cluster-key")).includes("Microsoft Sentinel supports System Assigned Identities in CMK configuration. Therefore, the dedicated Log Analytics cluster's identity should be of System Assigned type."), `a user-assigned identity is refused in the document's words (${uaStatus})`);
    await (await page.$$(".mistakes button"))[1].click();
    const replaceStatus = await send(page, "cluster-key");
    check(replaceStatus === "400" && (await cardBody(page, "cluster-key")).includes("Changing the customer-managed key to another key (with another URI) currently isn't supported. You should change the key by rotating it."), `another key name is refused in the document's words (${replaceStatus})`);
    // Every control of the switch and the step is reachable with Tab and named.
    const unnamed = await page.$$eval(".walkthrough button, .walkthrough select, .walkthrough textarea", (els) => els.filter((el) => {
      const name = (el.getAttribute("aria-label") || el.textContent || "").trim();
      const label = el.id && document.querySelector(`label[for="${el.id}"]`);
      return el.tabIndex < 0 || (!name && !label);
    }).map((el) => el.outerHTML.slice(0, 80)));
    check(unnamed.length === 0, `every control of the Sentinel walkthrough is a named Tab stop${unnamed.length ? ": " + unnamed.join("; ") : ""}`);
    // A reload comes back to the same walkthrough and step.
    await reloadAndReplay(page);
    check((await page.getAttribute("#guide-sentinel", "aria-pressed")) === "true" && (await page.$("#sentinel-step-5[aria-current=step]")) !== null, "a reload reopens the Sentinel walkthrough at step 5");
    check((await sentinelStatus(page)).includes("unwrapped by Azure Cosmos DB"), "and the replayed session is onboarded");
    check(problems.length === 0, `no errors in the Sentinel walkthrough${problems.length ? ": " + problems.join("; ") : ""}`);
    await page.close();
  }

  // 1b. Every guided drill, in the Worker, from one click each; then a month on the clock.
  {
    const { page, problems } = await open({ width: 1280, height: 900 });
    await page.click("#tab-drills");
    for (const [drill, checks] of [["revoke-recover", 14], ["auto-rotation", 12], ["pinned-forget", 22], ["kv-outage", 9], ["identity-none", 13], ["sentinel-revoke", 18], ["sentinel-rotate", 18], ["sentinel-undefined", 17]]) {
      await page.click(`[data-drill=${drill}]`);
      const t0 = Date.now();
      if (drill === "sentinel-revoke") {
        // Stage by stage to the revocation: the store's badges say revoked.
        for (let stage = 0; stage < 3; stage++) {
          await page.click("[data-testid=drill-run]");
          if (await page.$("[data-testid=drill-confirm]")) await page.click("[data-testid=drill-confirm]");
          await page.waitForSelector(`[data-stage='${stage}'].done`, { timeout: 300000 });
        }
        const checks2 = await page.textContent("[data-stage='2']");
        check(checks2.includes("403 CustomerManagedKeyUnavailable") && checks2.includes("0 incident(s), 0 before"), "within the hour a watchlist PUT gets 403 and no incident is created");
        check((await page.getAttribute("[data-testid=sentinel-access] .pill", "data-access")) === "revoked", "the cluster panel's Sentinel store badge says revoked");
        check((await page.$("[data-testid=hierarchy] g.aek[data-principal='Azure Cosmos DB'] .badge[data-access=revoked]")) !== null, "the hierarchy's Sentinel store AEK badge says revoked");
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: path.join(shots, "sentinel-drill-revoked.png") });
        await page.locator("[data-testid=drill]").screenshot({ path: path.join(shots, "sentinel-drill-checks.png") });
        await page.locator("[data-testid=hierarchy]").screenshot({ path: path.join(shots, "hierarchy-sentinel-revoked.png") });
      }
      // From the second drill on, starting over asks for confirmation first.
      await page.click("[data-testid=drill-run-all]");
      if (await page.$("[data-testid=drill-confirm]")) await page.click("[data-testid=drill-confirm]");
      await page.waitForSelector("[data-testid=drill-verdict]", { timeout: 300000 });
      const verdict = (await page.textContent("[data-testid=drill-verdict]")).trim();
      check(verdict.startsWith(`All ${checks} checks held`), `drill ${drill}: ${verdict} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      if (drill === "revoke-recover") {
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: path.join(shots, "drill.png") });
        await page.click("#tab-timeline");
        await page.click("text=Problems only");
        await page.screenshot({ path: path.join(shots, "timeline-revocation.png") });
        await page.click("#tab-audit");
        check(await page.$("[data-testid=versions]") !== null, "the audit view lists key versions with their last use");
        await page.click("#tab-drills");
      }
      if (drill === "sentinel-rotate") {
        await page.click("#tab-audit");
        const rows = await page.$$eval("[data-testid=versions] tbody tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent.trim())));
        const previous = rows.find((r) => r[2] === "disabled");
        check(rows.length === 2 && previous && previous[3] !== "—", `the audit view shows the previous version's last use (${previous ? previous.join(" | ") : "no disabled version"})`);
        await page.click("#tab-drills");
      }
      if (drill === "sentinel-undefined") {
        check((await page.textContent("[data-stage='1']")).includes("Disabling CMK on a CMK-enabled Log Analytics dedicated cluster"), "the refused key removal quotes the document");
      }
    }
    // The drill left the cluster revoked for good (identity None); a month passes in the Worker.
    await page.click("#tab-drills");
    await page.click("[data-drill=auto-rotation]");
    await page.click("[data-testid=drill-run]");
    if (await page.$("[data-testid=drill-confirm]")) await page.click("[data-testid=drill-confirm]");
    await page.waitForSelector("[data-stage='0'].done", { timeout: 300000 });
    await page.click("[data-lever=RotationPolicy]");
    await idle(page);
    const t0 = Date.now();
    for (let day = 0; day < 30; day++) { await page.click("text=+1 day"); await idle(page); }
    const secs = (Date.now() - t0) / 1000;
    check((await page.getAttribute("[data-testid=cluster-access] .pill", "data-access")) === "accessible", `30 virtual days with a rotation policy in ${secs.toFixed(1)} s of clicks; the cluster stays accessible`);
    await page.click("#tab-audit");
    const versions = await page.$$("[data-testid=versions] tbody tr");
    check(versions.length === 2, `the rotation policy created a second version (${versions.length} versions)`);
    check(problems.length === 0, `no errors while drilling${problems.length ? ": " + problems.join("; ") : ""}`);
    await page.close();
  }

  // 2. Dark theme: toggled, remembered across a reload.
  {
    const { page } = await open({ width: 1280, height: 800 });
    await page.click("button[aria-label^='Switch to dark']");
    check(await page.getAttribute("html", "data-theme") === "dark", "theme toggles to dark");
    await page.reload();
    await page.waitForSelector("text=Engine: Web Worker", { state: "attached" });
    check(await page.getAttribute("html", "data-theme") === "dark", "dark theme is remembered after a reload");
    await provision(page);
    await page.click("#step-4");
    await page.screenshot({ path: path.join(shots, "desktop-dark.png") });
    await page.close();
  }

  // 3. A documentation embed: no chrome, the requested step and theme.
  {
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    await page.goto(`${url}?embed=1&step=3&theme=dark`);
    await page.waitForSelector("text=Engine: Web Worker", { state: "attached", timeout: 30000 });
    await page.waitForSelector(".stepper");
    check(await page.isHidden("header.top"), "embed=1 hides the header");
    check(await page.getAttribute("#step-3", "aria-current") === "step", "step=3 opens the walkthrough at step 3");
    check(await page.getAttribute("html", "data-theme") === "dark", "theme=dark forces the dark theme");
    check(await page.$("a.open-full") !== null, "an embed links to the full playground");
    await page.goto(`${url}?embed=1&guide=sentinel&step=4`);
    await page.waitForSelector(".stepper");
    check(await page.getAttribute("#sentinel-step-4", "aria-current") === "step", "guide=sentinel&step=4 opens the Sentinel walkthrough at step 4");
    await page.close();
  }

  // 4. A phone: no horizontal scrolling; the clock comes first.
  {
    const { page, problems } = await open({ width: 390, height: 844 });
    await provision(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    check(overflow <= 0, `no horizontal overflow at 390px (overflow ${overflow}px)`);
    const steps = await page.$$eval(".stepper-item", (els) => els.map((el) => el.getAttribute("aria-label") || ""));
    check(steps.length === 5 && steps.every((l) => /^Step \d: .+ \(.+\)$/.test(l)), `the stepper's buttons are named on a phone (${steps[0]})`);
    await page.click("#guide-sentinel");
    const sentinelOverflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    check(sentinelOverflow <= 0, `no horizontal overflow in the Sentinel walkthrough at 390px (overflow ${sentinelOverflow}px)`);
    await page.click("#guide-monitor");
    await page.click("#tab-logs");
    const logsOverflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    check(logsOverflow <= 0, `no horizontal overflow on the Logs tab at 390px (overflow ${logsOverflow}px)`);
    await page.click("#tab-walkthrough");
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(shots, "phone.png") });
    check(problems.length === 0, "no errors on the phone layout");
    await page.close();
  }

  // 5. A reload loses nothing: a drill run and an hour on the clock, in the Worker, replayed
  // from the session journal in localStorage; then a session too large to save.
  {
    const { page, problems } = await open({ width: 1280, height: 800 });
    await page.click("#tab-drills");
    await page.click("[data-drill=revoke-recover]");
    await page.click("[data-testid=drill-run-all]");
    await page.waitForSelector("[data-testid=drill-verdict]", { timeout: 300000 });
    await page.click("#tab-walkthrough");
    await page.click("#step-5");
    await page.click("text=+1 h");
    await idle(page);
    const world = async () => {
      await page.click("#tab-timeline");
      const w = {
        cluster: await page.textContent("[data-testid=cluster]"),
        clock: await page.textContent("[data-testid=clock-time]"),
        timeline: await page.textContent("#main-panel"),
        hierarchy: await page.textContent("[data-testid=hierarchy]"),
        history: await page.textContent("#tab-console"),
      };
      await page.click("#tab-walkthrough");
      return w;
    };
    const before = await world();
    check(await page.evaluate(() => window.onbeforeunload === null), "a saved session does not ask before leaving");
    const restored = [];
    page.on("console", (m) => { if (m.text().includes("restored")) restored.push(m.text()); });
    const ms = await reloadAndReplay(page);
    const after = await world();
    for (const k of Object.keys(before)) check(after[k] === before[k], `after a reload the ${k} is the same${after[k] === before[k] ? "" : `: ${before[k].slice(0, 200)} became ${after[k].slice(0, 200)}`}`);
    check(restored.length === 1, `the journal replayed in the Worker: ${restored.join("; ")}; page ready ${ms} ms after the reload`);
    check((await page.$(".notice")) === null, "restoring shows no notice");
    check(problems.length === 0, `no errors while restoring${problems.length ? ": " + problems.join("; ") : ""}`);

    // Storage nearly full: the next command cannot be saved; the page says so and guards unload.
    await page.evaluate(() => {
      let i = 0;
      for (let size = 256 * 1024; size >= 16; size /= 4) {
        const chunk = "x".repeat(size);
        for (;;) {
          try { localStorage.setItem(`fill${i++}`, chunk); } catch { break; }
        }
      }
    });
    await page.click("text=+1 min");
    await idle(page);
    const notice = (await page.textContent(".notice")) || "";
    check(notice.includes("can't be saved"), `a session storage cannot hold is reported: ${notice.trim()}`);
    check(await page.evaluate(() => window.onbeforeunload !== null && localStorage.getItem("cmk-playground.session.v1") === null), "then the page asks before leaving, and no partial journal is left");
    await page.close();
  }
});
