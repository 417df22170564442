//! The guided walkthroughs: a stepper over the Azure Monitor document's five provisioning steps,
//! over the Microsoft Sentinel document's five steps, or over Customer Lockbox's six, each with its
//! reason, its editable requests (and, for Lockbox, the playground's controls), its status and the
//! mistakes worth making on purpose.

use yew::prelude::*;

use super::panels::{access_badge, sentinel_badge};
use super::response::ResponseView;
use super::state::{Action, Tab};
use super::util::{event_value, is_send_shortcut, no_newline, short, url_rows};
use super::{AppCtx, wcx};
use crate::engine::clock;
use crate::lockbox_walkthrough::{self as lw, LCard};
use crate::protocol::Command;
use crate::sentinel_walkthrough as sw;
use crate::walkthrough::{self as wt, Card, Draft, Guide, Status};

fn status_class(s: &Status) -> &'static str {
    match s {
        Status::Todo(_) => "todo",
        Status::Running(_) => "running",
        Status::Done(_) => "done",
        Status::Warning(_) => "warning",
    }
}

/// The stepper's badge: the step's number until there is something to say about it.
fn status_icon(s: &Status, n: usize) -> String {
    match s {
        Status::Todo(_) => n.to_string(),
        Status::Running(_) => "◔".into(),
        Status::Done(_) => "✓".into(),
        Status::Warning(_) => "!".into(),
    }
}

/// Said by screen readers, and the only text on a phone, where the titles are hidden.
fn status_word(s: &Status) -> &'static str {
    match s {
        Status::Todo(_) => "to do",
        Status::Running(_) => "in progress",
        Status::Done(_) => "done",
        Status::Warning(_) => "needs attention",
    }
}

/// The two walkthroughs, one switch: Azure Monitor's provisioning, and Microsoft Sentinel's steps
/// on top of it.
#[function_component(Walkthrough)]
pub fn walkthrough() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let current = app.state.guide;
    let switch = Guide::all().map(|g| {
        let app = app.clone();
        let on = g == current;
        let onclick = Callback::from(move |_| app.dispatch(Action::Guide(g)));
        html! {
            <button class={classes!("guide", on.then_some("on"))} aria-pressed={on.to_string()} {onclick}
                id={format!("guide-{}", g.id())} data-guide={g.id()}>
                { g.label() }
            </button>
        }
    });
    html! {
        <div class="walkthrough">
            <div class="guide-switch" role="group" aria-label="Walkthrough">
                { for switch }
                <span class="muted small guide-note">
                    { match current {
                        Guide::Monitor => "Provision a dedicated cluster with your key, step by step.",
                        Guide::Sentinel => "Microsoft Sentinel on a workspace of that cluster: its data under the same key.",
                        Guide::Lockbox => "Control Microsoft's access with Lockbox: approve or deny a Microsoft engineer's access to that workspace's data.",
                        Guide::Byos => "Protect saved queries and alerts with your key: saved searches and log alert queries in your own storage account.",
                    } }
                </span>
            </div>
            <Steps guide={current} />
        </div>
    }
}

fn step_action(guide: Guide, n: usize) -> Action {
    match guide {
        Guide::Monitor => Action::Step(n),
        Guide::Sentinel => Action::SentinelStep(n),
        Guide::Lockbox => Action::LockboxStep(n),
        Guide::Byos => Action::ByosStep(n),
    }
}

#[derive(Properties, PartialEq)]
struct StepsProps {
    guide: Guide,
}

#[function_component(Steps)]
fn steps(p: &StepsProps) -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let st = &app.state;
    let guide = p.guide;
    let steps = guide.steps();
    let current = match guide {
        Guide::Monitor => st.step,
        Guide::Sentinel => st.sentinel_step,
        Guide::Lockbox => st.lockbox_step,
        Guide::Byos => st.byos_step,
    }
    .clamp(1, steps.len());
    let cx = wcx(&st.snap, &st.settings);
    let statuses: Vec<Status> = steps.iter().map(|s| guide.status(s.number, &cx)).collect();
    let step = &steps[current - 1];
    let status = &statuses[current - 1];
    let id_prefix = match guide {
        Guide::Monitor => "step",
        Guide::Sentinel => "sentinel-step",
        Guide::Lockbox => "lockbox-step",
        Guide::Byos => "byos-step",
    };

    let stepper = steps.iter().zip(&statuses).map(|(s, status)| {
        let app = app.clone();
        let n = s.number;
        let on = current == n;
        let onclick = Callback::from(move |_| app.dispatch(step_action(guide, n)));
        html! {
            <li>
                <button class={classes!("stepper-item", status_class(status), on.then_some("current"))}
                    aria-current={if on { "step" } else { "false" }} {onclick}
                    aria-label={format!("Step {n}: {} ({})", s.title, status_word(status))}
                    title={format!("Step {n}: {}", s.title)}
                    id={format!("{id_prefix}-{n}")}>
                    <span class="stepper-icon" aria-hidden="true">{ status_icon(status, n) }</span>
                    <span class="stepper-text"><span class="stepper-n">{ format!("Step {n}") }</span>{ s.title }</span>
                </button>
            </li>
        }
    });

    let go = |delta: isize| {
        let app = app.clone();
        let target = (current as isize + delta).clamp(1, steps.len() as isize) as usize;
        Callback::from(move |_| app.dispatch(step_action(guide, target)))
    };
    let pin = st.settings.pin_version;
    let toggle_pin = {
        let app = app.clone();
        Callback::from(move |_| app.dispatch(Action::PinVersion(!pin)))
    };
    let mistakes = step.mistakes.iter().map(|m| {
        let app = app.clone();
        let m = *m;
        let onclick = Callback::from(move |_| {
            let st = &app.state;
            let draft = m.draft(&wcx(&st.snap, &st.settings));
            app.dispatch(Action::Mistake(m, draft));
            // A mistake may load a later step's request: show that step.
            if let Some(n) = guide.step_of(m.card()).filter(|n| *n != current) {
                app.dispatch(step_action(guide, n));
            }
        });
        html! {
            <li>
                <button class="link" {onclick}>{ m.label() }</button>
                <span class="muted small">{ " " }{ m.expect() }</span>
            </li>
        }
    });
    let extra = match (guide, step.number) {
        (Guide::Monitor, 4) => html! {
            <label class="toggle">
                <input type="checkbox" checked={pin} onchange={toggle_pin} />
                { " Pin the current key version (explicit key version update) instead of auto-rotation" }
            </label>
        },
        (Guide::Sentinel, 1) => monitor_link(&app, &cx, status),
        (Guide::Sentinel, 5) => store_summary(&cx),
        (Guide::Lockbox, 1) => html! {
            <>
                if status.is_done() || sw::monitor_step_to_finish(&cx).is_some() {
                    { monitor_link(&app, &cx, status) }
                }
                { records_button(&app, &cx) }
            </>
        },
        (Guide::Byos, 1) => monitor_link(&app, &cx, status),
        (Guide::Byos, n) => super::byos::extra(&cx, n),
        _ => html! {},
    };
    // After the cards: what they did (Lockbox's requests, reads and audit entries).
    let after = match (guide, step.number) {
        (Guide::Lockbox, n) if n >= 3 => lockbox_panel(&app, &cx),
        _ => html! {},
    };

    html! {
        <>
            <ol class="stepper" data-steps={steps.len().to_string()} aria-label={match guide { Guide::Monitor => "Provisioning steps", Guide::Sentinel => "Microsoft Sentinel CMK steps", Guide::Byos => "Saved queries and alerts CMK steps", Guide::Lockbox => "Customer Lockbox steps" }}>{ for stepper }</ol>
            <article class="step" aria-labelledby="step-title" data-guide={guide.id()}>
                <header class="step-head">
                    <p class="eyebrow">{ format!("{}Step {} of {}", match guide { Guide::Monitor => "", Guide::Sentinel => "Microsoft Sentinel · ", Guide::Byos => "Saved queries and alerts · ", Guide::Lockbox => "Customer Lockbox · " }, step.number, steps.len()) }</p>
                    <h2 id="step-title">{ step.title }</h2>
                    <p class={classes!("status-line", status_class(status))} data-testid="step-status">
                        <span aria-hidden="true">{ if matches!(status, wt::Status::Todo(_)) { "○".to_string() } else { status_icon(status, 0) } }</span>{ " " }{ status.text() }
                    </p>
                </header>
                if app.embed {
                    // In an embed the reader came for the request: the reason is one click away.
                    <details class="why-details">
                        <summary>{ "Why: the document's words" }</summary>
                        { quote(step) }
                    </details>
                } else {
                    { quote(step) }
                }
                { extra }
                { for step.cards.iter().enumerate().map(|(i, c)| if c.is_control() {
                    html! { <ControlCard card={*c} index={i + 1} step={step.number} /> }
                } else {
                    html! { <RequestCard card={*c} index={i + 1} step={step.number} {guide} /> }
                }) }
                { after }
                <section class="watch">
                    <h3>{ "What to watch" }</h3>
                    <p>{ step.watch.get() }</p>
                </section>
                if !step.mistakes.is_empty() {
                    <section class="mistakes">
                        if guide == Guide::Lockbox {
                            <h3>{ "Other ways to decide" }</h3>
                            <p class="muted small">{ "Loads the card with the other request; send it and see the service's real answer. \"Reset\" restores the approval." }</p>
                        } else {
                            <h3>{ "Get it wrong on purpose" }</h3>
                            <p class="muted small">{ "Loads the request with the mistake made; send it and see the service's real answer. \"Reset\" restores the correct request." }</p>
                        }
                        <ul>{ for mistakes }</ul>
                    </section>
                }
                if current == steps.len() && status.is_done() {
                    { what_next(&app, guide) }
                }
                <nav class="step-nav" aria-label="Step navigation">
                    <button class="secondary" onclick={go(-1)} disabled={current == 1}>{ "← Previous step" }</button>
                    <button class={if status.is_done() { "primary" } else { "secondary" }} onclick={go(1)} disabled={current == steps.len()}>
                        { "Next step →" }
                    </button>
                </nav>
            </article>
        </>
    }
}

fn quote(step: &wt::Step) -> Html {
    html! {
        <blockquote class="why">
            { for step.why.get().split("\n\n").map(|para| html! { <p>{ para }</p> }) }
            <footer>{ step.source }</footer>
        </blockquote>
    }
}

/// The end of a walkthrough: where to go from a provisioned world.
fn what_next(app: &AppCtx, guide: Guide) -> Html {
    let go = |tab: Tab, then: Option<Guide>| {
        let app = app.clone();
        Callback::from(move |_| {
            if let Some(g) = then {
                app.dispatch(Action::Guide(g));
            }
            app.dispatch(Action::Tab(tab));
        })
    };
    html! {
        <section class="what-next" aria-labelledby="what-next-title" data-testid="what-next">
            <h3 id="what-next-title">{ "What next" }</h3>
            <ul>
                <li>
                    <button class="link" onclick={go(Tab::Logs, None)}>{ "Send logs and query them" }</button>
                    <span class="muted small">{ " — switch on simulated machines or post your own records, then run KQL: new data is under your key." }</span>
                </li>
                <li>
                    <button class="link" onclick={go(Tab::Drills, None)}>{ "Rehearse a revocation, a rotation or an outage" }</button>
                    <span class="muted small">{ " — the guided drills pull a lever and check the outcome against the documentation." }</span>
                </li>
                if guide == Guide::Monitor {
                    <li>
                        <button class="link" onclick={go(Tab::Walkthrough, Some(Guide::Sentinel))}>{ "Onboard Microsoft Sentinel with the same key" }</button>
                        <span class="muted small">{ " — the Microsoft Sentinel CMK walkthrough starts from this cluster and workspace." }</span>
                    </li>
                    <li>
                        <button class="link" onclick={go(Tab::Walkthrough, Some(Guide::Byos))}>{ "Protect saved queries and alerts with your key" }</button>
                        <span class="muted small">{ " — keep the workspace's saved searches and log alert queries in your own storage account." }</span>
                    </li>
                }
                if guide != Guide::Lockbox {
                    <li>
                        <button class="link" onclick={go(Tab::Walkthrough, Some(Guide::Lockbox))}>{ "Control Microsoft's access with Lockbox" }</button>
                        <span class="muted small">{ " — approve a support engineer's request, watch the reads, and see your key stop them." }</span>
                    </li>
                }
            </ul>
        </section>
    }
}

/// Lockbox's step 1 needs rows for the engineer to read: once the Azure Monitor walkthrough is
/// done, offer the drills' 20 records (HTTP Data Collector API).
fn records_button(app: &AppCtx, cx: &wt::Context) -> Html {
    if sw::monitor_step_to_finish(cx).is_some() || lw::rows(cx) > 0 {
        return html! {};
    }
    let cmd = crate::drills::ingest(cx, "before", crate::drills::SETUP_ROWS);
    let app = app.clone();
    let busy = app.state.busy.is_some();
    let onclick = Callback::from(move |_| {
        app.runner
            .run(cmd.clone(), "Lockbox step 1 · 20 records", None)
    });
    html! {
        <div class="row wrap go-monitor">
            <button class="primary" {onclick} disabled={busy} data-testid="lockbox-records">
                { format!("Send {} records to the workspace (HTTP Data Collector API)", crate::drills::SETUP_ROWS) }
            </button>
        </div>
    }
}

/// Steps 3 to 6: the workspace's Lockbox requests, the engineer's reads and refused reads on the
/// timeline, and the Key Vault audit entries of the cluster's identity that those reads rely on.
fn lockbox_panel(app: &AppCtx, cx: &wt::Context) -> Html {
    let reqs = lw::requests(cx);
    if reqs.is_empty() {
        return html! {};
    }
    let rows = reqs.iter().rev().map(|r| {
        let when = match r.status.as_str() {
            "Pending" => format!("expires {}", clock::human(r.expires)),
            "Approved" => format!("access ends {}", clock::human(r.expires)),
            "Completed" => format!("access ended {}", clock::human(r.expires)),
            "Expired" => format!("expired {}", clock::human(r.expires)),
            _ => r
                .decided
                .map(|t| format!("decided {}", clock::human(t)))
                .unwrap_or_default(),
        };
        let pill = match r.status.as_str() {
            "Approved" => "ok",
            "Pending" => "running",
            "Denied" | "Expired" => "warn",
            _ => "neutral",
        };
        html! {
            <tr data-lockbox-status={r.status.clone()}>
                <td><code>{ short(&r.request_id) }</code></td>
                <td><span class={classes!("pill", pill)}>{ &r.status }</span></td>
                <td class="small">{ when }</td>
                <td class="small" data-testid="lockbox-reads">
                    { format!("{} read(s)", r.reads) }
                    if r.refused_reads > 0 {
                        <span class="bad-text">{ format!(", {} refused", r.refused_reads) }</span>
                    }
                </td>
            </tr>
        }
    });
    // The request whose reads to show: the approved one, else the last that was.
    let shown = lw::latest(cx, "Approved").or_else(|| lw::latest(cx, "Completed"));
    let reads = shown.map(|r| lw::reads(cx, &r.id)).unwrap_or_default();
    // The timeline names the workspace by its ARM id; the panel by its name.
    let shown_ws = shown.map(|r| r.workspace.clone()).unwrap_or_default();
    let audit = shown.and_then(|r| r.decided).map(|from| {
        let (used, refused) = lw::cluster_key_use(cx, from);
        let ok: u64 = used.iter().map(|a| a.count).sum();
        let bad: u64 = refused.iter().map(|a| a.count).sum();
        (ok, bad)
    });
    let to_audit = {
        let app = app.clone();
        Callback::from(move |_| app.dispatch(Action::Tab(Tab::Audit)))
    };
    let to_timeline = {
        let app = app.clone();
        Callback::from(move |_| app.dispatch(Action::Tab(Tab::Timeline)))
    };
    html! {
        <section class="store-summary lockbox-panel" aria-labelledby="lockbox-panel-title" data-testid="lockbox-panel">
            <h3 id="lockbox-panel-title">{ format!("Lockbox requests for workspace {}", cx.settings.workspace) }</h3>
            <div class="table-wrap">
                <table>
                    <thead><tr><th>{ "Request" }</th><th>{ "Status" }</th><th>{ "When" }</th><th>{ "Engineer's reads" }</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            if !reads.is_empty() {
                <h4 class="small">{ "The engineer's reads (timeline)" }</h4>
                <ul class="lockbox-reads small" data-testid="lockbox-read-list">
                    { for reads.iter().rev().take(4).map(|e| html! {
                        <li class={classes!(e.alert.then_some("bad-text"))}>
                            <span class="muted">{ clock::human(e.time) }{ " · " }</span>
                            { e.text.trim_start_matches("Lockbox access: ").replace(&shown_ws, &cx.settings.workspace) }
                        </li>
                    }) }
                    if reads.len() > 4 {
                        <li class="muted">{ format!("… and {} earlier", reads.len() - 4) }</li>
                    }
                </ul>
            }
            if let Some((ok, bad)) = audit {
                <p class="small" data-testid="lockbox-audit">
                    { format!("Key Vault's audit log since the approval: {ok} unwrapKey call(s) by the cluster's identity succeeded, {bad} refused. The engineer reads through the cluster's storage, whose AEK your key wraps: those calls are what keep it readable, and a revoked key stops the engineer too.") }
                </p>
            }
            <div class="row wrap">
                <button class="link small" onclick={to_timeline}>{ "Open the timeline" }</button>
                <button class="link small" onclick={to_audit}>{ "Open Key Vault's audit log" }</button>
            </div>
        </section>
    }
}

/// Sentinel's step 1 is the Azure Monitor walkthrough: say so, and offer to go there.
fn monitor_link(app: &AppCtx, cx: &wt::Context, status: &Status) -> Html {
    let target = sw::monitor_step_to_finish(cx);
    let go = {
        let app = app.clone();
        let n = target.unwrap_or(1);
        Callback::from(move |_| {
            app.dispatch(Action::Step(n));
            app.dispatch(Action::Guide(Guide::Monitor));
        })
    };
    html! {
        <div class="row wrap go-monitor">
            if status.is_done() {
                <span class="muted small">{ "The Azure Monitor walkthrough built this cluster and workspace." }</span>
            } else {
                <button class="primary" onclick={go} data-testid="go-monitor">
                    { match target {
                        Some(n) => format!("Open the Azure Monitor walkthrough at step {n}"),
                        None => "Open the Azure Monitor walkthrough".to_string(),
                    } }
                </button>
            }
        </div>
    }
}

/// Step 5: Sentinel's store as the snapshot shows it, beside the onboarding state.
fn store_summary(cx: &wt::Context) -> Html {
    let (Some(s), Some(a)) = (sw::sentinel(cx), sw::store(cx)) else {
        return html! {};
    };
    let key = a
        .key
        .as_ref()
        .map(|k| {
            format!(
                "{}/keys/{} · version {}",
                k.vault,
                k.key_name,
                short(&k.key_version)
            )
        })
        .unwrap_or_else(|| "a Microsoft-managed key".into());
    html! {
        <section class="store-summary" aria-labelledby="store-title" data-testid="sentinel-store">
            <h3 id="store-title">{ "Microsoft Sentinel's store" }</h3>
            <dl class="facts">
                <dt>{ "Workspace" }</dt><dd>{ &s.workspace }{ " " }{ sentinel_badge(s) }</dd>
                <dt>{ "Store" }</dt><dd><code>{ &a.name }</code></dd>
                <dt>{ "AEK wrapped by" }</dt><dd>{ key }</dd>
                <dt>{ "Unwrapped by" }</dt><dd>{ a.principal.clone().unwrap_or_else(|| "Microsoft (no Key Vault call)".into()) }</dd>
                <dt>{ "Access" }</dt><dd>{ access_badge(&a.access) }</dd>
                <dt>{ "Content" }</dt>
                <dd>{ format!("{} watchlist(s), {} analytics rule(s), {} incident(s)", s.watchlists.len(), s.rules.len(), s.incidents) }</dd>
            </dl>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct CardProps {
    pub card: Card,
    pub index: usize,
    pub step: usize,
    #[prop_or_default]
    pub guide: Guide,
}

#[function_component(RequestCard)]
pub fn request_card(p: &CardProps) -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let st = &app.state;
    let card = p.card;
    let template = wt::draft(card, &wcx(&st.snap, &st.settings));
    let (draft, mistake) = match st.edits.get(&card) {
        Some((d, m)) => (d.clone(), *m),
        None => (template.clone(), None),
    };
    let edited = draft != template;
    let busy = st.busy.is_some();
    let source = match p.guide {
        Guide::Monitor => format!("Step {} · {}", p.step, card.title()),
        Guide::Sentinel => format!("Sentinel step {} · {}", p.step, card.title()),
        Guide::Lockbox => format!("Lockbox step {} · {}", p.step, card.title()),
        Guide::Byos => format!("Queries step {} · {}", p.step, card.title()),
    };
    let send = {
        let app = app.clone();
        let draft = draft.clone();
        let source = source.clone();
        move || {
            let body = (!draft.body.trim().is_empty()).then_some(draft.body.as_str());
            app.runner.run(
                Command::request(&draft.method, &draft.url, body),
                source.clone(),
                Some(card),
            );
        }
    };
    let on_send = {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send())
    };
    let on_keys = {
        let send = send.clone();
        Callback::from(move |e: KeyboardEvent| {
            if is_send_shortcut(&e) && !busy {
                e.prevent_default();
                send();
            }
        })
    };
    let edit = |field: fn(&mut Draft, String)| {
        let app = app.clone();
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            let mut d = draft.clone();
            field(&mut d, event_value(&e));
            app.dispatch(Action::Edit(card, d));
        })
    };
    let on_method = {
        let app = app.clone();
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let mut d = draft.clone();
            d.method = event_value(&e);
            app.dispatch(Action::Edit(card, d));
        })
    };
    let reset = {
        let app = app.clone();
        Callback::from(move |_| app.dispatch(Action::Reset(card)))
    };
    let last = st.last.get(&card).and_then(|i| st.history.get(*i)).cloned();
    let id = card.id();
    let rows = draft.body.lines().count().clamp(3, 22);
    html! {
        <section class={classes!("card", mistake.is_some().then_some("mistake"))} data-card={id} aria-labelledby={format!("card-{id}")}>
            <header class="card-head">
                <h3 id={format!("card-{id}")}><span class="card-n">{ p.index }</span>{ card.title() }</h3>
                if let Some(x) = &last {
                    <span class={classes!("pill", if x.response.status < 300 { "ok" } else { "bad" })}>{ x.response.status }</span>
                }
            </header>
            if let Some(m) = mistake {
                <p class="mistake-note" role="note">{ format!("{}: {}. {}", if matches!(m, wt::Mistake::Lockbox(_)) { "Loaded" } else { "Mistake loaded" }, m.label(), m.expect()) }</p>
            }
            <div class="request-line" onkeydown={on_keys.clone()}>
                <label class="sr-only" for={format!("{id}-method")}>{ "Method" }</label>
                <select id={format!("{id}-method")} class="method" onchange={on_method}>
                    { for ["GET", "PUT", "POST", "PATCH", "DELETE"].iter().map(|m| html! { <option value={*m} selected={draft.method == *m}>{ m }</option> }) }
                </select>
                <label class="sr-only" for={format!("{id}-url")}>{ "URL" }</label>
                <textarea id={format!("{id}-url")} class="url" spellcheck="false" rows={url_rows(&draft.url)} value={draft.url.clone()}
                    oninput={edit(|d, v| d.url = v)} onkeydown={no_newline()} />
            </div>
            if !draft.body.is_empty() || draft.method != "GET" {
                <label class="sr-only" for={format!("{id}-body")}>{ "Body" }</label>
                <textarea id={format!("{id}-body")} class="body" spellcheck="false" rows={rows.to_string()}
                    value={draft.body.clone()} oninput={edit(|d, v| d.body = v)} onkeydown={on_keys} />
            }
            if let Some((az, ps, note)) = wt::as_cli(card, &wcx(&st.snap, &st.settings)) {
                <details class="as-cli" data-testid="as-cli">
                    <summary>{ "The same step in the Azure CLI and Azure PowerShell" }</summary>
                    <p class="small muted">{ "The az and PowerShell consoles run these lines as written." }
                        if let Some(n) = note { { " " }{ n } }
                    </p>
                    <p class="small"><strong>{ "az" }</strong></p>
                    <pre class="cli" data-dialect="az">{ az }</pre>
                    <p class="small"><strong>{ "Azure PowerShell" }</strong></p>
                    <pre class="cli" data-dialect="pwsh">{ ps }</pre>
                </details>
            }
            if let Some(w) = wt::replace_warning(card, &draft, &wcx(&st.snap, &st.settings)) {
                <p class="warning small" role="note" data-testid="replace-warning">{ w }</p>
            }
            <div class="row">
                <button class="primary" onclick={on_send} disabled={busy} data-send={id}>
                    { "Send" }<kbd>{ "Ctrl+Enter" }</kbd>
                </button>
                if edited {
                    <button class="secondary" onclick={reset}>{ if p.guide == Guide::Lockbox { "Reset to the approval" } else { "Reset to the correct request" } }</button>
                }
            </div>
            if let Some(x) = last {
                <ResponseView exchange={x} />
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ControlProps {
    pub card: Card,
    pub index: usize,
    pub step: usize,
}

/// A playground control in a walkthrough (Lockbox): not an Azure request, and labelled so. It
/// sends the command [`wt::command`] builds, journaled like any other.
#[function_component(ControlCard)]
pub fn control_card(p: &ControlProps) -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let st = &app.state;
    let card = p.card;
    let cx = wcx(&st.snap, &st.settings);
    let Card::Lockbox(lc) = card else {
        return html! {};
    };
    let cmd = wt::command(card, &cx);
    let busy = st.busy.is_some();
    let label = match (lc, &cmd) {
        (LCard::Ask | LCard::AskAgain, _) => "Ask, as the engineer".to_string(),
        (_, Command::Advance { seconds }) => format!("Fast-forward {}", clock::duration(*seconds)),
        _ => "Run".to_string(),
    };
    let source = format!(
        "Lockbox step {} · {} (playground control)",
        p.step,
        card.title()
    );
    let onclick = {
        let app = app.clone();
        Callback::from(move |_| app.runner.run(cmd.clone(), source.clone(), Some(card)))
    };
    let id = card.id();
    html! {
        <section class="card control" data-card={id} aria-labelledby={format!("card-{id}")}>
            <header class="card-head">
                <h3 id={format!("card-{id}")}><span class="card-n">{ p.index }</span>{ card.title() }</h3>
                <span class="pill neutral" title="Not an Azure API: the playground stands in for Microsoft's side or for time">{ "Playground control" }</span>
            </header>
            <p class="small">{ lw::describe_control(lc, &cx) }</p>
            <div class="row">
                <button class="primary" {onclick} disabled={busy} data-send={id}>{ label }</button>
            </div>
        </section>
    }
}
