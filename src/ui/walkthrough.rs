//! The guided walkthrough: a stepper over the seed's five steps, each with its reason, its
//! editable requests, its status and the mistakes worth making on purpose.

use yew::prelude::*;

use super::response::ResponseView;
use super::state::Action;
use super::util::{event_value, is_send_shortcut, no_newline, url_rows};
use super::{AppCtx, wcx};
use crate::protocol::Command;
use crate::walkthrough::{self as wt, Card, Draft, STEPS, Status};

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

#[function_component(Walkthrough)]
pub fn walkthrough() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let st = &app.state;
    let cx = wcx(&st.snap, &st.settings);
    let statuses: Vec<Status> = STEPS.iter().map(|s| wt::status(s.number, &cx)).collect();
    let step = &STEPS[st.step - 1];
    let status = &statuses[st.step - 1];

    let stepper = STEPS.iter().zip(&statuses).map(|(s, status)| {
        let app = app.clone();
        let n = s.number;
        let current = st.step == n;
        let onclick = Callback::from(move |_| app.dispatch(Action::Step(n)));
        html! {
            <li>
                <button class={classes!("stepper-item", status_class(status), current.then_some("current"))}
                    aria-current={if current { "step" } else { "false" }} {onclick}
                    aria-label={format!("Step {n}: {} ({})", s.title, status_word(status))}
                    title={format!("Step {n}: {}", s.title)}
                    id={format!("step-{n}")}>
                    <span class="stepper-icon" aria-hidden="true">{ status_icon(status, n) }</span>
                    <span class="stepper-text"><span class="stepper-n">{ format!("Step {n}") }</span>{ s.title }</span>
                </button>
            </li>
        }
    });

    let go = |delta: isize| {
        let app = app.clone();
        let target = (st.step as isize + delta).clamp(1, STEPS.len() as isize) as usize;
        Callback::from(move |_| app.dispatch(Action::Step(target)))
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
        });
        html! {
            <li>
                <button class="link" {onclick}>{ m.label() }</button>
                <span class="muted small">{ " " }{ m.expect() }</span>
            </li>
        }
    });

    html! {
        <div class="walkthrough">
            <ol class="stepper" aria-label="Provisioning steps">{ for stepper }</ol>
            <article class="step" aria-labelledby="step-title">
                <header class="step-head">
                    <p class="eyebrow">{ format!("Step {} of {}", step.number, STEPS.len()) }</p>
                    <h2 id="step-title">{ step.title }</h2>
                    <p class={classes!("status-line", status_class(status))} data-testid="step-status">
                        <span aria-hidden="true">{ if matches!(status, wt::Status::Todo(_)) { "○".to_string() } else { status_icon(status, 0) } }</span>{ " " }{ status.text() }
                    </p>
                </header>
                <blockquote class="why">
                    <p>{ step.why }</p>
                    <footer>{ "Azure Monitor customer-managed key, \"Customer-Managed key provisioning steps\"" }</footer>
                </blockquote>
                if step.number == 4 {
                    <label class="toggle">
                        <input type="checkbox" checked={pin} onchange={toggle_pin} />
                        { " Pin the current key version (explicit key version update) instead of auto-rotation" }
                    </label>
                }
                { for step.cards.iter().enumerate().map(|(i, c)| html! { <RequestCard card={*c} index={i + 1} step={step.number} /> }) }
                <section class="watch">
                    <h3>{ "What to watch" }</h3>
                    <p>{ step.watch }</p>
                </section>
                if !step.mistakes.is_empty() {
                    <section class="mistakes">
                        <h3>{ "Get it wrong on purpose" }</h3>
                        <p class="muted small">{ "Loads the request with the mistake made; send it and see the service's real answer. \"Reset\" restores the correct request." }</p>
                        <ul>{ for mistakes }</ul>
                    </section>
                }
                <nav class="step-nav" aria-label="Step navigation">
                    <button class="secondary" onclick={go(-1)} disabled={st.step == 1}>{ "← Previous step" }</button>
                    <button class={if status.is_done() { "primary" } else { "secondary" }} onclick={go(1)} disabled={st.step == STEPS.len()}>
                        { "Next step →" }
                    </button>
                </nav>
            </article>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct CardProps {
    pub card: Card,
    pub index: usize,
    pub step: usize,
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
    let source = format!("Step {} · {}", p.step, card.title());
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
                <p class="mistake-note" role="note">{ format!("Mistake loaded: {}. {}", m.label(), m.expect()) }</p>
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
            <div class="row">
                <button class="primary" onclick={on_send} disabled={busy} data-send={id}>
                    { "Send" }<kbd>{ "Ctrl+Enter" }</kbd>
                </button>
                if edited {
                    <button class="secondary" onclick={reset}>{ "Reset to the correct request" }</button>
                }
            </div>
            if let Some(x) = last {
                <ResponseView exchange={x} />
            }
        </section>
    }
}
