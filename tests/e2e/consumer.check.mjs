// The engine as another project's test would use it: that project's own page
// (tests/e2e/consumer/) imports the built package (dist/pkg/), drives the engine through REST
// requests and the virtual clock, and shows the results; this test opens it headless and reads
// them. Run by scripts/test after the build; fails if the package or its API breaks.
import path from "node:path";
import { symlinkSync } from "node:fs";
import { root, site, base, browser, check, run } from "./lib.mjs";

// The consumer's page is served beside the package (which the harness serves at /docs/playground/).
symlinkSync(path.join(root, "tests", "e2e", "consumer"), path.join(site, "consumer"));

await run("consumer", async () => {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(`${base}consumer/`);
  await page.waitForFunction(() => document.getElementById("status").textContent !== "running", null, { timeout: 60000 });
  const status = await page.textContent("#status");
  check(status === "done", `the consumer's page ran its runbook against the package (${status})`);
  const result = (name) => page.textContent(`[data-result="${name}"]`).catch(() => null);
  check((await result("group")) === "201", "PUT resource group: 201");
  check((await result("vault")) === "200", "PUT Key Vault: 200");
  check((await result("key")) === "200 RSA", "POST keys/create: an RSA key");
  check((await result("wrap")) === "200 342", `wrapkey RSA-OAEP-256 with the 2048-bit key: 256 bytes, 342 base64url characters (${await result("wrap")})`);
  check((await result("unwrap")) === "round trip", "unwrapkey gives the value back");
  const missing = await result("missing");
  check(missing === "404 KeyNotFound: A key with (name/id) nokey was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182",
    `a missing key is refused in Key Vault's words (${missing})`);
  check((await result("cluster")) === "202 ProvisioningAccount", `exec(Request) creates a cluster: 202, ProvisioningAccount (the seed's state) (${await result("cluster")})`);
  check((await result("clock")) === "10800", "advance(3 h) moves the virtual clock 10,800 s");
  const snap = JSON.parse((await result("snapshot")) ?? "null");
  check(snap?.cluster === "Succeeded", `three virtual hours later the snapshot shows the cluster Succeeded (${snap?.cluster})`);
  check(JSON.stringify(snap?.keys) === '["runbook-key"]', "the snapshot lists the vault's key");
  check(JSON.stringify(snap?.audit) === '["Success","KeyNotFound"]', `the audit log shows the wrap and the refused one (${JSON.stringify(snap?.audit)})`);
  check(problems.length === 0, `no page errors, console errors or failed requests${problems.length ? `: ${problems.join("; ")}` : ""}`);
  await page.screenshot({ path: path.join(root, "target", "e2e", "consumer.png") });
});
