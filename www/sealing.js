// Bulk sealing, and opening the hot-cache copies a query reads, through WebCrypto; shared by the
// engine's Worker and the benchmark page.
//
// The engine hands out the service layer (AES-256-GCM under each block's data key) of large
// blocks as jobs. WebCrypto performs them off the Worker's thread; meanwhile the engine finishes
// the previous batch (its XChaCha20-Poly1305 infrastructure layer runs in wasm), so the two
// stages overlap. WebCrypto's AES-GCM gives the same bytes as the engine's own (tests check it).

const BATCH = 16;

async function seal(subtle, job) {
  const key = await subtle.importKey("raw", job.key, "AES-GCM", false, ["encrypt"]);
  const ct = await subtle.encrypt({ name: "AES-GCM", iv: job.nonce, additionalData: job.aad }, key, job.plaintext);
  return new Uint8Array(ct);
}

/// Seals every pending job; `onProgress(done, total)` after each batch. Returns the job count.
export async function drainSeals(engine, subtle, onProgress) {
  const total = engine.pendingSealJobs();
  let done = 0;
  const start = () => {
    const jobs = engine.takeSealJobs(BATCH);
    return jobs.length ? { jobs, sealed: Promise.all(jobs.map((j) => seal(subtle, j))) } : null;
  };
  let current = start();
  while (current) {
    const sealed = await current.sealed;
    const next = start(); // the next batch encrypts while the engine completes this one
    current.jobs.forEach((j, i) => engine.completeSeal(j.id, sealed[i]));
    done += current.jobs.length;
    if (onProgress) onProgress(done, total);
    current = next;
  }
  return total;
}

/// Opens the hot-cache column chunks the engine says `command` may read (`openJobs`) and hands
/// the plaintexts back (`completeOpen`) so the query that follows reads them instead of running
/// AES-GCM in wasm. A chunk that fails authentication is left to the engine, which then fails the
/// query as it always does. Returns the bytes opened.
///
/// Each job's `sealed` is a view of the engine's memory, valid until the next call into the
/// engine: every `subtle.decrypt` (which copies its input) is called before `completeOpen`.
export async function openForQuery(engine, subtle, command) {
  const jobs = engine.openJobs(command);
  const keys = new Map();
  const opened = await Promise.all(jobs.map(async (j) => {
    const id = j.key.join(",");
    if (!keys.has(id)) keys.set(id, subtle.importKey("raw", j.key, "AES-GCM", false, ["decrypt"]));
    try {
      return new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: j.nonce, additionalData: j.aad }, await keys.get(id), j.sealed));
    } catch {
      return null;
    }
  }));
  let bytes = 0;
  jobs.forEach((j, i) => {
    if (opened[i]) {
      engine.completeOpen(j.block, j.column, opened[i]);
      bytes += opened[i].length;
    }
  });
  return bytes;
}
