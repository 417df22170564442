// The az console (issue 13): the tab runs a script with Enter, recalls it with Up, runs the
// whole CMK walkthrough from the Examples menu as one script (exit 0, the cluster polled on the
// virtual clock), shows a usage error with exit 2, opens a request it sent in the REST
// console's response view, and a reload replays every run.
import path from "node:path";
import { open, idle, check, reloadAndReplay, shots, run } from "./lib.mjs";

const runs = (page) => page.locator(".az-run");
const last = (page) => runs(page).last();
const script = "[data-testid=az-script]";

await run("az", async () => {
  const { page, problems } = await open({ width: 1280, height: 900 });
  await idle(page);
  await page.click("#tab-az");
  await page.fill(script, "az account show --query user.name -o tsv");
  await page.focus(script);
  await page.keyboard.press("Enter");
  await idle(page);
  let text = await last(page).textContent();
  check(text.includes("avery@contoso.onmicrosoft.com") && text.includes("exit 0"), `Enter runs the script as the signed-in person: ${text.slice(0, 200)}`);
  check((await page.inputValue(script)) === "", "the input is cleared after a run");
  await page.keyboard.press("ArrowUp");
  check((await page.inputValue(script)) === "az account show --query user.name -o tsv", "Up recalls the last script");

  await page.fill(script, "az keyvault create -g rg");
  await page.keyboard.press("Enter");
  await idle(page);
  text = await last(page).textContent();
  check(text.includes("ERROR: the following arguments are required: --name/-n") && text.includes("exit 2"), `a usage error: ${text.slice(0, 200)}`);

  await page.selectOption("#az-example", "0");
  check((await page.inputValue(script)).startsWith("set -e\nRG="), "the Examples menu fills in the walkthrough");
  await page.click("[data-testid=az-run]");
  await idle(page);
  text = await last(page).textContent();
  check(text.includes("key: https://contoso-cmk-kv.vault.azure.net/keys/la-cmk/") && text.includes("- Running ..") && text.includes("exit 0"), `the walkthrough runs end to end: ${text.slice(-400)}`);
  await page.screenshot({ path: path.join(shots, "az-console.png"), fullPage: false });

  const count = await runs(page).count();
  await last(page).locator("details summary").click();
  const first = last(page).locator(".history-item").first();
  const label = (await first.textContent()).trim();
  await first.click();
  check((await page.getAttribute("#tab-console", "aria-selected")) === "true", "a request opens in the REST console");
  const shown = await page.textContent(".console .response");
  check(shown.includes("201") || shown.includes("200"), `the response view shows it (${label}): ${shown.slice(0, 160)}`);

  await reloadAndReplay(page);
  await page.click("#tab-az");
  check((await runs(page).count()) === count, `a reload replays every run (${count})`);
  check(problems.length === 0, `no page errors: ${problems.join("; ")}`);
});
