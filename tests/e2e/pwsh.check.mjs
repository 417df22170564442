// The PowerShell console (issue 13): the tab runs a cmdlet with Enter and recalls it with Up,
// refuses a bad parameter in PowerShell's words, runs the whole CMK walkthrough from the
// Examples menu as one script (the cluster polled on the virtual clock), shows the walkthrough
// step's cmdlet in the walkthrough tab, and a reload replays every run.
import path from "node:path";
import { open, idle, check, reloadAndReplay, shots, run } from "./lib.mjs";

const runs = (page) => page.locator(".pwsh-console .az-run");
const last = (page) => runs(page).last();
const script = "[data-testid=pwsh-script]";

await run("pwsh", async () => {
  const { page, problems } = await open({ width: 1280, height: 900 });
  await idle(page);
  await page.click("#tab-pwsh");
  await page.fill(script, "(Get-AzContext).Account");
  await page.focus(script);
  await page.keyboard.press("Enter");
  await idle(page);
  let text = await last(page).textContent();
  check(text.includes("avery@contoso.onmicrosoft.com") && text.includes("exit 0"), `Enter runs the script as the signed-in person: ${text.slice(0, 200)}`);
  await page.keyboard.press("ArrowUp");
  check((await page.inputValue(script)) === "(Get-AzContext).Account", "Up recalls the last script");

  await page.fill(script, "New-AzKeyVault -Name v1 -Bogus 1");
  await page.keyboard.press("Enter");
  await idle(page);
  text = await last(page).textContent();
  check(text.includes("New-AzKeyVault: A parameter cannot be found that matches parameter name 'Bogus'.") && text.includes("exit 1"), `a binding error: ${text.slice(0, 200)}`);

  await page.selectOption("#pwsh-example", "0");
  check((await page.inputValue(script)).startsWith("# 1. A recoverable vault"), "the Examples menu fills in the walkthrough");
  await page.click("[data-testid=pwsh-run]");
  await idle(page);
  text = await last(page).textContent();
  check(text.includes("cluster: Succeeded, key: la-cmk, link: Succeeded") && text.includes("(playground: polled") && text.includes("exit 0"), `the walkthrough runs end to end: ${text.slice(-500)}`);
  await page.screenshot({ path: path.join(shots, "pwsh-console.png"), fullPage: false });

  const count = await runs(page).count();
  await page.click("#tab-walkthrough");
  const asCli = page.locator("[data-testid=as-cli]").first();
  await asCli.locator("summary").click();
  const cmdlet = await asCli.locator("pre[data-dialect=pwsh]").textContent();
  check(cmdlet.startsWith("New-AzResourceGroup -Name "), `the walkthrough shows the step as a cmdlet: ${cmdlet}`);

  await reloadAndReplay(page);
  await page.click("#tab-pwsh");
  check((await runs(page).count()) === count, `a reload replays every run (${count})`);
  check(problems.length === 0, `no page errors: ${problems.join("; ")}`);
});
