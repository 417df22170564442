// Page defects found by using the built site at 1280x800 and 390x844, one check each: names in
// the cluster panel, tables, error messages, the console's URL and history, malformed JSON, the
// clock at boot, tabs and panels on phones, the key hierarchy's lines and legend, the block
// inspector's bytes and the vault card's body. Run by scripts/test after e2e.mjs.
import path from "node:path";
import { shots, url, browser, check, open, idle, send, provision, run } from "./lib.mjs";

// An hour of simulated machines' data, then the inspector on a block of it.
async function openBlock(page) {
  await page.click("#tab-logs");
  await page.click("[data-testid=sources-on]");
  await idle(page);
  await page.click("text=+1 h");
  await idle(page);
  await page.click("[data-block]");
  await idle(page);
}

const desktop = { width: 1280, height: 800 };
const phone = { width: 390, height: 844 };

// Cells squeezed to one word per line: several words, as many lines as words.
const crushedCells = (page, table) => page.$$eval(`${table} td`, (tds) => tds.filter((td) => {
  const words = td.textContent.trim().split(/\s+/).filter(Boolean).length;
  const lh = parseFloat(getComputedStyle(td).lineHeight) || 18;
  const lines = Math.round((td.clientHeight - 12) / lh);
  return words >= 3 && lines >= words;
}).map((td) => td.textContent.trim().slice(0, 40)));

await run("ui_defects", async () => {
  // 6. Before the engine's first snapshot, the clock says it is starting and its buttons wait.
  {
    const page = await browser.newPage({ viewport: desktop });
    await page.route("**/worker.js", async (route) => { await new Promise((r) => setTimeout(r, 2500)); await route.continue(); });
    await page.goto(url);
    await page.waitForSelector("[data-testid=clock-time]", { timeout: 30000 });
    const time = await page.textContent("[data-testid=clock-time]");
    const enabled = await page.$$eval(".clock button", (bs) => bs.filter((b) => !b.disabled).map((b) => b.textContent));
    check(!time.includes("1970") && /starting/i.test(time) && enabled.length === 0, `at boot the clock says "${time.trim()}" (not 1970) and no clock button is enabled (${enabled.join(", ") || "none"})`);
    await page.waitForSelector("text=Engine: Web Worker", { state: "attached", timeout: 30000 });
    await idle(page);
    await page.waitForFunction(() => !document.querySelector("[data-testid=clock-time]").textContent.includes("tarting"), null, { timeout: 30000 });
    check(!(await page.$eval("[data-testid=advance-30d]", (b) => b.disabled)), "once the first snapshot arrives the clock's buttons are enabled");
    await page.close();
  }

  const { page, problems } = await open(desktop);

  // 10. Step 1's vault body shows soft delete, its retention and purge protection without scrolling the box.
  {
    await page.click("#step-1");
    const hidden = await page.$eval("[data-card=vault] textarea.body", (t) => {
      const lh = parseFloat(getComputedStyle(t).lineHeight);
      const lines = t.value.split("\n");
      return ["enableSoftDelete", "enablePurgeProtection", "softDeleteRetentionInDays"]
        .filter((p) => { const i = lines.findIndex((l) => l.includes(p)); return i < 0 || (i + 1) * lh > t.clientHeight - 4; });
    });
    check(hidden.length === 0, `the vault's key properties are in view in its body box at 1280x800 (hidden: ${hidden.join(", ") || "none"})`);
    await page.locator("[data-card=vault]").screenshot({ path: path.join(shots, "defects-vault-body.png") });
  }

  await page.click("#tab-walkthrough");
  await provision(page);

  // 5. A body that is not JSON: the answer says where (line and position), in the walkthrough...
  {
    await page.click("#step-2");
    const body = "{\n  \"location\": \"eastus\",\n  \"sku\": {\n    \"name\":\n  }\n}";
    await page.fill("[data-card=cluster] textarea.body", body);
    await send(page, "cluster");
    const said = await page.textContent("[data-card=cluster] .json");
    check(said.includes("InvalidRequestContent") && said.includes("Unexpected character encountered while parsing value: }. Path 'sku.name', line 5, position 3."), `malformed JSON in the cluster card gets ARM's InvalidRequestContent with path, line and position (${said.replace(/\s+/g, " ").slice(0, 220)})`);
    // 3. ...and the whole message can be read: no line runs past the response box (the
    // playground's long "no such host" answer is one line of JSON).
    await page.click("#tab-console");
    await page.fill("#console-url", "https://example.com/resource");
    await page.click(".console button.primary");
    await idle(page);
    const cut = await page.$eval(".console .response .json", (el) => el.scrollWidth - el.clientWidth);
    check(cut <= 1, `a long error message wraps inside the response box (overflow ${cut}px)`);
    await page.locator(".console .response").screenshot({ path: path.join(shots, "defects-error-wrap.png") });
    await page.click("#tab-walkthrough");
    await page.locator("[data-card=cluster] .response").screenshot({ path: path.join(shots, "defects-json-error.png") });
  }

  // 4. The console keeps what is typed: a URL with a space is sent percent-encoded; history rows name the host.
  {
    await page.click("#tab-console");
    const typed = "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/my rg?api-version=2021-04-01";
    await page.fill("#console-url", typed);
    await page.fill("#console-body", "");
    await page.click(".console button.primary");
    await idle(page);
    check((await page.inputValue("#console-url")) === typed, "the console's URL field keeps the space as typed");
    const head = await page.textContent(".console .response-head");
    const msg = await page.textContent(".console .response .json");
    check(head.includes("my%20rg") && !head.includes("myrg") && !msg.includes("myrg"), `a URL with a space is sent percent-encoded, nothing dropped (${head.trim().slice(0, 160)})`);
    await page.selectOption("#console-example", { label: "Wrap 32 bytes with the key (RSA-OAEP-256)" });
    await page.fill("#console-body", "{\n  \"kty\": \"RSA\"\n  \"key_size\": 2048\n}");
    await page.click(".console button.primary");
    await idle(page);
    const kv = await page.textContent(".console .response .json");
    check(/line 3, position 3/.test(kv), `malformed JSON sent to Key Vault says line and position (${kv.replace(/\s+/g, " ").slice(0, 200)})`);
    const rows = await page.$$eval(".history-item", (bs) => bs.map((b) => b.textContent));
    check(rows.some((r) => r.includes("management.azure.com")) && rows.some((r) => /\.vault\/keys\//.test(r)), `history rows show the host (${rows.slice(0, 2).join(" | ").slice(0, 200)})`);
    await page.screenshot({ path: path.join(shots, "defects-console.png") });
  }


  // 1. A workspace's name in the cluster panel keeps its width when several badges show.
  {
    await page.$eval("[data-testid=workspace]", (ws) => {
      // The badges of a linked, revoked workspace onboarded to Sentinel, as the panel renders them.
      const badges = ws.querySelector(".ws-badges") || ws;
      badges.insertAdjacentHTML("beforeend", '<span class="pill access warn">accessible · Key Vault unreachable</span><span class="pill sentinel warn">Sentinel · Microsoft-managed key</span><span class="sentinel-access"><span class="pill access warn">Sentinel store accessible · Key Vault unreachable</span></span>');
    });
    const measure = () => page.evaluate(() => {
      const s = document.querySelector("[data-testid=workspace] > span:first-child");
      const lh = parseFloat(getComputedStyle(s).lineHeight) || 20;
      const box = document.querySelector("[data-testid=cluster]").getBoundingClientRect();
      const out = [...document.querySelectorAll("[data-testid=cluster] .pill")].filter((p) => p.getBoundingClientRect().right > box.right + 0.5).map((p) => p.textContent);
      return { text: s.textContent, lines: Math.round(s.getBoundingClientRect().height / lh), out };
    });
    // At 1280 px, and with the side panel at its narrowest (300 px, as between 900 and 1000 px).
    for (const side of [null, 300]) {
      if (side) await page.$eval(".layout", (l, w) => { l.style.gridTemplateColumns = `minmax(0, 1fr) ${w}px`; }, side);
      const m = await measure();
      check(m.lines <= 1 && m.out.length === 0, `with three badges${side ? " in a 300 px panel" : ""} the name "${m.text}" stays on one line (${m.lines}) and no badge spills out of the panel (${m.out.join(", ") || "none"})`);
      await page.locator("[data-testid=cluster]").screenshot({ path: path.join(shots, `defects-cluster-badges${side ? "-300" : ""}.png`) });
    }
    await page.$eval(".layout", (l) => { l.style.gridTemplateColumns = ""; });
  }

  // 8. The key hierarchy: no line crosses node text; the legend draws lines and dots, not boxes.
  {
    const crossings = await page.$eval("[data-testid=hierarchy]", (svg) => {
      const boxes = [...svg.querySelectorAll("text")].map((t) => ({ b: t.getBBox(), s: t.textContent }));
      const out = [];
      for (const e of svg.querySelectorAll("path.edge, line.edge")) {
        const len = e.getTotalLength();
        for (let d = 0; d <= len; d += 2) {
          const p = e.getPointAtLength(d);
          const hit = boxes.find(({ b }) => p.x > b.x + 1 && p.x < b.x + b.width - 1 && p.y > b.y + 2 && p.y < b.y + b.height - 2);
          if (hit) { out.push(`${e.getAttribute("class")} × "${hit.s}"`); break; }
        }
      }
      return out;
    });
    check(crossings.length === 0, `no edge of the key hierarchy crosses a label (${crossings.join("; ") || "none"})`);
    const over = await page.$eval("[data-testid=hierarchy]", (svg) => {
      const all = [...svg.querySelectorAll(".edge, rect.node")];
      const firstNode = all.findIndex((e) => e.matches("rect.node"));
      return all.slice(firstNode).filter((e) => e.matches(".edge")).map((e) => e.getAttribute("class"));
    });
    check(over.length === 0, `every edge is drawn under the nodes, so none can cross a node's text (drawn over: ${over.join(", ") || "none"})`);
    const legend = await page.$$eval("[data-testid=legend] svg", (s) => s.length);
    check(legend >= 2, `the legend draws line samples / dots (${legend} samples)`);
    await page.locator("[data-testid=hierarchy]").screenshot({ path: path.join(shots, "defects-hierarchy.png") });
    await page.locator(".legend").screenshot({ path: path.join(shots, "defects-legend.png") });
  }

  // 2. The audit and catalogue tables are readable at 1280 px.
  for (const tab of ["audit", "catalogue"]) {
    await page.click(`#tab-${tab}`);
    const crushed = await crushedCells(page, `#main-panel .${tab} table`);
    check(crushed.length === 0, `${tab}: no cell is squeezed to one word per line (${crushed.slice(0, 3).join(" | ") || "none"})`);
    // Codes and names wrap at most once (at a word or a slash) and fit their cell.
    const broken = await page.$$eval(`#main-panel .${tab} table td code`, (cs) => cs.filter((c) => c.getClientRects().length > 2 || c.getBoundingClientRect().width > c.closest("td").clientWidth + 1).map((c) => c.textContent));
    check(broken.length === 0, `${tab}: codes and names keep their words (${broken.slice(0, 3).join(" | ") || "none"})`);
    const cutOff = await page.$eval(`#main-panel .${tab} .table-wrap:last-of-type`, (w) => w.scrollWidth - w.clientWidth);
    check(cutOff <= 1, `${tab}: the table fits its column at 1280 px (${cutOff}px hidden)`);
    await page.screenshot({ path: path.join(shots, `defects-${tab}.png`) });
  }

  // 9. Flipping a ciphertext bit shows the changed byte; undoing shows the original.
  {
    await openBlock(page);
    const hex = () => page.textContent("[data-testid=inspector] pre.hex");
    const before = await hex();
    await page.click("[data-testid=tamper-sealed]");
    await idle(page);
    const after = await hex();
    const marked = await page.$$eval("[data-testid=inspector] pre.hex .flipped", (s) => s.length);
    check(after !== before && marked === 1, `a flipped ciphertext bit shows in the bytes (${marked} byte marked)`);
    const wide = await page.$$eval("[data-testid=inspector] pre.json", (ps) => ps.filter((p) => p.scrollWidth > p.clientWidth + 1).length);
    check(wide === 0, `the inspector's bytes and header wrap inside their boxes (${wide} overflowing)`);
    await page.locator("[data-testid=inspector]").screenshot({ path: path.join(shots, "defects-inspector.png") });
    await page.click("[data-testid=tamper-undo]");
    await idle(page);
    check((await hex()) === before && (await page.$$("[data-testid=inspector] pre.hex .flipped")).length === 0, "undoing the flip shows the original bytes");
    await page.keyboard.press("Escape");
  }
  check(problems.length === 0, `no console errors at 1280x800${problems.length ? ": " + problems.join("; ") : ""}`);
  await page.close();

  // 7. On a phone every tab can be reached visibly, and a jump bar reaches the side panels.
  {
    const { page, problems } = await open(phone);
    const off = await page.$$eval("[role=tab]", (ts) => ts.filter((t) => { const r = t.getBoundingClientRect(); return r.right > innerWidth + 1 || r.left < -1; }).map((t) => t.textContent));
    check(off.length === 0, `at 390 px every tab is on screen (off: ${off.join(", ") || "none"})`);
    await page.screenshot({ path: path.join(shots, "defects-phone-top.png") });
    await provision(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    const bar = await page.$("[data-testid=jump-bar]");
    check(bar !== null && (await bar.isVisible()), "a jump bar is shown on a phone");
    if (bar) {
      // A title in view: below the sticky header and jump bar, above the bottom of the screen.
      const inView = async (sel) => {
        const r = await page.$eval(sel, (h) => { const b = h.getBoundingClientRect(); const bar = document.querySelector("[data-testid=jump-bar]").getBoundingClientRect(); return { top: b.top, bottom: b.bottom, min: bar.bottom }; });
        return { ok: r.top >= r.min && r.bottom <= phone.height, top: Math.round(r.top) };
      };
      for (const [link, title] of [["Keys", "#kh-title"], ["Cluster", "#cluster-title"], ["Clock", "#clock-title"]]) {
        const before = await inView(title);
        await page.click(`[data-testid=jump-bar] >> text=${link}`);
        await page.waitForTimeout(500);
        const after = await inView(title);
        check(after.ok && (link === "Clock" || !before.ok), `"${link}" brings its panel's title into view (from ${before.top} px to ${after.top} px)`);
        if (link === "Keys") await page.screenshot({ path: path.join(shots, "defects-phone-keys.png") });
      }
    }
    // The same views on a phone, to look at.
    await page.locator("[data-testid=cluster]").screenshot({ path: path.join(shots, "defects-phone-cluster.png") });
    await page.locator("#keys-panel").screenshot({ path: path.join(shots, "defects-phone-hierarchy.png") });
    await page.click("[data-testid=jump-bar] >> text=Tabs");
    await page.click("#step-1");
    await page.locator("[data-card=vault]").screenshot({ path: path.join(shots, "defects-phone-vault-body.png") });
    for (const tab of ["audit", "catalogue"]) {
      await page.click(`#tab-${tab}`);
      await page.$eval("#main-panel .table-wrap:last-of-type", (t) => t.scrollIntoView());
      await page.screenshot({ path: path.join(shots, `defects-phone-${tab}.png`) });
    }
    await page.click("#tab-console");
    await page.fill("#console-url", "https://example.com/resource");
    await page.click(".console button.primary");
    await idle(page);
    const cut = await page.$eval(".console .response .json", (el) => el.scrollWidth - el.clientWidth);
    check(cut <= 1, `on a phone too a long error message wraps inside the response box (overflow ${cut}px)`);
    await page.locator(".console .response").screenshot({ path: path.join(shots, "defects-phone-error-wrap.png") });
    await openBlock(page);
    await page.click("[data-testid=tamper-sealed]");
    await idle(page);
    await page.screenshot({ path: path.join(shots, "defects-phone-inspector.png") });
    check(problems.length === 0, `no console errors at 390x844${problems.length ? ": " + problems.join("; ") : ""}`);
    await page.close();
    const d = await open(desktop);
    check(!(await d.page.isVisible("[data-testid=jump-bar]")), "the jump bar stays hidden on a desktop");
    await d.page.close();
  }
});
