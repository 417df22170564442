//! The key hierarchy as an SVG: vault → key (KEK) → versions → the cluster → its storage accounts,
//! each with its wrapped account key (AEK) → data keys (DEK) → blocks, coloured by what protects
//! them (customer-managed or Microsoft-managed keys), with the hot cache. Microsoft Sentinel's
//! store, whose AEK the same KEK wraps, sits beside the cluster's storage; each AEK names the
//! principal that unwraps it and carries its access badge. Below it, the newest blocks open in
//! the inspector.

use yew::prelude::*;

use super::AppCtx;
use super::util::short;
use crate::engine::clock;
use crate::engine::view::{
    AccessView, AccountView, ClusterView, KeyView, SentinelView, Snapshot, StorageAccountView,
    VaultView,
};
use crate::protocol::Command;

const W: i32 = 400;

/// The vault and key to draw: the ones the cluster references, else the first vault's first key.
fn focus<'a>(
    vaults: &'a [VaultView],
    cluster: Option<&'a ClusterView>,
) -> Option<(&'a VaultView, Option<&'a KeyView>)> {
    if let Some(k) = cluster.and_then(|c| c.key.as_ref()) {
        if let Some(v) = vaults
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(&k.vault))
        {
            let key = v
                .keys
                .iter()
                .find(|x| x.name.eq_ignore_ascii_case(&k.key_name));
            return Some((v, key));
        }
    }
    let v = vaults.first()?;
    Some((v, v.keys.first()))
}

fn text(x: i32, y: i32, class: &'static str, s: String) -> Html {
    html! { <text x={x.to_string()} y={y.to_string()} class={class}>{ s }</text> }
}

fn rect(x: i32, y: i32, w: i32, h: i32, class: &'static str) -> Html {
    hrect(x, y, w, h, class, false)
}

/// A node, outlined when it is what the timeline entry the user picked is about.
fn hrect(x: i32, y: i32, w: i32, h: i32, class: &'static str, highlight: bool) -> Html {
    html! { <rect x={x.to_string()} y={y.to_string()} width={w.to_string()} height={h.to_string()} rx="6" class={classes!(class, highlight.then_some("hl"))} /> }
}

/// Whether a timeline subject (resource id, key id, account name) names this node.
fn names(subject: Option<&str>, candidates: &[&str]) -> bool {
    let Some(s) = subject else { return false };
    let s = s.to_ascii_lowercase();
    candidates
        .iter()
        .filter(|c| !c.is_empty())
        .any(|c| s == c.to_ascii_lowercase())
}

fn line(x1: i32, y1: i32, x2: i32, y2: i32, class: &'static str) -> Html {
    html! { <line x1={x1.to_string()} y1={y1.to_string()} x2={x2.to_string()} y2={y2.to_string()} class={class} marker-end="url(#arrow)" /> }
}

/// Accounts to draw: the cluster's (newest first) and the shared storage of its workspaces' region.
fn accounts<'a>(snap: &'a Snapshot, cluster: Option<&ClusterView>) -> Vec<&'a AccountView> {
    let mut out: Vec<&AccountView> = snap
        .storage
        .accounts
        .iter()
        .filter(|a| a.cluster.is_some() && a.cluster.as_deref() == cluster.map(|c| c.id.as_str()))
        // Microsoft Sentinel's store is drawn beside the cluster's storage.
        .filter(|a| a.sentinel.is_none())
        // A retired account with no data (the MMK account a cluster started with) tells nothing.
        .filter(|a| a.writable || a.blocks > 0)
        .collect();
    out.sort_by_key(|a| std::cmp::Reverse(a.writable));
    out.extend(
        snap.storage
            .accounts
            .iter()
            .filter(|a| a.cluster.is_none() && a.sentinel.is_none() && a.blocks > 0),
    );
    out
}

/// An access badge's colour and words.
fn badge_label(a: &AccessView) -> (&'static str, &'static str) {
    match a.state.as_str() {
        "revoked" => ("bad", "revoked"),
        "revoking" => ("warn", "revoking"),
        "recovering" => ("running", "recovering"),
        "partial" => ("warn", "older data unreadable"),
        _ if a.transient => ("warn", "cached · Key Vault unreachable"),
        _ => ("ok", "accessible"),
    }
}

fn badge_width(a: &AccessView) -> i32 {
    badge_label(a).1.chars().count() as i32 * 6 + 14
}

/// An access badge drawn in the SVG (the HTML one is `panels::access_badge`).
fn badge(x: i32, y: i32, a: &AccessView) -> Html {
    let (class, label) = badge_label(a);
    html! {
        <g class={classes!("badge", class)} data-access={a.state.clone()}>
            <rect x={x.to_string()} y={y.to_string()} width={badge_width(a).to_string()} height="17" rx="8.5" />
            <text x={(x + 7).to_string()} y={(y + 12).to_string()}>{ label }</text>
        </g>
    }
}

/// The nodes drawn so far, and what a lane needs to draw its wrap edge from a key version.
struct Draw<'a> {
    nodes: Vec<Html>,
    /// Lines, drawn before (under) every node so none crosses a node's text.
    edges: Vec<Html>,
    desc: Vec<String>,
    /// Each version chip's x centre, and the chips' bottom.
    chip_x: Vec<(String, i32)>,
    chips_y: i32,
    hl: Option<&'a str>,
}

impl Draw<'_> {
    /// An account's AEK at (`x`, `y`), `w` wide: what wraps it, the principal that unwraps it,
    /// its access badge; with the wrap edge from the key version. `narrow` stacks the lines for
    /// a half-width lane. Returns the bottom.
    fn aek(&mut self, a: &AccountView, x: i32, w: i32, y: i32, label: &str, narrow: bool) -> i32 {
        let cmk = a.protection == "CMK";
        let right = narrow && x > W / 2;
        // The KEK version that wraps this AEK now.
        if let Some(k) = &a.key {
            if let Some(cx) = self
                .chip_x
                .iter()
                .find(|(v, _)| *v == k.key_version)
                .map(|(_, x)| *x)
            {
                let cut = a.access.state == "revoked" || a.access.state == "revoking";
                // Around the cluster, along the left (or right) margin, into the AEK's side.
                let (margin, end) = if right { (W - 8, x + w) } else { (8, x) };
                let d = format!(
                    "M{cx} {} L{margin} {} L{margin} {} L{end} {}",
                    self.chips_y,
                    self.chips_y + 12,
                    y + 12,
                    y + 12
                );
                let class = match (cut, a.writable) {
                    (true, _) => "edge wrap broken",
                    (false, true) => "edge wrap",
                    (false, false) => "edge wrap old",
                };
                self.edges.push(html! {
                    <path d={d} class={class} fill="none" marker-end="url(#arrow)" />
                });
            }
        }
        let class = match (cmk, a.access.state.as_str()) {
            (true, "revoked") => "node account cmk revoked",
            (true, "revoking" | "recovering") => "node account cmk revoking",
            (true, _) => "node account cmk",
            (false, _) => "node account mmk",
        };
        let wrapped = match &a.key {
            Some(k) => format!(
                "wrapped by {} v{}",
                k.key_name,
                &k.key_version[..6.min(k.key_version.len())]
            ),
            None => "wrapped by a Microsoft-managed key".into(),
        };
        let unwrapped = match (&a.principal, a.last_unwrap) {
            (Some(p), Some(t)) if !narrow => {
                format!("unwrapped by {p} · {}", &clock::human(t)[11..16])
            }
            (Some(p), _) if !narrow => format!("unwrapped by {p}"),
            (Some(p), _) => p.clone(),
            (None, _) => String::new(),
        };
        let sub = if a.access.state == "accessible" {
            "sub"
        } else {
            "sub bad"
        };
        let h = if narrow {
            104
        } else if cmk {
            62
        } else {
            44
        };
        let mut parts = vec![hrect(x, y, w, h, class, names(self.hl, &[&a.name]))];
        let title = if label.is_empty() {
            format!(
                "{} AEK {} · {}{}",
                if a.cluster.is_some() {
                    "Storage"
                } else {
                    "Shared"
                },
                short(&a.aek_id),
                a.protection,
                if a.writable { "" } else { " · old" }
            )
        } else if narrow {
            label.to_string()
        } else {
            format!("{label} {} · {}", short(&a.aek_id), a.protection)
        };
        parts.push(text(x + 10, y + 17, "title", title));
        if narrow {
            parts.push(text(
                x + 10,
                y + 32,
                "mono",
                format!("{} · {}", short(&a.aek_id), a.protection),
            ));
            parts.push(text(x + 10, y + 47, sub, wrapped));
            if cmk {
                parts.push(text(x + 10, y + 62, "sub", "unwrapped by".into()));
                parts.push(text(x + 10, y + 77, "sub strong", unwrapped));
                parts.push(badge(x + 10, y + 82, &a.access));
            }
        } else {
            parts.push(text(x + 10, y + 34, sub, wrapped));
            if cmk {
                parts.push(text(x + 10, y + 51, "sub strong", unwrapped));
                let bw = badge_width(&a.access);
                parts.push(badge(x + w - bw - 8, y + 38, &a.access));
            }
        }
        self.nodes.push(html! {
            <g class="aek" data-account={a.name.clone()} data-principal={a.principal.clone().unwrap_or_default()}
                data-sentinel={a.sentinel.clone().unwrap_or_default()}>
                { for parts }
            </g>
        });
        self.desc.push(format!(
            "{} {} ({}){}, {}",
            if a.sentinel.is_some() {
                "Microsoft Sentinel's store"
            } else {
                "Storage account"
            },
            a.name,
            a.protection,
            a.principal
                .as_ref()
                .map(|p| format!(", unwrapped by {p}"))
                .unwrap_or_default(),
            a.access.state
        ));
        y + h
    }

    /// The DEKs and blocks under an account's AEK. Returns the bottom.
    fn blocks(&mut self, a: &AccountView, x: i32, w: i32, y: i32, narrow: bool) -> i32 {
        let cmk = a.protection == "CMK";
        self.edges
            .push(line(x + w / 2, y, x + w / 2, y + 14, "edge faint"));
        let y = y + 14;
        let bclass = if cmk {
            "node blocks cmk"
        } else {
            "node blocks mmk"
        };
        let inset = if narrow { 10 } else { 28 };
        self.nodes
            .push(rect(x + inset, y, w - 2 * inset, 34, bclass));
        let (first, second) = if narrow {
            (
                format!("{} DEKs → {} blocks", a.blocks, a.blocks),
                format!("{} KiB · hot cache {}", a.bytes / 1024, a.hot_blocks),
            )
        } else {
            (
                format!(
                    "{} DEKs → {} blocks · {} KiB",
                    a.blocks,
                    a.blocks,
                    a.bytes / 1024
                ),
                format!(
                    "{} · hot cache {}",
                    if a.double_encryption {
                        "AES-GCM + XChaCha20"
                    } else {
                        "AES-GCM only"
                    },
                    a.hot_blocks
                ),
            )
        };
        self.nodes
            .push(text(x + inset + 12, y + 14, "sub strong", first));
        self.nodes.push(text(x + inset + 12, y + 28, "sub", second));
        self.desc.push(format!(
            "Storage account {} ({}) with {} blocks",
            a.name, a.protection, a.blocks
        ));
        y + 34
    }

    /// What Sentinel keeps in its store, under the store's AEK. Returns the bottom.
    fn sentinel_content(
        &mut self,
        store: &AccountView,
        s: Option<&SentinelView>,
        x: i32,
        w: i32,
        y: i32,
    ) -> i32 {
        self.edges
            .push(line(x + w / 2, y, x + w / 2, y + 14, "edge faint"));
        let y = y + 14;
        let class = if store.protection == "CMK" {
            "node blocks cmk"
        } else {
            "node blocks mmk"
        };
        self.nodes.push(rect(x + 10, y, w - 20, 34, class));
        let (watchlists, rules, incidents) = s
            .map(|s| (s.watchlists.len(), s.rules.len(), s.incidents))
            .unwrap_or_default();
        self.nodes.push(text(
            x + 22,
            y + 14,
            "sub strong",
            format!(
                "{watchlists} watchlist{} · {rules} rule{}",
                if watchlists == 1 { "" } else { "s" },
                if rules == 1 { "" } else { "s" }
            ),
        ));
        self.nodes.push(text(
            x + 22,
            y + 28,
            "sub",
            format!(
                "{incidents} incident{} · {}",
                if incidents == 1 { "" } else { "s" },
                s.map(|s| s.workspace.as_str()).unwrap_or("")
            ),
        ));
        y + 34
    }
}

impl Draw<'_> {
    /// What a customer's storage account keeps for linked workspaces (saved searches in its
    /// table, alert queries in blobs), under its AEK. Returns the bottom.
    fn customer_content(&mut self, sa: &StorageAccountView, x: i32, w: i32, y: i32) -> i32 {
        self.edges
            .push(line(x + w / 2, y, x + w / 2, y + 14, "edge faint"));
        let y = y + 14;
        let cmk = sa.key.is_some() && sa.table_cmk_capable;
        let lines: Vec<String> = if sa.protects.is_empty() {
            vec!["protects nothing yet: no workspace links it".into()]
        } else {
            sa.protects.iter().take(3).cloned().collect()
        };
        let h = 20 + 14 * lines.len() as i32;
        self.nodes.push(rect(
            x + 10,
            y,
            w - 20,
            h,
            if cmk {
                "node blocks cmk"
            } else {
                "node blocks mmk"
            },
        ));
        self.nodes.push(text(
            x + 22,
            y + 14,
            "sub strong",
            format!(
                "{} saved search{} (table) · {} alert quer{} (blobs)",
                sa.saved_searches,
                if sa.saved_searches == 1 { "" } else { "es" },
                sa.alert_queries,
                if sa.alert_queries == 1 { "y" } else { "ies" }
            ),
        ));
        for (i, l) in lines.into_iter().enumerate() {
            self.nodes
                .push(text(x + 22, y + 28 + 14 * i as i32, "sub", l));
        }
        self.desc.push(format!(
            "Storage account {} keeps {} saved searches and {} alert queries{}",
            sa.name,
            sa.saved_searches,
            sa.alert_queries,
            if sa.protects.is_empty() {
                String::new()
            } else {
                format!(": {}", sa.protects.join("; "))
            }
        ));
        y + h
    }
}

#[function_component(KeyHierarchy)]
pub fn key_hierarchy() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let snap = &app.state.snap;
    let cluster = snap.clusters.first();
    let hl = app.state.highlight.as_deref();
    let broken =
        cluster.is_some_and(|c| c.access.state == "revoked" || c.access.state == "revoking");
    let Some((vault, key)) = focus(&snap.vaults, cluster) else {
        return html! {
            <section class="panel" id="keys-panel" aria-labelledby="kh-title">
                <h2 id="kh-title">{ "Key hierarchy" }</h2>
                <p class="muted">{ "No Key Vault yet: step 1 creates the vault and the key-encryption key (KEK)." }</p>
            </section>
        };
    };
    let mut nodes: Vec<Html> = Vec::new();
    let mut edges: Vec<Html> = Vec::new();
    let mut desc = Vec::new();

    // Vault
    nodes.push(hrect(
        8,
        8,
        W - 16,
        46,
        if vault.recoverable {
            "node vault"
        } else {
            "node vault warn"
        },
        names(hl, &[&vault.id, &vault.name]),
    ));
    nodes.push(text(20, 28, "title", format!("Key Vault · {}", vault.name)));
    nodes.push(text(
        20,
        45,
        if vault.recoverable { "sub" } else { "sub warn" },
        format!(
            "soft delete {} · purge protection {}{}",
            if vault.soft_delete { "✓" } else { "✗" },
            if vault.purge_protection { "✓" } else { "✗" },
            if vault.rbac {
                " · RBAC"
            } else {
                " · access policies"
            }
        ),
    ));
    desc.push(format!(
        "Vault {} (recoverable: {})",
        vault.name, vault.recoverable
    ));

    // Key and versions: chips with their x centres, to draw wraps from them.
    let in_use = cluster.and_then(|c| c.key_version_in_use.clone());
    let mut chip_x: Vec<(String, i32)> = Vec::new();
    let mut y = 68;
    let chips_y;
    match key {
        None => {
            nodes.push(rect(28, y, W - 56, 34, "node placeholder"));
            nodes.push(text(40, y + 22, "sub", "No key yet".into()));
            chips_y = y + 34;
            y += 34;
        }
        Some(k) => {
            let size = k.versions.last().map(|v| v.size).unwrap_or(0);
            edges.push(line(W / 2, 54, W / 2, y, "edge"));
            let key_path = format!("{}/keys/{}", vault.uri, k.name);
            nodes.push(hrect(
                28,
                y,
                W - 56,
                34,
                if k.deleted.is_some() {
                    "node key warn"
                } else {
                    "node key"
                },
                names(hl, &[&key_path]),
            ));
            let state = if k.deleted.is_some() {
                " · deleted (recoverable)"
            } else {
                ""
            };
            nodes.push(text(
                40,
                y + 22,
                "title",
                format!("KEK {} · RSA-{size}{state}", k.name),
            ));
            desc.push(format!("Key {} with {} versions", k.name, k.versions.len()));
            y += 34 + 18;
            chips_y = y + 26;
            let shown: Vec<_> = k
                .versions
                .iter()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let chip_w = 60;
            let gap = 8;
            let total = shown.len() as i32 * (chip_w + gap) - gap;
            let mut x = (W - total) / 2;
            for v in shown {
                let used = in_use.as_deref() == Some(v.version.as_str());
                let class = match (v.enabled, used) {
                    (true, true) => "chip used",
                    (true, false) => "chip",
                    (false, true) => "chip disabled used",
                    (false, false) => "chip disabled",
                };
                let kid = format!("{key_path}/{}", v.version);
                let last = v
                    .last_use
                    .map(|t| format!(" · last used {}", clock::human(t)))
                    .unwrap_or_default();
                nodes.push(html! {
                    <g>
                        <title>{ format!("Version {}{}{}{last}", v.version, if v.enabled { "" } else { " (disabled)" }, if used { " — used by the cluster" } else { "" }) }</title>
                        { hrect(x, y, chip_w, 26, class, names(hl, &[&kid])) }
                        { text(x + 8, y + 17, "mono", v.version[..6.min(v.version.len())].to_string()) }
                    </g>
                });
                chip_x.push((v.version.clone(), x + chip_w / 2));
                x += chip_w + gap;
            }
            if k.versions.len() > 5 {
                nodes.push(text(
                    W - 70,
                    y - 4,
                    "sub note",
                    format!("+{} older", k.versions.len() - 5),
                ));
            }
            y += 26;
        }
    }

    // Cluster
    y += 44;
    let cluster_y = y;
    match cluster {
        None => {
            nodes.push(rect(28, y, W - 56, 40, "node placeholder"));
            nodes.push(text(40, y + 25, "sub", "No cluster yet".into()));
        }
        Some(c) => {
            if let Some(x) = chip_x
                .iter()
                .find(|(v, _)| Some(v) == in_use.as_ref())
                .map(|(_, x)| *x)
            {
                edges.push(line(
                    x,
                    chips_y,
                    W / 2,
                    y,
                    if broken {
                        "edge strong broken"
                    } else {
                        "edge strong"
                    },
                ));
                nodes.push(text(
                    W / 2 + 8,
                    y - 14,
                    if broken {
                        "edge-label broken"
                    } else {
                        "edge-label"
                    },
                    if broken {
                        format!("Key Vault refuses: {}", c.access.state)
                    } else if c.access.transient {
                        "Key Vault unreachable: AEK cached".into()
                    } else {
                        "wraps / unwraps the AEK".into()
                    },
                ));
            } else {
                nodes.push(text(
                    40,
                    y - 10,
                    "sub note",
                    "no key identifier: Microsoft-managed keys".into(),
                ));
            }
            nodes.push(hrect(
                28,
                y,
                W - 56,
                40,
                if broken {
                    "node cluster revoked"
                } else {
                    "node cluster"
                },
                names(hl, &[&c.id]),
            ));
            nodes.push(text(
                40,
                y + 17,
                "title",
                format!("Cluster {} · {}", c.name, c.provisioning_state),
            ));
            nodes.push(text(
                40,
                y + 33,
                "sub",
                format!(
                    "identity {} {}",
                    c.identity_type,
                    c.principal_id.as_deref().map(short).unwrap_or_default()
                ),
            ));
            desc.push(format!(
                "Cluster {} uses {}",
                c.name,
                c.key_version_in_use
                    .as_deref()
                    .map(|v| format!("key version {v}"))
                    .unwrap_or_else(|| "Microsoft-managed keys".into())
            ));
        }
    }
    y += 40;

    // Storage accounts: AEK → DEKs → blocks, one lane each; Microsoft Sentinel's store beside the
    // cluster's writable account, under the same KEK.
    let accts = accounts(snap, cluster);
    let (beside, other_stores): (Vec<&AccountView>, Vec<&AccountView>) = snap
        .storage
        .accounts
        .iter()
        .filter(|a| a.sentinel.is_some())
        .partition(|a| {
            a.cluster.is_some() && a.cluster.as_deref() == cluster.map(|c| c.id.as_str())
        });
    if accts.is_empty() && beside.is_empty() {
        for (label, sub) in [
            (
                "AEK · account encryption key",
                "one per storage account, wrapped by the KEK",
            ),
            (
                "DEK · data encryption keys",
                "derived from the AEK, one per block written",
            ),
            ("Blocks", "sealed with a DEK, then the infrastructure layer"),
        ] {
            edges.push(line(W / 2, y, W / 2, y + 16, "edge faint"));
            y += 16;
            nodes.push(rect(28, y, W - 56, 38, "node placeholder"));
            nodes.push(text(40, y + 16, "title faint", label.into()));
            nodes.push(text(40, y + 31, "sub", sub.into()));
            y += 38;
        }
    }
    let mut d = Draw {
        nodes,
        edges,
        desc,
        chip_x,
        chips_y,
        hl,
    };
    let pair = beside.first().copied();
    for (i, a) in accts.iter().take(4).enumerate() {
        y += 18;
        match pair.filter(|_| i == 0 && a.writable && a.cluster.is_some()) {
            Some(store) => {
                // Two half-width lanes: the cluster's storage, and Sentinel's store.
                let half = (W - 36 - 10) / 2;
                let right = 18 + half + 10;
                for centre in [18 + half / 2, right + half / 2] {
                    d.edges
                        .push(line(W / 2, cluster_y + 40, centre, y, "edge faint"));
                }
                let bottom = d.aek(a, 18, half, y, "Log Analytics AEK", true);
                d.aek(store, right, half, y, "Sentinel store AEK", true);
                let sentinel = snap.sentinel.iter().find(|s| s.store == store.name);
                d.sentinel_content(store, sentinel, right, half, bottom);
                y = d.blocks(a, 18, half, bottom, true);
            }
            None => {
                if a.cluster.is_some() {
                    d.edges
                        .push(line(W / 2, cluster_y + 40, W / 2, y, "edge faint"));
                }
                let bottom = d.aek(a, 18, W - 36, y, "", false);
                y = d.blocks(a, 18, W - 36, bottom, false);
            }
        }
    }
    if accts.is_empty() {
        if let Some(store) = pair {
            y += 18;
            if cluster.is_some() {
                d.edges
                    .push(line(W / 2, cluster_y + 40, W / 2, y, "edge faint"));
            }
            let bottom = d.aek(store, 18, W - 36, y, "Sentinel store AEK", false);
            let sentinel = snap.sentinel.iter().find(|s| s.store == store.name);
            y = d.sentinel_content(store, sentinel, 18, W - 36, bottom);
        }
    }
    // Sentinel stores of workspaces on no cluster (Microsoft-managed keys).
    for store in other_stores.iter().chain(beside.iter().skip(1)).take(2) {
        y += 18;
        let bottom = d.aek(store, 18, W - 36, y, "Sentinel store AEK", false);
        let sentinel = snap.sentinel.iter().find(|s| s.store == store.name);
        y = d.sentinel_content(store, sentinel, 18, W - 36, bottom);
    }
    // Customers' own storage accounts (saved queries and alerts): their AEKs, the key that wraps
    // each (the cluster's or another), the identity that unwraps it, and what each protects.
    let customer: Vec<(&StorageAccountView, &AccountView)> = snap
        .storage_accounts
        .iter()
        .filter_map(|sa| {
            let a = snap.storage.accounts.iter().find(|a| a.name == sa.holder)?;
            Some((sa, a))
        })
        .collect();
    if !customer.is_empty() {
        y += 30;
        d.nodes.push(text(
            18,
            y,
            "title faint",
            "Your storage accounts · saved queries and alerts".into(),
        ));
        y -= 8;
    }
    for (sa, a) in customer.iter().take(3) {
        // A key other than the cluster's (no version chip above): its own KEK node.
        let version = sa.current_key_version.clone().unwrap_or_default();
        if let Some(k) = sa
            .key
            .as_ref()
            .filter(|_| !d.chip_x.iter().any(|(v, _)| *v == version))
        {
            let kv = snap
                .vaults
                .iter()
                .find(|v| v.name.eq_ignore_ascii_case(&k.vault));
            let key = kv.and_then(|v| {
                v.keys
                    .iter()
                    .find(|x| x.name.eq_ignore_ascii_case(&k.key_name))
            });
            let ver = key.and_then(|x| x.versions.iter().find(|v| v.version == version));
            let enabled = ver.is_some_and(|v| v.enabled);
            let key_path = format!(
                "{}/keys/{}",
                kv.map(|v| v.uri.as_str()).unwrap_or(""),
                k.key_name
            );
            y += 18;
            d.nodes.push(hrect(
                28,
                y,
                W - 56,
                30,
                if enabled { "node key" } else { "node key warn" },
                names(d.hl, &[&key_path, &format!("{key_path}/{version}")]),
            ));
            d.nodes.push(text(
                40,
                y + 20,
                "title",
                if enabled {
                    format!(
                        "KEK {} · RSA-{} · v{}",
                        k.key_name,
                        ver.map(|v| v.size).unwrap_or(0),
                        &version[..6.min(version.len())]
                    )
                } else {
                    format!(
                        "KEK {} · v{} disabled",
                        k.key_name,
                        &version[..6.min(version.len())]
                    )
                },
            ));
            let cut = a.access.state == "revoked" || a.access.state == "revoking";
            d.edges.push(line(
                W / 2,
                y + 30,
                W / 2,
                y + 48,
                if cut { "edge wrap broken" } else { "edge wrap" },
            ));
            d.desc.push(format!(
                "Key {} (not the cluster's) wraps storage account {}'s AEK",
                k.key_name, sa.name
            ));
            y += 30;
        }
        y += 18;
        let bottom = d.aek(a, 18, W - 36, y, &sa.name, false);
        let key_note = match (&sa.key, cluster.and_then(|c| c.storage_key.as_ref())) {
            (Some(k), Some(c)) if k.key_name.eq_ignore_ascii_case(&c.key_name) => {
                Some("the cluster's key")
            }
            (Some(_), _) => Some("another key"),
            _ => None,
        };
        if let Some(n) = key_note {
            let x = W - 18 - 8 - 6 * n.chars().count() as i32;
            d.nodes.push(text(x, y + 17, "sub note", n.to_string()));
        }
        y = d.customer_content(sa, 18, W - 36, bottom);
    }
    let Draw {
        mut nodes,
        edges,
        desc,
        ..
    } = d;
    if accts.len() > 4 {
        y += 16;
        nodes.push(text(
            28,
            y,
            "sub note",
            format!("+{} more storage accounts", accts.len() - 4),
        ));
    }
    let height = y + 12;
    // Tampered blocks first, so a flipped bit can always be found and flipped back.
    let tampered = snap.storage.blocks.iter().filter(|b| b.tampered);
    let intact = snap.storage.blocks.iter().filter(|b| !b.tampered);
    let blocks = tampered.chain(intact).take(12).map(|b| {
        let app = app.clone();
        let id = b.id;
        let onclick = Callback::from(move |_| app.runner.run(Command::InspectBlock { id }, "Inspect", None));
        html! {
            <li>
                <button class={classes!("block-item", if b.cmk { "cmk" } else { "mmk" })} {onclick} data-block={b.id.to_string()}
                    title={format!("Block {} in {}: inspect, decrypt, tamper", b.id, b.account)}>
                    <span class="mono">{ format!("#{}", b.id) }</span>
                    <span>{ &b.table }</span>
                    <span class="muted">{ format!("{} rows", b.rows) }</span>
                    <span class={classes!("pill", if b.cmk { "ok" } else { "running" })}>{ if b.cmk { "CMK" } else { "MMK" } }</span>
                    if b.hot { <span class="pill hot">{ "hot" }</span> }
                    if b.tampered { <span class="pill bad" data-testid="block-tampered">{ "tampered" }</span> }
                </button>
            </li>
        }
    });
    html! {
        <section class="panel" id="keys-panel" aria-labelledby="kh-title">
            <h2 id="kh-title">{ "Key hierarchy" }</h2>
            <svg class="hierarchy" viewBox={format!("0 0 {W} {height}")} role="img" aria-labelledby="kh-svg-title kh-svg-desc" data-testid="hierarchy">
                <title id="kh-svg-title">{ "Key hierarchy" }</title>
                <desc id="kh-svg-desc">{ desc.join(". ") }</desc>
                <defs>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0 0 L10 5 L0 10 z" class="arrowhead" />
                    </marker>
                </defs>
                <g class="edges">{ for edges }</g>
                { for nodes }
            </svg>
            // Samples of what the drawing uses: node colours as dots, edges as short lines.
            <p class="legend small" data-testid="legend">
                <span class="legend-item"><svg class="sample" viewBox="0 0 12 12" aria-hidden="true"><circle cx="6" cy="6" r="5" class="dot cmk" /></svg>{ "customer-managed key" }</span>
                <span class="legend-item"><svg class="sample" viewBox="0 0 12 12" aria-hidden="true"><circle cx="6" cy="6" r="5" class="dot mmk" /></svg>{ "Microsoft-managed key" }</span>
                <span class="legend-item"><svg class="sample wide" viewBox="0 0 26 12" aria-hidden="true"><line x1="1" y1="6" x2="25" y2="6" class="edge strong" /></svg>{ "key in use" }</span>
                <span class="legend-item"><svg class="sample wide" viewBox="0 0 26 12" aria-hidden="true"><line x1="1" y1="6" x2="25" y2="6" class="edge wrap" /></svg>{ "wraps an AEK" }</span>
                if snap.storage.total_blocks > 0 {
                    <span class="muted">{ format!(" · {} blocks, {} rows, {} in the hot cache", snap.storage.total_blocks, snap.storage.total_rows, snap.storage.hot_blocks) }</span>
                }
            </p>
            if !snap.storage.blocks.is_empty() {
                <h3>{ "Newest blocks" }</h3>
                <ul class="blocks" data-testid="blocks">{ for blocks }</ul>
            }
        </section>
    }
}
