//! The WebAssembly entry. With the `page` feature it mounts the page when loaded in a document;
//! with `worker` it exports the engine to JavaScript as `WasmEngine` (used by `worker.js`, by the
//! page when a Worker cannot start, and by anyone embedding the engine); `bench` adds the
//! benchmark page's exports. The site ships the first two as separate modules (Cargo.toml).

#[cfg(feature = "page")]
use wasm_bindgen::prelude::*;

/// Runs when the module is instantiated: in a page it mounts the app into `#app`; in the Worker
/// (no `window`) it does nothing.
#[cfg(feature = "page")]
#[wasm_bindgen(start)]
pub fn start() {
    if web_sys::window().is_some() {
        crate::ui::mount();
    }
}

#[cfg(feature = "worker")]
pub use engine_api::*;

#[cfg(feature = "worker")]
mod engine_api {
    use serde::Serialize;
    use wasm_bindgen::prelude::*;

    use crate::engine::Engine;
    use crate::protocol::{self, Command};

    /// The TypeScript shapes of what `WasmEngine` takes and returns (`RestResponse`, `Command`,
    /// `Reply`, `Snapshot`, ...), written at the top of the generated `cmk_playground.d.ts`.
    #[wasm_bindgen(typescript_custom_section)]
    const TS_SHAPES: &str = include_str!("wasm_types.d.ts");

    fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
        v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// Runs a crypto kernel (for the benchmark page): see `engine::crypto::kernel`.
    #[cfg(feature = "bench")]
    #[wasm_bindgen(js_name = cryptoKernel)]
    pub fn crypto_kernel(name: &str, size: usize, iterations: u32) -> Result<u32, JsError> {
        crate::engine::crypto::kernel(name, size, iterations).map_err(|e| JsError::new(&e))
    }

    /// `performance.now()` where there is one (a page or a Worker), else `Date.now()`: the clock the
    /// fleet benchmark measures with (the engine itself reads no clock).
    #[cfg(feature = "bench")]
    fn js_clock() -> impl FnMut() -> f64 {
        let perf = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance"))
            .ok()
            .and_then(|p| p.dyn_into::<web_sys::Performance>().ok());
        move || perf.as_ref().map_or_else(js_sys::Date::now, |p| p.now())
    }

    /// The clock benchmark (for the benchmark page; BENCHMARKS.md): provisions five clusters and
    /// `workspacesPerCluster` (200 by default) linked workspaces each in a fresh engine, then measures
    /// virtual seconds advanced per real second. `scenario` is `"healthy"` or `"degraded"` (one
    /// cluster revoked, one vault unreachable). Returns `crate::fleet::ScenarioReport` as an object.
    #[cfg(feature = "bench")]
    #[wasm_bindgen(js_name = clockBenchmark)]
    pub fn clock_benchmark(
        scenario: &str,
        workspaces_per_cluster: Option<u32>,
    ) -> Result<JsValue, JsError> {
        let scenario = crate::fleet::Scenario::parse(scenario)
            .ok_or_else(|| JsError::new("the scenario is \"healthy\" or \"degraded\""))?;
        let spec = crate::fleet::FleetSpec::sized(workspaces_per_cluster.unwrap_or(200) as usize);
        let report = crate::fleet::run_scenario(&spec, scenario, &mut js_clock())
            .map_err(|e| JsError::new(&e))?;
        to_js(&report)
    }

    /// The simulation engine for JavaScript.
    ///
    /// ```js
    /// const e = new WasmEngine();               // seeded from crypto.getRandomValues
    /// const r = e.handle("GET", "https://graph.microsoft.com/v1.0/me", [], undefined);
    /// r.status; r.body.id;
    /// e.advance(3600);
    /// ```
    #[wasm_bindgen]
    pub struct WasmEngine {
        inner: Engine,
        /// The snapshot `execChanges` / `snapshotChanges` last answered with.
        last_sent: Option<crate::engine::Snapshot>,
    }

    #[wasm_bindgen]
    impl WasmEngine {
        /// A new engine; `seed` (32 bytes) makes it deterministic, otherwise WebCrypto seeds it.
        #[wasm_bindgen(constructor)]
        pub fn new(seed: Option<Vec<u8>>) -> Result<WasmEngine, JsError> {
            let inner = match seed {
                None => Engine::new(),
                Some(s) => {
                    let seed: [u8; 32] = s
                        .try_into()
                        .map_err(|_| JsError::new("the seed must be exactly 32 bytes"))?;
                    Engine::with_seed(seed)
                }
            };
            Ok(WasmEngine {
                inner,
                last_sent: None,
            })
        }

        /// Sends a REST request. `headers` is an array of `[name, value]` pairs (or undefined).
        /// Returns `{ status, headers, body }`.
        #[wasm_bindgen(unchecked_return_type = "RestResponse")]
        pub fn handle(
            &mut self,
            method: &str,
            url: &str,
            #[wasm_bindgen(unchecked_param_type = "[string, string][] | null | undefined")]
        headers: JsValue,
            body: Option<String>,
        ) -> Result<JsValue, JsError> {
            let headers: Vec<(String, String)> = if headers.is_undefined() || headers.is_null() {
                Vec::new()
            } else {
                serde_wasm_bindgen::from_value(headers).map_err(|e| {
                    JsError::new(&format!("headers must be [name, value] pairs: {e}"))
                })?
            };
            let pairs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            to_js(&self.inner.handle(method, url, &pairs, body.as_deref()))
        }

        /// Whether a request without any `Authorization` header is answered as the signed-in
        /// principal (true for a new engine). False: refused exactly as Azure refuses it, and a
        /// client must send tokens from `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`.
        #[wasm_bindgen(js_name = setImplicitSignIn)]
        pub fn set_implicit_sign_in(&mut self, on: bool) {
            self.inner.set_implicit_sign_in(on);
        }

        /// Signs a principal in (UPN, application id or object id) through the token endpoint, with
        /// the credentials the playground gives it; answers the token endpoint's response.
        #[wasm_bindgen(js_name = signIn, unchecked_return_type = "RestResponse")]
        pub fn sign_in(&mut self, who: &str) -> Result<JsValue, JsError> {
            to_js(&self.inner.sign_in(who))
        }

        /// Moves the virtual clock forward by `seconds`, running due events.
        pub fn advance(&mut self, seconds: f64) {
            self.inner.advance(seconds.max(0.0) as u64);
        }

        /// How far the protocol's `Advance { seconds }` really moves the clock (it stops at the end
        /// of 9999), or -1 when the move is refused (longer than `protocol::MAX_ADVANCE`; `exec`
        /// then answers the refusal).
        #[wasm_bindgen(js_name = advanceTotal)]
        pub fn advance_total(&self, seconds: f64) -> f64 {
            match protocol::advance_total(&self.inner, seconds.max(0.0) as u64) {
                Ok(s) => s as f64,
                Err(_) => -1.0,
            }
        }

        /// One step of a long clock move with `left` seconds to go (see `protocol::advance_step`):
        /// the Worker runs long moves this way, reporting progress and checking for a cancel between
        /// steps. Returns the seconds moved.
        #[wasm_bindgen(js_name = advanceStep)]
        pub fn advance_step(&mut self, left: f64) -> f64 {
            protocol::advance_step(&mut self.inner, left.max(0.0) as u64) as f64
        }

        /// Moves the clock to the next scheduled event (not a background poll) and runs it; false
        /// when nothing else is scheduled.
        #[wasm_bindgen(js_name = runToNextEvent)]
        pub fn run_to_next_event(&mut self) -> bool {
            self.inner.run_to_next_event()
        }

        /// Virtual time in Unix seconds.
        pub fn now(&self) -> f64 {
            self.inner.now() as f64
        }

        /// Everything the page shows (no key material).
        /// The prose the page displays and the engine owns, as `[[key, words], ...]` JSON
        /// (`texts::table_json`): the page's module holds only the keys.
        pub fn texts(&self) -> String {
            crate::texts::table_json()
        }

        #[wasm_bindgen(unchecked_return_type = "Snapshot")]
        pub fn snapshot(&self) -> Result<JsValue, JsError> {
            to_js(&self.inner.snapshot())
        }

        /// Seal large blocks' service layer outside the engine (the Worker's SubtleCrypto).
        #[wasm_bindgen(js_name = setExternalSealing)]
        pub fn set_external_sealing(&mut self, on: bool) {
            self.inner.set_external_sealing(on);
        }

        #[wasm_bindgen(js_name = pendingSealJobs)]
        pub fn pending_seal_jobs(&self) -> usize {
            self.inner.pending_seal_jobs()
        }

        /// Up to `max` AES-256-GCM jobs: `[{ id, key, nonce, aad, plaintext }]` (byte arrays).
        #[wasm_bindgen(js_name = takeSealJobs, unchecked_return_type = "SealJob[]")]
        pub fn take_seal_jobs(&mut self, max: usize) -> Result<JsValue, JsError> {
            let out = js_sys::Array::new();
            for j in self.inner.take_seal_jobs(max) {
                out.push(&job(
                    &[("id", j.id)],
                    &[
                        ("key", &j.key),
                        ("nonce", &j.nonce),
                        ("aad", &j.aad),
                        ("plaintext", &j.plaintext),
                    ],
                )?);
            }
            Ok(out.into())
        }

        /// The hot-cache column chunks a Query API request may read, for the host to open in
        /// WebCrypto before sending it: `[{ block, column, key, nonce, aad, sealed }]` (byte
        /// arrays; `sealed` is the ciphertext followed by the tag, a view of the engine's memory
        /// valid until the next call into the engine). Empty for any other command.
        #[wasm_bindgen(js_name = openJobs, unchecked_return_type = "OpenJob[]")]
        pub fn open_jobs(
            &mut self,
            #[wasm_bindgen(unchecked_param_type = "Command")] command: JsValue,
        ) -> Result<JsValue, JsError> {
            let out = js_sys::Array::new();
            let Ok(Command::Request { url, body, .. }) = serde_wasm_bindgen::from_value(command)
            else {
                return Ok(out.into());
            };
            for j in self.inner.open_jobs(&url, body.as_deref()) {
                let o = job(
                    &[("block", j.block), ("column", u64::from(j.column))],
                    &[("key", &j.key), ("nonce", &j.nonce), ("aad", &j.aad)],
                )?;
                // The chunk goes out as a view of wasm memory, not a copy (a copy of a query's
                // chunks cost as long as WebCrypto's decryption of them: BENCHMARKS.md). It
                // points into the store's hot copy, which stays until the next command, and the
                // host hands it to `subtle.decrypt`, which copies its input when called, before
                // anything else runs in wasm. Were the memory to grow first, the view would be
                // empty, that decryption would fail, and the engine would open the chunk itself,
                // as it does any chunk the host did not open.
                // SAFETY: the view is read only by JavaScript, as described above.
                let sealed = unsafe { js_sys::Uint8Array::view(j.sealed()) };
                js_sys::Reflect::set(&o, &"sealed".into(), &sealed)
                    .map_err(|_| JsError::new("could not build a job"))?;
                out.push(&o);
            }
            Ok(out.into())
        }

        /// A hot-cache chunk's plaintext, opened by WebCrypto: the next command reads it instead
        /// of opening the chunk in wasm (access is checked as always).
        #[wasm_bindgen(js_name = completeOpen)]
        pub fn complete_open(&mut self, block: f64, column: u32, plaintext: Vec<u8>) {
            self.inner.complete_open(block as u64, column, plaintext);
        }

        /// Completes a job with WebCrypto's output (ciphertext followed by the tag).
        #[wasm_bindgen(js_name = completeSeal)]
        pub fn complete_seal(&mut self, id: f64, sealed: &[u8]) -> Result<(), JsError> {
            self.inner
                .complete_seal(id as u64, sealed)
                .map_err(|e| JsError::new(&e))
        }

        /// Runs one protocol command.
        #[wasm_bindgen(unchecked_return_type = "Reply")]
        pub fn exec(
            &mut self,
            #[wasm_bindgen(unchecked_param_type = "Command")] command: JsValue,
        ) -> Result<JsValue, JsError> {
            let cmd = command_of(command)?;
            to_js(&protocol::execute(&mut self.inner, &cmd))
        }

        /// Runs one protocol command and answers only what changed (the Worker's entry point):
        /// the reply without `snapshot`, and `snapshotChanges`, the snapshot's fields that
        /// differ from the last answer of this method or `snapshotChanges()` (all of them the
        /// first time). Whoever applies them in order to the first full set has the snapshot.
        #[wasm_bindgen(
            js_name = execChanges,
            unchecked_return_type = "Omit<Reply, \"snapshot\"> & { snapshotChanges: Partial<Snapshot> }"
        )]
        pub fn exec_changes(
            &mut self,
            #[wasm_bindgen(unchecked_param_type = "Command")] command: JsValue,
        ) -> Result<JsValue, JsError> {
            let cmd = command_of(command)?;
            let mut reply = protocol::execute(&mut self.inner, &cmd);
            let snapshot = std::mem::take(&mut reply.snapshot);
            let out = to_js(&reply)?;
            let _ = js_sys::Reflect::delete_property(
                out.unchecked_ref::<js_sys::Object>(),
                &"snapshot".into(),
            );
            let changes = self.changes(snapshot)?;
            js_sys::Reflect::set(&out, &"snapshotChanges".into(), &changes)
                .map_err(|_| JsError::new("could not build the reply"))?;
            Ok(out)
        }

        /// The snapshot's fields that changed since the last `execChanges` or
        /// `snapshotChanges` answer (after the Worker completed seal jobs, say).
        #[wasm_bindgen(js_name = snapshotChanges, unchecked_return_type = "Partial<Snapshot>")]
        pub fn snapshot_changes(&mut self) -> Result<JsValue, JsError> {
            let snapshot = self.inner.snapshot();
            self.changes(snapshot)
        }
    }

    fn command_of(command: JsValue) -> Result<Command, JsError> {
        serde_wasm_bindgen::from_value(command)
            .map_err(|e| JsError::new(&format!("bad command: {e}")))
    }

    /// A job for the host's WebCrypto: its numbers (`id`, or `block` and `column`) and its byte
    /// arrays.
    fn job(numbers: &[(&str, u64)], bytes: &[(&str, &[u8])]) -> Result<JsValue, JsError> {
        let o = js_sys::Object::new();
        let set = |k: &str, v: JsValue| {
            js_sys::Reflect::set(&o, &k.into(), &v)
                .map(|_| ())
                .map_err(|_| JsError::new("could not build a job"))
        };
        for (name, number) in numbers {
            set(name, JsValue::from(*number as f64))?;
        }
        for (k, b) in bytes {
            set(k, js_sys::Uint8Array::from(*b).into())?;
        }
        Ok(o.into())
    }

    impl WasmEngine {
        fn changes(&mut self, snapshot: crate::engine::Snapshot) -> Result<JsValue, JsError> {
            let fields = match &self.last_sent {
                Some(old) => snapshot.changed_since(old),
                None => crate::engine::view::SNAPSHOT_FIELDS.to_vec(),
            };
            let out = js_sys::Object::new();
            let serializer = serde_wasm_bindgen::Serializer::json_compatible();
            for field in fields {
                let value = snapshot
                    .serialize_field(field, &serializer)
                    .ok_or_else(|| JsError::new("no such snapshot field"))?
                    .map_err(|e| JsError::new(&e.to_string()))?;
                js_sys::Reflect::set(&out, &field.into(), &value)
                    .map_err(|_| JsError::new("could not build the reply"))?;
            }
            self.last_sent = Some(snapshot);
            Ok(out.into())
        }
    }

    /// The benchmark page's engine extras (not in the shipped modules).
    #[cfg(feature = "bench")]
    #[wasm_bindgen]
    impl WasmEngine {
        /// Provisions the benchmark fleet (`crate::fleet`) through REST requests: five clusters with
        /// `workspacesPerCluster` (200 by default) linked workspaces each. Returns the fleet.
        #[wasm_bindgen(js_name = provisionFleet)]
        pub fn provision_fleet(
            &mut self,
            workspaces_per_cluster: Option<u32>,
        ) -> Result<JsValue, JsError> {
            let spec =
                crate::fleet::FleetSpec::sized(workspaces_per_cluster.unwrap_or(200) as usize);
            let fleet = crate::fleet::provision(&mut self.inner, &spec, &mut js_clock())
                .map_err(|e| JsError::new(&e))?;
            to_js(&fleet)
        }
    }
}
