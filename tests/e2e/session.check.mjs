// Sessions as a person shares and rewinds them: the address bar follows the view (Back and
// Forward), a share link carries a session with data and a drill to a fresh browser, files
// export and import, "New session" and "Restore" never lose anything, rewinds from the timeline
// and the history branch from the past, and a drill's stage can be run again. Also the page
// defects of issue 10 that live in these flows.
import { readFileSync } from "node:fs";
import path from "node:path";
import { browser, url, shots, check, run } from "./lib.mjs";

const ready = async (page) => {
  await page.waitForSelector("#main-panel[data-ready=true]", { timeout: 120000 });
  await page.waitForSelector(".busy.idle", { state: "attached", timeout: 120000 });
};
const idle = (page) => page.waitForSelector(".busy.idle", { state: "attached", timeout: 120000 });
async function openAt(context, address, viewport = { width: 1280, height: 800 }) {
  const page = await context.newPage({ viewport });
  await page.setViewportSize(viewport);
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
  await page.goto(address);
  await ready(page);
  return { page, problems };
}
const menu = async (page, item) => {
  await page.click("[data-testid=session-menu]");
  await page.click(`[data-testid=${item}]`);
};
const clock = (page) => page.textContent("[data-testid=clock-time]");
const notice = async (page) => ((await page.$(".notice")) ? (await page.textContent(".notice")).trim() : "");
const search = (page) => page.evaluate(() => location.search);
// Waits until the page says `text` (what an opened, restored or rewound session says when ready).
const says = async (page, text) => {
  await page.waitForFunction((t) => (document.querySelector(".notice")?.textContent || "").includes(t), text, { timeout: 120000 });
  await ready(page);
};
const rows = (stats) => stats.split("·")[0].trim();

await run("session", async () => {
  const ctx = await browser.newContext();
  const { page, problems } = await openAt(ctx, url);

  // The address bar follows the view, so Back and Forward move between views.
  check((await search(page)) === "?tab=walkthrough&guide=monitor&step=1", `the address bar names the view (${await search(page)})`);
  await page.click("#step-2");
  await page.click("#tab-logs");
  check((await search(page)).includes("tab=logs"), `choosing a view adds an entry (${await search(page)})`);
  await page.goBack();
  check((await page.getAttribute("#tab-walkthrough", "aria-selected")) === "true" && (await page.getAttribute("#step-2", "aria-current")) === "step", "Back returns to the walkthrough's step 2");
  await page.goBack();
  check((await page.getAttribute("#step-1", "aria-current")) === "step", "Back again returns to step 1, still in the app");
  await page.goForward();
  check((await page.getAttribute("#step-2", "aria-current")) === "step", "Forward goes to step 2 again");

  // A session with a drill and data of the person's own.
  await page.click("#tab-drills");
  await page.click("[data-testid=drill-run-all]");
  await page.waitForSelector("[data-testid=drill-verdict]", { timeout: 180000 });
  await idle(page);
  const verdict = (await page.textContent("[data-testid=drill-verdict]")).trim();
  check(verdict.startsWith("All"), `the drill ran (${verdict})`);
  await page.click("#tab-logs");
  await page.click("[data-testid=send-records]");
  await idle(page);
  await page.fill("#log-query", "AppEvents_CL | count");
  await page.click("[data-testid=run-query]");
  await idle(page);
  const counted = (await page.textContent("[data-testid=query-stats]")).trim();
  const time = await clock(page);
  const timeline = await page.evaluate(() => document.querySelectorAll(".events li").length);

  // Share: the page says what the link holds before it is copied.
  await menu(page, "share");
  const said = await page.textContent("[data-testid=share-dialog]");
  check(/\d+ log records sent to the HTTP Data Collector API \(\d/.test(said) && said.includes("commands run in it") && said.includes("no real keys"), `the share dialog says what the link holds: ${said.slice(0, 200)}…`);
  await page.screenshot({ path: path.join(shots, "share-dialog.png") });
  const link = await page.inputValue("[data-testid=share-link]");
  check(link.includes("#session=") && link.length < 8000, `a link of ${link.length} characters`);
  await page.keyboard.press("Escape");
  check((await page.$("[data-testid=share-dialog]")) === null, "Escape closes the share dialog");

  // Opened in another browser profile (nothing stored), it rebuilds the same world and drill.
  const other = await browser.newContext();
  const { page: shared, problems: sharedProblems } = await openAt(other, link);
  check((await clock(shared)) === time, `the link rebuilds the world at the same virtual time (${await clock(shared)})`);
  await shared.click("#tab-drills");
  const sharedVerdict = (await shared.textContent("[data-testid=drill-verdict]").catch(() => "(none)")).trim();
  check(sharedVerdict === verdict, `and the drill with its checks (${sharedVerdict})`);
  await shared.click("#tab-logs");
  await shared.fill("#log-query", "AppEvents_CL | count");
  await shared.click("[data-testid=run-query]");
  await idle(shared);
  check(rows(await shared.textContent("[data-testid=query-stats]")) === rows(counted), `and the records ingested (${rows(counted)})`);
  check(!shared.url().includes("#session=") && (await notice(shared)).includes("Opened a shared session"), "the link's session leaves the address bar and the page says what it opened");
  check(sharedProblems.length === 0, `no errors opening a link ${sharedProblems.join("; ")}`);

  // Export to a file, import it elsewhere; "New session" and "Restore" lose nothing.
  const [download] = await Promise.all([page.waitForEvent("download"), menu(page, "export")]);
  const file = path.join(shots, "exported-session.json");
  await download.saveAs(file);
  const exported = JSON.parse(readFileSync(file, "utf8"));
  check(exported.format === "cmk-playground session" && exported.version === 1 && exported.entries.length > 10, `export writes a readable session file (${download.suggestedFilename()}, ${exported.entries.length} commands)`);
  await menu(shared, "new-session");
  await says(shared, "A new session");
  check((await clock(shared)).startsWith("2026-03-02 08:00:00") && (await notice(shared)).includes("put aside"), `"New session" starts an empty world and says the old one was put aside (${await clock(shared)})`);
  await menu(shared, "restore-previous");
  await says(shared, "Restored the session");
  check((await clock(shared)) === time, "Restore brings the session put aside back");
  await menu(shared, "new-session");
  await says(shared, "A new session");
  await shared.click("[data-testid=session-menu]");
  await shared.setInputFiles("[data-testid=import]", file);
  await says(shared, "Opened exported-session.json");
  check((await clock(shared)) === time && (await notice(shared)).includes("exported-session.json"), `import opens the file's session (${await notice(shared)})`);
  await shared.click("[data-testid=session-menu]");
  await shared.setInputFiles("[data-testid=import]", { name: "notes.json", mimeType: "application/json", buffer: Buffer.from("{\"hello\":1}") });
  await shared.waitForTimeout(300);
  check((await notice(shared)).includes("not a CMK Playground session file") && (await clock(shared)) === time, "a file that is not a session is refused in words and changes nothing");
  await other.close();

  // Rewind from a timeline entry: back to just before it, and what follows branches from there.
  await page.click("#tab-timeline");
  const target = page.locator(".events li", { hasText: "is unavailable: new data" }).first();
  const targetTime = (await target.locator("time").textContent()).trim();
  await target.locator("[data-testid=rewind-event]").click();
  await says(page, "Rewound to just before");
  const after = await clock(page);
  const gone = await page.locator(".events li", { hasText: "is unavailable: new data" }).count();
  check(after < targetTime && gone === 0 && (await notice(page)).includes("Rewound to just before"), `rewinding to a timeline entry stops just before it (${targetTime} → ${after})`);
  // The drill came back with the rewound world: stages before the cut keep their checks.
  await page.click("#tab-drills");
  const stagesDone = await page.locator(".stage.done").count();
  check(stagesDone >= 2, `the drill is shown as far as the rewound world goes (${stagesDone} stages done)`);
  // Restart a stage: rewinds to where it began and runs it again.
  await page.click("[data-testid=drill-restart-1]");
  await says(page, "Back to the start of stage 1");
  // The stage runs again after the rewind: it is "next" until its commands are done.
  await page.waitForSelector('.stage[data-stage="1"]:not(.done)', { timeout: 10000 }).catch(() => {});
  await page.waitForSelector('.stage[data-stage="1"].done', { timeout: 120000 });
  await idle(page);
  const rerun = await page.locator(".stage").nth(1).getAttribute("class");
  check(rerun.includes("done"), `"Restart this stage" runs stage 1 again and its checks hold (${rerun})`);

  // Rewind from a history entry: the request and everything after it are gone.
  await page.click("#tab-console");
  const before = await page.locator(".history li").count();
  await page.locator(".history li").nth(2).locator("[data-testid=rewind-request]").click();
  await says(page, "Rewound to just before");
  const remaining = await page.locator(".history li").count();
  check(remaining === before - 3, `rewinding to the third-newest request leaves the ${before - 3} before it (${remaining})`);
  check(problems.length === 0, `no errors in the session flows ${problems.join("; ")}`);
  await ctx.close();

  // ---- defects of the walkthrough found by a new user ----
  const c2 = await browser.newContext();
  // The status of an operation shows in the step that started it.
  const { page: p2 } = await openAt(c2, `${url}?preset=provisioned`);
  check(!(await search(p2)).includes("preset="), `the full page builds a preset once (the address bar keeps ${await search(p2)})`);
  // A fresh operation: update the cluster's key identifier again (step 4) and check on it.
  await p2.click("#step-4");
  await p2.click('[data-send="key-identifier"]');
  await idle(p2);
  check(await p2.evaluate(() => document.activeElement && document.activeElement.matches('[data-send="key-identifier"]')), "after a Send the focus is back on its button, not on the page");
  // (The embed of step 2 is a world in which the cluster's creation is one click away.)
  const { page: p4 } = await openAt(c2, `${url}?embed=1&step=2`);
  await p4.click('[data-send="cluster"]');
  await idle(p4);
  await p4.click('[data-card="cluster"] >> text=Check operation status');
  await idle(p4);
  const status = await p4.textContent('[data-card="cluster"] [data-testid=op-status]').catch(() => "");
  check(status.includes("Operation status") && status.includes("InProgress"), `"Check operation status" answers in the step (${status.replace(/\s+/g, " ").slice(0, 80)})`);
  await p4.click("[data-testid=run-next]");
  await idle(p4);
  const focus = await p4.evaluate(() => { const a = document.activeElement; return a === document.body ? "body" : a.matches("[data-testid=run-next]") ? "button" : a.matches("section.clock") && a.querySelector("[data-testid=run-next]").disabled ? "panel" : a.outerHTML.slice(0, 60); });
  check(focus === "button" || focus === "panel", `after Run to next event the focus stays on it, or on its panel when nothing is left to run (${focus})`);
  await p4.close();
  // Re-sending the vault PUT is faithful to ARM and drops the cluster's policy: say so first.
  await p2.click("#step-1");
  const warn = await p2.textContent("[data-testid=replace-warning]").catch(() => "");
  check(warn.includes("contosocluster") && warn.includes("wrapKey"), `step 1 warns before a vault PUT drops the cluster's access policy (${warn.slice(0, 90)}…)`);
  // The walkthrough's end points to what to do next.
  await p2.click("#step-5");
  check(await p2.isVisible("[data-testid=what-next]"), "the walkthrough ends with a pointer to Logs, Drills and the Sentinel walkthrough");
  await p2.click("[data-testid=what-next] >> text=Rehearse");
  check((await p2.getAttribute("#tab-drills", "aria-selected")) === "true", "and it opens the Drills tab");
  // A drill no longer replaces the session silently.
  await p2.click("[data-testid=drill-run]");
  const confirm = await p2.textContent(".confirm").catch(() => "");
  check(confirm.includes("put aside") && confirm.includes("Restore"), `starting a drill says the session is put aside, not lost (${confirm.slice(0, 80)}…)`);
  await p2.close();
  // A flipped bit of the wrapped AEK: every query fails, and the badge says so at once.
  const { page: p3 } = await openAt(c2, `${url}?preset=data`);
  // Customer Lockbox from the Drills tab: opt in (REST), the support engineer asks (the
  // playground's control), approve (REST as the signed-in Owner), and the engineer's reads follow.
  await p3.click("#tab-drills");
  await p3.click("[data-testid=lockbox-opt]");
  await idle(p3);
  await p3.click("[data-testid=lockbox-ask]");
  await idle(p3);
  const pending = await p3.locator("[data-testid=lockbox] tr[data-lockbox=Pending]").count();
  await p3.click("[data-testid=lockbox-approve]");
  await idle(p3);
  await p3.click("text=+1 h");
  await idle(p3);
  const approved = (await p3.textContent("[data-testid=lockbox] tr[data-lockbox=Approved]").catch(() => "")).replace(/\s+/g, " ");
  check(pending === 1 && /[1-9]\d* read\(s\)/.test(approved), `Lockbox: opted in, a support engineer's request is Pending, approved it reads the workspace (${approved.trim()})`);
  await p3.click("#tab-timeline");
  check((await p3.textContent(".events")).includes("Approve Lockbox Request"), "and the timeline has the activity-log events");
  await p3.click("[data-block]");
  await idle(p3);
  await p3.click("text=Flip a bit of the wrapped AEK");
  await idle(p3);
  await p3.keyboard.press("Escape");
  const badges = await p3.textContent("section[aria-labelledby=cluster-title]");
  check(badges.includes("AEK won't unwrap") && !/\baccessible\b/.test(badges), `after flipping a bit of the wrapped AEK the cluster's badge says it won't unwrap (${badges.replace(/\s+/g, " ").slice(0, 120)})`);
  await c2.close();
});
