// The engine's home: a module Worker, so RSA key generation and long clock runs never block
// the page. It speaks the protocol in src/protocol.rs: { id, command } in, { id, reply } out.
import init, { WasmEngine } from "./pkg/cmk_playground.js";

let engine = null;
const ready = init()
  .then(() => {
    engine = new WasmEngine(); // seeded from crypto.getRandomValues
    postMessage({ ready: true });
  })
  .catch((e) => postMessage({ failed: String((e && e.message) || e) }));

onmessage = async (event) => {
  await ready;
  const { id, command } = event.data;
  try {
    postMessage({ id, reply: engine.exec(command) });
  } catch (e) {
    postMessage({ id, error: String((e && e.message) || e) });
  }
};
