// Signing in (issue 12): the page starts signed in as Avery with real tokens on every request; the
// walkthrough and the console show the Authorization header the page added, expandable to its
// claims; "Signed in as …" lists every account with its roles and the tokens held, and works
// from the keyboard; signed in as Sam (Log Analytics Reader), the cluster key update sent from
// the console gets ARM's 403 AuthorizationFailed naming sam@contoso.onmicrosoft.com, and a
// reload replays the sign-in. Screenshots also go to /tmp/ui-shots/ when SHOTS is set.
import path from "node:path";
import { mkdirSync } from "node:fs";
import { open, idle, check, provision, reloadAndReplay, shots, run } from "./lib.mjs";

const extra = process.env.SHOTS;
if (extra) mkdirSync(extra, { recursive: true });
const shoot = async (target, name) => {
  await target.screenshot({ path: path.join(shots, name) });
  if (extra) await target.screenshot({ path: path.join(extra, name) });
};
const summary = (page) => page.textContent("[data-testid=signin-menu]");

await run("signin", async () => {
  const { page, problems } = await open({ width: 1280, height: 900 });
  await idle(page);
  check((await summary(page)).includes("Avery Admin"), `the page starts signed in as Avery: ${(await summary(page)).trim()}`);

  const sent = await provision(page);
  check(sent.every((s) => /:2\d\d$/.test(s)), `the five provisioning steps pass with tokens: ${sent.join(" ")}`);
  // Step 5's last card: its request view shows the token the page added.
  const card = page.locator('[data-card="link"]');
  const auth = await card.locator("[data-testid=sent-auth]").textContent();
  check(/Authorization: Bearer eyJ[\w-]+…[\w-]+/.test(auth), `the walkthrough shows the Authorization header, abbreviated: ${auth.slice(0, 120)}`);
  await card.locator("[data-testid=token-claims] > summary").click();
  const claims = await card.locator("[data-testid=token-claims] .claims").textContent();
  check(claims.includes("avery@contoso.onmicrosoft.com") && claims.includes("https://management.azure.com") && /exp.*UTC/.test(claims), `the decoded claims name Avery, ARM and the expiry: ${claims.slice(0, 200)}`);
  // The sticky header would cover the top of a tall element's screenshot.
  const unstick = await page.addStyleTag({ content: "header.top { position: static; }" });
  await shoot(card.locator(".response"), "walkthrough-token.png");
  await unstick.evaluate((el) => el.remove());

  // The menu: every account with its roles, and the tokens held.
  await page.click("[data-testid=signin-menu]");
  const menu = await page.textContent(".signin-panel");
  check(menu.includes("Sam Operator") && menu.includes("Log Analytics Reader") && menu.includes("cmk-runbook") && menu.includes("Owner"), `the menu lists each account with its roles: ${menu.slice(0, 300)}`);
  const tokens = await page.textContent("[data-testid=tokens]");
  check(tokens.includes("https://management.azure.com") && tokens.includes("https://vault.azure.net") && /expires \d{4}-\d\d-\d\d .*UTC · (.* left|expired)/.test(tokens), `the tokens held, with expiry: ${tokens.slice(0, 200)}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shoot(page.locator("header.top").first(), "signin-header.png");
  const [panel, button] = [await page.locator(".signin-panel").boundingBox(), await page.locator("[data-testid=signin-menu]").boundingBox()];
  const clip = { x: panel.x - 12, y: 0, width: button.x + button.width + 12 - (panel.x - 12), height: panel.y + panel.height + 12 };
  await page.screenshot({ path: path.join(shots, "signin-menu.png"), clip });
  if (extra) await page.screenshot({ path: path.join(extra, "signin-menu.png"), clip });

  // Keyboard: Escape closes and gives the focus back; Enter opens; arrows move; Enter picks.
  await page.keyboard.press("Escape");
  check((await page.getAttribute(".signin-menu", "open")) === null && (await page.evaluate(() => document.activeElement?.dataset.testid)) === "signin-menu", "Escape closes the menu and the focus goes back to it");
  await page.keyboard.press("Enter");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  const focused = await page.evaluate(() => document.activeElement?.dataset.testid);
  check(focused === "sign-in-as-sam", `the arrows move along the accounts: ${focused}`);
  await page.keyboard.press("Enter");
  await idle(page);
  check((await summary(page)).includes("Sam Operator"), `signed in as Sam: ${(await summary(page)).trim()}`);

  // The console: the cluster's key update, as Sam.
  await page.click("#tab-console");
  const i = await page.evaluate(() => [...document.querySelectorAll(".history .history-item")].findIndex((b) => /PUT|PATCH/.test(b.textContent) && /clusters\//.test(b.querySelector(".path")?.title || "") && /Step 4 · Set the key identifier/.test(b.textContent)));
  check(i >= 0, "the key update is in the history");
  await page.locator(".history .history-item").nth(i).click();
  await page.click(".console button.primary");
  await idle(page);
  const status = (await page.textContent(".console .response .status")).trim();
  const body = await page.textContent(".console .response > pre.json");
  check(status.startsWith("403") && body.includes("AuthorizationFailed") && body.includes("sam@contoso.onmicrosoft.com") && body.includes("clusters/write"), `ARM's 403 names Sam and the action: ${status} ${body.slice(0, 260)}`);
  const consoleAuth = await page.textContent(".console [data-testid=sent-auth]");
  check(/Authorization: Bearer eyJ/.test(consoleAuth), `the console shows the Authorization header sent: ${consoleAuth.slice(0, 120)}`);
  await page.click(".console [data-testid=token-claims] > summary");
  const samClaims = await page.textContent(".console [data-testid=token-claims] .claims");
  check(samClaims.includes("sam@contoso.onmicrosoft.com"), `the token's claims are Sam's: ${samClaims.slice(0, 160)}`);
  await shoot(page.locator(".console .response"), "console-403-token.png");

  // The same token again: nothing new to say about it.
  await page.click(".console button.primary");
  await idle(page);
  check((await page.locator(".console [data-testid=token-note]").count()) === 0, "a second request reuses the token held (no note)");

  // Narrow: the control stays in the header without pushing the page sideways.
  await page.setViewportSize({ width: 380, height: 760 });
  await page.evaluate(() => window.scrollTo(0, 0));
  const [overflow, culprits] = await page.evaluate(() => {
    const w = window.innerWidth;
    const wide = [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > w + 0.5);
    return [document.documentElement.scrollWidth - w, wide.slice(0, 6).map((e) => `${e.tagName}.${e.className}`)];
  });
  check(overflow <= 0, `no sideways scroll at 380 px (${overflow} px over: ${culprits.join(", ")})`);
  await page.click("[data-testid=signin-menu]");
  const box = await page.locator(".signin-panel").boundingBox();
  check(box && box.x >= 0 && box.x + box.width <= 380, `the menu fits a narrow screen: ${JSON.stringify(box)}`);
  await shoot(page, "signin-narrow.png");
  await page.keyboard.press("Escape");
  await page.setViewportSize({ width: 1280, height: 900 });

  // The sign-in is journalled: a reload replays it, and the 403 again.
  await reloadAndReplay(page);
  check((await summary(page)).includes("Sam Operator"), `after a reload, still signed in as Sam: ${(await summary(page)).trim()}`);
  check(problems.length === 0, `no page errors (${problems.join("; ")})`);
});
