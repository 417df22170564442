// The engine's home: a module Worker, so RSA key generation, bulk sealing and long clock runs
// never block the page. It speaks the protocol in src/protocol.rs: { id, command } in,
// { id, progress } while working, then { id, reply } (or { id, error }), where a reply carries
// `snapshotChanges` (the snapshot's fields that changed) in place of the whole `snapshot`.
//
// Bulk sealing: the engine hands out the service layer (AES-256-GCM under each block's data key)
// of large blocks as jobs; WebCrypto performs them here and the engine adds the infrastructure
// layer. WebCrypto's AES-GCM produces the same bytes as the engine's own (a test checks it).
import init, { WasmEngine } from "./pkg/cmk_playground.js";
import { drainSeals, openForQuery } from "./sealing.js";

let engine = null;
const subtle = self.crypto && self.crypto.subtle;
const ready = init()
  .then(() => {
    engine = new WasmEngine(); // seeded from crypto.getRandomValues
    engine.setExternalSealing(!!subtle);
    // The page's module holds only the keys of the texts it displays (src/texts.rs).
    postMessage({ ready: true, sealing: subtle ? "WebCrypto" : "wasm", texts: engine.texts() });
  })
  .catch((e) => postMessage({ failed: String((e && e.message) || e) }));

// Long clock moves run step by step through the engine's own `advanceStep` (the slicing rule
// lives in protocol::advance_step, shared with the in-page host, so a saved session replays
// alike), reporting progress between steps; `{ cancel: true }` stops the move between two steps.
let cancelRequested = false;

// A macrotask boundary, so a `cancel` message can arrive while a long move runs (awaiting a
// resolved promise alone never lets `onmessage` in).
function yieldToMessages() {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(null);
  });
}

function drain(id, label) {
  return drainSeals(engine, subtle, (done, total) => {
    if (total > 64) postMessage({ id, progress: { done, total, label: label || "Sealing blocks (AES-256-GCM in WebCrypto)" } });
  });
}

// One command at a time, in arrival order: a command that awaits WebCrypto (sealing, a sliced
// clock run) finishes before the next starts, so the engine sees exactly the sequence the page
// sent and replies come back in that order. The page's saved session replays that sequence.
let queue = ready;
onmessage = (event) => {
  if (event.data && event.data.cancel) {
    cancelRequested = true;
    return;
  }
  queue = queue.then(() => handle(event.data));
};

async function handle({ id, command }) {
  try {
    const advance = command && command.Advance;
    const total = advance ? engine.advanceTotal(advance.seconds) : -1;
    if (total >= 0) {
      const started = engine.now();
      cancelRequested = false;
      let done = 0;
      let lastYield = performance.now();
      while (done < total && !cancelRequested) {
        done += engine.advanceStep(total - done);
        await drain(id, "Sealing the logs of the simulated sources");
        if (performance.now() - lastYield > 50) {
          postMessage({ id, progress: { done, total, label: "Advancing the virtual clock" } });
          await yieldToMessages();
          lastYield = performance.now();
        }
      }
      const reply = engine.execChanges("Snapshot");
      reply.started = started;
      reply.cancelled = done < total;
      postMessage({ id, reply });
      return;
    }
    // A query's hot-cache reads: AES-GCM in WebCrypto rather than in wasm.
    if (subtle && command && command.Request) await openForQuery(engine, subtle, command);
    // Replies carry the snapshot's changed fields only (the page keeps the rest).
    const reply = engine.execChanges(command);
    if ((await drain(id)) > 0) Object.assign(reply.snapshotChanges, engine.snapshotChanges());
    postMessage({ id, reply });
  } catch (e) {
    postMessage({ id, error: String((e && e.message) || e) });
  }
}
