//! The messages between the page and the engine host (a Web Worker, or the page itself).
//!
//! Pure data plus one function, [`execute`], so the protocol is the same whether the engine runs
//! in a Worker (messages cross `postMessage` as structured clones) or in the page.

use serde::{Deserialize, Serialize};

use crate::engine::sources::SourceConfig;
use crate::engine::storage::access::Outage;
use crate::engine::storage::{BlockInspection, TamperTarget};
use crate::engine::{Engine, Response, Snapshot};

/// Clock runs longer than this go in slices of it, in both hosts, through [`advance_step`] (the
/// Worker reports progress and can be cancelled between steps).
pub const ADVANCE_SLICE: u64 = 3600;

/// The longest clock move one command makes: twelve years, the longest period these services
/// document (total log retention "up to 12 years"). Storage polls Key Vault every minute or so,
/// so a move costs work in proportion to its length; a longer one (a hand-edited journal, a
/// shared link) is refused with this figure instead of running for hours.
pub const MAX_ADVANCE: u64 = (12 * 365 + 3) * crate::engine::clock::DAY;

/// How far an `Advance { seconds }` really moves the clock: it stops at the end of year 9999
/// (`clock::LATEST`); a move longer than [`MAX_ADVANCE`] is refused, saying why.
pub fn advance_total(engine: &Engine, seconds: u64) -> Result<u64, String> {
    if seconds > MAX_ADVANCE {
        let days = |s: u64| crate::engine::sources::thousands(s / crate::engine::clock::DAY);
        return Err(format!(
            "The playground moves the clock at most 12 years ({} days) in one step, and {} days were asked for: the longest period these services document is 12 years of log retention, and every virtual hour of a customer-managed key costs real work. Move it in several steps.",
            days(MAX_ADVANCE),
            days(seconds)
        ));
    }
    Ok(seconds.min(engine.clock_left()))
}

/// One step of a sliced clock move with `left` seconds to go; returns the seconds moved (0 only
/// when `left` is 0 or the clock is at its end).
///
/// A step is one slice of [`ADVANCE_SLICE`] (or the shorter last one), or, when nothing at all
/// is scheduled before the next event, every whole slice up to it at once: a slice with no event
/// in it changes nothing but the clock, so skipping ahead gives exactly the world the slices
/// would. Where each slice ends matters (storage folds its polls up to the end of each advance),
/// so both hosts move the clock only through this function and a saved session replays alike;
/// a cancelled run is journalled as the seconds it really moved, which replay in the same steps.
pub fn advance_step(engine: &mut Engine, left: u64) -> u64 {
    let left = left.min(engine.clock_left());
    if left == 0 {
        return 0;
    }
    // Whole slices that end before the next event (an event due exactly at a slice's end runs in
    // that slice).
    let quiet = engine
        .next_due()
        .map_or(u64::MAX, |at| at.saturating_sub(engine.now()));
    let whole = quiet.saturating_sub(1) / ADVANCE_SLICE;
    let step = if whole >= 1 {
        left.min(whole.saturating_mul(ADVANCE_SLICE))
    } else {
        left.min(ADVANCE_SLICE)
    };
    engine.advance(step);
    step
}

/// One instruction for the engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// A REST request, exactly as the console or the walkthrough would send it.
    Request {
        method: String,
        url: String,
        headers: Vec<(String, String)>,
        body: Option<String>,
    },
    /// Move the virtual clock forward.
    Advance { seconds: u64 },
    /// Move the virtual clock to the next scheduled event and run it.
    RunToNextEvent,
    /// Just report the current state.
    Snapshot,
    /// Turn a workspace's simulated machines on (with rates) or off.
    ConfigureSources {
        customer_id: String,
        config: Option<SourceConfig>,
    },
    /// Header, ciphertext, key path and a live decrypt check of one block.
    InspectBlock { id: u64 },
    /// Flip one byte (again to undo), then inspect the block.
    Tamper {
        id: u64,
        target: TamperTarget,
        offset: usize,
    },
    /// Simulated transient trouble reaching a vault (`None` ends it).
    KeyVaultOutage {
        vault: String,
        outage: Option<Outage>,
    },
    /// Start over with an empty world (a fresh seed from the platform's CSPRNG, or the given one).
    Reset { seed: Option<[u8; 32]> },
    /// Playground control, not an Azure API: a Microsoft support engineer asks for access to the
    /// data of this workspace (ARM id), which makes a Customer Lockbox request when Lockbox applies.
    SupportAccessRequest { workspace: String },
    /// Sign in as a person or application (a user principal name, an application id, or an
    /// object id), as the page does: the host asks the token endpoint for tokens, and from then
    /// on adds them (or, for the Data Collector API, a SharedKey signature) to every request
    /// that has no `Authorization` of its own, with implicit sign-in off.
    SignIn { who: String },
    /// A script for the `az` console (`consoles::az`), with the shell variables the previous
    /// script left (`ConsoleRun::env`); every request it sends carries the signed-in
    /// principal's credentials, as `Request` does.
    Az {
        script: String,
        #[serde(default)]
        env: Vec<(String, String)>,
    },
    /// A script for the Azure PowerShell console (`consoles::pwsh`), with the variables the
    /// previous script left; credentials as for `Az`.
    Pwsh {
        script: String,
        #[serde(default)]
        env: Vec<(String, String)>,
    },
}

impl Command {
    pub fn request(method: &str, url: &str, body: Option<&str>) -> Command {
        Command::Request {
            method: method.trim().to_string(),
            url: client_url(url),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.filter(|b| !b.trim().is_empty()).map(str::to_string),
        }
    }

    /// What the page shows while the command runs; RSA key generation gets a warning that it
    /// takes a while (seconds for 4096 bits in a browser).
    pub fn label(&self) -> String {
        match self {
            Command::Request {
                method, url, body, ..
            } => {
                let path = url.split('?').next().unwrap_or(url);
                let lower = path.to_ascii_lowercase();
                if lower.ends_with("/create") || lower.ends_with("/rotate") {
                    let size = body
                        .as_deref()
                        .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
                        .and_then(|v| v["key_size"].as_u64())
                        .unwrap_or(2048);
                    return format!(
                        "Generating an RSA-{size} key from the seeded CSPRNG (real key generation: up to a few seconds, longer for 4096 bits)"
                    );
                }
                format!("{} {}", method.to_ascii_uppercase(), path)
            }
            Command::Advance { seconds } => format!(
                "Advancing the clock by {}",
                crate::engine::clock::duration(*seconds)
            ),
            Command::RunToNextEvent => "Running to the next event".into(),
            Command::Snapshot => "Loading".into(),
            Command::ConfigureSources {
                config: Some(_), ..
            } => "Configuring simulated sources".into(),
            Command::ConfigureSources { config: None, .. } => {
                "Switching simulated sources off".into()
            }
            Command::InspectBlock { id } => format!("Decrypting block {id} through the key chain"),
            Command::Tamper { id, .. } => format!("Tampering with block {id}"),
            Command::KeyVaultOutage {
                vault,
                outage: Some(o),
            } => format!("Key Vault {vault}: {}", o.describe()),
            Command::KeyVaultOutage {
                vault,
                outage: None,
            } => format!("Key Vault {vault} healthy again"),
            Command::Reset { .. } => "Starting over with an empty world".into(),
            Command::SignIn { who } => format!("Signing in as {who}"),
            Command::Az { script, .. } | Command::Pwsh { script, .. } => {
                let first = script
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty() && !l.starts_with('#'));
                format!("Running {}", first.unwrap_or("a script"))
            }
            Command::SupportAccessRequest { workspace } => format!(
                "Microsoft support asks for access to workspace {}",
                workspace.rsplit('/').next().unwrap_or(workspace)
            ),
        }
    }
}

/// The engine's answer: the response (for requests) and the state afterwards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub response: Option<Response>,
    /// Virtual time when the command started.
    pub started: u64,
    /// The world after the command. The Worker sends only its changed fields
    /// (`WasmEngine::execChanges`) and the page puts them into its copy (`ui::host`).
    #[serde(default)]
    pub snapshot: Snapshot,
    /// For block inspection and tampering.
    pub inspection: Option<BlockInspection>,
    /// Why a non-REST command was refused.
    pub error: Option<String>,
    /// A clock move stopped by the person before its end (`snapshot.now - started` is how far
    /// it got).
    #[serde(default)]
    pub cancelled: bool,
    /// The credentials the host added to a request (`Authorization`, and `x-ms-date` for the
    /// Data Collector API), so the page can show what was really sent.
    #[serde(default)]
    pub credentials: Vec<(String, String)>,
    /// For `Az` and `Pwsh`: what the script printed, its exit status and every request it sent.
    #[serde(default)]
    pub console: Option<crate::consoles::ConsoleRun>,
}

/// Sends one request as the host does: the signed-in principal's credentials are added unless
/// the request has an `Authorization` (or implicit sign-in is on).
fn send_request(
    engine: &mut Engine,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
) -> (Response, Vec<(String, String)>) {
    let has = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    let mut credentials = Vec::new();
    if !engine.implicit_sign_in() && !has("Authorization") {
        let content_type = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Content-Type"))
            .map_or("", |(_, v)| v.as_str());
        credentials = engine.credentials_for(url, body, content_type);
    }
    let all: Vec<(&str, &str)> = headers
        .iter()
        .chain(credentials.iter())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    (engine.handle(method, url, &all, body), credentials)
}

/// The consoles' transport: requests through [`send_request`], sleeps through
/// [`advance_step`] (so a replay slices the clock alike), the signed-in principal's account.
struct EngineTransport<'a> {
    engine: &'a mut Engine,
}

impl crate::consoles::Transport for EngineTransport<'_> {
    fn send(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<&str>,
    ) -> crate::consoles::Exchange {
        let at = self.engine.now();
        let (response, credentials) = send_request(self.engine, method, url, headers, body);
        crate::consoles::Exchange {
            method: method.to_string(),
            url: url.to_string(),
            headers: headers.to_vec(),
            body: body.map(str::to_string),
            credentials,
            response,
            at,
        }
    }

    fn sleep(&mut self, seconds: u64) -> u64 {
        let Ok(total) = advance_total(self.engine, seconds) else {
            return 0;
        };
        let mut left = total;
        while left > 0 {
            match advance_step(self.engine, left) {
                0 => break,
                step => left -= step,
            }
        }
        total - left
    }

    fn account(&self) -> crate::consoles::Account {
        use crate::engine::{entra, world};
        let me = self.engine.signed_in();
        let person = entra::upn(&me.object_id);
        crate::consoles::Account {
            user: person.map_or_else(|| me.app_id.clone(), str::to_string),
            user_type: if person.is_some() {
                "user"
            } else {
                "servicePrincipal"
            }
            .into(),
            tenant_id: world::TENANT_ID.into(),
            subscriptions: world::SUBSCRIPTIONS
                .iter()
                .map(|(id, name)| (id.to_string(), name.to_string()))
                .collect(),
        }
    }
}

pub fn execute(engine: &mut Engine, cmd: &Command) -> Reply {
    let started = engine.now();
    let (mut inspection, mut error, mut credentials) = (None, None, Vec::new());
    let mut console = None;
    let response = match cmd {
        Command::Request {
            method,
            url,
            headers,
            body,
        } => {
            let (r, c) = send_request(engine, method, url, headers, body.as_deref());
            credentials = c;
            Some(r)
        }
        Command::Az { script, env } => {
            let mut t = EngineTransport { engine };
            console = Some(crate::consoles::run_az(script, env, &mut t));
            None
        }
        Command::Pwsh { script, env } => {
            let mut t = EngineTransport { engine };
            console = Some(crate::consoles::run_pwsh(script, env, &mut t));
            None
        }
        Command::SignIn { who } => {
            let r = engine.sign_in(who);
            if r.status == 200 {
                engine.set_implicit_sign_in(false);
            } else {
                error = r.body["error_description"]
                    .as_str()
                    .map(|d| d.split("\r\n").next().unwrap_or(d).to_string());
            }
            Some(r)
        }
        Command::Advance { seconds } => {
            match advance_total(engine, *seconds) {
                Ok(mut left) => {
                    while left > 0 {
                        left -= advance_step(engine, left);
                    }
                }
                Err(e) => error = Some(e),
            }
            None
        }
        Command::RunToNextEvent => {
            engine.run_to_next_event();
            None
        }
        Command::Snapshot => None,
        Command::ConfigureSources {
            customer_id,
            config,
        } => {
            error = engine.configure_sources(customer_id, config.clone()).err();
            None
        }
        Command::InspectBlock { id } => {
            match engine.inspect_block(*id) {
                Ok(i) => inspection = Some(i),
                Err(e) => error = Some(e),
            }
            None
        }
        Command::KeyVaultOutage { vault, outage } => {
            error = engine.set_key_vault_outage(vault, *outage).err();
            None
        }
        Command::Reset { seed } => {
            engine.reset(*seed);
            None
        }
        Command::SupportAccessRequest { workspace } => {
            let r = engine.support_access_request(workspace);
            if r.status >= 400 {
                error = Some(
                    r.body["error"]["message"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                );
            }
            Some(r)
        }
        Command::Tamper { id, target, offset } => {
            match engine
                .tamper(*id, *target, *offset)
                .and_then(|_| engine.inspect_block(*id))
            {
                Ok(i) => inspection = Some(i),
                Err(e) => error = Some(e),
            }
            None
        }
    };
    // Plaintexts the host opened for this command and it did not read are not kept.
    engine.drop_opened();
    Reply {
        response,
        started,
        snapshot: engine.snapshot(),
        inspection,
        error,
        cancelled: false,
        credentials,
        console,
    }
}

/// The URL a client sends for what was typed or pasted, as a browser's URL parser makes it:
/// surrounding whitespace trimmed, tabs and line breaks (a URL wrapped in a document) removed,
/// and spaces, quotes, angle brackets, backticks, other control and non-ASCII characters
/// percent-encoded (UTF-8), so `rg 1` is sent as `rg%201`, never as `rg1`.
pub fn client_url(typed: &str) -> String {
    let mut out = String::with_capacity(typed.len());
    for c in typed
        .trim()
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
    {
        if c.is_ascii_graphic() && !matches!(c, '"' | '<' | '>' | '`') {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn client_url_encodes_what_a_browser_would() {
        use super::client_url;
        assert_eq!(
            client_url("  https://management.azure.com/x/my rg?api-version=1 \n"),
            "https://management.azure.com/x/my%20rg?api-version=1"
        );
        assert_eq!(
            client_url("https://h/a\n  b/é\"%20"),
            "https://h/a%20%20b/%C3%A9%22%20"
        );
    }

    use super::*;

    #[test]
    fn requests_and_clock_moves_round_trip_through_serde() {
        let mut e = Engine::with_seed([1; 32]);
        let cmd = Command::request("GET", "https://graph.microsoft.com/v1.0/me", None);
        let text = serde_json::to_string(&cmd).unwrap();
        let reply = execute(&mut e, &serde_json::from_str(&text).unwrap());
        assert_eq!(reply.response.unwrap().status, 200);
        let reply = execute(&mut e, &Command::Advance { seconds: 60 });
        assert_eq!(reply.snapshot.now, reply.started + 60);
        let back: Reply = serde_json::from_str(&serde_json::to_string(&reply).unwrap()).unwrap();
        assert_eq!(back, reply);
    }

    /// The TypeScript declarations of these shapes (`src/wasm_types.d.ts`, at the top of the
    /// package's `cmk_playground.d.ts`) name exactly the fields serde writes: one field renamed,
    /// added or removed in Rust fails here rather than in someone else's type-checked test.
    #[test]
    fn typescript_declarations_name_the_fields_serde_writes() {
        use crate::engine::journal::{AuditEntry, Category, TimelineEntry};
        use crate::engine::view::*;
        use std::collections::BTreeSet;
        let ts = include_str!("wasm_types.d.ts");
        // The field names of the `{ ... }` that starts at `from`, at its own nesting level.
        let names_in = |from: &str| -> BTreeSet<String> {
            let (mut depth, mut names, mut word) = (0, BTreeSet::new(), String::new());
            for line in from.lines() {
                let line = line.trim();
                if line.starts_with('*') || line.starts_with("/*") || line.starts_with("//") {
                    continue;
                }
                for c in line.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                return names;
                            }
                        }
                        ':' | '?' if depth == 1 && !word.is_empty() => {
                            names.insert(std::mem::take(&mut word));
                        }
                        c if c.is_alphanumeric() || c == '_' => word.push(c),
                        _ => word.clear(),
                    }
                }
                word.clear();
            }
            panic!("unbalanced braces in wasm_types.d.ts");
        };
        let declared = |name: &str| {
            let at = ts
                .find(&format!("export interface {name} {{"))
                .unwrap_or_else(|| panic!("wasm_types.d.ts declares no interface {name}"));
            names_in(&ts[at + ts[at..].find('{').unwrap()..])
        };
        let written = |v: serde_json::Value| -> BTreeSet<String> {
            v.as_object().expect("an object").keys().cloned().collect()
        };
        macro_rules! same {
            ($name:literal, $value:expr) => {
                assert_eq!(
                    declared($name),
                    written(serde_json::to_value(&$value).unwrap()),
                    "the fields of {} in wasm_types.d.ts",
                    $name
                )
            };
        }
        same!("RestResponse", Response::json(200, serde_json::Value::Null));
        let reply = execute(&mut Engine::with_seed([1; 32]), &Command::Snapshot);
        same!("Reply", reply);
        let run = crate::consoles::ConsoleRun {
            output: vec![crate::consoles::OutputChunk {
                stream: "stdout".into(),
                text: String::new(),
            }],
            ..Default::default()
        };
        same!("ConsoleRun", run);
        same!("OutputChunk", run.output[0]);
        same!(
            "ConsoleExchange",
            crate::consoles::Exchange {
                method: String::new(),
                url: String::new(),
                headers: Vec::new(),
                body: None,
                credentials: Vec::new(),
                response: Response::json(200, serde_json::Value::Null),
                at: 0,
            }
        );
        same!("Snapshot", Snapshot::default());
        same!("SourceConfig", SourceConfig::default());
        same!("RegionView", RegionView::default());
        same!("GroupView", GroupView::default());
        same!("ProviderView", ProviderView::default());
        same!("VaultView", VaultView::default());
        same!("PolicyView", PolicyView::default());
        same!("KeyView", KeyView::default());
        same!("VersionView", VersionView::default());
        same!("IdentityView", IdentityView::default());
        same!("RoleAssignmentView", RoleAssignmentView::default());
        same!("KeyRef", KeyRef::default());
        same!("AccessView", AccessView::default());
        same!("ClusterView", ClusterView::default());
        same!("WorkspaceView", WorkspaceView::default());
        same!("SavedSearchView", SavedSearchView::default());
        same!("OperationView", OperationView::default());
        same!("StorageView", StorageView::default());
        same!("AccountView", AccountView::default());
        same!("BlockView", BlockView::default());
        same!("DropView", DropView::default());
        same!("IngestionView", IngestionView::default());
        same!(
            "IngestionBucket",
            crate::engine::storage::ingestion::Bucket::default()
        );
        same!("SentinelView", SentinelView::default());
        same!("LockboxView", LockboxView::default());
        same!("LockboxRequestView", LockboxRequestView::default());
        same!("StorageAccountView", StorageAccountView::default());
        same!("FiredAlertView", FiredAlertView::default());
        let time = 0;
        let timeline = TimelineEntry {
            time,
            category: Category::Data,
            subject: String::new(),
            text: String::new(),
            alert: false,
        };
        same!("TimelineEntry", timeline);
        let audit = AuditEntry {
            time,
            vault: String::new(),
            operation: String::new(),
            caller_object_id: String::new(),
            caller_name: String::new(),
            key: None,
            version: None,
            status: 200,
            result: String::new(),
            detail: String::new(),
            count: 1,
            last: time,
        };
        same!("AuditEntry", audit);
        let inspection = BlockInspection {
            id: 0,
            header: serde_json::Value::Null,
            header_bytes: 0,
            sealed_bytes: 0,
            plain_bytes: 0,
            ciphertext_prefix: String::new(),
            key_path: Vec::new(),
            in_hot_cache: false,
            check: Ok(String::new()),
            flips: Vec::new(),
            chunks: Vec::new(),
        };
        same!("BlockInspection", inspection);
        let chunk = crate::engine::storage::ChunkInspection {
            column: String::new(),
            ty: String::new(),
            encoding: String::new(),
            plain_bytes: 0,
            start: 0,
            end: 0,
            last_read: false,
            check: Ok(()),
        };
        same!("ChunkInspection", chunk);
        // Each command: its variant (a string for unit variants) and its fields.
        let commands = [
            Command::request("GET", "https://graph.microsoft.com/v1.0/me", None),
            Command::Advance { seconds: 60 },
            Command::RunToNextEvent,
            Command::Snapshot,
            Command::ConfigureSources {
                customer_id: String::new(),
                config: None,
            },
            Command::InspectBlock { id: 1 },
            Command::Tamper {
                id: 1,
                target: TamperTarget::Sealed,
                offset: 0,
            },
            Command::KeyVaultOutage {
                vault: String::new(),
                outage: Some(Outage::Dns),
            },
            Command::Reset { seed: None },
            Command::Az {
                script: String::new(),
                env: Vec::new(),
            },
            Command::Pwsh {
                script: String::new(),
                env: Vec::new(),
            },
        ];
        let union = &ts[ts.find("export type Command =").unwrap()..];
        let union = &union[..union.find("\n\n").unwrap()];
        for c in commands {
            match serde_json::to_value(&c).unwrap() {
                serde_json::Value::String(unit) => {
                    assert!(union.contains(&format!("| \"{unit}\"")), "Command {unit}")
                }
                serde_json::Value::Object(o) => {
                    let (variant, fields) = o.into_iter().next().unwrap();
                    let at = union
                        .find(&format!("{{ {variant}: {{"))
                        .unwrap_or_else(|| panic!("Command {variant} in wasm_types.d.ts"));
                    let inner = &union[at + variant.len() + 4..];
                    assert_eq!(names_in(inner), written(fields), "Command {variant}");
                }
                other => panic!("unexpected command shape {other}"),
            }
        }
        for (ty, values) in [
            (
                "TamperTarget",
                vec![
                    TamperTarget::Sealed,
                    TamperTarget::Header,
                    TamperTarget::WrappedAek,
                ]
                .into_iter()
                .map(|t| serde_json::to_value(t).unwrap())
                .collect::<Vec<_>>(),
            ),
            (
                "Outage",
                [Outage::Timeout, Outage::ConnectionFailure, Outage::Dns]
                    .into_iter()
                    .map(|o| serde_json::to_value(o).unwrap())
                    .collect(),
            ),
        ] {
            let line = ts
                .lines()
                .find(|l| l.starts_with(&format!("export type {ty} =")))
                .unwrap();
            for v in values {
                assert!(line.contains(&v.to_string()), "{ty} {v}");
            }
        }
    }

    #[test]
    fn key_generation_is_labelled_as_slow() {
        let c = Command::request(
            "POST",
            "https://kv.vault.azure.net/keys/k/create?api-version=7.4",
            Some(r#"{"kty":"RSA","key_size":4096}"#),
        );
        assert!(c.label().contains("RSA-4096"));
    }
}
