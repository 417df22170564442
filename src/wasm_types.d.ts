// The shapes `WasmEngine` takes and returns: the serde shapes of the Rust types named beside each
// interface, as `serde_wasm_bindgen` (JSON-compatible) carries them. src/wasm.rs puts this text
// at the top of the generated `cmk_playground.d.ts`; `protocol::tests` checks that every field
// named here is the field serde writes, and no field is missing.
// Unix seconds (virtual time) and sizes are numbers; `Option` is `T | null`.

/**
 * A REST response (`engine::Response`). `body` is the JSON body, `null` when there is none.
 * (Not named `Response`: the generated `InitInput` means the fetch API's.)
 */
export interface RestResponse {
  status: number;
  /** `[name, value]` pairs, in order; names as the service writes them. */
  headers: [string, string][];
  body: any;
}

/** One instruction for the engine (`protocol::Command`), for `WasmEngine.exec`. */
export type Command =
  | { Request: { method: string; url: string; headers: [string, string][]; body?: string | null } }
  | { Advance: { seconds: number } }
  | "RunToNextEvent"
  | "Snapshot"
  | { ConfigureSources: { customer_id: string; config?: SourceConfig | null } }
  | { InspectBlock: { id: number } }
  | { Tamper: { id: number; target: TamperTarget; offset: number } }
  | { KeyVaultOutage: { vault: string; outage?: Outage | null } }
  | { Reset: { seed?: number[] | null } }
  /** Playground control, not an Azure API: a support engineer asks for a workspace's data. */
  | { SupportAccessRequest: { workspace: string } }
  /** Sign in (UPN, application id or object id): tokens are then added to every request. */
  | { SignIn: { who: string } }
  /** An `az` console script, with the shell variables the previous one left (`ConsoleRun.env`). */
  | { Az: { script: string; env: [string, string][] } }
  | { Pwsh: { script: string; env: [string, string][] } };

/** The engine's answer to a `Command` (`protocol::Reply`). */
export interface Reply {
  /** For `Request`. */
  response: RestResponse | null;
  /** Virtual time when the command started. */
  started: number;
  snapshot: Snapshot;
  /** For `InspectBlock` and `Tamper`. */
  inspection: BlockInspection | null;
  /** Why a non-REST command was refused. */
  error: string | null;
  cancelled: boolean;
  /** The credentials the host added to a request: `Authorization`, and `x-ms-date`. */
  credentials: [string, string][];
  /** For `Az` and `Pwsh`: what the script printed, its exit status and every request it sent. */
  console: ConsoleRun | null;
}

/** An `az` console run (`consoles::ConsoleRun`). */
export interface ConsoleRun {
  output: OutputChunk[];
  /** The script's exit status (the last command's, as a shell's). */
  status: number;
  exchanges: ConsoleExchange[];
  /** Shell variables afterwards: send them with the next script. */
  env: [string, string][];
}

export interface OutputChunk {
  stream: "stdout" | "stderr";
  text: string;
}

/** One request an `az` script sent and its response (`consoles::Exchange`). */
export interface ConsoleExchange {
  method: string;
  url: string;
  headers: [string, string][];
  body: string | null;
  /** What the host added: `Authorization`. */
  credentials: [string, string][];
  response: RestResponse;
  /** Virtual time when it was sent. */
  at: number;
}

/** Simulated machines of a workspace and their rates (`engine::sources::SourceConfig`). */
export interface SourceConfig {
  linux: number;
  windows: number;
  heartbeat: boolean;
  syslog_per_hour: number;
  security_per_hour: number;
}

export type TamperTarget = "Sealed" | "Header" | "WrappedAek";
export type Outage = "Timeout" | "ConnectionFailure" | "Dns";

/** One block's header, ciphertext, key path and a live decrypt check (`storage::BlockInspection`). */
export interface BlockInspection {
  id: number;
  header: unknown;
  header_bytes: number;
  sealed_bytes: number;
  plain_bytes: number;
  ciphertext_prefix: string;
  key_path: string[];
  in_hot_cache: boolean;
  check: { Ok: string } | { Err: string };
  flips: [TamperTarget, number][];
  /** The column chunks, each its own AEAD message, in the order their bytes are stored. */
  chunks: ChunkInspection[];
}

/** One column chunk of a block (`engine::storage::ChunkInspection`). */
export interface ChunkInspection {
  column: string;
  type: string;
  /** `plain` (fixed-width cells), `dictionary` (distinct strings, a code per row) or `text`. */
  encoding: string;
  plain_bytes: number;
  /** Where its ciphertext sits in the block's stored bytes. */
  start: number;
  end: number;
  /** Whether the last read of the block decrypted this chunk. */
  last_read: boolean;
  check: { Ok: null } | { Err: string };
}

/** An AES-256-GCM job for the host (`WasmEngine.takeSealJobs`). */
export interface SealJob {
  id: number;
  key: Uint8Array;
  nonce: Uint8Array;
  aad: Uint8Array;
  plaintext: Uint8Array;
}

/** A hot-cache column chunk for the host to open with AES-256-GCM (`WasmEngine.openJobs`); the plaintext
 * goes back through `completeOpen`. `sealed` is the ciphertext followed by the tag. */
export interface OpenJob {
  block: number;
  /** The column chunk's place in the block. */
  column: number;
  key: Uint8Array;
  nonce: Uint8Array;
  aad: Uint8Array;
  /** Ciphertext then tag: a view of the engine's memory, valid until the next call into the
   * engine (hand it to `subtle.decrypt`, which copies it, before making one). */
  sealed: Uint8Array;
}

/** Everything the page shows, no key material (`engine::view::Snapshot`). */
export interface Snapshot {
  now: number;
  next_event: number | null;
  next_event_label: string | null;
  tenant_id: string;
  user_object_id: string;
  user_name: string;
  user_upn: string;
  /** `[id, display name]` pairs. */
  subscriptions: [string, string][];
  regions: RegionView[];
  groups: GroupView[];
  providers: ProviderView[];
  vaults: VaultView[];
  identities: IdentityView[];
  role_assignments: RoleAssignmentView[];
  clusters: ClusterView[];
  workspaces: WorkspaceView[];
  operations: OperationView[];
  timeline: TimelineEntry[];
  /** How many timeline entries there are in all (`timeline` is the newest of them). */
  timeline_len: number;
  audit: AuditEntry[];
  storage: StorageView;
  sentinel: SentinelView[];
  lockbox: LockboxView;
  storage_accounts: StorageAccountView[];
  alert_rules: AlertRuleView[];
  fired_alerts: FiredAlertView[];
  session: SessionView;
}

/** Who the host signed in, its tokens, and who can sign in (`engine::view::SessionView`). */
export interface SessionView {
  signed_in: PrincipalView;
  /** Whether a request without credentials is answered as the signed-in principal. */
  implicit: boolean;
  tokens: TokenView[];
  accounts: PrincipalView[];
}

/** A principal that can sign in (`engine::view::PrincipalView`). */
export interface PrincipalView {
  object_id: string;
  name: string;
  /** A person's user principal name, an application's id. */
  client: string;
  /** `User` or `ServicePrincipal`. */
  kind: string;
  /** The password or client secret the playground gives it. */
  credential: string;
  /** `[role name, scope]` of each role assignment. */
  roles: [string, string][];
}

/** An access token the host holds (`engine::view::TokenView`). */
export interface TokenView {
  audience: string;
  expires: number;
  token: string;
}

/** A log search alert rule and where its query is kept (`engine::view::AlertRuleView`). */
export interface AlertRuleView {
  id: string;
  name: string;
  /** The workspace it queries (name). */
  workspace: string;
  enabled: boolean;
  severity: number;
  /** `Azure Monitor` or the storage account's name. */
  query_stored_in: string;
  /** `MMK` or `CMK`. */
  protection: string;
}

/** A workspace's linked storage accounts of one data source type. */
export interface LinkedStorageView {
  data_source_type: string;
  /** The storage accounts' names. */
  accounts: string[];
}

/** An alert a log search alert rule fired (`engine::view::FiredAlertView`). */
export interface FiredAlertView {
  /** `/subscriptions/{s}/providers/Microsoft.AlertsManagement/alerts/{guid}`. */
  id: string;
  /** The rule's ARM id, and its name. */
  rule: string;
  rule_name: string;
  /** The workspace's ARM id (the alert's target resource). */
  workspace: string;
  /** `Sev0` to `Sev4`. */
  severity: string;
  /** `Fired` or `Resolved`. */
  monitor_condition: string;
  fired: number;
  resolved: number | null;
  /** `[column, value]` of the dimension combination it fired for. */
  dimensions: [string, string][];
  metric_value: number;
  /** Whether it carries the query and its results (not when the query is in linked storage). */
  has_query: boolean;
  has_results: boolean;
}

/** A customer's storage account (`engine::view::StorageAccountView`). */
export interface StorageAccountView {
  id: string;
  name: string;
  location: string;
  /** `Microsoft.Storage` or `Microsoft.Keyvault`. */
  key_source: string;
  /** The key identifier asked for (empty version: follows the latest). */
  key: KeyRef | null;
  /** The key version the account's AEK is wrapped with now. */
  current_key_version: string | null;
  /** The identity it reaches Key Vault with. */
  principal: string | null;
  /** `Account` or `Service`, set at creation and never changed. */
  table_key_type: string;
  /** Whether its tables (saved queries) can ever be under a customer-managed key. */
  table_cmk_capable: boolean;
  /** Whether its tables are under the customer-managed key now. */
  table_cmk: boolean;
  /** Its AEK holder in storage (an AccountView of the same name). */
  holder: string;
  access: AccessView;
  /** What it protects for linked workspaces, in words. */
  protects: string[];
  /** Saved-search entities in its table. */
  saved_searches: number;
  /** Alert-query blobs. */
  alert_queries: number;
}

/** Customer Lockbox: the tenant's opt-in and the requests (`engine::view::LockboxView`). */
export interface LockboxView {
  opted_in: boolean;
  requests: LockboxRequestView[];
}

export interface LockboxRequestView {
  /** The ARM id of the request. */
  id: string;
  request_id: string;
  workspace: string;
  support_request: string;
  /** `Pending`, `Approved`, `Denied`, `Expired` or `Completed`. */
  status: string;
  created: number;
  /** When the current phase ends: the four days' wait, or the eight hours of access. */
  expires: number;
  decided_by: string | null;
  decided: number | null;
  reason: string | null;
  reads: number;
  refused_reads: number;
}

export interface RegionView {
  name: string;
  display: string;
  double_encryption: boolean;
}

export interface GroupView {
  id: string;
  name: string;
  subscription: string;
  location: string;
  deleting: boolean;
}

export interface ProviderView {
  subscription: string;
  namespace: string;
  /** `Registered`, `Registering`, `Unregistering` or `NotRegistered`. */
  state: string;
}

export interface VaultView {
  id: string;
  name: string;
  uri: string;
  location: string;
  sku: string;
  soft_delete: boolean;
  purge_protection: boolean;
  retention_days: number;
  rbac: boolean;
  recoverable: boolean;
  access_policies: PolicyView[];
  keys: KeyView[];
  outage: string | null;
}

export interface PolicyView {
  object_id: string;
  display_name: string;
  keys: string[];
}

export interface KeyView {
  name: string;
  versions: VersionView[];
  /** For a soft-deleted key: `[deleted, scheduled purge]`. */
  deleted: [number, number] | null;
  rotation_policy: string | null;
  next_rotation: number | null;
}

export interface VersionView {
  version: string;
  enabled: boolean;
  created: number;
  size: number;
  key_ops: string[];
  exp: number | null;
  last_use: number | null;
}

export interface IdentityView {
  id: string;
  name: string;
  location: string;
  principal_id: string;
}

export interface RoleAssignmentView {
  scope: string;
  role: string;
  principal_id: string;
  principal_name: string;
}

export interface KeyRef {
  vault_uri: string;
  vault: string;
  key_name: string;
  /** Empty for auto-rotation. */
  key_version: string;
}

/** `state`: `accessible`, `revoking`, `revoked`, `recovering` (and `partial` for clusters and workspaces). */
/** `state`: accessible, revoking, revoked, recovering, partial (older data unreadable) or damaged (a flipped byte of the wrapped AEK). */
export interface AccessView {
  state: string;
  transient: boolean;
  since: number | null;
  until: number | null;
  reason: string | null;
}

export interface ClusterView {
  id: string;
  name: string;
  subscription: string;
  group: string;
  location: string;
  provisioning_state: string;
  identity_type: string;
  principal_id: string | null;
  capacity: number;
  billing_type: string;
  double_encryption: boolean;
  key: KeyRef | null;
  storage_key: KeyRef | null;
  key_version_in_use: string | null;
  workspaces: string[];
  operation: string | null;
  capacity_lock_days: number;
  access: AccessView;
}

export interface WorkspaceView {
  id: string;
  name: string;
  subscription: string;
  group: string;
  location: string;
  customer_id: string;
  sku: string;
  /** `Unlinked`, `Linking`, `Linked` or `Unlinking`. */
  link_state: string;
  cluster: string | null;
  links_in_30_days: number;
  /** `[table, rows]` pairs. */
  tables: [string, number][];
  sources: SourceConfig | null;
  access: AccessView;
  dropped_rows: number;
  saved_searches: SavedSearchView[];
  linked_storage: LinkedStorageView[];
}

/** A saved search or function, and where it is kept (`workspace` under `MMK`, or a storage
 * account's name; its query is empty when sealed in the account). */
export interface SavedSearchView {
  name: string;
  display_name: string;
  category: string;
  query: string;
  stored_in: string;
  protection: string;
}

export interface OperationView {
  id: string;
  label: string;
  status: string;
  resource_id: string;
  start: number;
  due: number;
  end: number | null;
  error: string | null;
}

export interface TimelineEntry {
  time: number;
  category: "Operation" | "KeyVault" | "Resource" | "Data";
  subject: string;
  text: string;
  alert: boolean;
}

/** One Key Vault audit event; periodic calls fold into one entry (`count`, `last`). */
export interface AuditEntry {
  time: number;
  vault: string;
  operation: string;
  caller_object_id: string;
  caller_name: string;
  key: string | null;
  version: string | null;
  status: number;
  result: string;
  detail: string;
  count: number;
  last: number;
}

export interface StorageView {
  accounts: AccountView[];
  blocks: BlockView[];
  total_blocks: number;
  total_rows: number;
  hot_blocks: number;
  pending_seals: number;
  drops: DropView[];
  /** Rows per virtual hour, for the first 8 workspaces sent data (their newest 48 hours). */
  ingestion: IngestionView[];
}

/** One workspace's ingestion per virtual hour, oldest first (`engine::view::IngestionView`). */
export interface IngestionView {
  workspace: string;
  customer_id: string;
  buckets: IngestionBucket[];
}

/** One virtual hour (`engine::storage::ingestion::Bucket`). */
export interface IngestionBucket {
  /** Start of the hour, virtual seconds since the Unix epoch. */
  start: number;
  /** Rows sent: stored + dropped. */
  ingested: number;
  stored: number;
  dropped: number;
  /** `[reason, rows]` pairs. */
  reasons: [string, number][];
  key_unusable: boolean;
  vault_unreachable: boolean;
}

export interface AccountView {
  name: string;
  cluster: string | null;
  sentinel: string | null;
  principal: string | null;
  region: string;
  aek_id: string;
  /** `MMK` or `CMK`. */
  protection: string;
  key: KeyRef | null;
  wrapped_at: number;
  last_unwrap: number | null;
  cached: boolean;
  double_encryption: boolean;
  writable: boolean;
  blocks: number;
  rows: number;
  bytes: number;
  hot_blocks: number;
  access: AccessView;
}

export interface BlockView {
  id: number;
  account: string;
  workspace: string;
  table: string;
  rows: number;
  bytes: number;
  cmk: boolean;
  key_version: string | null;
  ingested: number;
  hot: boolean;
  pending: boolean;
  double: boolean;
  tampered: boolean;
}

export interface DropView {
  workspace: string;
  table: string;
  rows: number;
}

export interface SentinelView {
  workspace: string;
  workspace_id: string;
  cmk: boolean;
  store: string;
  protection: string;
  access: AccessView;
  watchlists: string[];
  rules: string[];
  incidents: number;
  ineffective: string | null;
  onboarded: number;
}
