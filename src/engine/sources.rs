//! Simulated data sources: machines whose agents send `Heartbeat`, `Syslog` and `SecurityEvent`
//! rows to a workspace on the virtual clock, with the real tables' column names.
//!
//! Every value comes from the engine's CSPRNG, so a seeded run produces the same logs. A source
//! ticks every [`TICK`] seconds and sends what its machines logged in that window.

use serde::{Deserialize, Serialize};

use super::clock::MINUTE;
use super::crypto::Csprng;
use super::table::{ColumnType, RowSet, Schema, Value};

/// How often simulated agents send a batch.
pub const TICK: u64 = 5 * MINUTE;

/// A workspace's simulated machines and their rates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceConfig {
    /// Linux machines (Heartbeat and Syslog).
    pub linux: u32,
    /// Windows machines (Heartbeat and SecurityEvent).
    pub windows: u32,
    /// One Heartbeat row per machine per minute, as the agents send.
    pub heartbeat: bool,
    /// Syslog rows per Linux machine per hour.
    pub syslog_per_hour: u32,
    /// SecurityEvent rows per Windows machine per hour.
    pub security_per_hour: u32,
}

impl Default for SourceConfig {
    fn default() -> Self {
        SourceConfig {
            linux: 2,
            windows: 2,
            heartbeat: true,
            syslog_per_hour: 120,
            security_per_hour: 60,
        }
    }
}

/// Upper bounds that keep a browser tab alive: the playground's own. Machines and per-machine
/// rates bound each field; the rows per hour bound what they make together. Every row stays in
/// the tab, encrypted, until retention deletes it: about 1.2 KB with its hot-cache copy (the
/// agents' real columns, measured in BENCHMARKS.md), so 1,000 rows an hour fill some 30 MB a
/// virtual day and about 650 MB at the 30-day default retention.
pub const MAX_MACHINES: u32 = 500;
pub const MAX_RATE: u32 = 36_000;
pub const MAX_ROWS_PER_HOUR: u64 = 1_000;

impl SourceConfig {
    /// Rows the machines send per virtual hour, all tables together.
    pub fn rows_per_hour(&self) -> u64 {
        let (linux, windows) = (u64::from(self.linux), u64::from(self.windows));
        let heartbeat = if self.heartbeat {
            (linux + windows) * 60
        } else {
            0
        };
        heartbeat
            + linux * u64::from(self.syslog_per_hour)
            + windows * u64::from(self.security_per_hour)
    }

    pub fn validate(&self) -> Result<(), String> {
        if u64::from(self.linux) + u64::from(self.windows) > u64::from(MAX_MACHINES) {
            return Err(format!(
                "at most {MAX_MACHINES} simulated machines per workspace"
            ));
        }
        if self.syslog_per_hour > MAX_RATE || self.security_per_hour > MAX_RATE {
            return Err(format!("at most {MAX_RATE} rows per machine per hour"));
        }
        let rows = self.rows_per_hour();
        if rows > MAX_ROWS_PER_HOUR {
            return Err(format!(
                "these machines would send {} rows per hour; the playground simulates at most {} per workspace, since every row stays encrypted in this tab until retention deletes it (a virtual day at that rate is about 30 MB, a month about 650 MB). Use fewer machines or lower rates",
                thousands(rows),
                thousands(MAX_ROWS_PER_HOUR)
            ));
        }
        Ok(())
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Where the machines live (for resource ids and TenantId).
pub struct Target<'a> {
    pub customer_id: &'a str,
    pub subscription: &'a str,
    pub group: &'a str,
    pub location: &'a str,
}

struct Machine {
    name: String,
    linux: bool,
    ip: String,
    vm_id: String,
    resource_id: String,
}

/// Machine identities are derived from the workspace and index, so they stay stable across ticks.
fn machines(t: &Target, cfg: &SourceConfig) -> Vec<Machine> {
    let mut out = Vec::new();
    let mut id_rng = Csprng::from_seed(seed_from(t.customer_id));
    for (linux, count, prefix) in [(true, cfg.linux, "vm-web"), (false, cfg.windows, "vm-dc")] {
        for i in 1..=count {
            let name = format!("{prefix}-{i:02}");
            let resource_id = format!(
                "/subscriptions/{}/resourcegroups/{}/providers/microsoft.compute/virtualmachines/{name}",
                t.subscription,
                t.group.to_ascii_lowercase()
            );
            out.push(Machine {
                ip: format!(
                    "10.{}.{}.{}",
                    if linux { 1 } else { 2 },
                    i / 250,
                    i % 250 + 4
                ),
                vm_id: id_rng.guid(),
                name,
                linux,
                resource_id,
            });
        }
    }
    out
}

fn seed_from(s: &str) -> [u8; 32] {
    let mut seed = [0u8; 32];
    for (i, b) in s.bytes().enumerate() {
        seed[i % 32] ^= b.rotate_left((i / 32) as u32);
    }
    seed
}

fn schema(cols: &[(&str, ColumnType)]) -> Schema {
    Schema {
        columns: cols.iter().map(|(n, t)| (n.to_string(), *t)).collect(),
    }
}

/// The built-in tables every workspace knows before any data arrives (Log Analytics answers a
/// query of one with an empty table, not an unknown-name error): the ones the simulated machines
/// fill, and `Usage` (Microsoft's own first example query is `Usage | take 10`).
pub fn builtin_schema(table: &str) -> Option<Schema> {
    match table {
        "Heartbeat" => Some(heartbeat_schema()),
        "Syslog" => Some(syslog_schema()),
        "SecurityEvent" => Some(security_event_schema()),
        "Usage" => Some(usage_schema()),
        _ => None,
    }
}

/// The Usage table's columns (Azure Monitor Logs table reference, "Usage").
fn usage_schema() -> Schema {
    use ColumnType::*;
    schema(&[
        ("TenantId", String),
        ("Computer", String),
        ("TimeGenerated", DateTime),
        ("SourceSystem", String),
        ("StartTime", DateTime),
        ("EndTime", DateTime),
        ("ResourceUri", String),
        ("LinkedResourceUri", String),
        ("DataType", String),
        ("Solution", String),
        ("BatchesWithinSla", Long),
        ("BatchesOutsideSla", Long),
        ("BatchesCapped", Long),
        ("TotalBatches", Long),
        ("AvgLatencyInSeconds", Real),
        ("Quantity", Real),
        ("QuantityUnit", String),
        ("IsBillable", Bool),
        ("MeteredTime", DateTime),
        ("LinkedMeterId", String),
        ("Type", String),
    ])
}

pub fn heartbeat_schema() -> Schema {
    use ColumnType::*;
    schema(&[
        ("TenantId", String),
        ("SourceSystem", String),
        ("TimeGenerated", DateTime),
        ("Computer", String),
        ("ComputerIP", String),
        ("Category", String),
        ("ComputerEnvironment", String),
        ("OSType", String),
        ("OSName", String),
        ("OSMajorVersion", String),
        ("OSMinorVersion", String),
        ("Version", String),
        ("SCAgentChannel", String),
        ("IsGatewayInstalled", Bool),
        ("RemoteIPCountry", String),
        ("RemoteIPLatitude", Real),
        ("RemoteIPLongitude", Real),
        ("Solutions", String),
        ("VMUUID", String),
        ("SubscriptionId", String),
        ("ResourceGroup", String),
        ("ResourceProvider", String),
        ("Resource", String),
        ("ResourceId", String),
        ("ResourceType", String),
        ("ComputerPrivateIPs", Dynamic),
        ("Type", String),
        ("_ResourceId", String),
    ])
}

pub fn syslog_schema() -> Schema {
    use ColumnType::*;
    schema(&[
        ("TenantId", String),
        ("SourceSystem", String),
        ("TimeGenerated", DateTime),
        ("Computer", String),
        ("EventTime", DateTime),
        ("Facility", String),
        ("HostName", String),
        ("SeverityLevel", String),
        ("SyslogMessage", String),
        ("ProcessID", Int),
        ("HostIP", String),
        ("ProcessName", String),
        ("Type", String),
        ("_ResourceId", String),
    ])
}

pub fn security_event_schema() -> Schema {
    use ColumnType::*;
    schema(&[
        ("TenantId", String),
        ("TimeGenerated", DateTime),
        ("SourceSystem", String),
        ("Account", String),
        ("AccountType", String),
        ("Computer", String),
        ("EventSourceName", String),
        ("Channel", String),
        ("Task", Int),
        ("Level", String),
        ("EventID", Int),
        ("Activity", String),
        ("IpAddress", String),
        ("IpPort", String),
        ("LogonType", Int),
        ("LogonTypeName", String),
        ("LogonProcessName", String),
        ("AuthenticationPackageName", String),
        ("TargetUserName", String),
        ("TargetDomainName", String),
        ("SubjectUserName", String),
        ("SubjectDomainName", String),
        ("WorkstationName", String),
        ("ProcessName", String),
        ("NewProcessName", String),
        ("CommandLine", String),
        ("ParentProcessName", String),
        ("Type", String),
        ("_ResourceId", String),
    ])
}

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

fn pick<'a, T>(rng: &mut Csprng, items: &'a [T]) -> &'a T {
    &items[rng.between(0, items.len() as u64 - 1) as usize]
}

/// Rows for a window: about `per_hour * seconds / 3600` events, at random instants in it.
fn count(rng: &mut Csprng, per_hour: u32, seconds: u64) -> u64 {
    let scaled = per_hour as u64 * seconds;
    scaled / 3600 + u64::from(rng.between(0, 3599) < scaled % 3600)
}

/// Everything the machines logged in `[from, to)` (Unix seconds), one row set per table.
pub fn generate(
    rng: &mut Csprng,
    t: &Target,
    cfg: &SourceConfig,
    from: u64,
    to: u64,
) -> Vec<(&'static str, RowSet)> {
    let ms = machines(t, cfg);
    let span = to.saturating_sub(from);
    let at = |rng: &mut Csprng| {
        ((from + rng.between(0, span.max(1) - 1)) as i64) * 1000 + rng.between(0, 999) as i64
    };
    let mut out = Vec::new();

    if cfg.heartbeat && !ms.is_empty() {
        let mut rows = Vec::new();
        let first = from.div_ceil(MINUTE) * MINUTE;
        for m in &ms {
            let mut minute = first;
            while minute < to {
                let jitter = rng.between(0, 2) as i64 * 1000 + rng.between(0, 999) as i64;
                let (os, osn, major, minor, version, system) = if m.linux {
                    ("Linux", "Ubuntu", "22", "04", "1.29.4", "Linux")
                } else {
                    (
                        "Windows",
                        "Windows Server 2022 Datacenter",
                        "10",
                        "0",
                        "1.22.0",
                        "OpsManager",
                    )
                };
                rows.push(vec![
                    s(t.customer_id),
                    s(system),
                    Value::DateTime(minute as i64 * 1000 + jitter),
                    s(&m.name),
                    s(&m.ip),
                    s("Azure Monitor Agent"),
                    s("Azure"),
                    s(os),
                    s(osn),
                    s(major),
                    s(minor),
                    s(version),
                    s("Direct"),
                    Value::Bool(false),
                    s("United States"),
                    Value::Real(39.0437),
                    Value::Real(-77.4875),
                    s("\"security\", \"changeTracking\""),
                    s(&m.vm_id),
                    s(t.subscription),
                    s(t.group),
                    s("Microsoft.Compute"),
                    s(&m.name),
                    s(&m.resource_id),
                    s("virtualMachines"),
                    s(&format!("[\"{}\"]", m.ip)),
                    s("Heartbeat"),
                    s(&m.resource_id),
                ]);
                minute += MINUTE;
            }
        }
        rows.sort_by_key(|r| match r[2] {
            Value::DateTime(t) => t,
            _ => 0,
        });
        out.push((
            "Heartbeat",
            RowSet {
                schema: heartbeat_schema(),
                rows,
            },
        ));
    }

    let linux: Vec<&Machine> = ms.iter().filter(|m| m.linux).collect();
    if cfg.syslog_per_hour > 0 && !linux.is_empty() {
        let mut rows = Vec::new();
        for m in &linux {
            for _ in 0..count(rng, cfg.syslog_per_hour, span) {
                let ts = at(rng);
                let (facility, severity, process, message) = syslog_line(rng);
                rows.push(vec![
                    s(t.customer_id),
                    s("Linux"),
                    Value::DateTime(ts + rng.between(200, 3000) as i64),
                    s(&m.name),
                    Value::DateTime(ts),
                    s(facility),
                    s(&m.name),
                    s(severity),
                    Value::String(message),
                    Value::Long(rng.between(300, 32_000) as i64),
                    s(&m.ip),
                    s(process),
                    s("Syslog"),
                    s(&m.resource_id),
                ]);
            }
        }
        rows.sort_by_key(|r| match r[2] {
            Value::DateTime(t) => t,
            _ => 0,
        });
        out.push((
            "Syslog",
            RowSet {
                schema: syslog_schema(),
                rows,
            },
        ));
    }

    let windows: Vec<&Machine> = ms.iter().filter(|m| !m.linux).collect();
    if cfg.security_per_hour > 0 && !windows.is_empty() {
        let mut rows = Vec::new();
        for m in &windows {
            for _ in 0..count(rng, cfg.security_per_hour, span) {
                let ts = at(rng);
                rows.push(security_row(rng, t, m, ts));
            }
        }
        rows.sort_by_key(|r| match r[1] {
            Value::DateTime(t) => t,
            _ => 0,
        });
        out.push((
            "SecurityEvent",
            RowSet {
                schema: security_event_schema(),
                rows,
            },
        ));
    }
    out
}

const USERS: [&str; 5] = ["azureuser", "svc-backup", "jmorgan", "akhan", "deploy"];
const ATTACKERS: [&str; 4] = [
    "203.0.113.7",
    "198.51.100.23",
    "192.0.2.144",
    "203.0.113.58",
];

fn syslog_line(rng: &mut Csprng) -> (&'static str, &'static str, &'static str, String) {
    let user = *pick(rng, &USERS);
    let port = rng.between(32_768, 60_999);
    match rng.between(0, 99) {
        0..=29 => (
            "authpriv",
            "info",
            "sshd",
            format!(
                "Accepted publickey for {user} from 10.1.0.{} port {port} ssh2",
                rng.between(2, 250)
            ),
        ),
        30..=44 => (
            "authpriv",
            "notice",
            "sshd",
            format!(
                "Failed password for invalid user admin from {} port {port} ssh2",
                pick(rng, &ATTACKERS)
            ),
        ),
        45..=59 => (
            "cron",
            "info",
            "CRON",
            "(root) CMD (run-parts /etc/cron.hourly)".to_string(),
        ),
        60..=74 => (
            "daemon",
            "info",
            "systemd",
            format!("Started Session {} of User {user}.", rng.between(1, 900)),
        ),
        75..=84 => (
            "authpriv",
            "notice",
            "sudo",
            format!(
                "{user} : TTY=pts/0 ; PWD=/home/{user} ; USER=root ; COMMAND=/usr/bin/apt-get update"
            ),
        ),
        85..=92 => (
            "kern",
            "warning",
            "kernel",
            format!(
                "[UFW BLOCK] IN=eth0 OUT= SRC={} DST=10.1.0.4 PROTO=TCP DPT=22",
                pick(rng, &ATTACKERS)
            ),
        ),
        93..=97 => (
            "user",
            "err",
            "nginx",
            format!(
                "connect() failed (111: Connection refused) while connecting to upstream, client: 10.1.0.{}",
                rng.between(2, 250)
            ),
        ),
        _ => (
            "syslog",
            "crit",
            "systemd",
            "Failed to start Azure Monitor Agent Service.".to_string(),
        ),
    }
}

fn security_row(rng: &mut Csprng, t: &Target, m: &Machine, ts: i64) -> Vec<Value> {
    let user = *pick(rng, &USERS);
    let (id, activity, logon): (i64, &str, Option<(i64, &str)>) = match rng.between(0, 99) {
        0..=39 => (
            4624,
            "4624 - An account was successfully logged on.",
            Some((3, "3 - Network")),
        ),
        40..=54 => (
            4625,
            "4625 - An account failed to log on.",
            Some((3, "3 - Network")),
        ),
        55..=69 => (
            4634,
            "4634 - An account was logged off.",
            Some((3, "3 - Network")),
        ),
        70..=79 => (
            4672,
            "4672 - Special privileges assigned to new logon.",
            None,
        ),
        80..=97 => (4688, "4688 - A new process has been created.", None),
        _ => (4720, "4720 - A user account was created.", None),
    };
    let failed = id == 4625;
    let (target, ip) = if failed {
        (
            if rng.between(0, 1) == 0 {
                "Administrator"
            } else {
                "admin"
            },
            pick(rng, &ATTACKERS).to_string(),
        )
    } else {
        (user, format!("10.2.0.{}", rng.between(2, 250)))
    };
    let (process, command) = if id == 4688 {
        let p = *pick(
            rng,
            &[
                r"C:\Windows\System32\cmd.exe",
                r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
                r"C:\Windows\System32\svchost.exe",
            ],
        );
        (p.to_string(), format!("\"{p}\" /c whoami"))
    } else {
        ("-".to_string(), String::new())
    };
    let opt = |v: Option<String>| v.map(Value::String).unwrap_or(Value::Null);
    vec![
        s(t.customer_id),
        Value::DateTime(ts),
        s("OpsManager"),
        s(&format!("CONTOSO\\{target}")),
        s("User"),
        s(&m.name),
        s("Microsoft-Windows-Security-Auditing"),
        s("Security"),
        Value::Long(match id {
            4624 | 4625 | 4634 => 12544,
            4672 => 12548,
            4688 => 13312,
            _ => 13824,
        }),
        s(if failed { "16" } else { "8" }),
        Value::Long(id),
        s(activity),
        opt(logon.map(|_| ip.clone())),
        opt(logon.map(|_| rng.between(40_000, 60_000).to_string())),
        logon.map(|(n, _)| Value::Long(n)).unwrap_or(Value::Null),
        opt(logon.map(|(_, n)| n.to_string())),
        opt(logon.map(|_| "NtLmSsp ".to_string())),
        opt(logon.map(|_| "NTLM".to_string())),
        s(target),
        s("CONTOSO"),
        s(if id == 4688 { user } else { "-" }),
        s("CONTOSO"),
        opt(logon.map(|_| {
            if failed {
                "KALI".to_string()
            } else {
                "WKS-0142".to_string()
            }
        })),
        s(&process),
        s(&process),
        s(&command),
        s(if id == 4688 {
            r"C:\Windows\explorer.exe"
        } else {
            "-"
        }),
        s("SecurityEvent"),
        s(&m.resource_id),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target<'static> {
        Target {
            customer_id: "b3b18587-e505-48c1-9c9c-af94d92f4deb",
            subscription: "sub",
            group: "rg",
            location: "eastus",
        }
    }

    #[test]
    fn five_minutes_of_default_sources() {
        let mut r = Csprng::from_seed([1; 32]);
        let out = generate(
            &mut r,
            &target(),
            &SourceConfig::default(),
            1_772_438_400,
            1_772_438_700,
        );
        let by: std::collections::BTreeMap<_, _> = out.iter().map(|(t, rs)| (*t, rs)).collect();
        assert_eq!(
            by["Heartbeat"].rows.len(),
            4 * 5,
            "one heartbeat per machine per minute"
        );
        assert_eq!(
            by["Syslog"].rows.len(),
            2 * 10,
            "120 per hour per Linux machine"
        );
        assert_eq!(by["SecurityEvent"].rows.len(), 2 * 5);
        for (_, rs) in &out {
            for row in &rs.rows {
                assert_eq!(row.len(), rs.schema.columns.len());
            }
        }
        let ti = by["Syslog"].schema.index("TimeGenerated").unwrap();
        let times: Vec<_> = by["Syslog"].rows.iter().map(|r| r[ti].clone()).collect();
        let mut sorted = times.clone();
        sorted.sort_by_key(|v| match v {
            Value::DateTime(t) => *t,
            _ => 0,
        });
        assert_eq!(times, sorted);
    }

    #[test]
    fn same_seed_same_logs_and_machines_are_stable() {
        let logs_for = |seed| {
            generate(
                &mut Csprng::from_seed(seed),
                &target(),
                &SourceConfig::default(),
                0,
                3600,
            )
        };
        assert_eq!(
            format!("{:?}", logs_for([2; 32])),
            format!("{:?}", logs_for([2; 32]))
        );
        let a = logs_for([2; 32]);
        let b = logs_for([3; 32]);
        let schema = heartbeat_schema();
        let (computer, uuid) = (
            schema.index("Computer").unwrap(),
            schema.index("VMUUID").unwrap(),
        );
        let vm = |o: &Vec<(&str, RowSet)>| {
            let row = o[0]
                .1
                .rows
                .iter()
                .find(|r| r[computer] == Value::String("vm-web-01".into()))
                .unwrap();
            row[uuid].clone()
        };
        assert_eq!(
            vm(&a),
            vm(&b),
            "machine identities do not depend on the stream"
        );
    }

    #[test]
    fn limits_are_enforced() {
        assert!(
            SourceConfig {
                linux: 400,
                windows: 200,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
        // The sum of machines cannot wrap around to pass the limit.
        assert!(
            SourceConfig {
                linux: u32::MAX,
                windows: 1,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
        assert!(SourceConfig::default().validate().is_ok());
    }
}
