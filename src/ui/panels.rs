//! Side panels: what the engine is doing, the virtual clock, and the cluster's state.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use yew::prelude::*;

use super::AppCtx;
use super::util::{now_ms, short};
use crate::engine::clock::{self, DAY, HOUR, MINUTE};
use crate::protocol::Command;

/// Re-renders every `ms` milliseconds while `active` (for elapsed-time counters).
#[hook]
fn use_ticker(ms: i32, active: bool) {
    let update = use_force_update();
    use_effect_with(active, move |active| {
        let window = web_sys::window();
        let interval = active.then(|| {
            let tick = Closure::<dyn FnMut()>::new(move || update.force_update());
            let id = window.as_ref().and_then(|w| {
                w.set_interval_with_callback_and_timeout_and_arguments_0(
                    tick.as_ref().unchecked_ref(),
                    ms,
                )
                .ok()
            });
            (tick, id)
        });
        move || {
            if let (Some((_tick, Some(id))), Some(w)) = (interval, window) {
                w.clear_interval_with_handle(id);
            }
        }
    });
}

/// A thin bar under the header while the engine works, with what it is doing and for how long.
#[function_component(BusyBar)]
pub fn busy_bar() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let busy = app.state.busy.clone();
    use_ticker(200, busy.is_some());
    match busy {
        None => html! { <div class="busy idle" aria-hidden="true"></div> },
        Some((label, since)) => {
            let secs = (now_ms() - since) / 1000.0;
            let (label, width) = match &app.state.progress {
                Some((f, what)) => (
                    format!("{what} · {:.0}%", f * 100.0),
                    Some(format!("width: {:.0}%", f * 100.0)),
                ),
                None => (label, None),
            };
            html! {
                <div class="busy" role="status" aria-live="polite">
                    <div class="busy-track">
                        if let Some(w) = width {
                            <div class="busy-done" style={w}></div>
                        } else {
                            <div class="busy-fill"></div>
                        }
                    </div>
                    <span>{ label }{ if secs >= 0.5 { format!(" · {secs:.1} s") } else { String::new() } }</span>
                    if app.state.cancellable {
                        <button class="secondary small stop" data-testid="stop-advance" aria-label="Stop advancing the clock"
                            onclick={{ let runner = app.runner.clone(); Callback::from(move |_| runner.cancel()) }}>
                            { "Stop" }
                        </button>
                    }
                </div>
            }
        }
    }
}

#[function_component(Clock)]
pub fn clock_panel() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let snap = &app.state.snap;
    // Until the engine's first snapshot arrives, the snapshot is a placeholder (1970): say so
    // and keep the clock's buttons for the real world.
    let ready = app.state.ready;
    let busy = app.state.busy.is_some() || !ready;
    let advance = |secs: u64| {
        let runner = app.runner.clone();
        Callback::from(move |_| runner.run(Command::Advance { seconds: secs }, "Clock", None))
    };
    let next = {
        let runner = app.runner.clone();
        Callback::from(move |_| runner.run(Command::RunToNextEvent, "Clock", None))
    };
    let elapsed = snap.now.saturating_sub(clock::epoch());
    let next_text = match (snap.next_event, &snap.next_event_label) {
        (Some(at), Some(label)) => format!(
            "Next: {label}, in {}",
            clock::duration(at.saturating_sub(snap.now))
        ),
        _ => "Nothing scheduled".into(),
    };
    html! {
        <section class="panel clock" id="clock-panel" aria-labelledby="clock-title">
            <h2 id="clock-title">{ "Virtual clock" }</h2>
            if ready {
                <p class="time" data-testid="clock-time">{ clock::human(snap.now) }</p>
                <p class="muted small">{ format!("{} since the session started", clock::duration(elapsed)) }</p>
            } else {
                <p class="time starting" data-testid="clock-time" aria-busy="true">{ "Starting…" }</p>
                <p class="muted small">{ "The engine is loading; the clock starts with it." }</p>
            }
            <div class="row wrap">
                <button class="secondary" onclick={advance(MINUTE)} disabled={busy}>{ "+1 min" }</button>
                <button class="secondary" onclick={advance(HOUR)} disabled={busy}>{ "+1 h" }</button>
                <button class="secondary" onclick={advance(DAY)} disabled={busy}>{ "+1 day" }</button>
                <button class="secondary" onclick={advance(30 * DAY)} disabled={busy} data-testid="advance-30d"
                    title="A month of virtual time, step by step: the bar shows progress and Stop ends it where it is">{ "+30 days" }</button>
                <button class="primary" onclick={next} disabled={busy || snap.next_event.is_none()} data-testid="run-next">
                    { "Run to next event" }
                </button>
            </div>
            <p class="small next-event">{ if ready { next_text } else { String::new() } }</p>
        </section>
    }
}

/// The data-access badge of a cluster or workspace, with a tooltip saying why and until when.
pub fn access_badge(a: &crate::engine::view::AccessView) -> Html {
    access_badge_of("", a)
}

/// [`access_badge`] saying whose access it is (`who` prefixes the words, e.g. "Sentinel store").
pub fn access_badge_of(who: &str, a: &crate::engine::view::AccessView) -> Html {
    let (class, text) = match a.state.as_str() {
        "revoked" => ("bad", "revoked".to_string()),
        "revoking" => ("warn", "revoking".to_string()),
        "recovering" => ("running", "recovering".to_string()),
        "partial" => ("warn", "older data unreadable".to_string()),
        "damaged" => ("bad", "AEK won't unwrap".to_string()),
        _ if a.transient => ("warn", "accessible · Key Vault unreachable".to_string()),
        _ => ("ok", "accessible".to_string()),
    };
    let mut why = Vec::new();
    if let Some(r) = &a.reason {
        why.push(r.clone());
    }
    match (a.state.as_str(), a.until) {
        ("revoking", Some(t)) => {
            why.push(format!("storage honours the change by {}", clock::human(t)))
        }
        ("recovering", Some(t)) => why.push(format!(
            "ingestion and queries resume by {}",
            clock::human(t)
        )),
        _ => {}
    }
    if a.transient {
        why.push("the cached AEK carries ingestion and queries".into());
    }
    let text = if who.is_empty() {
        text
    } else {
        format!("{who} {text}")
    };
    html! {
        <span class={classes!("pill", "access", class)} title={why.join("; ")} data-access={a.state.clone()}>{ text }</span>
    }
}

/// Whether a workspace is onboarded to Microsoft Sentinel, and what protects Sentinel's own data:
/// "Sentinel · CMK" or "Sentinel · Microsoft-managed key" (with why, when a CMK change on it was
/// ineffective).
pub fn sentinel_badge(s: &crate::engine::view::SentinelView) -> Html {
    let cmk = s.protection == "CMK";
    let (class, text) = match (cmk, &s.ineffective) {
        (true, _) => ("ok", "Sentinel · CMK"),
        (false, None) => ("neutral", "Sentinel · Microsoft-managed key"),
        (false, Some(_)) => ("warn", "Sentinel · Microsoft-managed key"),
    };
    let title = match (&s.ineffective, cmk) {
        (Some(why), _) => why.clone(),
        (None, true) => "Onboarded to Microsoft Sentinel with customerManagedKey true: Sentinel's store is encrypted with the cluster's key".into(),
        (None, false) => "Onboarded to Microsoft Sentinel without a customer-managed key: Sentinel's store is encrypted with a Microsoft-managed key".into(),
    };
    html! {
        <span class={classes!("pill", "sentinel", class)} {title} data-testid="sentinel-badge" data-protection={s.protection.clone()}>{ text }</span>
    }
}

/// A workspace's name with its badges: link state, data access, drops, Microsoft Sentinel.
fn workspace_line(
    snap: &crate::engine::Snapshot,
    w: &crate::engine::view::WorkspaceView,
    linked: bool,
) -> Html {
    let sentinel = snap
        .sentinel
        .iter()
        .find(|s| s.workspace_id.eq_ignore_ascii_case(&w.id));
    let store_access = sentinel.and_then(|s| {
        snap.storage
            .accounts
            .iter()
            .find(|a| a.name == s.store)
            .map(|a| a.access.clone())
    });
    html! {
        <span class="ws-entry">
            // The name keeps its width; the badges wrap as a group, onto their own line if need be.
            <span class="ws" data-testid="workspace">
                <span class="ws-name">{ &w.name }</span>
                <span class="ws-badges">
                if linked {
                    <span class={classes!("pill", if w.link_state == "Linked" { "ok" } else { "running" })}>{ &w.link_state }</span>
                } else {
                    <span class="muted small">{ format!("({}, not linked)", w.location) }</span>
                }
                if w.access.state != "accessible" || w.access.transient { { access_badge(&w.access) } }
                if w.dropped_rows > 0 { <span class="pill bad" title="Rows dropped and not recoverable">{ format!("{} rows dropped", w.dropped_rows) }</span> }
                if let Some(s) = sentinel { { sentinel_badge(s) } }
                if let Some(a) = store_access.filter(|a| a.state != "accessible" || a.transient) {
                    <span class="sentinel-access" data-testid="sentinel-access">{ access_badge_of("Sentinel store", &a) }</span>
                }
                </span>
            </span>
            if let Some(why) = sentinel.and_then(|s| s.ineffective.as_ref()) {
                <span class="small access-reason ineffective" data-testid="sentinel-ineffective">{ format!("Microsoft Sentinel: {why}") }</span>
            }
        </span>
    }
}

fn state_class(s: &str) -> &'static str {
    match s {
        "Succeeded" => "ok",
        "Failed" => "bad",
        "Deleting" => "bad",
        _ => "running",
    }
}

/// How many workspace lines a list shows before "Show all" (a fleet links thousands: drawing
/// every line on every reply would cost the page more than everything else it does).
const WORKSPACE_LINES: usize = 12;

/// Each cluster's linked workspaces and the workspaces not linked, as indexes into the
/// snapshot's workspaces, the ones with something to say first (not linked yet, data not
/// accessible, rows dropped, Microsoft Sentinel). Linear in the workspaces (an id compared as
/// sent first, ignoring case only when that fails); memoised on the fields it reads, which a
/// reply that changes no workspace leaves shared (`view::Shared`), so it is not redone.
#[derive(PartialEq)]
struct WorkspaceOrder {
    linked: Vec<Vec<usize>>,
    unlinked: Vec<usize>,
}

type OrderInputs = (
    crate::engine::view::Shared<Vec<crate::engine::view::WorkspaceView>>,
    crate::engine::view::Shared<Vec<crate::engine::view::ClusterView>>,
    Vec<crate::engine::view::SentinelView>,
);

fn workspace_order((workspaces, clusters, sentinel): &OrderInputs) -> WorkspaceOrder {
    let same = |a: &str, b: &str| a == b || a.eq_ignore_ascii_case(b);
    let notable = |w: &crate::engine::view::WorkspaceView| {
        (w.cluster.is_some() && w.link_state != "Linked")
            || w.access.state != "accessible"
            || w.access.transient
            || w.dropped_rows > 0
            || sentinel.iter().any(|s| same(&s.workspace_id, &w.id))
    };
    let mut order = WorkspaceOrder {
        linked: vec![Vec::new(); clusters.len()],
        unlinked: Vec::new(),
    };
    // Notable ones in a first pass, the rest in a second: each list keeps the snapshot's order
    // within both.
    for first in [true, false] {
        for (i, w) in workspaces.iter().enumerate() {
            if notable(w) != first {
                continue;
            }
            match &w.cluster {
                None => order.unlinked.push(i),
                Some(id) => {
                    if let Some(c) = clusters.iter().position(|c| same(&c.id, id)) {
                        order.linked[c].push(i);
                    }
                }
            }
        }
    }
    order
}

/// Workspace lines: the first [`WORKSPACE_LINES`] of `order` unless `all`, with a button to show
/// all or fewer.
fn workspace_lines(
    snap: &crate::engine::Snapshot,
    order: &[usize],
    linked: bool,
    all: bool,
    toggle: Callback<MouseEvent>,
) -> Html {
    let shown = if all {
        order.len()
    } else {
        order.len().min(WORKSPACE_LINES)
    };
    let hidden = order.len() - shown;
    html! {
        <>
            { for order[..shown].iter().filter_map(|&i| snap.workspaces.get(i)).map(|w| workspace_line(snap, w, linked)) }
            if hidden > 0 {
                <button class="link small" onclick={toggle} aria-expanded="false">{ format!("Show all {} workspaces ({hidden} more)", order.len()) }</button>
            } else if order.len() > WORKSPACE_LINES {
                <button class="link small" onclick={toggle} aria-expanded="true">{ format!("Show the first {WORKSPACE_LINES}") }</button>
            }
        </>
    }
}

#[function_component(ClusterState)]
pub fn cluster_state() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let snap = &app.state.snap;
    // The lists shown whole: clusters' ids, and "" for the workspaces not linked.
    let expanded = use_state(std::collections::BTreeSet::<String>::new);
    let toggle = |id: &str| {
        let expanded = expanded.clone();
        let id = id.to_string();
        Callback::from(move |_: MouseEvent| {
            let mut set = (*expanded).clone();
            if !set.remove(&id) {
                set.insert(id.clone());
            }
            expanded.set(set);
        })
    };
    let ops: Vec<_> = snap.operations.iter().filter(|o| o.end.is_none()).collect();
    let recent_failed: Vec<_> = snap
        .operations
        .iter()
        .rev()
        .filter(|o| o.error.is_some())
        .take(2)
        .collect();
    let order = use_memo(
        (
            snap.workspaces.clone(),
            snap.clusters.clone(),
            snap.sentinel.clone(),
        ),
        workspace_order,
    );
    let clusters = snap.clusters.iter().zip(&order.linked).map(|(c, workspaces)| {
        let key = match (&c.key, &c.storage_key) {
            (None, _) => html! { <span class="muted">{ "none: Microsoft-managed keys" }</span> },
            (Some(k), storage) => {
                let mode = if k.key_version.is_empty() { "auto-rotation".to_string() } else { format!("pinned {}", short(&k.key_version)) };
                let adopted = storage.as_ref() == Some(k);
                html! {
                    <>
                        <code>{ format!("{}/keys/{}", k.vault, k.key_name) }</code>
                        <span class="muted">{ format!(" · {mode}") }</span>
                        if !adopted { <span class="pill running">{ "pending" }</span> }
                    </>
                }
            }
        };
        html! {
            <div class="cluster" data-testid="cluster">
                <div class="cluster-title">
                    <strong>{ &c.name }</strong>
                    <span class={classes!("pill", state_class(&c.provisioning_state))} data-testid="cluster-state">{ &c.provisioning_state }</span>
                    if c.key.is_some() {
                        <span data-testid="cluster-access">{ access_badge(&c.access) }</span>
                    }
                </div>
                if let Some(r) = c.access.reason.as_ref().filter(|_| c.access.state != "accessible") {
                    <p class="small access-reason">{ r }</p>
                }
                <dl class="facts">
                    <dt>{ "Region" }</dt><dd>{ &c.location }</dd>
                    <dt>{ "Identity" }</dt>
                    <dd>{ &c.identity_type }{ c.principal_id.as_ref().map(|p| html! { <code title={p.clone()}>{ format!(" {}", short(p)) }</code> }) }</dd>
                    <dt>{ "Key identifier" }</dt><dd>{ key }</dd>
                    <dt>{ "Key version in use" }</dt>
                    <dd>{ c.key_version_in_use.as_ref().map(|v| html! { <code title={v.clone()}>{ short(v) }</code> }).unwrap_or_else(|| html! { <span class="muted">{ "—" }</span> }) }</dd>
                    <dt>{ "Capacity" }</dt>
                    <dd>{ format!("{} GB/day", c.capacity) }
                        if c.capacity_lock_days > 0 { <span class="muted">{ format!(" · decrease locked {} more days", c.capacity_lock_days) }</span> }
                    </dd>
                    <dt>{ "Billing" }</dt><dd>{ &c.billing_type }</dd>
                    <dt>{ "Double encryption" }</dt><dd>{ if c.double_encryption { "on" } else { "off" } }</dd>
                    <dt>{ "Workspaces" }</dt>
                    <dd>
                        if workspaces.is_empty() { <span class="muted">{ "none linked" }</span> }
                        { workspace_lines(snap, workspaces, true, expanded.contains(&c.id), toggle(&c.id)) }
                    </dd>
                </dl>
            </div>
        }
    });
    html! {
        <section class="panel" id="cluster-panel" aria-labelledby="cluster-title">
            <h2 id="cluster-title">{ "Cluster state" }</h2>
            if snap.clusters.is_empty() {
                <p class="muted">{ "No dedicated cluster yet: step 2 creates one." }</p>
            }
            { for clusters }
            if !order.unlinked.is_empty() {
                <p class="small muted unlinked">{ "Workspaces not linked: " }{ workspace_lines(snap, &order.unlinked, false, expanded.contains(""), toggle("")) }</p>
            }
            <h3>{ "Running operations" }</h3>
            if ops.is_empty() {
                <p class="muted small">{ "None." }</p>
            } else {
                <ul class="ops">
                    { for ops.iter().map(|o| html! {
                        <li>
                            <span class="pill running">{ &o.status }</span>{ " " }
                            <span>{ &o.label }</span>
                            <span class="muted small">{ format!(" · {} · done in {}", o.resource_id.rsplit('/').next().unwrap_or(""), clock::duration(o.due.saturating_sub(snap.now))) }</span>
                        </li>
                    }) }
                </ul>
            }
            if !recent_failed.is_empty() {
                <ul class="ops">
                    { for recent_failed.iter().map(|o| html! {
                        <li><span class="pill bad">{ "Failed" }</span>{ " " }{ &o.label }<span class="muted small">{ format!(": {}", o.error.clone().unwrap_or_default()) }</span></li>
                    }) }
                </ul>
            }
        </section>
    }
}

/// On a phone the side panels sit under the main view, thousands of pixels down: a bar of links
/// to them (hidden on wide screens, where the panels are beside the main view).
#[function_component(JumpBar)]
pub fn jump_bar() -> Html {
    let jump = |selector: &'static str| {
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.query_selector(selector).ok().flatten())
            {
                el.scroll_into_view();
            }
        })
    };
    html! {
        <nav class="jump-bar" aria-label="Jump to a panel" data-testid="jump-bar">
            <a href="#clock-panel" onclick={jump("#clock-panel")}>{ "Clock" }</a>
            <a href="#main-panel" onclick={jump(".main")}>{ "Tabs" }</a>
            <a href="#cluster-panel" onclick={jump("#cluster-panel")}>{ "Cluster" }</a>
            <a href="#keys-panel" onclick={jump("#keys-panel")}>{ "Keys" }</a>
        </nav>
    }
}
