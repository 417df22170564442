//! The documented numbers: service limits and how long operations take on the virtual clock.
//! Durations are ranges; the engine draws each operation's length from its seeded CSPRNG.

use super::clock::{DAY, MINUTE};

/// Seed: "The max number of cluster per region and subscription is 2".
pub const MAX_CLUSTERS_PER_REGION: usize = 2;
/// Seed: "The maximum number of workspaces that can be linked to a cluster is 1000".
pub const MAX_WORKSPACES_PER_CLUSTER: usize = 1000;
/// Seed: link operations on a workspace are "limited to 2 in a period of 30 days".
pub const LINKS_PER_WINDOW: usize = 2;
pub const LINK_WINDOW: u64 = 30 * DAY;
/// Seed: a deleted cluster's name "remains reserved during the soft-delete period" of 14 days.
pub const CLUSTER_NAME_RESERVATION: u64 = 14 * DAY;
/// Seed: "Capacity is locked for 30 days. Decreasing capacity is permitted 30 days after update."
pub const CAPACITY_LOCK: u64 = 30 * DAY;

/// Cluster creation: "typically completes in two hours" (dedicated clusters article).
pub const CLUSTER_CREATE: (u64, u64) = (100 * MINUTE, 130 * MINUTE);
/// Key identifier update: "asynchronous and can take a while to complete" (seed).
pub const CLUSTER_KEY_UPDATE: (u64, u64) = (10 * MINUTE, 25 * MINUTE);
/// Identity change on an existing cluster.
pub const CLUSTER_IDENTITY_UPDATE: (u64, u64) = (5 * MINUTE, 12 * MINUTE);
/// Cluster deletion with linked workspaces (without any, deletion is immediate).
pub const CLUSTER_DELETE: (u64, u64) = (20 * MINUTE, 40 * MINUTE);
/// Workspace link: "can take up to 90 minutes" (dedicated clusters article).
pub const WORKSPACE_LINK: (u64, u64) = (30 * MINUTE, 90 * MINUTE);
/// Workspace unlink.
pub const WORKSPACE_UNLINK: (u64, u64) = (15 * MINUTE, 45 * MINUTE);
/// Workspace soft-delete period before a deleted workspace is purged.
pub const WORKSPACE_SOFT_DELETE: u64 = 14 * DAY;
/// Provider (un)registration "can take a few minutes" (docs); 1-5 minutes is the playground's choice.
pub const PROVIDER_REGISTRATION: (u64, u64) = (MINUTE, 5 * MINUTE);

/// Versions the playground keeps of one Key Vault key. Key Vault documents no such limit (only
/// request rates: "20 CREATE key" per 10 s for software keys, service-limits); this bound is the
/// playground's own, so a weekly rotation policy left running for decades cannot fill a browser
/// tab: 500 versions is nearly ten years of weekly rotation. Creating or rotating past it is
/// refused, and a rotation policy stops at it, both saying why.
pub const MAX_KEY_VERSIONS: usize = 500;

/// "Alerts are stored for 30 days and are deleted after the 30-day retention period"
/// (alerts-overview.md); a stateful alert's condition outlives it until it is resolved.
pub const ALERT_RETENTION: u64 = 30 * DAY;

/// How long a log search alert's condition must stay unmet before a stateful alert resolves
/// (alerts-overview.md, "when a stateful alert is considered resolved"): "1 minute: The alert
/// condition isn't met for 10 minutes. 5 to 15 minutes: The alert condition isn't met for three
/// frequency periods. 15 minutes to 11 hours: The alert condition isn't met for two frequency
/// periods. 11 to 12 hours: The alert condition isn't met for one frequency period."
/// `ruleResolveConfiguration.timeToResolve` replaces it. Frequencies between the documented ones
/// take the row below them (a 2-minute rule waits 10 minutes, as a 1-minute one does).
pub fn log_alert_resolve_periods(frequency: u64) -> u64 {
    match frequency {
        f if f < 5 * MINUTE => (10 * MINUTE).div_ceil(f.max(1)),
        f if f <= 15 * MINUTE => 3,
        f if f < 11 * super::clock::HOUR => 2,
        _ => 1,
    }
}

/// Access tokens live an hour: "The default lifetime of an access token is variable ... between
/// 60-90 minutes (75 minutes on average)" (access-tokens.md); the playground takes the low end,
/// so a token expires on a predictable hour of the virtual clock.
pub const ACCESS_TOKEN_LIFETIME: u64 = 60 * MINUTE;

/// How far a Data Collector post's `x-ms-date` may be from the service's clock. The API documents
/// the header, not a bound; this is Azure Storage's shared-key bound (15 minutes), which the
/// service's signature scheme follows.
pub const COLLECTOR_CLOCK_SKEW: u64 = 15 * MINUTE;
