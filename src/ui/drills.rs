//! Levers and drills: one-click changes to the key, its permissions, the cluster's identity and
//! Key Vault's availability, and the guided drills that check the outcome against the seeds.

use std::rc::Rc;

use yew::prelude::*;

use super::state::Action;
use super::util::{event_value, short};
use super::{AppCtx, wcx};
use crate::drills::{self, DRILLS, DrillId, Driver, Lever, Next};
use crate::engine::Snapshot;
use crate::engine::clock;
use crate::engine::storage::access::Outage;
use crate::protocol::Command;
use serde_json::json;

/// Runs the driver's commands one after another until its stage is over (or every stage, with
/// `all`), filing each reply in the page's state on the way.
fn drive(app: AppCtx, mut d: Driver, snap: Rc<Snapshot>, all: bool) {
    if d.at_stage_start() {
        // Where the stage begins in the session's journal, for "Restart this stage" (the
        // set-up's Reset empties the journal, so its stage begins at 0).
        let len = if d.stage == 0 {
            0
        } else {
            app.runner.session().map_or(0, |s| s.commands())
        };
        app.dispatch(Action::DrillMark(d.stage, len));
    }
    match d.next(&snap) {
        Next::Send(cmd) => {
            let source = super::session::drill_source(&d);
            app.dispatch(Action::Drill(Some(d.clone())));
            let next = app.clone();
            app.runner.run_then(cmd, source, None, move |reply| {
                d.record(reply);
                drive(next, d, Rc::new(reply.snapshot.clone()), all);
            });
        }
        Next::StageDone => {
            let more = all && !d.finished() && d.passed();
            app.dispatch(Action::Drill(Some(d.clone())));
            if more {
                drive(app, d, snap, all);
            }
        }
        Next::Stuck(why) => {
            app.dispatch(Action::Drill(Some(d)));
            app.dispatch(Action::Notice(Some(why)));
        }
    }
}

fn outage_value(o: Option<Outage>) -> &'static str {
    match o {
        None => "none",
        Some(Outage::Timeout) => "timeout",
        Some(Outage::ConnectionFailure) => "connection",
        Some(Outage::Dns) => "dns",
    }
}

fn parse_outage(v: &str) -> Option<Outage> {
    match v {
        "timeout" => Some(Outage::Timeout),
        "connection" => Some(Outage::ConnectionFailure),
        "dns" => Some(Outage::Dns),
        _ => None,
    }
}

#[function_component(Levers)]
fn levers() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let st = &app.state;
    let busy = st.busy.is_some();
    let cx = wcx(&st.snap, &st.settings);
    let buttons = Lever::all().map(|lever| {
        let cmd = lever.command(&cx);
        let title = match &cmd {
            Ok(c) => drills::describe(c),
            Err(e) => e.clone(),
        };
        let disabled = busy || cmd.is_err();
        let app = app.clone();
        let onclick = Callback::from(move |_| {
            if let Ok(c) = cmd.clone() {
                app.runner.run(c, format!("Lever · {}", lever.label()), None);
            }
        });
        html! {
            <li>
                <button class="secondary" {onclick} {disabled} {title} data-lever={format!("{lever:?}")}>{ lever.label() }</button>
                <span class="muted small">{ lever.effect() }</span>
            </li>
        }
    });
    let vault = cx.vault().map(|v| (v.name.clone(), v.outage.clone()));
    let outage = {
        let app = app.clone();
        let name = vault.as_ref().map(|(n, _)| n.clone()).unwrap_or_default();
        Callback::from(move |e: Event| {
            let value = event_value(&e);
            app.runner.run(
                Command::KeyVaultOutage {
                    vault: name.clone(),
                    outage: parse_outage(&value),
                },
                "Key Vault availability",
                None,
            );
        })
    };
    let current = vault.as_ref().and_then(|(_, o)| o.clone());
    let selected = |o: Option<Outage>| {
        current.as_deref() == o.map(|o| o.describe()) || (o.is_none() && current.is_none())
    };
    let last = st.history.last().filter(|x| x.source.starts_with("Lever"));
    html! {
        <section class="levers" aria-labelledby="levers-title">
            <h3 id="levers-title">{ "Or pull a lever yourself" }</h3>
            <p class="muted small">{ "Each button sends one REST request (shown on hover; the response lands in the REST console's history). Then fast-forward the clock and watch the timeline, the badges and the key hierarchy." }</p>
            <ul class="lever-list">{ for buttons }</ul>
            <div class="row wrap outage">
                <label for="kv-outage">{ "Key Vault availability" }</label>
                <select id="kv-outage" onchange={outage} disabled={busy || vault.is_none()} data-testid="kv-outage">
                    { for [None, Some(Outage::Timeout), Some(Outage::ConnectionFailure), Some(Outage::Dns)].into_iter().map(|o| html! {
                        <option value={outage_value(o)} selected={selected(o)}>
                            { match o { None => "Healthy".to_string(), Some(o) => format!("Outage: {}", o.describe()) } }
                        </option>
                    }) }
                </select>
            </div>
            if let Some(x) = last {
                <p class="small" data-testid="lever-result">
                    <span class={classes!("pill", if x.response.status < 300 { "ok" } else { "bad" })}>{ x.response.status }</span>
                    { format!(" {} {}", x.method, x.url.split('?').next().unwrap_or("")) }
                    if x.response.status >= 400 {
                        <span class="muted">{ format!(" — {}", x.response.body["error"]["message"].as_str().unwrap_or("")) }</span>
                    }
                </p>
            }
        </section>
    }
}

const LOCKBOX_API: &str = "api-version=2018-02-28-preview";

/// Customer Lockbox: the tenant's opt-in and the requests' approval are REST calls to
/// Microsoft.CustomerLockbox; the support engineer's request is the playground's own control
/// (Azure has no API for it: it comes from a support case), and the page says so.
#[function_component(Lockbox)]
fn lockbox() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let st = &app.state;
    let busy = st.busy.is_some();
    let cx = wcx(&st.snap, &st.settings);
    let lb = &st.snap.lockbox;
    let arm = "https://management.azure.com";
    let opt = {
        let runner = app.runner.clone();
        let verb = if lb.opted_in {
            "disableLockbox"
        } else {
            "enableLockbox"
        };
        Callback::from(move |_| {
            runner.run(
                Command::request(
                    "POST",
                    &format!("{arm}/providers/Microsoft.CustomerLockbox/{verb}?{LOCKBOX_API}"),
                    None,
                ),
                "Lockbox",
                None,
            )
        })
    };
    let workspace = cx.workspace().map(|w| (w.id.clone(), w.name.clone()));
    let ask = {
        let runner = app.runner.clone();
        let id = workspace
            .as_ref()
            .map(|(id, _)| id.clone())
            .unwrap_or_default();
        Callback::from(move |_| {
            runner.run(
                Command::SupportAccessRequest {
                    workspace: id.clone(),
                },
                "Lockbox · support engineer (playground control)",
                None,
            )
        })
    };
    let decide = |id: &str, status: &'static str| {
        let runner = app.runner.clone();
        let url = format!("{arm}{id}/updateApproval?{LOCKBOX_API}");
        Callback::from(move |_| {
            let body = json!({ "status": status, "reason": "Decided in the CMK playground" });
            runner.run(
                Command::request("POST", &url, Some(&body.to_string())),
                "Lockbox",
                None,
            )
        })
    };
    let rows = lb.requests.iter().rev().map(|r| {
        let pending = r.status == "Pending";
        html! {
            <tr data-lockbox={r.status.clone()}>
                <td><code>{ short(&r.request_id) }</code></td>
                <td>{ &r.status }</td>
                <td class="small">{ match r.status.as_str() {
                    "Pending" => format!("expires {}", clock::human(r.expires)),
                    "Approved" => format!("access ends {}", clock::human(r.expires)),
                    _ => r.decided.map(clock::human).unwrap_or_default(),
                } }</td>
                <td class="small">{ format!("{} read(s), {} refused", r.reads, r.refused_reads) }</td>
                <td>
                    if pending {
                        <button class="secondary small" onclick={decide(&r.id, "Approve")} disabled={busy} data-testid="lockbox-approve">{ "Approve" }</button>
                        { " " }
                        <button class="secondary small" onclick={decide(&r.id, "Deny")} disabled={busy} data-testid="lockbox-deny">{ "Deny" }</button>
                    }
                </td>
            </tr>
        }
    });
    html! {
        <section class="levers lockbox" aria-labelledby="lockbox-title" data-testid="lockbox">
            <h3 id="lockbox-title">{ "Customer Lockbox (preview)" }</h3>
            <blockquote class="promise small">
                <p>{ "Lockbox gives you the control to approve or reject Microsoft engineer request to access your data during a support request. In Azure Monitor, you have this control on data in workspaces linked to your Log Analytics dedicated cluster." }</p>
                <footer class="muted">{ "Azure Monitor customer-managed key, \"Customer Lockbox (preview)\"" }</footer>
            </blockquote>
            <div class="row wrap">
                <button class="secondary" onclick={opt} disabled={busy} data-testid="lockbox-opt">
                    { if lb.opted_in { "Opt the tenant out (POST disableLockbox)" } else { "Opt the tenant in (POST enableLockbox)" } }
                </button>
                <button class="secondary" onclick={ask} disabled={busy || workspace.is_none()} data-testid="lockbox-ask"
                    title="A playground control, not an Azure API: in Azure the request comes from a support case">
                    { format!("A Microsoft support engineer asks for access to {}", workspace.as_ref().map(|(_, n)| n.as_str()).unwrap_or("the workspace")) }
                </button>
            </div>
            <p class="muted small">{ "The engineer's request is the playground's stand-in for a support case (Azure has no API for it). Approving or denying sends the real POST …/requests/{id}/updateApproval as the signed-in user (Owner, or the Azure Customer Lockbox Approver for Subscription role). A request waits four days, then expires; an approval gives eight hours of access, during which the engineer's reads go through the cluster's storage, so a revoked key stops them too. The timeline shows each step." }</p>
            if !lb.requests.is_empty() {
                <div class="table-wrap">
                    <table>
                        <thead><tr><th>{ "Request" }</th><th>{ "Status" }</th><th>{ "When" }</th><th>{ "Reads" }</th><th></th></tr></thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                </div>
            }
        </section>
    }
}

#[function_component(Drills)]
pub fn drills_tab() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let st = &app.state;
    let busy = st.busy.is_some();
    let chosen = use_state(|| {
        st.drill
            .as_ref()
            .map(|d| d.drill)
            .unwrap_or(DrillId::RevokeRecover)
    });
    let confirming = use_state(|| None::<bool>);
    let active = st.drill.as_ref().filter(|d| d.drill == *chosen).cloned();
    let spec = drills::drill(*chosen);

    let picker = DRILLS.iter().map(|d| {
        let chosen = chosen.clone();
        let confirming = confirming.clone();
        let id = d.id;
        let on = *chosen == id;
        let onclick = Callback::from(move |_| {
            chosen.set(id);
            confirming.set(None);
        });
        html! {
            <li>
                <button class={classes!("drill-pick", on.then_some("on"))} aria-pressed={on.to_string()} {onclick} data-drill={d.slug}>
                    <strong>{ d.title }</strong>
                    <span class="muted small">{ d.summary.get() }</span>
                </button>
            </li>
        }
    });

    let start = |all: bool| {
        let app = app.clone();
        let confirming = confirming.clone();
        let active = active.clone();
        let id = *chosen;
        Callback::from(move |_| {
            let fresh = active.as_ref().is_none_or(|d| d.finished() || d.stage == 0);
            // Starting over replaces the session: ask once if there is work to lose.
            if fresh && confirming.is_none() && !app.state.history.is_empty() {
                confirming.set(Some(all));
                return;
            }
            confirming.set(None);
            let d = match &active {
                Some(d) if !d.finished() && d.stage > 0 => (**d).clone(),
                _ => Driver::new(id),
            };
            app.dispatch(Action::PinVersion(d.spec().pin_version));
            drive(app.clone(), d, app.state.snap.clone(), all);
        })
    };
    let cancel = {
        let confirming = confirming.clone();
        Callback::from(move |_| confirming.set(None))
    };

    let open_ingestion = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| super::ingestion::open(&app, None))
    };
    let next_stage = active.as_ref().map(|d| d.stage).unwrap_or(0);
    let runs = active.as_ref().map(|d| d.runs.clone()).unwrap_or_default();
    let stages = spec.stages.iter().enumerate().map(|(i, s)| {
        let checks = active.as_ref().and_then(|d| d.checks.get(i));
        let state = match checks {
            Some(c) if c.iter().all(|c| c.ok) => "done",
            Some(_) => "failed",
            None if i == next_stage => "next",
            None => "todo",
        };
        let preview = (i == next_stage).then(|| drills::preview(spec.id, i, &st.snap, &runs));
        // A stage that ran can run again: rewind to where it began and run it from there.
        let mark = st.drill_marks.get(i).copied().filter(|_| i >= 1 && checks.is_some());
        let restart = match (mark, active.as_ref(), app.runner.session()) {
            (Some(len), Some(d), Some(session)) => {
                let (d, session, app) = ((**d).clone(), session.clone(), app.clone());
                let title = s.title;
                Some(Callback::from(move |_| {
                    let again = d.restarted_at(i);
                    let app2 = app.clone();
                    session.open_then(
                        session.journal().first(len),
                        format!("Back to the start of stage {i}, “{title}”: the world as it was then. The session as it stood is put aside; Restore brings it back."),
                        move |snap| {
                            app2.dispatch(Action::Drill(Some(again.clone())));
                            drive(app2.clone(), again, Rc::new(snap), false);
                        },
                    );
                }))
            }
            _ => None,
        };
        html! {
            <li class={classes!("stage", state)} data-stage={i.to_string()}>
                <div class="stage-head">
                    <span class="stage-icon" aria-hidden="true">{ match state { "done" => "✓", "failed" => "✗", "next" => "▶", _ => "○" } }</span>
                    <strong>{ s.title }</strong>
                </div>
                <p class="small">{ s.explain.get() }</p>
                if let Some(p) = preview {
                    <ul class="preview small">{ for p.iter().map(|l| html! { <li><code>{ l }</code></li> }) }</ul>
                }
                if let Some(onclick) = restart {
                    <button class="link small restart" {onclick} disabled={busy} data-testid={format!("drill-restart-{i}")}
                        title="Rewind the world to where this stage began and run it again">{ "↺ Restart this stage" }</button>
                }
                if let Some(checks) = checks {
                    <ul class="checks">
                        { for checks.iter().map(|c| html! {
                            <li class={classes!(if c.ok { "ok" } else { "bad" })}>
                                <span class="check-icon" aria-label={if c.ok { "held" } else { "failed" }}>{ if c.ok { "✓" } else { "✗" } }</span>
                                <span>{ &c.promise }</span>
                                <span class="muted small">{ format!(" — {}", c.observed) }</span>
                            </li>
                        }) }
                    </ul>
                }
            </li>
        }
    });
    let finished = active.as_ref().is_some_and(|d| d.finished());
    let total: usize = active
        .as_ref()
        .map(|d| d.checks.iter().map(Vec::len).sum())
        .unwrap_or(0);
    let failed: usize = active
        .as_ref()
        .map(|d| d.checks.iter().flatten().filter(|c| !c.ok).count())
        .unwrap_or(0);
    let stage_label = if next_stage == 0 || finished {
        "Start from a fully provisioned setup".to_string()
    } else {
        format!("Run stage {next_stage}: {}", spec.stages[next_stage].title)
    };
    html! {
        <div class="drills">
            <section aria-labelledby="drills-title">
                <h3 id="drills-title">{ "Guided drills" }</h3>
                <p class="muted small">{ "Each drill starts from a fully provisioned cluster with data, lets you pull one lever, fast-forwards the virtual clock and checks the outcome against what the documentation promises." }</p>
                <ul class="drill-list" role="list">{ for picker }</ul>
                <article class="drill" data-testid="drill">
                    <h4>{ spec.title }</h4>
                    <blockquote class="promise">
                        <p>{ spec.promise.get() }</p>
                        <footer class="small muted">{ spec.source.get() }</footer>
                    </blockquote>
                    <ol class="stages">{ for stages }</ol>
                    if let Some(all) = *confirming {
                        <div class="confirm" role="alertdialog" aria-labelledby="drill-confirm">
                            <p id="drill-confirm">{ format!("Starting the drill builds a new world. Your current session ({} requests sent) is put aside, and Session ▸ Restore the session put aside brings it back. Start the drill?", st.history.len()) }</p>
                            <div class="row">
                                <button class="primary" onclick={start(all)} disabled={busy} data-testid="drill-confirm">{ "Start the drill" }</button>
                                <button class="secondary" onclick={cancel}>{ "Cancel" }</button>
                            </div>
                        </div>
                    } else {
                        <div class="row wrap">
                            <button class="primary" onclick={start(false)} disabled={busy} data-testid="drill-run">{ stage_label }</button>
                            if !finished {
                                <button class="secondary" onclick={start(true)} disabled={busy} data-testid="drill-run-all">{ "Run every remaining stage" }</button>
                            }
                            <button class="link small" onclick={open_ingestion.clone()} data-testid="drill-ingestion"
                                title="Rows stored and dropped per hour, with the drill's revocation, outage and Lockbox windows shaded">
                                { "Ingestion over time" }
                            </button>
                        </div>
                    }
                    if finished {
                        <p class={classes!("verdict", if failed == 0 { "ok" } else { "bad" })} role="status" data-testid="drill-verdict">
                            { if failed == 0 { format!("All {total} checks held: the simulation behaved as the documentation promises.") } else { format!("{failed} of {total} checks failed.") } }
                        </p>
                    }
                </article>
            </section>
            <Levers />
            <Lockbox />
        </div>
    }
}
