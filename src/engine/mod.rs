//! The simulation engine: Azure Resource Manager, Key Vault, Log Analytics dedicated clusters and
//! workspaces, answering REST requests the way Azure does, on a virtual clock.
//!
//! The engine is sans-IO and deterministic. It never reads the system clock or the browser: time
//! moves only through [`Engine::advance`], and all randomness (identifiers, key material, padding,
//! operation durations) comes from a ChaCha20 stream seeded by the caller ([`Engine::with_seed`]).
//! The same seed and the same requests give the same responses, byte for byte.
//!
//! ```
//! use cmk_playground::engine::{Engine, Response};
//! let mut e = Engine::with_seed([7u8; 32]);
//! let r: Response = e.handle("GET", "https://management.azure.com/subscriptions?api-version=2022-12-01", &[], None);
//! assert_eq!(r.status, 200);
//! assert_eq!(r.body["value"].as_array().unwrap().len(), 2);
//! ```

pub mod alerts;
pub mod arm;
pub mod clock;
pub mod cluster;
pub mod crypto;
pub mod errors;
pub mod fired_alerts;
pub mod graph;
pub mod http;
pub mod journal;
pub mod keyvault;
pub mod limits;
pub mod lockbox;
pub mod logs;
pub mod query;
pub mod sentinel;
pub mod sources;
pub mod storage;
pub mod storage_accounts;
pub mod table;
pub mod view;
pub mod workspace;
pub mod world;

pub use http::Response;
pub use view::Snapshot;

use arm::lro::OpKind;
use clock::Event;
use errors::ApiError;
use http::Request;
use journal::{AuditEntry, Journal, RequestRecord, TimelineEntry};
use world::World;

/// What every handler works on: the state a request may change, and the journal it may append to.
pub struct Ctx<'a> {
    pub w: &'a mut World,
    pub j: &'a mut Journal,
    /// Sealed log blocks: outside the rollback; written only after every check has passed.
    pub s: &'a mut storage::BlockStore,
}

/// An opaque copy of the engine's state, for checking that a failed request changed nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint(
    World,
    (
        usize,
        usize,
        usize,
        std::collections::BTreeMap<(String, String), u64>,
    ),
);

pub struct Engine {
    world: World,
    journal: Journal,
    store: storage::BlockStore,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    /// An engine seeded from the platform's CSPRNG (WebCrypto in the browser).
    pub fn new() -> Self {
        let mut seed = [0u8; 32];
        // Without a working CSPRNG there is no honest way to make keys; stop loudly.
        getrandom::fill(&mut seed).expect("the platform CSPRNG is unavailable");
        Engine::with_seed(seed)
    }

    /// A deterministic engine: the same seed and requests give the same responses.
    pub fn with_seed(seed: [u8; 32]) -> Self {
        Engine {
            world: World::new(seed, clock::epoch()),
            journal: Journal::default(),
            store: storage::BlockStore::default(),
        }
    }

    /// Answers one REST request. `url` is a full Azure URL with its `api-version`; the host selects
    /// the service. A request that fails (status 400 or more) changes no state.
    pub fn handle(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Response {
        let saved = self.world.clone();
        let mut cx = Ctx {
            w: &mut self.world,
            j: &mut self.journal,
            s: &mut self.store,
        };
        let result =
            Request::parse(method, url, headers, body).and_then(|req| route(&mut cx, &req));
        let response = match result {
            Ok(r) => r,
            Err(e) => Response::from_error(&e),
        };
        if response.status >= 400 {
            self.world = saved;
        }
        self.journal.request_seq += 1;
        let seq = self.journal.request_seq;
        self.journal.requests.push(RequestRecord {
            seq,
            time: self.world.now,
            method: method.trim().to_ascii_uppercase(),
            url: url.to_string(),
            status: response.status,
        });
        response.with_header("x-ms-request-id", request_id(seq))
    }

    /// Moves the virtual clock forward, running every event that falls due on the way. The clock
    /// stops at [`clock::LATEST`] (the end of year 9999).
    pub fn advance(&mut self, seconds: u64) {
        let target = self
            .world
            .now
            .saturating_add(seconds)
            .min(clock::LATEST.max(self.world.now));
        self.world.horizon = target;
        while let Some((at, event)) = self.world.events.pop_due(target) {
            self.world.now = at;
            self.run(event);
        }
        self.world.now = target;
    }

    /// Advances to the next scheduled event and runs it, running background housekeeping (Key
    /// Vault polls, simulated agents) on the way; false when nothing else is scheduled.
    pub fn run_to_next_event(&mut self) -> bool {
        match self.world.events.next_foreground().map(|(at, _)| at) {
            Some(at) => {
                self.advance(at.saturating_sub(self.world.now));
                true
            }
            None => false,
        }
    }

    /// The virtual time, in Unix seconds.
    pub fn now(&self) -> u64 {
        self.world.now
    }

    /// Seconds the clock can still move before it stops at [`clock::LATEST`].
    pub fn clock_left(&self) -> u64 {
        clock::LATEST.saturating_sub(self.world.now)
    }

    /// When the next scheduled event of any kind (background housekeeping included) is due.
    pub fn next_due(&self) -> Option<u64> {
        self.world.events.next_due()
    }

    /// When the next scheduled event (other than background housekeeping) is due, if any.
    pub fn next_event_at(&self) -> Option<u64> {
        self.world.events.next_foreground().map(|(at, _)| at)
    }

    /// Everything the page shows (no key material).
    pub fn snapshot(&self) -> Snapshot {
        view::snapshot(&self.world, &self.journal, &self.store)
    }

    /// Key Vault audit events, oldest first, for every vault.
    pub fn audit_log(&self) -> &[AuditEntry] {
        &self.journal.audit
    }

    /// The timeline of what happened, oldest first.
    pub fn timeline(&self) -> &[TimelineEntry] {
        &self.journal.timeline
    }

    /// Requests received so far, oldest first.
    pub fn requests(&self) -> &[RequestRecord] {
        &self.journal.requests
    }

    /// A copy of the state, comparable with a later one (the block store by its contents' size).
    pub fn checkpoint(&self) -> Checkpoint {
        let store = (
            self.store.blocks.len(),
            self.store
                .blocks
                .values()
                .map(|b| b.sealed.len() + b.header.len())
                .sum(),
            self.store.hot.len(),
            self.store.drops.clone(),
        );
        Checkpoint(self.world.clone(), store)
    }

    /// Starts over with an empty world (a new seed, or one from the platform's CSPRNG), keeping
    /// the host's sealing mode.
    pub fn reset(&mut self, seed: Option<[u8; 32]>) {
        let external = self.store.external;
        *self = match seed {
            Some(s) => Engine::with_seed(s),
            None => Engine::new(),
        };
        self.store.external = external;
    }

    /// Simulates transient trouble reaching a vault (`None` ends it): storage rides it out on its
    /// cached account keys, and REST calls to the vault fail with 503.
    pub fn set_key_vault_outage(
        &mut self,
        vault: &str,
        outage: Option<storage::access::Outage>,
    ) -> Result<(), String> {
        let mut cx = Ctx {
            w: &mut self.world,
            j: &mut self.journal,
            s: &mut self.store,
        };
        storage::access::set_outage(&mut cx, vault, outage)
    }

    /// Playground control (not an Azure API): a Microsoft support engineer asks for access to the
    /// data of the workspace with this ARM id, which makes a Pending Customer Lockbox request when
    /// Lockbox applies. Answered like a request: 201 with the Lockbox request, or a refusal that
    /// changed nothing.
    pub fn support_access_request(&mut self, workspace: &str) -> Response {
        let saved = self.world.clone();
        let mut cx = Ctx {
            w: &mut self.world,
            j: &mut self.journal,
            s: &mut self.store,
        };
        match lockbox::support_access_request(&mut cx, workspace) {
            Ok(r) => r,
            Err(e) => {
                self.world = saved;
                Response::from_error(&e)
            }
        }
    }

    /// Whether the service layer of large blocks is sealed by the host (SubtleCrypto) through
    /// [`Engine::take_seal_jobs`] and [`Engine::complete_seal`], instead of in place.
    pub fn set_external_sealing(&mut self, on: bool) {
        self.store.external = on;
        if !on {
            self.store.complete_all_in_place();
        }
    }

    /// Up to `max` pending AES-256-GCM encryptions for the host.
    pub fn take_seal_jobs(&mut self, max: usize) -> Vec<storage::SealJob> {
        self.store.take_jobs(max)
    }

    pub fn pending_seal_jobs(&self) -> usize {
        self.store.pending_jobs()
    }

    /// Completes a seal job with the ciphertext and tag the host computed.
    pub fn complete_seal(&mut self, job: u64, sealed: &[u8]) -> Result<(), String> {
        self.store.complete(job, sealed)
    }

    /// Seals every pending job in place (aes-gcm).
    pub fn seal_pending_in_place(&mut self) {
        self.store.complete_all_in_place();
    }

    /// Turns simulated machines on (with rates) or off for the workspace with this customer id.
    pub fn configure_sources(
        &mut self,
        customer_id: &str,
        config: Option<sources::SourceConfig>,
    ) -> Result<(), String> {
        let mut cx = Ctx {
            w: &mut self.world,
            j: &mut self.journal,
            s: &mut self.store,
        };
        let ws = logs::workspace_by_customer_id(&cx, customer_id)
            .ok_or_else(|| format!("no workspace with id {customer_id}"))?;
        logs::configure_sources(&mut cx, &ws, config)
    }

    /// A block's header, ciphertext and key path, with a live decrypt check through the chain.
    pub fn inspect_block(&mut self, id: u64) -> Result<storage::BlockInspection, String> {
        let mut cx = Ctx {
            w: &mut self.world,
            j: &mut self.journal,
            s: &mut self.store,
        };
        storage::inspect(&mut cx, id)
    }

    /// Flips one byte of a block, its header, or its account's wrapped AEK (flip again to undo).
    pub fn tamper(
        &mut self,
        id: u64,
        target: storage::TamperTarget,
        offset: usize,
    ) -> Result<(), String> {
        let mut cx = Ctx {
            w: &mut self.world,
            j: &mut self.journal,
            s: &mut self.store,
        };
        storage::tamper_at(&mut cx, id, target, offset)?;
        let what = match target {
            storage::TamperTarget::Sealed => "a ciphertext byte of block",
            storage::TamperTarget::Header => "a header byte of block",
            storage::TamperTarget::WrappedAek => "a byte of the wrapped AEK behind block",
        };
        self.journal.alert(
            self.world.now,
            journal::Category::Data,
            &format!("block {id}"),
            format!("Tampering: flipped {what} {id}"),
        );
        Ok(())
    }

    fn run(&mut self, event: Event) {
        let mut cx = Ctx {
            w: &mut self.world,
            j: &mut self.journal,
            s: &mut self.store,
        };
        match event {
            Event::CompleteOperation(id) => complete_operation(&mut cx, &id),
            Event::PurgeDeletedKey { vault, key } => {
                keyvault::keys::purge_key(&mut cx, &vault, &key)
            }
            Event::PurgeDeletedVault { vault } => keyvault::vaults::purge_vault(&mut cx, &vault),
            Event::StorageMaintenance => storage::maintenance(&mut cx),
            Event::SourceTick { workspace } => logs::source_tick(&mut cx, &workspace),
            Event::KeyVaultPoll { account } => storage::access::poll(&mut cx, &account),
            Event::KeyRotationDue { vault, key } => {
                keyvault::rotation::rotation_due(&mut cx, &vault, &key)
            }
            Event::ProviderRegistration {
                subscription,
                namespace,
            } => arm::groups::finish_registration(&mut cx, &subscription, &namespace),
            Event::SentinelRule { workspace, rule } => {
                sentinel::content::run_rule(&mut cx, &workspace, &rule)
            }
            Event::LockboxExpiry { request } => lockbox::expire(&mut cx, &request),
            Event::LockboxAccessEnds { request } => lockbox::access_ends(&mut cx, &request),
            Event::LockboxRead { request } => lockbox::read(&mut cx, &request),
            Event::LogAlertRule { rule } => fired_alerts::evaluate(&mut cx, &rule),
        }
    }
}

/// Routes by host, as Azure's front doors do.
fn route(cx: &mut Ctx, req: &Request) -> Result<Response, ApiError> {
    let host = req.host.as_str();
    match host {
        "management.azure.com" => arm::route(cx, req),
        "graph.microsoft.com" => graph::route(cx, req),
        "api.loganalytics.io" => logs::query(cx, req),
        h if h.ends_with(".ods.opinsights.azure.com") => {
            logs::ingest(cx, req, h.trim_end_matches(".ods.opinsights.azure.com"))
        }
        h if h.ends_with(".vault.azure.net") => match keyvault::keys::vault_for_host(cx, h) {
            Some(vault) if cx.w.storage.outages.contains_key(&vault) => {
                Err(ApiError::new(&errors::KV_UNREACHABLE)
                    .arg("vault", vault.clone())
                    .arg("trouble", cx.w.storage.outages[&vault].describe()))
            }
            Some(vault) => keyvault::keys::route(cx, req, &vault),
            None => Err(unknown_host(h)),
        },
        h => Err(unknown_host(h)),
    }
}

fn unknown_host(host: &str) -> ApiError {
    ApiError::new(&errors::UNKNOWN_HOST).arg("host", host)
}

fn complete_operation(cx: &mut Ctx, id: &str) {
    let Some(op) = cx.w.operations.get(id).cloned() else {
        return;
    };
    if !op.is_running() {
        return;
    }
    match &op.kind {
        OpKind::ClusterCreate { .. }
        | OpKind::ClusterUpdate { .. }
        | OpKind::ClusterDelete { .. } => cluster::complete(cx, &op),
        OpKind::WorkspaceLink { .. } | OpKind::WorkspaceUnlink { .. } => {
            workspace::complete(cx, &op)
        }
        OpKind::GroupDelete { group } => {
            arm::groups::finish_delete(cx, group);
            arm::lro::finish(cx, id, Ok(()));
        }
    }
}

/// Request ids count requests, so a rolled-back request never reuses an id.
fn request_id(seq: u64) -> String {
    format!("00000000-0000-4000-8000-{seq:012x}")
}
