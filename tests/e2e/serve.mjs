// Serving a built site for the end-to-end checks and the load benchmark: dist/ (or another
// build) under /docs/playground/, to prove it works from any sub-path, by scripts/static_server.py
// (precompressed twins with Content-Encoding, as the README asks of a static host).
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, symlinkSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");

export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });

/// Resolves once something accepts connections on 127.0.0.1:`port` (a server just spawned); throws
/// after `seconds`. A fresh, busy machine can take seconds to start Python.
export async function waitForPort(port, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const up = await new Promise((resolve) => {
      const c = connect(port, "127.0.0.1", () => { c.end(); resolve(true); });
      c.on("error", () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${seconds} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/// Serves `dist` from /docs/playground/ on a free port once the server answers. `site` is the
/// server's root folder (a check may put its own pages beside the site), `base` its URL, `url`
/// the playground's.
export async function serveSite(dist) {
  const site = mkdtempSync(path.join(tmpdir(), "cmk-site-"));
  mkdirSync(path.join(site, "docs"));
  symlinkSync(dist, path.join(site, "docs", "playground"));
  const port = await freePort();
  const server = spawn("python3", [path.join(root, "scripts", "static_server.py"), String(port), "--bind", "127.0.0.1", "--directory", site], { stdio: "ignore" });
  await waitForPort(port);
  const base = `http://127.0.0.1:${port}/`;
  return { site, server, base, url: `${base}docs/playground/` };
}
