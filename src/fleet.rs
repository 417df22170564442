//! A fleet of dedicated clusters for the clock benchmark (`benches/clock.rs` natively, the
//! `clockBenchmark` export in the browser; figures in BENCHMARKS.md).
//!
//! [`provision`] builds the fleet through [`Engine::handle`] only, with the requests a person would
//! send: resource groups, one recoverable vault per subscription and region, one RSA key per
//! cluster, the clusters, an access policy for each cluster identity, the key identifier with an
//! empty `keyVersion` (auto-rotation), then the workspaces and their links, advancing the clock
//! while the asynchronous operations run and polling them the way a client does. [`advance_for`]
//! then moves the clock in chunks and [`run_scenario`] ties it together.
//!
//! Like the engine, this module reads no clock: time measurements use the `clock` the caller
//! passes (milliseconds from `std::time::Instant` natively, `performance.now()` in the browser).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::engine::clock::{DAY, HOUR, MINUTE};
use crate::engine::storage::access::Outage;
use crate::engine::world::{SUBSCRIPTIONS, TENANT_ID, USER_OBJECT_ID};
use crate::engine::{Engine, Response, limits};

const ARM: &str = "https://management.azure.com";
const GROUP: &str = "cmk-fleet";
const GROUPS_API: &str = "2021-04-01";
const KV_ARM_API: &str = "2023-07-01";
const KV_API: &str = "7.4";
const OI_API: &str = "2021-06-01";
const DATA_COLLECTOR_API: &str = "2016-04-01";
/// How often the fleet checks on running operations. ARM's `Retry-After` (60 s) is a minimum;
/// checking every five minutes sends fewer requests and changes nothing else.
const POLL_EVERY: u64 = 5 * MINUTE;
/// Records per ingestion batch.
const RECORDS_PER_BATCH: usize = 20;

/// One dedicated cluster of the fleet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSpec {
    pub name: String,
    pub region: String,
    /// Index into [`SUBSCRIPTIONS`].
    pub subscription: usize,
}

/// What to provision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetSpec {
    pub seed: [u8; 32],
    pub clusters: Vec<ClusterSpec>,
    pub workspaces_per_cluster: usize,
    /// Workspaces per cluster that receive one small batch of logs (so the cluster's storage
    /// holds blocks and the daily storage maintenance runs).
    pub ingesting_per_cluster: usize,
}

impl FleetSpec {
    /// The issue's fleet: five clusters (East US ×2, East US 2 ×2, West US 2), 200 linked
    /// workspaces each, and logs in two workspaces per cluster. Two clusters per region fit one
    /// subscription ("The max number of cluster per region and subscription is 2").
    pub fn issue() -> Self {
        Self::sized(200)
    }

    /// The issue's five clusters with `workspaces_per_cluster` workspaces each.
    pub fn sized(workspaces_per_cluster: usize) -> Self {
        let clusters = [
            ("fleeteastusa", "eastus"),
            ("fleeteastusb", "eastus"),
            ("fleeteastus2a", "eastus2"),
            ("fleeteastus2b", "eastus2"),
            ("fleetwestus2a", "westus2"),
        ]
        .into_iter()
        .map(|(name, region)| ClusterSpec {
            name: name.into(),
            region: region.into(),
            subscription: 0,
        })
        .collect();
        FleetSpec {
            seed: [7; 32],
            clusters,
            workspaces_per_cluster,
            ingesting_per_cluster: 2.min(workspaces_per_cluster),
        }
    }

    /// The documented limits, checked before sending anything (the engine enforces them too).
    fn check(&self) -> Result<(), String> {
        let mut per_region: BTreeMap<(usize, &str), usize> = BTreeMap::new();
        for c in &self.clusters {
            if c.subscription >= SUBSCRIPTIONS.len() {
                return Err(format!(
                    "cluster {}: subscription index {} (the world has {})",
                    c.name,
                    c.subscription,
                    SUBSCRIPTIONS.len()
                ));
            }
            let n = per_region.entry((c.subscription, &c.region)).or_default();
            *n += 1;
            if *n > limits::MAX_CLUSTERS_PER_REGION {
                return Err(format!(
                    "more than {} clusters in {} in subscription {}: the documented limit",
                    limits::MAX_CLUSTERS_PER_REGION,
                    c.region,
                    SUBSCRIPTIONS[c.subscription].0
                ));
            }
        }
        if self.workspaces_per_cluster > limits::MAX_WORKSPACES_PER_CLUSTER {
            return Err(format!(
                "{} workspaces per cluster: at most {} can be linked to a cluster",
                self.workspaces_per_cluster,
                limits::MAX_WORKSPACES_PER_CLUSTER
            ));
        }
        if self.ingesting_per_cluster > self.workspaces_per_cluster {
            return Err("more ingesting workspaces than workspaces".into());
        }
        Ok(())
    }
}

/// A provisioned cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetCluster {
    pub name: String,
    /// The resource id.
    pub id: String,
    pub region: String,
    pub subscription: String,
    pub vault: String,
    pub key: String,
    /// The key's version when the key identifier was set.
    pub key_version: String,
    pub principal_id: String,
    pub workspaces: usize,
    /// Customer ids of the workspaces that received logs.
    pub ingesting: Vec<String>,
}

/// One step of [`provision`]: what it took in requests, virtual time and (caller's) real time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Phase {
    pub name: String,
    pub requests: u64,
    pub virtual_seconds: u64,
    pub ms: f64,
}

/// What [`provision`] built, and what it took.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fleet {
    pub clusters: Vec<FleetCluster>,
    pub workspaces: usize,
    /// REST requests sent (every one answered below 400).
    pub requests: u64,
    /// Virtual time the provisioning took (waiting for clusters, key updates and links).
    pub virtual_seconds: u64,
    pub phases: Vec<Phase>,
}

/// Sends requests through [`Engine::handle`], counting them; a status of 400 or more is an error
/// naming the request and the answer.
struct Client<'e, 'c> {
    e: &'e mut Engine,
    sent: u64,
    clock: &'c mut dyn FnMut() -> f64,
    phases: Vec<Phase>,
    /// Where the current phase started: requests, virtual time, real time.
    mark: (u64, u64, f64),
}

impl Client<'_, '_> {
    /// Closes the current phase under `name` and starts the next.
    fn phase(&mut self, name: &str) {
        let ms = (self.clock)();
        let (sent, now) = (self.sent, self.e.now());
        self.phases.push(Phase {
            name: name.into(),
            requests: sent - self.mark.0,
            virtual_seconds: now - self.mark.1,
            ms: ms - self.mark.2,
        });
        self.mark = (sent, now, ms);
    }

    fn send(&mut self, method: &str, url: &str, body: Option<&Value>) -> Result<Response, String> {
        let text = body.map(Value::to_string);
        self.sent += 1;
        let r = self.e.handle(
            method,
            url,
            &[("Content-Type", "application/json")],
            text.as_deref(),
        );
        if r.status >= 400 {
            return Err(format!("{method} {url}: {} {}", r.status, r.body));
        }
        Ok(r)
    }

    /// Sends a request that must be accepted (202); returns its `Azure-AsyncOperation` URL.
    fn accepted(&mut self, method: &str, url: &str, body: &Value) -> Result<String, String> {
        let r = self.send(method, url, Some(body))?;
        match (r.status, r.header("Azure-AsyncOperation")) {
            (202, Some(u)) => Ok(u.to_string()),
            _ => Err(format!(
                "{method} {url}: expected 202 with Azure-AsyncOperation, got {} {}",
                r.status, r.body
            )),
        }
    }

    /// Polls operation-status URLs until every operation succeeded, advancing the clock between
    /// rounds; an operation that fails, or one still running after `timeout`, is an error.
    fn wait(&mut self, what: &str, mut urls: Vec<String>, timeout: u64) -> Result<(), String> {
        let start = self.e.now();
        loop {
            let mut running = Vec::new();
            for u in urls {
                let r = self.send("GET", &u, None)?;
                match r.body["status"].as_str() {
                    Some("Succeeded") => {}
                    Some("Failed" | "Canceled") => {
                        return Err(format!("{what}: operation {u} ended: {}", r.body));
                    }
                    _ => running.push(u),
                }
            }
            if running.is_empty() {
                return Ok(());
            }
            if self.e.now() - start >= timeout {
                return Err(format!(
                    "{what}: {} operations still running after {} s, e.g. {}",
                    running.len(),
                    timeout,
                    running[0]
                ));
            }
            urls = running;
            self.e.advance(POLL_EVERY);
        }
    }
}

fn group_url(sub: &str) -> String {
    format!("{ARM}/subscriptions/{sub}/resourcegroups/{GROUP}")
}

fn resource(sub: &str, kind: &str, name: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{GROUP}/providers/{kind}/{name}")
}

fn vault_name(region: &str, sub: usize) -> String {
    format!("fleetkv{sub}-{region}")
}

/// Provisions `spec` in `e` through REST requests only (see the module documentation), timing
/// its phases with the caller's `clock` (milliseconds).
pub fn provision(
    e: &mut Engine,
    spec: &FleetSpec,
    clock: &mut dyn FnMut() -> f64,
) -> Result<Fleet, String> {
    spec.check()?;
    let start = e.now();
    let mark = (0, start, clock());
    let mut c = Client {
        e,
        sent: 0,
        clock,
        phases: Vec::new(),
        mark,
    };

    // Resource groups, one per subscription used.
    let subs: Vec<usize> = {
        let mut s: Vec<usize> = spec.clusters.iter().map(|c| c.subscription).collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    for &s in &subs {
        c.send(
            "PUT",
            &format!("{}?api-version={GROUPS_API}", group_url(SUBSCRIPTIONS[s].0)),
            Some(&json!({ "location": spec.clusters[0].region })),
        )?;
    }

    // Step 1: a recoverable vault per subscription and region (a cluster's key must be in its
    // region), and an RSA key per cluster.
    let mut vaults: Vec<(usize, String)> = Vec::new();
    for cs in &spec.clusters {
        let key = (cs.subscription, cs.region.clone());
        if vaults.contains(&key) {
            continue;
        }
        let sub = SUBSCRIPTIONS[cs.subscription].0;
        let body = json!({
            "location": cs.region,
            "properties": {
                "tenantId": TENANT_ID,
                "sku": { "family": "A", "name": "standard" },
                "enableSoftDelete": true,
                "softDeleteRetentionInDays": 90,
                "enablePurgeProtection": true,
                "accessPolicies": [{
                    "tenantId": TENANT_ID,
                    "objectId": USER_OBJECT_ID,
                    "permissions": { "keys": ["get", "list", "create", "update", "rotate"] }
                }],
            }
        });
        let name = vault_name(&cs.region, cs.subscription);
        c.send(
            "PUT",
            &format!(
                "{ARM}{}?api-version={KV_ARM_API}",
                resource(sub, "Microsoft.KeyVault/vaults", &name)
            ),
            Some(&body),
        )?;
        vaults.push(key);
    }
    let mut clusters = Vec::new();
    for cs in &spec.clusters {
        let vault = vault_name(&cs.region, cs.subscription);
        let key = format!("kek-{}", cs.name);
        let r = c.send(
            "POST",
            &format!("https://{vault}.vault.azure.net/keys/{key}/create?api-version={KV_API}"),
            Some(&json!({ "kty": "RSA", "key_size": 2048 })),
        )?;
        let version = r.body["key"]["kid"]
            .as_str()
            .and_then(|k| k.rsplit('/').next())
            .ok_or_else(|| format!("key {key} created without a kid: {}", r.body))?
            .to_string();
        let sub = SUBSCRIPTIONS[cs.subscription].0;
        clusters.push(FleetCluster {
            name: cs.name.clone(),
            id: resource(sub, "Microsoft.OperationalInsights/clusters", &cs.name),
            region: cs.region.clone(),
            subscription: sub.to_string(),
            vault,
            key,
            key_version: version,
            principal_id: String::new(),
            workspaces: 0,
            ingesting: Vec::new(),
        });
    }
    c.phase("resource groups, vaults, RSA keys");

    // Step 2: the clusters, all at once (about two hours each).
    let mut ops = Vec::new();
    for fc in &clusters {
        ops.push(c.accepted(
            "PUT",
            &format!("{ARM}{}?api-version={OI_API}", fc.id),
            &json!({
                "location": fc.region,
                "identity": { "type": "SystemAssigned" },
                "sku": { "name": "CapacityReservation", "capacity": 1000 },
                "properties": { "billingType": "Cluster" }
            }),
        )?);
    }
    c.wait("cluster creation", ops, limits::CLUSTER_CREATE.1 + HOUR)?;
    c.phase("clusters (create and wait)");

    // Step 3: each cluster identity gets get, wrapKey and unwrapKey on its vault.
    for fc in &mut clusters {
        let r = c.send("GET", &format!("{ARM}{}?api-version={OI_API}", fc.id), None)?;
        fc.principal_id = r.body["identity"]["principalId"]
            .as_str()
            .ok_or_else(|| format!("cluster {} has no principalId: {}", fc.name, r.body))?
            .to_string();
        c.send(
            "PUT",
            &format!(
                "{ARM}{}/accessPolicies/add?api-version={KV_ARM_API}",
                resource(&fc.subscription, "Microsoft.KeyVault/vaults", &fc.vault)
            ),
            Some(&json!({ "properties": { "accessPolicies": [{
                "tenantId": TENANT_ID,
                "objectId": fc.principal_id,
                "permissions": { "keys": ["get", "wrapKey", "unwrapKey"] }
            }]}})),
        )?;
    }

    // Step 4: the key identifier, with an empty keyVersion (auto-rotation).
    let mut ops = Vec::new();
    for fc in &clusters {
        ops.push(c.accepted(
            "PATCH",
            &format!("{ARM}{}?api-version={OI_API}", fc.id),
            &json!({ "properties": { "keyVaultProperties": {
                "keyVaultUri": format!("https://{}.vault.azure.net", fc.vault),
                "keyName": fc.key,
                "keyVersion": ""
            }}}),
        )?);
    }
    c.wait(
        "key identifier update",
        ops,
        limits::CLUSTER_KEY_UPDATE.1 + HOUR,
    )?;
    c.phase("access policies, key identifiers (and wait)");

    // Step 5: the workspaces, each linked to its cluster in its region. Links take up to 90
    // minutes; progress is read from each cluster's associatedWorkspaces (one request per
    // cluster per round rather than one per link).
    for fc in &mut clusters {
        for i in 0..spec.workspaces_per_cluster {
            let ws = resource(
                &fc.subscription,
                "Microsoft.OperationalInsights/workspaces",
                &format!("{}-ws-{i:04}", fc.name),
            );
            let r = c.send(
                "PUT",
                &format!("{ARM}{ws}?api-version={OI_API}"),
                Some(
                    &json!({ "location": fc.region, "properties": { "sku": { "name": "PerGB2018" } } }),
                ),
            )?;
            if i < spec.ingesting_per_cluster {
                let id = r.body["properties"]["customerId"]
                    .as_str()
                    .ok_or_else(|| format!("workspace {ws} has no customerId: {}", r.body))?;
                fc.ingesting.push(id.to_string());
            }
            c.accepted(
                "PUT",
                &format!("{ARM}{ws}/linkedServices/cluster?api-version={OI_API}"),
                &json!({ "properties": { "writeAccessResourceId": fc.id } }),
            )?;
        }
    }
    c.phase("workspaces and link requests");
    let deadline = c.e.now() + limits::WORKSPACE_LINK.1 + HOUR;
    loop {
        let mut pending = 0;
        for fc in &mut clusters {
            let r = c.send("GET", &format!("{ARM}{}?api-version={OI_API}", fc.id), None)?;
            fc.workspaces = r.body["properties"]["associatedWorkspaces"]
                .as_array()
                .map_or(0, Vec::len);
            pending += spec.workspaces_per_cluster.saturating_sub(fc.workspaces);
        }
        if pending == 0 {
            break;
        }
        if c.e.now() >= deadline {
            return Err(format!(
                "{pending} workspace links still not complete after {} s",
                limits::WORKSPACE_LINK.1 + HOUR
            ));
        }
        c.e.advance(POLL_EVERY);
    }
    c.phase("waiting for the links");

    // A little data through the HTTP Data Collector API, so each cluster's CMK storage holds
    // blocks (and storage maintenance runs daily until retention purges them).
    for fc in &clusters {
        for id in &fc.ingesting {
            let records: Vec<Value> = (0..RECORDS_PER_BATCH)
                .map(|i| json!({ "Computer": format!("vm-{i:02}"), "Level": "info", "Message": format!("fleet heartbeat {i}") }))
                .collect();
            let url = format!(
                "https://{id}.ods.opinsights.azure.com/api/logs?api-version={DATA_COLLECTOR_API}"
            );
            let body = Value::Array(records).to_string();
            c.sent += 1;
            let r = c.e.handle(
                "POST",
                &url,
                &[
                    ("Content-Type", "application/json"),
                    ("Log-Type", "FleetLog"),
                ],
                Some(&body),
            );
            if r.status != 200 {
                return Err(format!("POST {url}: {} {}", r.status, r.body));
            }
        }
    }
    c.phase("ingestion");
    let (requests, phases) = (c.sent, c.phases);
    Ok(Fleet {
        workspaces: clusters.iter().map(|c| c.workspaces).sum(),
        clusters,
        requests,
        virtual_seconds: e.now() - start,
        phases,
    })
}

/// Disables the key version a cluster's key identifier resolved to (a PATCH on the key, as a
/// person revoking access would): storage's next poll is refused, and revocation takes effect
/// within the hour.
pub fn revoke(e: &mut Engine, cluster: &FleetCluster) -> Result<(), String> {
    let url = format!(
        "https://{}.vault.azure.net/keys/{}/{}?api-version={KV_API}",
        cluster.vault, cluster.key, cluster.key_version
    );
    let r = e.handle(
        "PATCH",
        &url,
        &[("Content-Type", "application/json")],
        Some(r#"{"attributes":{"enabled":false}}"#),
    );
    if r.status >= 400 {
        return Err(format!("PATCH {url}: {} {}", r.status, r.body));
    }
    Ok(())
}

/// What one [`advance_for`] measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvanceReport {
    pub virtual_seconds: u64,
    /// Seconds per `Engine::advance` call.
    pub chunk_seconds: u64,
    pub chunks: u64,
    /// Wall-clock time of the advances, by the caller's clock.
    pub elapsed_ms: f64,
    pub slowest_chunk_ms: f64,
    /// Virtual seconds per real second.
    pub rate: f64,
    /// Storage's Key Vault polls in the advanced time, whether run one by one or accounted for in
    /// bulk (audited `unwrapkey` calls, a folded entry counting each; polls during an outage never
    /// reach the vault and are not counted). Not the number of events run: the engine does not
    /// expose that.
    pub polls: u64,
    /// Audit-log and timeline entries the advance added.
    pub audit_entries: usize,
    pub timeline_entries: usize,
}

/// Audited periodic `unwrapkey` calls so far (a folded entry counts each call).
fn polls(e: &Engine) -> u64 {
    e.audit_log()
        .iter()
        .filter(|a| a.operation == "KeyUnwrap" && a.detail.contains("periodic"))
        .map(|a| a.count)
        .sum()
}

/// Advances the clock by `seconds` in calls of `chunk` seconds, timing them with `clock`
/// (milliseconds, any origin). Counting happens outside the timed calls.
pub fn advance_for(
    e: &mut Engine,
    seconds: u64,
    chunk: u64,
    clock: &mut dyn FnMut() -> f64,
) -> AdvanceReport {
    let chunk = chunk.max(1);
    let (polls0, audit0, timeline0) = (polls(e), e.audit_log().len(), e.timeline().len());
    let mut left = seconds;
    let (mut elapsed, mut slowest, mut chunks) = (0.0f64, 0.0f64, 0);
    while left > 0 {
        let step = chunk.min(left);
        let t = clock();
        e.advance(step);
        let ms = clock() - t;
        elapsed += ms;
        slowest = slowest.max(ms);
        chunks += 1;
        left -= step;
    }
    AdvanceReport {
        virtual_seconds: seconds,
        chunk_seconds: chunk,
        chunks,
        elapsed_ms: elapsed,
        slowest_chunk_ms: slowest,
        rate: seconds as f64 / (elapsed.max(1e-6) / 1000.0),
        polls: polls(e) - polls0,
        audit_entries: e.audit_log().len() - audit0,
        timeline_entries: e.timeline().len() - timeline0,
    }
}

/// The benchmark's scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Scenario {
    /// Every cluster's storage reaches its key.
    Healthy,
    /// The first cluster's key version is disabled (its polls are refused and storage is revoked
    /// within the hour) and the last cluster's vault has a simulated outage (timeouts).
    Degraded,
}

impl Scenario {
    pub fn parse(s: &str) -> Option<Scenario> {
        match s {
            "healthy" => Some(Scenario::Healthy),
            "degraded" => Some(Scenario::Degraded),
            _ => None,
        }
    }
}

/// A storage account's state at the end of a scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountState {
    pub cluster: String,
    pub protection: String,
    pub access: String,
    pub transient: bool,
}

/// One scenario's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioReport {
    pub scenario: Scenario,
    pub clusters: usize,
    pub workspaces: usize,
    pub setup_requests: u64,
    pub setup_virtual_seconds: u64,
    /// Wall-clock time of [`provision`] (RSA key generation included).
    pub setup_ms: f64,
    pub setup_phases: Vec<Phase>,
    /// Healthy only: per-call costs that grow with the fleet.
    pub overheads: Option<Overheads>,
    /// Days 1-30 in one-day advances (the ingested blocks exist: storage maintenance runs daily).
    pub month: AdvanceReport,
    /// Days 31-365 in one-day advances (retention purged the blocks on day 30).
    pub year: AdvanceReport,
    /// The next 30 days in one-hour advances (the slices the page's Worker advances in).
    pub hourly: AdvanceReport,
    /// The next day in one-minute advances.
    pub by_minute: AdvanceReport,
    /// Writable accounts of the fleet's clusters at the end.
    pub accounts: Vec<AccountState>,
}

/// Per-call costs with the fleet in place, beside the same calls on an empty engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overheads {
    /// One cheap request (`GET /subscriptions`).
    pub request_ms: f64,
    pub empty_request_ms: f64,
    /// `Engine::snapshot()`, which every reply to the page carries.
    pub snapshot_ms: f64,
    /// The snapshot as JSON (natively; the page's structured copy is a similar walk).
    pub snapshot_json_ms: f64,
    pub snapshot_json_bytes: usize,
}

/// Mean milliseconds per call of `f`, over `n` calls.
fn mean_ms(n: u32, clock: &mut dyn FnMut() -> f64, mut f: impl FnMut()) -> f64 {
    let t = clock();
    for _ in 0..n {
        f();
    }
    (clock() - t) / f64::from(n)
}

fn overheads(e: &mut Engine, seed: [u8; 32], clock: &mut dyn FnMut() -> f64) -> Overheads {
    let url = format!("{ARM}/subscriptions?api-version={GROUPS_API}");
    let get = |e: &mut Engine| {
        std::hint::black_box(e.handle("GET", &url, &[], None));
    };
    let request_ms = mean_ms(200, clock, || get(e));
    let mut empty = Engine::with_seed(seed);
    let empty_request_ms = mean_ms(200, clock, || get(&mut empty));
    let snapshot_ms = mean_ms(10, clock, || {
        std::hint::black_box(e.snapshot());
    });
    let snapshot = e.snapshot();
    let mut bytes = 0;
    let snapshot_json_ms = mean_ms(10, clock, || {
        bytes = serde_json::to_string(&snapshot).map_or(0, |s| s.len());
    });
    Overheads {
        request_ms,
        empty_request_ms,
        snapshot_ms,
        snapshot_json_ms,
        snapshot_json_bytes: bytes,
    }
}

/// Provisions the fleet in a fresh engine and measures `scenario` with the caller's `clock`.
pub fn run_scenario(
    spec: &FleetSpec,
    scenario: Scenario,
    clock: &mut dyn FnMut() -> f64,
) -> Result<ScenarioReport, String> {
    let mut e = Engine::with_seed(spec.seed);
    let t = clock();
    let fleet = provision(&mut e, spec, clock)?;
    let setup_ms = clock() - t;
    let overheads = (scenario == Scenario::Healthy).then(|| overheads(&mut e, spec.seed, clock));
    if scenario == Scenario::Degraded {
        let first = fleet.clusters.first().ok_or("the fleet has no cluster")?;
        revoke(&mut e, first)?;
        let last = fleet.clusters.last().ok_or("the fleet has no cluster")?;
        if last.vault == first.vault {
            return Err("the revoked and the unreachable clusters share a vault".into());
        }
        e.set_key_vault_outage(&last.vault, Some(Outage::Timeout))?;
    }
    let month = advance_for(&mut e, 30 * DAY, DAY, clock);
    let year = advance_for(&mut e, 335 * DAY, DAY, clock);
    let hourly = advance_for(&mut e, 30 * DAY, HOUR, clock);
    let by_minute = advance_for(&mut e, DAY, MINUTE, clock);
    let snapshot = e.snapshot();
    let accounts = fleet
        .clusters
        .iter()
        .filter_map(|fc| {
            let a = snapshot.storage.accounts.iter().find(|a| {
                a.writable
                    && a.cluster
                        .as_deref()
                        .is_some_and(|c| c.eq_ignore_ascii_case(&fc.id))
            })?;
            Some(AccountState {
                cluster: fc.name.clone(),
                protection: a.protection.clone(),
                access: a.access.state.clone(),
                transient: a.access.transient,
            })
        })
        .collect();
    Ok(ScenarioReport {
        scenario,
        clusters: fleet.clusters.len(),
        workspaces: fleet.workspaces,
        setup_requests: fleet.requests,
        setup_virtual_seconds: fleet.virtual_seconds,
        setup_ms,
        setup_phases: fleet.phases,
        overheads,
        month,
        year,
        hourly,
        by_minute,
        accounts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> FleetSpec {
        let mut spec = FleetSpec::sized(3);
        spec.clusters.truncate(3);
        spec.clusters.push(ClusterSpec {
            name: "fleetwestus2a".into(),
            region: "westus2".into(),
            subscription: 1,
        });
        spec
    }

    #[test]
    fn provisions_a_small_fleet_through_rest_requests() {
        let mut e = Engine::with_seed([7; 32]);
        let fleet = provision(&mut e, &small(), &mut || 0.0).unwrap();
        assert_eq!(fleet.clusters.len(), 4);
        assert_eq!(fleet.workspaces, 12);
        assert!(fleet.clusters.iter().all(|c| c.workspaces == 3));
        assert!(e.requests().iter().all(|r| r.status < 400));
        assert_eq!(e.requests().len() as u64, fleet.requests);
        let s = e.snapshot();
        for fc in &fleet.clusters {
            assert!(s.storage.accounts.iter().any(|a| a.writable
                && a.protection == "CMK"
                && a.cluster.as_deref() == Some(fc.id.as_str())));
        }
    }

    #[test]
    fn revocation_and_outage_show_in_the_accounts() {
        let mut clock = {
            let mut t = 0.0;
            move || {
                t += 1.0;
                t
            }
        };
        let r = run_scenario(&small(), Scenario::Degraded, &mut clock).unwrap();
        let access: Vec<(&str, &str, bool)> = r
            .accounts
            .iter()
            .map(|a| (a.cluster.as_str(), a.access.as_str(), a.transient))
            .collect();
        assert_eq!(
            access,
            [
                ("fleeteastusa", "revoked", false),
                ("fleeteastusb", "accessible", false),
                ("fleeteastus2a", "accessible", false),
                ("fleetwestus2a", "accessible", true),
            ]
        );
        assert_eq!(r.month.chunks, 30);
        assert!(r.month.polls > 30 * 86_400 / 60, "{:?}", r.month);
    }

    #[test]
    fn limits_are_checked_before_anything_is_sent() {
        let mut spec = FleetSpec::sized(1);
        spec.clusters[2].region = "eastus".into();
        let mut e = Engine::with_seed([7; 32]);
        let err = provision(&mut e, &spec, &mut || 0.0).unwrap_err();
        assert!(err.contains("more than 2 clusters in eastus"), "{err}");
        assert!(e.requests().is_empty());
        let spec = FleetSpec::sized(1001);
        assert!(
            provision(&mut e, &spec, &mut || 0.0)
                .unwrap_err()
                .contains("at most 1000")
        );
    }
}
