//! Where the engine runs: a module Web Worker (`worker.js`, started by `index.html` before this
//! module has even loaded), so RSA key generation and long clock runs never freeze the page; or
//! the page itself, when a Worker cannot start (the engine module loaded into the page) and in
//! tests (the engine linked in, with the `worker` feature). All speak [`crate::protocol`], and
//! replies arrive asynchronously either way.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

#[cfg(feature = "worker")]
use crate::engine::Engine;
#[cfg(feature = "worker")]
use crate::protocol;
use crate::protocol::{Command, Reply};

type Done = Box<dyn FnOnce(Result<Reply, String>)>;

/// Who the page signs in as whenever a world starts: the tenant's Owner, so the walkthroughs
/// work as written. Switching person is a journalled `SignIn`; this one is part of the start.
pub const BOOT_SIGN_IN: &str = crate::engine::world::USER_UPN;

fn boot_sign_in() -> Command {
    Command::SignIn {
        who: BOOT_SIGN_IN.to_string(),
    }
}

/// A `Reset`'s reply with the world after the boot sign-in that follows it.
fn merge_sign_in(
    reset: Result<Reply, String>,
    signed: Result<Reply, String>,
) -> Result<Reply, String> {
    let (mut reply, signed) = (reset?, signed?);
    reply.snapshot = signed.snapshot;
    if let Some(e) = signed.error {
        reply.error = Some(format!("Signing in as {BOOT_SIGN_IN}: {e}"));
    }
    Ok(reply)
}
type Notice = Rc<dyn Fn(String)>;
type Progress = Rc<dyn Fn(f64, String)>;

/// The Worker's event handlers, kept alive as long as the host.
struct Listeners {
    _message: Closure<dyn FnMut(MessageEvent)>,
    _error: Closure<dyn FnMut(web_sys::Event)>,
}

enum Mode {
    /// The Worker is loading; commands wait in the queue.
    Starting(Worker),
    Worker(Worker),
    /// The engine module is loading into the page; commands wait in the queue.
    Loading,
    /// The engine module's `WasmEngine`, in the page (builds without the engine linked in).
    #[cfg_attr(feature = "worker", allow(dead_code))]
    Script(JsValue),
    /// The engine linked into this module (tests, and builds with both features).
    #[cfg(feature = "worker")]
    Local(Rc<RefCell<Engine>>),
}

struct Inner {
    mode: RefCell<Mode>,
    pending: RefCell<BTreeMap<u32, Done>>,
    queue: RefCell<Vec<(u32, Command)>>,
    next: Cell<u32>,
    /// Tells the page when the engine had to move into the page.
    on_notice: RefCell<Option<Notice>>,
    on_progress: RefCell<Option<Progress>>,
    /// How blocks are sealed: "WebCrypto" in the Worker, "wasm" otherwise.
    sealing: RefCell<&'static str>,
    listeners: RefCell<Option<Listeners>>,
    /// The person asked to stop the in-page clock move that is running.
    cancel: Cell<bool>,
    /// The world as the Worker's replies last described it (they carry only what changed).
    snapshot: RefCell<crate::engine::Snapshot>,
}

/// A handle on the engine host; clones share it.
#[derive(Clone)]
pub struct Host(Rc<Inner>);

impl PartialEq for Host {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Host {
    fn with_mode(mode: Mode) -> Host {
        Host(Rc::new(Inner {
            mode: RefCell::new(mode),
            pending: RefCell::new(BTreeMap::new()),
            queue: RefCell::new(Vec::new()),
            next: Cell::new(1),
            on_notice: RefCell::new(None),
            on_progress: RefCell::new(None),
            sealing: RefCell::new("wasm"),
            listeners: RefCell::new(None),
            cancel: Cell::new(false),
            snapshot: RefCell::new(Default::default()),
        }))
    }

    /// The engine runs in the page, seeded from WebCrypto (or from `seed`, for tests).
    #[cfg(feature = "worker")]
    pub fn local(seed: Option<[u8; 32]>) -> Host {
        // Without a seed, Engine::default() seeds from WebCrypto.
        let mut engine: Engine = seed.map(Engine::with_seed).unwrap_or_default();
        // The page sends real tokens from the start (tests that mount without a session too).
        protocol::execute(&mut engine, &boot_sign_in());
        Host::with_mode(Mode::Local(Rc::new(RefCell::new(engine))))
    }

    /// The engine runs in `worker.js` next to the page: the one `index.html` started
    /// (`window.cmkEngine`), or a new one where the page was loaded some other way; falls back to
    /// the page if it can't start.
    pub fn worker() -> Host {
        let started = js_sys::Reflect::get(&js_sys::global(), &"cmkEngine".into())
            .ok()
            .filter(|s| s.is_object());
        let get = |k: &str| {
            started
                .as_ref()
                .and_then(|s| js_sys::Reflect::get(s, &k.into()).ok())
                .unwrap_or(JsValue::UNDEFINED)
        };
        let worker = match get("worker").dyn_into::<Worker>() {
            Ok(w) => Ok(w),
            Err(_) if started.is_some() => Err(get("error")
                .as_string()
                .unwrap_or_else(|| "the browser refused to start it".into())),
            Err(_) => {
                let opts = WorkerOptions::new();
                opts.set_type(WorkerType::Module);
                Worker::new_with_options("./worker.js", &opts)
                    .map_err(|e| format!("the browser refused to start it ({e:?})"))
            }
        };
        let worker = match worker {
            Ok(w) => w,
            Err(reason) => {
                let host = Host::with_mode(Mode::Loading);
                host.fall_back(format!("the engine worker could not start: {reason}"));
                return host;
            }
        };
        let host = Host::with_mode(Mode::Starting(worker.clone()));
        let weak = Rc::downgrade(&host.0);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(inner) = weak.upgrade() {
                Host(inner).on_message(e.data());
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let weak: Weak<Inner> = Rc::downgrade(&host.0);
        // A script that fails to load fires a plain `Event` (no `message`); a thrown error an
        // `ErrorEvent`.
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            if let Some(inner) = weak.upgrade() {
                let message = error_text(&e).unwrap_or_else(|| "its script could not load".into());
                Host(inner).on_failure(format!("the engine worker failed: {message}"));
            }
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        *host.0.listeners.borrow_mut() = Some(Listeners {
            _message: on_message,
            _error: on_error,
        });
        // What the Worker said before this module was ready to listen (index.html kept it).
        let early = get("messages");
        if let Some(early) = early.dyn_ref::<js_sys::Array>() {
            for m in early.iter() {
                host.on_message(m);
            }
        }
        if let Some(e) = get("error").as_string() {
            host.on_failure(format!("the engine worker failed: {e}"));
        }
        host
    }

    /// Called with (fraction done, what) while a long command runs in the Worker.
    pub fn on_progress(&self, f: impl Fn(f64, String) + 'static) {
        *self.0.on_progress.borrow_mut() = Some(Rc::new(f));
    }

    /// Where blocks' bulk AES-256-GCM runs: "WebCrypto" (Worker) or "wasm" (aes-gcm).
    pub fn sealing(&self) -> &'static str {
        *self.0.sealing.borrow()
    }

    pub fn on_notice(&self, f: impl Fn(String) + 'static) {
        *self.0.on_notice.borrow_mut() = Some(Rc::new(f));
    }

    /// "Web Worker", "page", or "starting".
    pub fn kind(&self) -> &'static str {
        match &*self.0.mode.borrow() {
            Mode::Starting(_) | Mode::Loading => "starting",
            Mode::Worker(_) => "Web Worker",
            Mode::Script(_) => "page",
            #[cfg(feature = "worker")]
            Mode::Local(_) => "page",
        }
    }

    /// Sends a command; `done` runs when the reply (or a failure) arrives.
    ///
    /// A `Reset` is followed by the boot sign-in (implicit sign-in off, tokens on every request)
    /// and answered with the world after both: every world the page starts (a session's start, a
    /// replay, a drill's set-up) is signed in the same way, so a journal replays to the same
    /// responses without journalling the sign-in. Both go out at once, so nothing the page sends
    /// meanwhile can run between them.
    pub fn send(&self, cmd: Command, done: impl FnOnce(Result<Reply, String>) + 'static) {
        if !matches!(cmd, Command::Reset { .. }) {
            return self.send_one(cmd, done);
        }
        let reset = Rc::new(RefCell::new(None));
        let r = reset.clone();
        self.send_one(cmd, move |reply| *r.borrow_mut() = Some(reply));
        self.send_one(boot_sign_in(), move |signed| {
            // Replies come back in the order sent (both hosts run one command at a time).
            let first = reset
                .borrow_mut()
                .take()
                .unwrap_or_else(|| Err("the engine answered out of order".into()));
            done(merge_sign_in(first, signed));
        });
    }

    fn send_one(&self, cmd: Command, done: impl FnOnce(Result<Reply, String>) + 'static) {
        let id = self.0.next.get();
        self.0.next.set(id + 1);
        self.0.pending.borrow_mut().insert(id, Box::new(done));
        let target = match &*self.0.mode.borrow() {
            Mode::Starting(_) | Mode::Loading => Target::Queue,
            Mode::Worker(w) => Target::Worker(w.clone()),
            Mode::Script(e) => Target::Script(e.clone()),
            #[cfg(feature = "worker")]
            Mode::Local(e) => Target::Local(e.clone()),
        };
        self.dispatch(target, id, cmd);
    }

    fn dispatch(&self, target: Target, id: u32, cmd: Command) {
        match target {
            Target::Queue => self.0.queue.borrow_mut().push((id, cmd)),
            Target::Worker(worker) => self.post(&worker, id, &cmd),
            Target::Script(engine) => self.run_script(engine, id, cmd),
            #[cfg(feature = "worker")]
            Target::Local(engine) => self.run_local(engine, id, cmd),
        }
    }

    /// Runs what waited while the engine was starting, in order, wherever it now runs.
    fn flush_queue(&self, target: impl Fn() -> Target) {
        let queued: Vec<_> = self.0.queue.borrow_mut().drain(..).collect();
        for (id, cmd) in queued {
            self.dispatch(target(), id, cmd);
        }
    }

    fn post(&self, worker: &Worker, id: u32, cmd: &Command) {
        let msg = js_sys::Object::new();
        let value = match serde_wasm_bindgen::to_value(cmd) {
            Ok(v) => v,
            Err(e) => return self.resolve(id, Err(format!("could not encode the command: {e}"))),
        };
        let _ = js_sys::Reflect::set(&msg, &"id".into(), &JsValue::from(id));
        let _ = js_sys::Reflect::set(&msg, &"command".into(), &value);
        if let Err(e) = worker.post_message(&msg) {
            self.resolve(id, Err(format!("could not reach the engine worker: {e:?}")));
        }
    }

    /// A command for the engine module loaded into the page: the same calls `worker.js` makes
    /// (`exec`, and `advanceTotal`/`advanceStep` for clock moves, in steps so the page stays
    /// responsive and the move can be stopped).
    fn run_script(&self, engine: JsValue, id: u32, cmd: Command) {
        let host = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            super::util::next_frame().await;
            let result = match cmd {
                Command::Advance { seconds } => host.advance_script(&engine, seconds).await,
                cmd => script_exec(&engine, &cmd),
            };
            host.resolve(id, result);
        });
    }

    async fn advance_script(&self, engine: &JsValue, seconds: u64) -> Result<Reply, String> {
        let num = |v: Result<JsValue, String>| v.map(|v| v.as_f64().unwrap_or(-1.0));
        let started = num(script_call(engine, "now", &[]))?;
        let total = num(script_call(
            engine,
            "advanceTotal",
            &[(seconds as f64).into()],
        ))?;
        if total < 0.0 {
            return script_exec(engine, &Command::Advance { seconds });
        }
        self.0.cancel.set(false);
        let (mut done, mut last_yield) = (0.0, super::util::now_ms());
        while done < total && !self.0.cancel.get() {
            done += num(script_call(engine, "advanceStep", &[(total - done).into()]))?.max(0.0);
            if super::util::now_ms() - last_yield > 50.0 {
                self.progress(done / total, "Advancing the virtual clock".into());
                super::util::next_frame().await;
                last_yield = super::util::now_ms();
            }
        }
        let mut reply = script_exec(engine, &Command::Snapshot)?;
        reply.started = started as u64;
        reply.cancelled = done < total;
        Ok(reply)
    }

    #[cfg(feature = "worker")]
    fn run_local(&self, engine: Rc<RefCell<Engine>>, id: u32, cmd: Command) {
        let host = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            // Yield to the browser first so the page can paint its busy state.
            super::util::next_frame().await;
            let reply = match cmd {
                // Step by step, as the Worker does, so the page stays responsive, shows progress
                // and can stop the move (a plain `execute` would take the same steps at once).
                Command::Advance { seconds } => host.advance_local(&engine, seconds).await,
                cmd => protocol::execute(&mut engine.borrow_mut(), &cmd),
            };
            host.resolve(id, Ok(reply));
        });
    }

    #[cfg(feature = "worker")]
    async fn advance_local(&self, engine: &Rc<RefCell<Engine>>, seconds: u64) -> Reply {
        let (started, total) = {
            let e = engine.borrow();
            (e.now(), protocol::advance_total(&e, seconds))
        };
        let Ok(total) = total else {
            // Refused: `execute` says why.
            return protocol::execute(&mut engine.borrow_mut(), &Command::Advance { seconds });
        };
        self.0.cancel.set(false);
        let (mut done, mut last_yield) = (0, super::util::now_ms());
        while done < total && !self.0.cancel.get() {
            done += protocol::advance_step(&mut engine.borrow_mut(), total - done);
            if super::util::now_ms() - last_yield > 50.0 {
                self.progress(
                    done as f64 / total as f64,
                    "Advancing the virtual clock".into(),
                );
                super::util::next_frame().await;
                last_yield = super::util::now_ms();
            }
        }
        let mut reply = protocol::execute(&mut engine.borrow_mut(), &Command::Snapshot);
        reply.started = started;
        reply.cancelled = done < total;
        reply
    }

    /// Stops the clock move that is running, between two of its steps; its reply says how far
    /// it got (`Reply::cancelled`).
    pub fn cancel(&self) {
        let worker = match &*self.0.mode.borrow() {
            Mode::Worker(w) => Some(w.clone()),
            _ => None,
        };
        match worker {
            Some(w) => {
                let msg = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&msg, &"cancel".into(), &JsValue::TRUE);
                let _ = w.post_message(&msg);
            }
            None => self.0.cancel.set(true),
        }
    }

    fn progress(&self, fraction: f64, label: String) {
        let f = self.0.on_progress.borrow().clone();
        if let Some(f) = f {
            f(fraction, label);
        }
    }

    fn resolve(&self, id: u32, result: Result<Reply, String>) {
        let done = self.0.pending.borrow_mut().remove(&id);
        if let Some(done) = done {
            done(result);
        }
    }

    fn on_message(&self, data: JsValue) {
        let get = |k: &str| js_sys::Reflect::get(&data, &k.into()).unwrap_or(JsValue::UNDEFINED);
        if let Some(p) = get("progress").dyn_ref::<js_sys::Object>() {
            let num = |k: &str| {
                js_sys::Reflect::get(p, &k.into())
                    .ok()
                    .and_then(|v| v.as_f64())
                    .unwrap_or(0.0)
            };
            let label = js_sys::Reflect::get(p, &"label".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let (done, total) = (num("done"), num("total"));
            self.progress(if total > 0.0 { done / total } else { 0.0 }, label);
            return;
        }
        if get("ready").is_truthy() {
            install_texts(&get("texts"));
            if get("sealing").as_string().as_deref() == Some("WebCrypto") {
                *self.0.sealing.borrow_mut() = "WebCrypto";
            }
            let worker = match &*self.0.mode.borrow() {
                Mode::Starting(w) => Some(w.clone()),
                _ => None,
            };
            if let Some(w) = worker {
                *self.0.mode.borrow_mut() = Mode::Worker(w.clone());
                self.flush_queue(|| Target::Worker(w.clone()));
            }
            return;
        }
        if let Some(reason) = get("failed").as_string() {
            return self.on_failure(format!("the engine worker could not start: {reason}"));
        }
        let Some(id) = get("id").as_f64().map(|i| i as u32) else {
            return;
        };
        let error = get("error");
        if let Some(msg) = error.as_string() {
            return self.resolve(id, Err(msg));
        }
        let result = self.decode_reply(get("reply"));
        self.resolve(id, result);
    }

    /// A Worker's reply: the snapshot's changed fields go into the page's copy, which becomes
    /// the reply's snapshot (`WasmEngine::execChanges`).
    fn decode_reply(&self, reply: JsValue) -> Result<Reply, String> {
        let bad =
            |e: serde_wasm_bindgen::Error| format!("could not decode the engine's reply: {e}");
        let changes =
            js_sys::Reflect::get(&reply, &"snapshotChanges".into()).unwrap_or(JsValue::UNDEFINED);
        let mut decoded = serde_wasm_bindgen::from_value::<Reply>(reply).map_err(bad)?;
        let Some(changes) = changes.dyn_ref::<js_sys::Object>() else {
            return Ok(decoded);
        };
        let mut snapshot = self.0.snapshot.borrow().clone();
        for field in js_sys::Object::keys(changes).iter() {
            let value = js_sys::Reflect::get(changes, &field).unwrap_or(JsValue::UNDEFINED);
            let name = field.as_string().unwrap_or_default();
            snapshot
                .set_field(&name, serde_wasm_bindgen::Deserializer::from(value))
                .map_err(bad)?;
        }
        *self.0.snapshot.borrow_mut() = snapshot.clone();
        decoded.snapshot = snapshot;
        Ok(decoded)
    }

    /// Before the Worker is ready, move the engine into the page and run what was queued; after,
    /// fail what is pending (the Worker's state is lost with it).
    fn on_failure(&self, reason: String) {
        let starting = matches!(&*self.0.mode.borrow(), Mode::Starting(_));
        if starting {
            if let Mode::Starting(w) = &*self.0.mode.borrow() {
                w.terminate();
            }
            *self.0.mode.borrow_mut() = Mode::Loading;
            self.fall_back(reason);
        } else if matches!(&*self.0.mode.borrow(), Mode::Loading) {
            // Already falling back (a second report of the same failure).
        } else {
            let pending: Vec<u32> = self.0.pending.borrow().keys().copied().collect();
            for id in pending {
                self.resolve(id, Err(reason.clone()));
            }
            self.notice(format!(
                "The engine stopped: {reason}. Reload the page to start again."
            ));
        }
    }

    /// Moves the engine into the page: the engine linked into this module where there is one,
    /// else the engine module, loaded now through `window.cmkEngine.load()` (index.html defines
    /// it); what was queued runs there, in order.
    fn fall_back(&self, reason: String) {
        let notice = format!(
            "The engine runs in the page because {reason}. Long operations such as 4096-bit key generation will pause the page."
        );
        #[cfg(feature = "worker")]
        {
            let engine = Rc::new(RefCell::new(Engine::new()));
            *self.0.mode.borrow_mut() = Mode::Local(engine.clone());
            self.flush_queue(|| Target::Local(engine.clone()));
            self.notice(notice);
        }
        #[cfg(not(feature = "worker"))]
        {
            let host = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match load_engine_module().await {
                    Ok(engine) => {
                        install_texts(&script_call(&engine, "texts", &[]).unwrap_or_default());
                        *host.0.mode.borrow_mut() = Mode::Script(engine.clone());
                        host.flush_queue(|| Target::Script(engine.clone()));
                        host.notice(notice);
                    }
                    Err(e) => {
                        *host.0.mode.borrow_mut() = Mode::Script(JsValue::UNDEFINED);
                        let pending: Vec<u32> = host.0.pending.borrow().keys().copied().collect();
                        host.0.queue.borrow_mut().clear();
                        let why = format!(
                            "{reason}, and the engine module could not load in the page either: {e}"
                        );
                        for id in pending {
                            host.resolve(id, Err(why.clone()));
                        }
                        host.notice(format!(
                            "The engine could not start: {why}. Reload the page to try again."
                        ));
                    }
                }
            });
        }
    }

    fn notice(&self, text: String) {
        let f = self.0.on_notice.borrow().clone();
        if let Some(f) = f {
            f(text);
        }
    }
}

/// Where a command goes.
enum Target {
    Queue,
    Worker(Worker),
    Script(JsValue),
    #[cfg(feature = "worker")]
    Local(Rc<RefCell<Engine>>),
}

/// The engine's texts (`WasmEngine::texts`) for the page's module, which holds only their keys
/// (`crate::texts`). A build with the engine in it has them already.
fn install_texts(table: &JsValue) {
    #[cfg(not(feature = "worker"))]
    if let Err(e) = table
        .as_string()
        .ok_or_else(|| "the engine sent no texts".to_string())
        .and_then(|json| crate::texts::install(&json))
    {
        web_sys::console::error_1(&e.into());
    }
    #[cfg(feature = "worker")]
    let _ = table;
}

/// What a thrown value or an error event says: its `message`, or the value itself if a string.
fn error_text(e: &JsValue) -> Option<String> {
    js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
}

/// Calls `engine[name](...args)` on the engine module's `WasmEngine`; a thrown error as text.
fn script_call(engine: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let text = |e: JsValue| error_text(&e).unwrap_or_else(|| format!("{e:?}"));
    let f = js_sys::Reflect::get(engine, &name.into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| format!("the engine module has no {name}"))?;
    let args: js_sys::Array = args.iter().collect();
    f.apply(engine, &args).map_err(text)
}

fn script_exec(engine: &JsValue, cmd: &Command) -> Result<Reply, String> {
    let value = serde_wasm_bindgen::to_value(cmd)
        .map_err(|e| format!("could not encode the command: {e}"))?;
    let reply = script_call(engine, "exec", &[value])?;
    serde_wasm_bindgen::from_value::<Reply>(reply)
        .map_err(|e| format!("could not decode the engine's reply: {e}"))
}

/// Loads the engine module into the page and makes a `WasmEngine` (seeded from WebCrypto).
#[cfg(not(feature = "worker"))]
async fn load_engine_module() -> Result<JsValue, String> {
    let loader = js_sys::Reflect::get(&js_sys::global(), &"cmkEngine".into())
        .ok()
        .and_then(|s| js_sys::Reflect::get(&s, &"load".into()).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("the page has no engine loader (window.cmkEngine.load, in index.html)")?;
    let promise = loader
        .call0(&JsValue::UNDEFINED)
        .map_err(|e| format!("{e:?}"))?
        .dyn_into::<js_sys::Promise>()
        .map_err(|_| "the engine loader did not return a promise".to_string())?;
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| error_text(&e).unwrap_or_else(|| format!("{e:?}")))
}
