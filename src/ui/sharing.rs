//! The session menu (share a link, export and import a file, start a new session, restore the one
//! put aside) and an embed's "Open the full playground" link, which carries the reader's session.
//! What a session is and how it is written lives in `crate::recording`.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::AppCtx;
use crate::engine::clock;
use crate::engine::sources::thousands;
use crate::recording::{Journal, MAX_LINK_CHARS};
use crate::walkthrough::Guide;

/// The full page's address for the view on show, carrying `journal` in its fragment.
fn full_page_url(app: &AppCtx, journal: &Journal) -> String {
    let st = &app.state;
    let step = match st.guide {
        Guide::Monitor => st.step,
        Guide::Sentinel => st.sentinel_step,
        Guide::Lockbox => st.lockbox_step,
        Guide::Byos => st.byos_step,
    };
    let tab = super::tab_id(st.tab);
    format!(
        "?tab={tab}&guide={}&step={step}#{}",
        st.guide.id(),
        journal.to_fragment()
    )
}

/// The absolute form of a relative address, against the page's own.
fn absolute(relative: &str) -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .and_then(|base| web_sys::Url::new_with_base(relative, &base).ok())
        .map(|u| u.href())
        .unwrap_or_else(|| relative.to_string())
}

fn size(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}

/// What a share link or file of `journal` holds, in words, before it leaves the page.
pub fn describe(journal: &Journal) -> String {
    let c = journal.contents();
    let records = match c.records {
        0 => "no log records".to_string(),
        1 => format!(
            "1 log record sent to the HTTP Data Collector API ({})",
            size(c.record_bytes)
        ),
        n => format!(
            "{n} log records sent to the HTTP Data Collector API ({})",
            size(c.record_bytes)
        ),
    };
    format!(
        "It holds the simulated world: the seed and the {} commands run in it ({} REST requests, with their bodies, and {records}), covering {} of virtual time. Whoever opens it replays them and sees everything you sent, including those records. There are no real keys or credentials in it: every key in the playground is simulated and rebuilt from the seed.",
        c.commands,
        c.requests,
        clock::duration(c.span)
    )
}

fn export_name() -> String {
    let date: String = js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default()
        .chars()
        .take(10)
        .collect();
    format!("cmk-playground-session-{date}.json")
}

fn export(journal: &Journal, app: &AppCtx) {
    if let Err(e) = super::util::download(&export_name(), &journal.to_file(), "application/json") {
        app.dispatch(super::state::Action::Notice(Some(format!(
            "The file could not be offered for download: {e:?}"
        ))));
    }
}

/// Closes the menu an item was picked from.
pub(crate) fn close_menu(e: &web_sys::Event) {
    if let Some(d) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest("details").ok().flatten())
        .and_then(|d| d.dyn_into::<web_sys::HtmlDetailsElement>().ok())
    {
        d.set_open(false);
    }
}

#[function_component(SessionMenu)]
pub fn session_menu() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let sharing = use_state(|| None::<(Journal, String)>);
    let copied = use_state(|| false);
    let dialog_ref = use_node_ref();
    {
        // The dialog takes the focus when it opens (Escape closes it, Tab moves through it).
        let dialog_ref = dialog_ref.clone();
        use_effect_with(sharing.is_some(), move |open| {
            if *open {
                if let Some(el) = dialog_ref.cast::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            }
        });
    }
    let Some(session) = app.runner.session().cloned() else {
        return html! {};
    };
    let busy = app.state.busy.is_some() || !app.state.ready;
    let share = {
        let (sharing, copied, session, app) = (
            sharing.clone(),
            copied.clone(),
            session.clone(),
            app.clone(),
        );
        Callback::from(move |e: MouseEvent| {
            close_menu(&e);
            let j = session.journal();
            copied.set(false);
            sharing.set(Some((
                j.clone(),
                absolute(&format!("./{}", full_page_url(&app, &j))),
            )));
        })
    };
    let export_click = {
        let (session, app) = (session.clone(), app.clone());
        Callback::from(move |e: MouseEvent| {
            close_menu(&e);
            export(&session.journal(), &app);
        })
    };
    let import = {
        let (session, app) = (session.clone(), app.clone());
        Callback::from(move |e: Event| {
            close_menu(&e);
            let (session, app) = (session.clone(), app.clone());
            super::util::read_picked_file(&e, move |name, text| {
                match text.map(|t| Journal::from_file(&t)) {
                    Some(Ok(j)) => {
                        let n = j.entries.len();
                        session.open(j, format!("Opened {name}: {n} commands replayed. The session you had was put aside; Restore brings it back."));
                    }
                    Some(Err(why)) => {
                        app.dispatch(super::state::Action::Notice(Some(format!("{name}: {why}"))))
                    }
                    None => app.dispatch(super::state::Action::Notice(Some(format!(
                        "{name} could not be read."
                    )))),
                }
            });
        })
    };
    let new_session = {
        let session = session.clone();
        Callback::from(move |e: MouseEvent| {
            close_menu(&e);
            session.start_new();
        })
    };
    let restore = {
        let session = session.clone();
        Callback::from(move |e: MouseEvent| {
            close_menu(&e);
            session.restore_previous();
        })
    };
    let dialog = sharing.as_ref().map(|(journal, link)| {
        let too_long = link.len() > MAX_LINK_CHARS;
        let close = {
            let sharing = sharing.clone();
            Callback::from(move |_| sharing.set(None))
        };
        let copy = {
            let (link, copied) = (link.clone(), copied.clone());
            Callback::from(move |_| {
                if let Some(w) = web_sys::window() {
                    let _ = w.navigator().clipboard().write_text(&link);
                    copied.set(true);
                }
            })
        };
        let file = {
            let (journal, app) = (journal.clone(), app.clone());
            Callback::from(move |_| export(&journal, &app))
        };
        let on_keys = {
            let sharing = sharing.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Escape" {
                    sharing.set(None);
                }
            })
        };
        html! {
            <div class="share-dialog" role="dialog" aria-labelledby="share-title" data-testid="share-dialog"
                tabindex="-1" ref={dialog_ref.clone()} onkeydown={on_keys}>
                <h2 id="share-title">{ "Share this session" }</h2>
                <p>{ describe(journal) }</p>
                if too_long {
                    <p class="warning" data-testid="share-too-long">
                        { format!("This link would be {} characters, longer than the {} that mail clients, chat apps and common web servers keep intact. Share it as a file instead: Session ▸ Import a file opens it.", link.len(), thousands(MAX_LINK_CHARS as u64)) }
                    </p>
                } else {
                    <label class="small" for="share-link">{ format!("Link ({} characters)", thousands(link.len() as u64)) }</label>
                    <textarea id="share-link" class="share-link" readonly=true rows="3" value={link.clone()} data-testid="share-link" />
                }
                <div class="row wrap">
                    if !too_long {
                        <button class="primary" onclick={copy} data-testid="share-copy">{ if *copied { "Copied ✓" } else { "Copy link" } }</button>
                    }
                    <button class={if too_long { "primary" } else { "secondary" }} onclick={file} data-testid="share-file">{ "Download as a file" }</button>
                    <button class="secondary" onclick={close}>{ "Close" }</button>
                </div>
            </div>
        }
    });
    html! {
        <>
            <details class="session-menu">
                <summary data-testid="session-menu">{ "Session" }</summary>
                <div class="menu" role="menu">
                    <button role="menuitem" onclick={share} disabled={busy} data-testid="share">{ "Share a link…" }</button>
                    <button role="menuitem" onclick={export_click} disabled={busy} data-testid="export">{ "Export to a file" }</button>
                    <label role="menuitem" class={classes!("file-button", busy.then_some("disabled"))}>
                        { "Import a file…" }
                        <input type="file" accept=".json,application/json" onchange={import} disabled={busy} data-testid="import" />
                    </label>
                    <button role="menuitem" onclick={new_session} disabled={busy} data-testid="new-session"
                        title="An empty world with a new seed; this session is put aside">{ "New session" }</button>
                    if app.state.previous {
                        <button role="menuitem" onclick={restore} disabled={busy} data-testid="restore-previous"
                            title="Bring back the session put aside (this one is put aside in turn)">{ "Restore the session put aside" }</button>
                    }
                </div>
            </details>
            { for dialog }
        </>
    }
}

/// An embed's way out: the full playground, in a new tab, with the reader's session and view.
#[function_component(OpenFull)]
pub fn open_full() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let href = match app.runner.session() {
        Some(s) if app.state.ready => format!("./{}", full_page_url(&app, &s.journal())),
        _ => "./".to_string(),
    };
    html! {
        <a class="open-full" {href} target="_blank" rel="noopener" data-testid="open-full"
            title="Opens the full playground in a new tab with this world and this view">
            { "Open the full playground ↗" }
        </a>
    }
}

/// "Go back to just before this" on a timeline entry (`index` among all the timeline's entries):
/// the session is cut there and replayed, and what the person does next branches from it.
pub fn rewind_to_event(app: &AppCtx, index: usize, time: u64, text: &str) -> Callback<MouseEvent> {
    let app = app.clone();
    let text = text.to_string();
    Callback::from(move |_| {
        let Some(session) = app.runner.session() else {
            return;
        };
        match session.journal().before_event(index, time) {
            Some(cut) => session.open(
                cut,
                format!(
                    "Rewound to just before “{text}” ({}). What you do now branches from here; the session as it was is put aside, and Restore brings it back.",
                    clock::human(time)
                ),
            ),
            None => app.dispatch(super::state::Action::Notice(Some(
                "This event was not written by a command of this session (it is older than the session's record of the timeline), so the page cannot go back to it.".into(),
            ))),
        }
    })
}

/// "Go back to just before this request" on a history entry (`seq`: its place in the history).
pub fn rewind_to_request(app: &AppCtx, seq: usize, what: &str) -> Callback<MouseEvent> {
    let app = app.clone();
    let what = what.to_string();
    Callback::from(move |_| {
        let Some(session) = app.runner.session() else {
            return;
        };
        let journal = session.journal();
        match journal.request_entry(seq) {
            Some(k) => session.open(
                journal.first(k),
                format!("Rewound to just before {what}. What you do now branches from here; the session as it was is put aside, and Restore brings it back."),
            ),
            None => app.dispatch(super::state::Action::Notice(Some(
                "This request is not in the session's journal, so the page cannot go back to it.".into(),
            ))),
        }
    })
}
