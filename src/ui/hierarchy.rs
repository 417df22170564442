//! The key hierarchy as an SVG: vault → key (KEK) → versions → the version the cluster uses →
//! the cluster, then the account key (AEK), data keys (DEK) and blocks below it.

use yew::prelude::*;

use super::AppCtx;
use super::util::short;
use crate::engine::view::{ClusterView, KeyView, VaultView};

const W: i32 = 360;

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
    html! { <rect x={x.to_string()} y={y.to_string()} width={w.to_string()} height={h.to_string()} rx="6" class={class} /> }
}

fn line(x1: i32, y1: i32, x2: i32, y2: i32, class: &'static str) -> Html {
    html! { <line x1={x1.to_string()} y1={y1.to_string()} x2={x2.to_string()} y2={y2.to_string()} class={class} marker-end="url(#arrow)" /> }
}

#[function_component(KeyHierarchy)]
pub fn key_hierarchy() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let snap = &app.state.snap;
    let cluster = snap.clusters.first();
    let Some((vault, key)) = focus(&snap.vaults, cluster) else {
        return html! {
            <section class="panel" aria-labelledby="kh-title">
                <h2 id="kh-title">{ "Key hierarchy" }</h2>
                <p class="muted">{ "No Key Vault yet: step 1 creates the vault and the key-encryption key (KEK)." }</p>
            </section>
        };
    };
    let mut nodes: Vec<Html> = Vec::new();
    let mut desc = Vec::new();

    // Vault
    nodes.push(rect(
        8,
        8,
        W - 16,
        46,
        if vault.recoverable {
            "node vault"
        } else {
            "node vault warn"
        },
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

    // Key and versions
    let in_use = cluster.and_then(|c| c.key_version_in_use.clone());
    let mut y = 68;
    match key {
        None => {
            nodes.push(rect(28, y, W - 56, 34, "node placeholder"));
            nodes.push(text(40, y + 22, "sub", "No key yet".into()));
            y += 34;
        }
        Some(k) => {
            let size = k.versions.last().map(|v| v.size).unwrap_or(0);
            nodes.push(line(W / 2, 54, W / 2, y, "edge"));
            nodes.push(rect(
                28,
                y,
                W - 56,
                34,
                if k.deleted.is_some() {
                    "node key warn"
                } else {
                    "node key"
                },
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
                nodes.push(html! {
                    <g>
                        <title>{ format!("Version {}{}{}", v.version, if v.enabled { "" } else { " (disabled)" }, if used { " — used by the cluster" } else { "" }) }</title>
                        { rect(x, y, chip_w, 26, class) }
                        { text(x + 8, y + 17, "mono", v.version[..6.min(v.version.len())].to_string()) }
                    </g>
                });
                if used {
                    nodes.push(line(x + chip_w / 2, y + 26, W / 2, y + 70, "edge strong"));
                }
                x += chip_w + gap;
            }
            if k.versions.len() > 5 {
                nodes.push(text(
                    W - 70,
                    y - 4,
                    "sub",
                    format!("+{} older", k.versions.len() - 5),
                ));
            }
            y += 26;
        }
    }

    // Cluster
    y += 44;
    match cluster {
        None => {
            nodes.push(rect(28, y, W - 56, 40, "node placeholder"));
            nodes.push(text(40, y + 25, "sub", "No cluster yet".into()));
        }
        Some(c) => {
            let uses_key = c.key_version_in_use.is_some();
            if !uses_key {
                nodes.push(text(
                    40,
                    y - 10,
                    "sub",
                    "not linked to the KEK: Microsoft-managed keys".into(),
                ));
            } else {
                nodes.push(text(
                    W / 2 + 8,
                    y - 14,
                    "edge-label",
                    "wraps / unwraps the AEK".into(),
                ));
            }
            nodes.push(rect(28, y, W - 56, 40, "node cluster"));
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

    // Data path layers: drawn as placeholders until the data path exists.
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
        nodes.push(line(W / 2, y, W / 2, y + 16, "edge faint"));
        y += 16;
        nodes.push(rect(28, y, W - 56, 38, "node placeholder"));
        nodes.push(text(40, y + 16, "title faint", label.into()));
        nodes.push(text(40, y + 31, "sub", sub.into()));
        y += 38;
    }
    let height = y + 10;
    html! {
        <section class="panel" aria-labelledby="kh-title">
            <h2 id="kh-title">{ "Key hierarchy" }</h2>
            <svg class="hierarchy" viewBox={format!("0 0 {W} {height}")} role="img" aria-labelledby="kh-svg-title kh-svg-desc" data-testid="hierarchy">
                <title id="kh-svg-title">{ "Key hierarchy" }</title>
                <desc id="kh-svg-desc">{ desc.join(". ") }</desc>
                <defs>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0 0 L10 5 L0 10 z" class="arrowhead" />
                    </marker>
                </defs>
                { for nodes }
            </svg>
            <p class="muted small">{ "Dashed layers come alive with the data path: the account key, per-block data keys and sealed blocks." }</p>
        </section>
    }
}
