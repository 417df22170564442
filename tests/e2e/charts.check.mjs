// Charts in the built site: a workspace (no cluster, so no keys to generate) sent records over
// a few virtual hours; `render timechart`, `columnchart` and `piechart` queries drawn as SVG in
// the Logs view, the Ingestion view, the Copy as menu, and the Ingestion view after the
// revoke-and-recover drill. Screenshots go to target/shots/.
import path from "node:path";
import { mkdirSync } from "node:fs";
import { check, idle, open, root, run, send } from "./lib.mjs";

const shots = path.join(root, "target", "shots");
mkdirSync(shots, { recursive: true });

async function query(page, text) {
  await page.fill("#log-query", text);
  await page.click("[data-testid=run-query]");
  await idle(page);
}

await run("charts", async () => {
  const { page, problems } = await open({ width: 1280, height: 1000 });
  await page.click("#step-1");
  check((await send(page, "group")).startsWith("2"), "the resource group is created");
  await page.click("#step-5");
  check((await send(page, "workspace")).startsWith("2"), "the workspace is created");
  await page.click("#tab-logs");
  // Records in three virtual hours, more each hour.
  for (let hour = 0; hour < 3; hour++) {
    for (let i = 0; i <= hour; i++) { await page.click("[data-testid=send-records]"); await idle(page); }
    await page.click(".clock button:text-is('+1 h')");
    await idle(page);
  }

  await query(page, "AppEvents_CL\n| summarize n = count() by bin(TimeGenerated, 1h), Level_s\n| render timechart with (title='Events per hour by level', ytitle='Rows')");
  const lines = await page.$$eval(".results .chart path.line", (ps) => ps.length);
  check(lines === 2, `a time chart with one line per level (${lines})`);
  const marks = await page.$$eval(".results .chart .mark circle", (cs) => cs.length);
  check(marks === 6, `three points per line (${marks})`);
  const ticks = await page.textContent(".results .chart .axes");
  check(/\d{4}-\d\d-\d\d \d\d:00/.test(ticks) && ticks.includes("(UTC)"), "the time axis is labelled in UTC with the date");
  await page.focus(".results .chart .mark");
  const focused = await page.textContent(".results [data-testid=chart-value]");
  check(/^(Error|Info): \d+ at /.test(focused), `a focused point says its value: ${focused}`);
  await (await page.$(".results [data-testid=chart]")).screenshot({ path: path.join(shots, "charts-timechart.png") });

  await query(page, "AppEvents_CL\n| summarize total = count(), slow = countif(DurationMs_d > 100) by Level_s\n| render columnchart with (title='Rows by level')");
  check((await page.$$eval(".results .chart .mark rect", (r) => r.length)) === 4, "a column chart with two columns per level");
  await (await page.$(".results [data-testid=chart]")).screenshot({ path: path.join(shots, "charts-columnchart.png") });

  await query(page, "AppEvents_CL\n| summarize count() by Level_s\n| render piechart");
  check((await page.$$eval(".results .chart .mark path", (r) => r.length)) === 2, "a pie of two slices");
  await (await page.$(".results [data-testid=chart]")).screenshot({ path: path.join(shots, "charts-piechart.png") });
  await page.click("[data-testid=show-table]");
  check((await page.$$eval(".results tbody tr", (r) => r.length)) === 2, "the table is one click away");

  const ingestion = await page.$("[data-testid=ingestion]");
  check((await page.$$eval("[data-testid=ingestion] .mark rect", (r) => r.length)) === 3, "the Ingestion view has a column per hour");
  await ingestion.screenshot({ path: path.join(shots, "charts-ingestion.png") });

  await page.click(".logs .copy-as-menu summary");
  await page.click("[data-copy-as=az]");
  await page.waitForSelector("[data-testid=copy-as-text] textarea");
  const az = await page.inputValue("[data-testid=copy-as-text] textarea");
  check(az.startsWith("az rest --method post --url 'https://") && az.includes("--skip-authorization-header"), `Copy as az rest: ${az.split("\n")[0]}`);
  await (await page.$("[data-testid=copy-as-text]")).screenshot({ path: path.join(shots, "charts-copy-as.png") });

  // The revoke-and-recover drill, then its Ingestion view from the drill's link: the hours the
  // key was unusable are shaded and their rows dropped.
  await page.click("#tab-drills");
  await page.click("[data-drill=revoke-recover]");
  await page.click("[data-testid=drill-run-all]");
  // The session has work in it: the drill asks before it starts over.
  await page.click("[data-testid=drill-confirm]");
  await page.waitForSelector("[data-testid=drill-verdict]", { timeout: 240000 });
  await idle(page);
  await page.click("[data-testid=drill-ingestion]");
  await page.waitForSelector("[data-testid=ingestion] .chart");
  const bands = await page.$$eval("[data-testid=ingestion] .band.key", (b) => b.length);
  check(bands >= 1, `the drill's revocation is a shaded window (${bands})`);
  const dropped = await page.$$eval("[data-testid=ingestion] .mark[data-series='1']", (m) => m.length);
  check(dropped >= 1, `dropped rows are drawn (${dropped} hours)`);
  await (await page.$("[data-testid=ingestion]")).screenshot({ path: path.join(shots, "charts-ingestion-revocation.png") });
  check(problems.length === 0, `no page errors: ${problems.join("; ")}`);
});
