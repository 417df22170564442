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
pub mod api_versions;
pub mod arm;
pub mod clock;
pub mod cluster;
pub mod columnar;
pub mod crypto;
pub mod entra;
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
    /// The object id of the principal a request authenticated as; empty for the engine's own
    /// events (which act as the services' identities, never as a person).
    pub caller: String,
}

impl Ctx<'_> {
    /// The principal the request authenticated as (the signed-in person when there is none).
    pub fn caller(&self) -> &world::Principal {
        self.w
            .directory
            .get(&self.caller)
            .unwrap_or_else(|| self.w.directory.user())
    }
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
    /// Whether a request without any `Authorization` header is answered as the signed-in person
    /// (on by default, so scenario tests stay short); off, it is refused as Azure refuses it.
    implicit_sign_in: bool,
    /// The person (or application) the host signed in: object id.
    signed_in: String,
    /// The host's token cache (what MSAL keeps for the page): per audience, token and expiry.
    tokens: Vec<(entra::Audience, String, u64)>,
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
            implicit_sign_in: true,
            signed_in: world::USER_OBJECT_ID.to_string(),
            tokens: Vec::new(),
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
            caller: String::new(),
        };
        let implicit = self.implicit_sign_in.then_some(self.signed_in.as_str());
        let result = Request::parse(method, url, headers, body)
            .and_then(|req| route(&mut cx, &req, implicit));
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
        let mut s = view::snapshot(&self.world, &self.journal, &self.store);
        s.session = self.session_view();
        // "You" in the page's templates (an access policy for yourself) is whoever signed in.
        let me = self.signed_in();
        s.user_object_id = me.object_id.clone();
        s.user_name = me.display_name.clone();
        s.user_upn = entra::client_name(me);
        s
    }

    fn session_view(&self) -> view::SessionView {
        let account = |oid: &str, credential: &str| {
            let p = self
                .world
                .directory
                .get(oid)
                .unwrap_or_else(|| self.world.directory.user());
            view::PrincipalView {
                object_id: p.object_id.clone(),
                name: p.display_name.clone(),
                client: entra::client_name(p),
                kind: match p.kind {
                    world::PrincipalKind::User => "User".into(),
                    _ => "ServicePrincipal".into(),
                },
                credential: credential.to_string(),
                roles: self
                    .world
                    .role_assignments
                    .iter()
                    .filter(|a| a.principal_id.eq_ignore_ascii_case(oid))
                    .map(|a| {
                        let role = arm::authorization::role_by_id(a.role).map_or("", |r| r.name);
                        (role.to_string(), a.scope.clone())
                    })
                    .collect(),
            }
        };
        let accounts: Vec<view::PrincipalView> = entra::PEOPLE
            .iter()
            .map(|(oid, _, password)| account(oid, password))
            .chain(
                entra::APPS
                    .iter()
                    .map(|(_, oid, secret)| account(oid, secret)),
            )
            .collect();
        let signed_in = accounts
            .iter()
            .find(|a| a.object_id == self.signed_in)
            .cloned()
            .unwrap_or_default();
        view::SessionView {
            signed_in,
            implicit: self.implicit_sign_in,
            tokens: self
                .tokens
                .iter()
                .map(|(aud, token, exp)| view::TokenView {
                    audience: aud.resource().into(),
                    expires: *exp,
                    token: token.clone(),
                })
                .collect(),
            accounts,
        }
    }

    /// Whether a request without any `Authorization` header is answered as the signed-in
    /// person (on for `Engine::new` and `Engine::with_seed`). Off, such a request is refused
    /// exactly as Azure refuses it: ARM's 401, Key Vault's 401 challenge, the query API's 401,
    /// the Data Collector API's 403.
    pub fn set_implicit_sign_in(&mut self, on: bool) {
        self.implicit_sign_in = on;
    }

    pub fn implicit_sign_in(&self) -> bool {
        self.implicit_sign_in
    }

    /// The principal the host signed in.
    pub fn signed_in(&self) -> &world::Principal {
        self.world
            .directory
            .get(&self.signed_in)
            .unwrap_or_else(|| self.world.directory.user())
    }

    /// Signs `who` in (a user principal name, an application id, or an object id) as a client
    /// would: asks the token endpoint for a Resource Manager token (the password grant for a
    /// person, client credentials for an application, with the credentials the playground gives
    /// them). On success the host's tokens are this principal's from then on, and implicit
    /// sign-in answers as them; answered with the token endpoint's response.
    pub fn sign_in(&mut self, who: &str) -> Response {
        let (oid, form) = sign_in_form(who.trim())
            // Unknown to the directory: the token endpoint says so in its own words.
            .unwrap_or_else(|| (String::new(), password_form(who.trim(), "")));
        let r = self.token_request(&form, entra::Audience::Arm);
        if r.status == 200 {
            self.signed_in = oid;
            self.tokens.clear();
            self.remember(entra::Audience::Arm, &r);
        }
        r
    }

    fn remember(&mut self, audience: entra::Audience, r: &Response) {
        if let (Some(token), Some(lifetime)) = (
            r.body["access_token"].as_str(),
            r.body["expires_in"].as_u64(),
        ) {
            let exp = self.now() + lifetime;
            self.tokens.retain(|(a, _, _)| *a != audience);
            self.tokens.push((audience, token.to_string(), exp));
        }
    }

    fn token_request(&mut self, form: &str, audience: entra::Audience) -> Response {
        let body = format!(
            "{form}&scope={}",
            percent_encode(&format!("{}/.default", audience.resource()))
        );
        self.handle(
            "POST",
            &format!(
                "https://{}/{}/oauth2/v2.0/token",
                entra::LOGIN_HOST,
                world::TENANT_ID
            ),
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(&body),
        )
    }

    /// A bearer token for `audience` as the signed-in principal: the host's cached one while it
    /// has more than five minutes left (as MSAL refreshes), else a new one from the token
    /// endpoint (a real request, in the request log).
    fn bearer(&mut self, audience: entra::Audience) -> Option<String> {
        let now = self.now();
        if let Some((_, t, _)) = self
            .tokens
            .iter()
            .find(|(a, _, exp)| *a == audience && *exp > now + 5 * clock::MINUTE)
        {
            return Some(t.clone());
        }
        let (_, form) = sign_in_form(&self.signed_in)?;
        let r = self.token_request(&form, audience);
        self.remember(audience, &r);
        r.body["access_token"].as_str().map(str::to_string)
    }

    /// The credentials a client signed in as the host's principal adds to a request that has
    /// none: a bearer token for the service the URL names (acquired or refreshed through the
    /// token endpoint), or for a Data Collector API post the workspace's SharedKey signature
    /// and `x-ms-date` (the shared key read through `sharedKeys`, as a script would). Empty when
    /// the host cannot get them (the request then goes without, and is refused as Azure would).
    pub fn credentials_for(
        &mut self,
        url: &str,
        body: Option<&str>,
        content_type: &str,
    ) -> Vec<(String, String)> {
        let Ok(req) = Request::parse("GET", url, &[], None) else {
            return Vec::new();
        };
        if let Some(audience) = entra::Audience::for_host(&req.host) {
            return self
                .bearer(audience)
                .map(|t| vec![("Authorization".to_string(), format!("Bearer {t}"))])
                .unwrap_or_default();
        }
        let Some(customer_id) = req.host.strip_suffix(".ods.opinsights.azure.com") else {
            return Vec::new();
        };
        let customer_id = customer_id.to_string();
        let Some(workspace) = self
            .world
            .workspace_by_customer_id(&customer_id)
            .map(|w| w.id.clone())
        else {
            return Vec::new();
        };
        let Some(token) = self.bearer(entra::Audience::Arm) else {
            return Vec::new();
        };
        let auth = format!("Bearer {token}");
        let keys = self.handle(
            "POST",
            &format!("https://management.azure.com{workspace}/sharedKeys?api-version=2025-02-01"),
            &[("Authorization", auth.as_str())],
            None,
        );
        let Some(key) = keys.body["primarySharedKey"].as_str() else {
            return Vec::new();
        };
        let date = clock::rfc1123(self.now());
        let to_sign =
            entra::collector_string_to_sign(body.map_or(0, str::len), content_type, &date);
        entra::collector_signature(&customer_id, key, &to_sign)
            .map(|sig| {
                vec![
                    ("Authorization".to_string(), sig),
                    ("x-ms-date".to_string(), date),
                ]
            })
            .unwrap_or_default()
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
        let (external, implicit, signed_in) = (
            self.store.external,
            self.implicit_sign_in,
            self.signed_in.clone(),
        );
        *self = match seed {
            Some(s) => Engine::with_seed(s),
            None => Engine::new(),
        };
        // The host's settings and its signed-in principal stay; its tokens were the old
        // tenant's, so they go.
        self.store.external = external;
        self.implicit_sign_in = implicit;
        self.signed_in = signed_in;
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
            caller: String::new(),
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
            caller: String::new(),
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

    /// The hot-cache copies a Query API request (`api.loganalytics.io`) may read, for the host
    /// to open with AES-256-GCM (the Worker's WebCrypto) before it sends the request; empty for
    /// any other request. See [`storage::open_jobs`].
    pub fn open_jobs(&mut self, url: &str, body: Option<&str>) -> Vec<storage::OpenJob> {
        if !url.to_ascii_lowercase().contains("api.loganalytics.") {
            return Vec::new();
        }
        let cx = Ctx {
            w: &mut self.world,
            j: &mut self.journal,
            s: &mut self.store,
            caller: String::new(),
        };
        storage::open_jobs(&cx, &format!("{url}\n{}", body.unwrap_or("")))
    }

    /// A hot-cache chunk's plaintext, opened by the host: the next read of that column of that
    /// block uses it (once its account's access is checked, as always) instead of opening the
    /// chunk itself.
    pub fn complete_open(&mut self, block: u64, column: u32, plaintext: Vec<u8>) {
        self.store
            .opened
            .insert((block, column as usize), zeroize::Zeroizing::new(plaintext));
    }

    /// Drops the opened plaintexts the last command did not read (`protocol::execute` does,
    /// after every command).
    pub fn drop_opened(&mut self) {
        self.store.opened.clear();
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
            caller: String::new(),
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
            caller: String::new(),
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
            caller: String::new(),
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
            caller: String::new(),
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

/// The object id of the account `who` names (object id, UPN or application id) and the token
/// request form that signs it in with the credentials the playground gives it.
fn sign_in_form(who: &str) -> Option<(String, String)> {
    let is = |s: &str| s.eq_ignore_ascii_case(who);
    if let Some((oid, upn, password)) = entra::PEOPLE.iter().find(|(o, u, _)| is(o) || is(u)) {
        return Some((oid.to_string(), password_form(upn, password)));
    }
    let (app, oid, secret) = entra::APPS.iter().find(|(a, o, _)| is(a) || is(o))?;
    Some((oid.to_string(), client_form(app, secret)))
}

fn password_form(username: &str, password: &str) -> String {
    format!(
        "grant_type=password&client_id={}&username={}&password={}",
        world::CLI_APP_ID,
        percent_encode(username),
        percent_encode(password)
    )
}

fn client_form(app: &str, secret: &str) -> String {
    format!(
        "grant_type=client_credentials&client_id={app}&client_secret={}",
        percent_encode(secret)
    )
}

/// Form-encodes a value (RFC 3986 unreserved characters pass).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Routes by host, as Azure's front doors do; each surface authenticates the caller first
/// (`implicit`: who a request without any `Authorization` header is answered as, if anyone).
fn route(cx: &mut Ctx, req: &Request, implicit: Option<&str>) -> Result<Response, ApiError> {
    use entra::{Audience, authenticate};
    let host = req.host.as_str();
    match host {
        entra::LOGIN_HOST => entra::route(cx, req),
        "management.azure.com" => {
            cx.caller = authenticate(cx, req, Audience::Arm, implicit)
                .map_err(|r| entra::arm_error(cx, r))?;
            arm::route(cx, req)
        }
        "graph.microsoft.com" => {
            cx.caller =
                authenticate(cx, req, Audience::Graph, implicit).map_err(entra::graph_error)?;
            graph::route(cx, req)
        }
        "api.loganalytics.io" => {
            cx.caller = authenticate(cx, req, Audience::LogAnalytics, implicit)
                .map_err(entra::query_error)?;
            logs::query(cx, req)
        }
        h if h.ends_with(".ods.opinsights.azure.com") => {
            let implicit = implicit.is_some() && req.header("Authorization").is_none();
            logs::ingest(
                cx,
                req,
                h.trim_end_matches(".ods.opinsights.azure.com"),
                implicit,
            )
        }
        h if h.ends_with(".vault.azure.net") => match keyvault::keys::vault_for_host(cx, h) {
            Some(vault) if cx.w.storage.outages.contains_key(&vault) => {
                Err(ApiError::new(&errors::KV_UNREACHABLE)
                    .arg("vault", vault.clone())
                    .arg("trouble", cx.w.storage.outages[&vault].describe()))
            }
            Some(vault) => {
                // Before the body is read: SDKs send the first request without a token (and
                // without its body) to get this challenge.
                cx.caller = authenticate(cx, req, Audience::KeyVault, implicit)
                    .map_err(|r| entra::key_vault_error(cx, r))?;
                keyvault::keys::route(cx, req, &vault)
            }
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
