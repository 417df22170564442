//! "Signed in as …": the principal whose tokens the page adds to every request, a menu to sign
//! in as any account of the directory (a journalled `SignIn`, so a reload or a share link signs
//! in again at the same point), and the tokens the page holds.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::AppCtx;
use super::response::abbreviate;
use crate::engine::clock;
use crate::engine::view::PrincipalView;
use crate::protocol::Command;

/// A role assignment's scope in a few words: "subscription Contoso Production", "rg cmk-rg", "/".
fn scope_text(scope: &str, subscriptions: &[(String, String)]) -> String {
    let parts: Vec<&str> = scope.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        [""] => "the root".into(),
        ["subscriptions", id] => {
            let name = subscriptions
                .iter()
                .find(|(s, _)| s.eq_ignore_ascii_case(id))
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| id.chars().take(8).collect::<String>() + "…");
            format!("subscription {name}")
        }
        ["subscriptions", _, "resourceGroups", rg] => format!("resource group {rg}"),
        [.., kind, name] => format!("{kind} {name}"),
        _ => scope.to_string(),
    }
}

/// Every role of `p` in one line: "Owner (subscription A) · Reader (resource group b)".
pub fn roles_line(p: &PrincipalView, subscriptions: &[(String, String)]) -> String {
    if p.roles.is_empty() {
        return "no role assignments".into();
    }
    p.roles
        .iter()
        .map(|(role, scope)| format!("{role} ({})", scope_text(scope, subscriptions)))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn kind_text(p: &PrincipalView) -> &'static str {
    if p.kind == "User" {
        "person"
    } else {
        "service principal"
    }
}

/// Moves the focus among the menu's items with the arrow keys, Home and End; Escape closes the
/// menu and gives the focus back to its button. (`details` is the menu: Yew delegates events, so
/// the event's current target is not.)
fn on_menu_keys(details: &web_sys::HtmlDetailsElement, e: &KeyboardEvent) {
    let focus = |sel: &str| {
        if let Some(el) = details
            .query_selector(sel)
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    };
    if !details.open() {
        return;
    }
    if e.key() == "Escape" {
        e.prevent_default();
        details.set_open(false);
        focus("summary");
        return;
    }
    let Ok(items) = details.query_selector_all("[role=menuitemradio]:not([disabled])") else {
        return;
    };
    let items: Vec<web_sys::HtmlElement> = (0..items.length())
        .filter_map(|i| items.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect();
    if items.is_empty() {
        return;
    }
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let at = items.iter().position(|el| {
        active
            .as_ref()
            .is_some_and(|a| a == el.unchecked_ref::<web_sys::Element>())
    });
    let n = items.len();
    let next = match (e.key().as_str(), at) {
        ("ArrowDown", Some(i)) => (i + 1) % n,
        ("ArrowDown", None) => 0,
        ("ArrowUp", Some(i)) => (i + n - 1) % n,
        ("ArrowUp", None) => n - 1,
        ("Home", _) => 0,
        ("End", _) => n - 1,
        _ => return,
    };
    e.prevent_default();
    let _ = items[next].focus();
}

#[function_component(SignInMenu)]
pub fn sign_in_menu() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let details = use_node_ref();
    let snap = &app.state.snap;
    let session = &snap.session;
    let me = &session.signed_in;
    if me.object_id.is_empty() {
        // Before the engine's first answer.
        return html! {};
    }
    let busy = app.state.busy.is_some() || !app.state.ready;
    let subs = &snap.subscriptions;
    let accounts = session.accounts.iter().map(|a| {
        let current = a.object_id == me.object_id;
        let onclick = {
            let (runner, who) = (app.runner.clone(), a.client.clone());
            Callback::from(move |e: MouseEvent| {
                super::sharing::close_menu(&e);
                runner.run(Command::SignIn { who: who.clone() }, "Sign-in", None);
            })
        };
        html! {
            <button role="menuitemradio" aria-checked={current.to_string()} class={classes!("account", current.then_some("current"))}
                {onclick} disabled={busy} data-testid={format!("sign-in-as-{}", a.client.split('@').next().unwrap_or(&a.client))}>
                <span class="account-name">
                    <span class="check" aria-hidden="true">{ if current { "✓" } else { "" } }</span>
                    <strong>{ &a.name }</strong>
                    <span class="muted small">{ format!(" · {}", kind_text(a)) }</span>
                </span>
                <span class="account-client mono small">{ &a.client }</span>
                <span class="account-roles small">{ roles_line(a, subs) }</span>
            </button>
        }
    });
    let tokens = session.tokens.iter().map(|t| {
        let left = t.expires.saturating_sub(snap.now);
        let state = match left {
            0 => "expired: renewed at its next use".to_string(),
            l if l <= 5 * clock::MINUTE => {
                format!("{} left: renewed at its next use", clock::duration(l))
            }
            l => format!("{} left", clock::duration(l)),
        };
        html! {
            <li>
                <span class="mono small token-aud">{ &t.audience }</span>
                <span class="small">{ format!("expires {} · {state}", clock::human(t.expires)) }</span>
                <code class="small token-abbr" title={t.token.clone()}>{ abbreviate(&t.token) }</code>
            </li>
        }
    });
    let who_label = format!(
        "Signed in as {} ({}), {}",
        me.name,
        me.client,
        roles_line(me, subs)
    );
    let onkeydown = {
        let details = details.clone();
        Callback::from(move |e: KeyboardEvent| {
            if let Some(d) = details.cast::<web_sys::HtmlDetailsElement>() {
                on_menu_keys(&d, &e);
            }
        })
    };
    // The menu closes when the focus leaves it (a click elsewhere, Tab past its end), so it never
    // sits over the page; the panel takes the focus of clicks on its text, which keep it open.
    let onfocusout = {
        let details = details.clone();
        Callback::from(move |e: FocusEvent| {
            let Some(d) = details.cast::<web_sys::HtmlDetailsElement>() else {
                return;
            };
            let to = e
                .related_target()
                .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
            if !d.contains(to.as_ref()) {
                d.set_open(false);
            }
        })
    };
    html! {
        <details class="session-menu signin-menu" ref={details} {onkeydown} {onfocusout}>
            <summary data-testid="signin-menu" aria-label={who_label.clone()} title={who_label}>
                <span class="signin-eyebrow">{ "Signed in as" }</span>
                <span class="signin-who">{ &me.name }</span>
            </summary>
            <div class="menu signin-panel" tabindex="-1">
                <div class="signin-current" data-testid="signin-current">
                    <strong>{ &me.name }</strong>
                    <span class="mono small">{ &me.client }</span>
                    <span class="small">{ roles_line(me, subs) }</span>
                    if session.implicit {
                        <span class="small warning">{ "Implicit sign-in is on: requests without credentials are answered as this principal." }</span>
                    }
                </div>
                <p class="menu-label" id="signin-accounts">{ "Sign in as" }</p>
                <div role="menu" aria-labelledby="signin-accounts" class="accounts">{ for accounts }</div>
                <p class="menu-label">{ "Tokens the page holds" }</p>
                if session.tokens.is_empty() {
                    <p class="small muted tokens-none">{ "None yet: the first request to a service gets one." }</p>
                } else {
                    <ul class="tokens" data-testid="tokens">{ for tokens }</ul>
                }
                <p class="small muted signin-foot">{ "A token lasts an hour of virtual time; the page gets a new one when less than 5 minutes are left." }</p>
            </div>
        </details>
    }
}
