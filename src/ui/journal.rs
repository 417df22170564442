//! What happened and why: the timeline, the Key Vault audit log, and the catalogue of every error
//! message the simulated services can return, with where each comes from.

use yew::prelude::*;

use super::AppCtx;
use super::response::source_text;
use super::util::{event_value, short};
use crate::engine::clock;
use crate::engine::errors::CATALOGUE;
use crate::engine::journal::Category;

const CATEGORIES: [(Category, &str); 4] = [
    (Category::Operation, "Operations"),
    (Category::KeyVault, "Key Vault"),
    (Category::Resource, "Resources"),
    (Category::Data, "Data"),
];

fn category_label(c: Category) -> &'static str {
    CATEGORIES
        .iter()
        .find(|(k, _)| *k == c)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

#[function_component(Timeline)]
pub fn timeline() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let hidden = use_state(Vec::<Category>::new);
    let alerts_only = use_state(|| false);
    let chips = CATEGORIES.iter().map(|(c, label)| {
        let hidden = hidden.clone();
        let c = *c;
        let on = !hidden.contains(&c);
        let onclick = Callback::from(move |_| {
            let mut h = (*hidden).clone();
            if let Some(i) = h.iter().position(|x| *x == c) {
                h.remove(i);
            } else {
                h.push(c);
            }
            hidden.set(h);
        });
        html! { <button class={classes!("chip-toggle", on.then_some("on"))} aria-pressed={on.to_string()} {onclick}>{ *label }</button> }
    });
    let toggle_alerts = {
        let a = alerts_only.clone();
        Callback::from(move |_| a.set(!*a))
    };
    let entries: Vec<_> = app
        .state
        .snap
        .timeline
        .iter()
        .rev()
        .filter(|e| !hidden.contains(&e.category) && (!*alerts_only || e.alert))
        .collect();
    html! {
        <div class="timeline">
            <div class="row wrap" role="group" aria-label="Filter by category">
                { for chips }
                <button class={classes!("chip-toggle", alerts_only.then_some("on"))} aria-pressed={alerts_only.to_string()} onclick={toggle_alerts}>
                    { "Problems only" }
                </button>
            </div>
            if entries.is_empty() {
                <p class="muted">{ "Nothing yet. Everything the simulation does on the virtual clock shows up here, newest first." }</p>
            }
            <ol class="events">
                { for entries.iter().map(|e| html! {
                    <li class={classes!(e.alert.then_some("alert"))}>
                        <time>{ clock::human(e.time) }</time>
                        <span class={classes!("cat", format!("cat-{:?}", e.category).to_lowercase())}>{ category_label(e.category) }</span>
                        <span class="text">{ &e.text }</span>
                    </li>
                }) }
            </ol>
        </div>
    }
}

#[function_component(Audit)]
pub fn audit() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let audit = &app.state.snap.audit;
    html! {
        <div class="audit">
            <p class="muted">{ "Every Key Vault data-plane call, from you or from a cluster's identity, with its result. Sentinel's rotation guidance (disable the previous version once the audit log shows no more use) is checked here." }</p>
            if audit.is_empty() {
                <p class="muted">{ "No Key Vault calls yet." }</p>
            } else {
                <div class="table-wrap">
                    <table>
                        <thead><tr><th>{ "Time" }</th><th>{ "Vault" }</th><th>{ "Operation" }</th><th>{ "Caller" }</th><th>{ "Key / version" }</th><th>{ "Result" }</th></tr></thead>
                        <tbody>
                            { for audit.iter().rev().map(|a| html! {
                                <tr class={classes!((a.status >= 400).then_some("alert"))}>
                                    <td>{ clock::human(a.time) }</td>
                                    <td>{ &a.vault }</td>
                                    <td>{ &a.operation }</td>
                                    <td title={a.caller_object_id.clone()}>{ &a.caller_name }</td>
                                    <td><code>{ format!("{}{}", a.key.clone().unwrap_or_default(), a.version.as_deref().map(|v| format!("/{}", short(v))).unwrap_or_default()) }</code></td>
                                    <td>{ format!("{} {}", a.status, a.result) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            }
        </div>
    }
}

#[function_component(Catalogue)]
pub fn catalogue() -> Html {
    let filter = use_state(String::new);
    let on_filter = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| filter.set(event_value(&e)))
    };
    let needle = filter.to_lowercase();
    let rows: Vec<_> = CATALOGUE
        .iter()
        .filter(|e| {
            needle.is_empty()
                || e.message.to_lowercase().contains(&needle)
                || e.code.to_lowercase().contains(&needle)
                || e.name.to_lowercase().contains(&needle)
        })
        .collect();
    html! {
        <div class="catalogue">
            <p class="muted">{ format!("All {} error answers the simulated services can give, with the document each message comes from. Messages quoted in the Azure Monitor seed document are used word for word.", CATALOGUE.len()) }</p>
            <label for="catalogue-filter" class="sr-only">{ "Filter" }</label>
            <input id="catalogue-filter" type="search" placeholder="Filter by code or wording…" value={(*filter).clone()} oninput={on_filter} />
            <div class="table-wrap">
                <table>
                    <thead><tr><th>{ "Status" }</th><th>{ "Code" }</th><th>{ "Message" }</th><th>{ "Source" }</th></tr></thead>
                    <tbody>
                        { for rows.iter().map(|e| html! {
                            <tr>
                                <td>{ e.status }</td>
                                <td><code>{ e.code }</code>{ e.inner.map(|i| html! { <><br /><code class="muted">{ i }</code></> }) }</td>
                                <td class="msg">{ e.message }</td>
                                <td class="small">{ source_text(&e.source) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        </div>
    }
}
