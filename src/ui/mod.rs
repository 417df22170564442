//! The page (Yew). The only code, with `src/wasm.rs`, that touches the browser.
//!
//! Layout: a header (title, engine status, theme), a main column with tabs (walkthrough, REST
//! console, timeline, Key Vault audit, error catalogue), and a side column that always shows the
//! virtual clock, the cluster's state and the key hierarchy. Every view renders from one
//! [`crate::engine::Snapshot`]; every action goes to the engine as a [`Command`].

pub mod alerts;
pub mod az_console;
pub mod byos;
pub mod chart;
pub mod console;
pub mod copy_as;
pub mod drills;
pub mod hierarchy;
pub mod host;
pub mod ingestion;
pub mod inspector;
pub mod journal;
pub mod json;
pub mod logs;
pub mod panels;
pub mod response;
pub mod session;
pub mod sharing;
pub mod signin;
pub mod state;
pub mod util;
pub mod walkthrough;

use std::rc::Rc;

use yew::prelude::*;

use self::host::Host;
use self::session::{Keeping, Opening, Session};
use self::state::{Action, AppState, Sent, Tab};
use self::util::Theme;
use crate::protocol::Command;
use crate::walkthrough::{Card, Guide};

/// Sends commands to the engine host and files the replies into the state.
#[derive(Clone, PartialEq)]
pub struct Runner {
    host: Host,
    dispatch: UseReducerDispatcher<AppState>,
    /// Journals what succeeded, when the page keeps its session.
    session: Option<Session>,
}

impl Runner {
    pub fn run(&self, cmd: Command, source: impl Into<String>, card: Option<Card>) {
        self.run_then(cmd, source, card, |_| {});
    }

    /// The page's session (None in tests that run an engine without one).
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Stops the long clock move that is running (the Stop button of the busy bar).
    pub fn cancel(&self) {
        self.host.cancel();
    }

    /// Like [`Runner::run`], then hands the reply to `then` (after the state has it).
    pub fn run_then(
        &self,
        cmd: Command,
        source: impl Into<String>,
        card: Option<Card>,
        then: impl FnOnce(&crate::protocol::Reply) + 'static,
    ) {
        let cmd = match &self.session {
            Some(s) if s.replaying() => return,
            Some(_) => Session::seeded(cmd),
            None => cmd,
        };
        let t0 = util::now_ms();
        let give_focus_back = util::keep_focus();
        let cancellable =
            matches!(cmd, Command::Advance { seconds } if seconds > crate::protocol::ADVANCE_SLICE);
        self.dispatch
            .dispatch(Action::Busy(cmd.label(), t0, cancellable));
        let dispatch = self.dispatch.clone();
        let host = self.host.clone();
        let session = self.session.clone();
        let sent = Sent {
            cmd: cmd.clone(),
            source: source.into(),
            card,
        };
        self.host.send(cmd, move |result| match result {
            Ok(reply) => {
                let reply = Box::new(reply);
                let was_saving = session.as_ref().is_some_and(|s| s.saving());
                let unsaved = session.as_ref().and_then(|s| s.record(&sent, &reply));
                let saving = session.as_ref().is_some_and(|s| s.saving());
                if saving && !was_saving {
                    dispatch.dispatch(Action::Saved(true));
                }
                dispatch.dispatch(Action::Replied {
                    reply: reply.clone(),
                    sent,
                    millis: util::now_ms() - t0,
                    host_kind: host.kind(),
                    sealing: host.sealing(),
                });
                if let Some(n) = unsaved {
                    dispatch.dispatch(Action::Saved(false));
                    dispatch.dispatch(Action::Notice(Some(n)));
                }
                then(&reply);
                give_focus_back();
            }
            Err(e) => {
                dispatch.dispatch(Action::Failed(e));
                if let Some(n) = session.as_ref().and_then(|s| s.engine_failed()) {
                    dispatch.dispatch(Action::Saved(false));
                    dispatch.dispatch(Action::Notice(Some(n)));
                }
            }
        });
    }
}

/// What every component can reach: the state and the way to change it.
#[derive(Clone, PartialEq)]
pub struct AppCtx {
    pub state: UseReducerHandle<AppState>,
    pub runner: Runner,
    /// The page is a documentation embed (`?embed=1`): compact, and it keeps nothing.
    pub embed: bool,
}

impl AppCtx {
    pub fn dispatch(&self, a: Action) {
        self.state.dispatch(a);
    }
}

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub host: Host,
    /// Where the session is kept (`None`: no session; tests drive an engine of their own).
    #[prop_or_default]
    pub session: Option<Keeping>,
    /// The app is the page: it opens what the address says (a share link, a preset) and keeps
    /// the address bar on the view. Tests mount it into a harness page and leave both alone.
    #[prop_or_default]
    pub owns_address: bool,
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let options = use_memo((), |_| util::PageOptions::from_location());
    let owns_address = props.owns_address;
    // With a saved session, the page also reopens the step and the view it was on.
    let view_key = match &props.session {
        Some(Keeping::Storage(k)) => Some(format!("{k}.view")),
        _ => None,
    };
    let state = {
        let options = options.clone();
        let view_key = view_key.clone();
        use_reducer(move || {
            let mut s = AppState::default();
            // "{step} {tab}", then (since the Sentinel walkthrough) "{guide} {sentinel step}".
            if let Some(saved) = view_key.as_deref().and_then(util::load_pref) {
                let mut parts = saved.split_whitespace();
                if let (Some(step), Some(tab)) = (parts.next(), parts.next()) {
                    s.step = step
                        .parse()
                        .unwrap_or(1)
                        .clamp(1, crate::walkthrough::STEPS.len());
                    s.tab = Tab::all()
                        .into_iter()
                        .find(|x| tab_id(*x) == tab)
                        .unwrap_or(Tab::Walkthrough);
                }
                if let Some(g) = parts.next().and_then(Guide::from_id) {
                    s.guide = g;
                }
                if let Some(n) = parts.next().and_then(|n| n.parse::<usize>().ok()) {
                    s.sentinel_step = n.clamp(1, crate::sentinel_walkthrough::STEPS.len());
                }
                // (since the Lockbox walkthrough) "{lockbox step}".
                if let Some(n) = parts.next().and_then(|n| n.parse::<usize>().ok()) {
                    s.lockbox_step = n.clamp(1, crate::lockbox_walkthrough::STEPS.len());
                }
                // Then (since the saved queries and alerts walkthrough) "{byos step}".
                if let Some(n) = parts.next().and_then(|n| n.parse::<usize>().ok()) {
                    s.byos_step = n.clamp(1, crate::byos_walkthrough::STEPS.len());
                }
            }
            if let Some(g) = options.guide {
                s.guide = g;
            }
            if let Some(n) = options.step {
                match s.guide {
                    Guide::Monitor => s.step = n.clamp(1, crate::walkthrough::STEPS.len()),
                    Guide::Sentinel => {
                        s.sentinel_step = n.clamp(1, crate::sentinel_walkthrough::STEPS.len())
                    }
                    Guide::Byos => s.byos_step = n.clamp(1, crate::byos_walkthrough::STEPS.len()),
                    Guide::Lockbox => {
                        s.lockbox_step = n.clamp(1, crate::lockbox_walkthrough::STEPS.len())
                    }
                }
            }
            if let Some(t) = options.tab.as_deref() {
                s.tab = Tab::all()
                    .into_iter()
                    .find(|x| tab_id(*x) == t)
                    .unwrap_or(Tab::Walkthrough);
            }
            s
        })
    };
    let session = use_memo(props.session.clone(), |keeping| {
        keeping.as_ref().map(Session::new)
    });
    let runner = Runner {
        host: props.host.clone(),
        dispatch: state.dispatcher(),
        session: (*session).clone(),
    };
    let theme = {
        let forced = options.theme;
        use_state(move || forced.unwrap_or_else(Theme::initial))
    };
    let embed = options.embed;
    use_effect_with(embed, move |embed| {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let classes = el.class_list();
            let _ = if *embed {
                classes.add_1("embed")
            } else {
                classes.remove_1("embed")
            };
        }
    });
    {
        let runner = runner.clone();
        let dispatch = state.dispatcher();
        let host = props.host.clone();
        use_effect_with((), move |_| {
            let progress = dispatch.clone();
            let dispatch_start = dispatch.clone();
            host.on_notice(move |text| dispatch.dispatch(Action::Notice(Some(text))));
            host.on_progress(move |f, label| progress.dispatch(Action::Progress(f, label)));
            match &runner.session {
                Some(s) => s.start(
                    host,
                    dispatch_start,
                    if owns_address {
                        opening()
                    } else {
                        Opening::Saved
                    },
                ),
                None => runner.run(Command::Snapshot, "Start", None),
            }
        });
    }
    {
        // Back and Forward: the address bar says which view to show.
        let dispatch = state.dispatcher();
        use_effect_with((), move |_| {
            if !owns_address {
                return;
            }
            util::on_popstate(move || {
                let o = util::PageOptions::from_location();
                if let Some(g) = o.guide {
                    dispatch.dispatch(Action::Guide(g));
                }
                if let Some(n) = o.step {
                    match o.guide.unwrap_or_default() {
                        Guide::Monitor => dispatch.dispatch(Action::Step(n)),
                        Guide::Sentinel => dispatch.dispatch(Action::SentinelStep(n)),
                        Guide::Lockbox => dispatch.dispatch(Action::LockboxStep(n)),
                        Guide::Byos => dispatch.dispatch(Action::ByosStep(n)),
                    }
                }
                let tab = o
                    .tab
                    .as_deref()
                    .and_then(|t| Tab::all().into_iter().find(|x| tab_id(*x) == t));
                dispatch.dispatch(Action::Tab(tab.unwrap_or(Tab::Walkthrough)));
            });
        });
    }
    {
        let report = options.height_auto && options.embed;
        use_effect_with((), move |_| {
            if report {
                util::report_height();
            }
        });
    }
    {
        let view = (
            state.step,
            state.tab,
            state.guide,
            state.sentinel_step,
            state.lockbox_step,
            state.byos_step,
        );
        let first = use_mut_ref(|| true);
        let embed = options.embed;
        use_effect_with(
            view,
            move |(step, tab, guide, sentinel_step, lockbox_step, byos_step)| {
                if let Some(k) = view_key {
                    util::save_pref(
                        &k,
                        &format!(
                            "{step} {} {} {sentinel_step} {lockbox_step} {byos_step}",
                            tab_id(*tab),
                            guide.id()
                        ),
                    );
                }
                // An embed's history is its host page's: it never pushes entries there.
                if owns_address && !embed {
                    let n = match guide {
                        Guide::Monitor => *step,
                        Guide::Sentinel => *sentinel_step,
                        Guide::Lockbox => *lockbox_step,
                        Guide::Byos => *byos_step,
                    };
                    let view = [
                        ("tab", tab_id(*tab).to_string()),
                        ("guide", guide.id().to_string()),
                        ("step", n.to_string()),
                    ];
                    util::show_view_in_url(&view, !first.replace(false));
                }
            },
        );
    }
    {
        let t = *theme;
        use_effect_with(t, move |t| t.apply());
    }
    {
        // Ask before leaving only when a reload would lose something; an embed stores nothing
        // by design, and must never hold its host page back.
        let at_risk = !embed && !state.history.is_empty() && !state.saved;
        use_effect_with(at_risk, move |on| util::guard_unload(*on));
    }
    let ctx = AppCtx {
        state: state.clone(),
        runner,
        embed,
    };
    {
        // An embed opens on the step's request card.
        let ready = state.ready && embed;
        use_effect_with(ready, move |ready| {
            if *ready {
                util::reveal_first(".main .card");
            }
        });
    }
    let toggle_theme = {
        let theme = theme.clone();
        Callback::from(move |_| {
            let next = theme.toggled();
            util::save_pref("cmk-playground-theme", next.name());
            theme.set(next);
        })
    };
    let tabs = Tab::all().map(|t| {
        let ctx = ctx.clone();
        let selected = state.tab == t;
        let onclick = Callback::from(move |_| ctx.dispatch(Action::Tab(t)));
        html! {
            // Roving tabindex: Tab reaches the selected tab only; arrows, Home and End move along.
            <button role="tab" id={format!("tab-{}", tab_id(t))} aria-selected={selected.to_string()}
                tabindex={if selected { "0" } else { "-1" }} aria-controls="main-panel" class={classes!("tab", selected.then_some("selected"))} {onclick}>
                { t.label() }
                if t == Tab::Console && !state.history.is_empty() {
                    <span class="count">{ state.history.len() }</span>
                }
            </button>
        }
    });
    let on_tab_keys = {
        let ctx = ctx.clone();
        let current = state.tab;
        Callback::from(move |e: KeyboardEvent| {
            let all = Tab::all();
            let i = all.iter().position(|t| *t == current).unwrap_or(0);
            let next = match e.key().as_str() {
                "ArrowRight" => all[(i + 1) % all.len()],
                "ArrowLeft" => all[(i + all.len() - 1) % all.len()],
                "Home" => all[0],
                "End" => all[all.len() - 1],
                _ => return,
            };
            e.prevent_default();
            ctx.dispatch(Action::Tab(next));
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&format!("tab-{}", tab_id(next))))
                .and_then(|el| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el).ok())
            {
                let _ = el.focus();
            }
        })
    };
    let panel = match state.tab {
        Tab::Walkthrough => html! { <walkthrough::Walkthrough /> },
        Tab::Drills => html! { <drills::Drills /> },
        Tab::Logs => html! { <logs::Logs /> },
        Tab::Console => html! { <console::Console /> },
        Tab::Az => html! { <az_console::AzConsole dialect={az_console::Dialect::Az} /> },
        Tab::Pwsh => html! { <az_console::AzConsole dialect={az_console::Dialect::Pwsh} /> },
        Tab::Timeline => html! { <journal::Timeline /> },
        Tab::Audit => html! { <journal::Audit /> },
        Tab::Catalogue => html! { <journal::Catalogue /> },
    };
    let dismiss = {
        let ctx = ctx.clone();
        Callback::from(move |_| ctx.dispatch(Action::Notice(None)))
    };
    html! {
        <ContextProvider<AppCtx> context={ctx.clone()}>
            <a class="skip" href="#main-panel">{ "Skip to the walkthrough" }</a>
            <header class="top">
                <div class="brand">
                    <svg class="logo" viewBox="0 0 32 32" aria-hidden="true">
                        <rect x="3" y="13" width="26" height="16" rx="3" />
                        <path d="M9 13V9a7 7 0 0 1 14 0v4" fill="none" stroke-width="3" />
                        <circle cx="16" cy="21" r="2.5" class="hole" />
                    </svg>
                    <div>
                        <h1>{ "CMK Playground" }</h1>
                        <p class="tagline">{ "Customer-managed keys for Azure Monitor and Microsoft Sentinel, simulated with real cryptography" }</p>
                    </div>
                </div>
                <div class="top-actions">
                    <signin::SignInMenu />
                    <sharing::SessionMenu />
                    <span class="engine-badge" title="Where the simulation runs">
                        { format!("Engine: {}", state.host_kind) }
                        if state.sealing == "WebCrypto" { { " · bulk AES-GCM: WebCrypto" } }
                    </span>
                    <button class="icon" onclick={toggle_theme} aria-label={format!("Switch to {} theme", theme.toggled().name())}>
                        { if *theme == Theme::Dark { "☀ Light" } else { "☾ Dark" } }
                    </button>
                </div>
            </header>
            <panels::BusyBar />
            if let Some(n) = &state.notice {
                <div class="notice" role="alert">
                    <span>{ n }</span>
                    <button class="icon" onclick={dismiss} aria-label="Dismiss">{ "✕" }</button>
                </div>
            }
            if embed {
                <div class="embed-bar">
                    <panels::Clock />
                    <sharing::OpenFull />
                </div>
            }
            <div class="layout">
                <main class="main">
                    <div class="tabs" role="tablist" aria-label="Views" onkeydown={on_tab_keys}>{ for tabs }</div>
                    <section id="main-panel" role="tabpanel" aria-labelledby={format!("tab-{}", tab_id(state.tab))} tabindex="-1" data-ready={(state.ready && !state.restoring).to_string()}>
                        if state.ready { { panel } } else { <p class="muted loading">{ "Starting the engine…" }</p> }
                    </section>
                </main>
                <aside class="side" aria-label="State">
                    if !embed { <panels::JumpBar /> <panels::Clock /> }
                    <panels::ClusterState />
                    <alerts::LogAlerts />
                    <hierarchy::KeyHierarchy />
                </aside>
            </div>
            <inspector::Inspector />
            <footer class="foot">
                <span>{ "A simulation for learning and rehearsal: no request leaves this page. The specification is Microsoft's Azure Monitor and Microsoft Sentinel customer-managed key documentation." }</span>
            </footer>
        </ContextProvider<AppCtx>>
    }
}

fn tab_id(t: Tab) -> &'static str {
    match t {
        Tab::Walkthrough => "walkthrough",
        Tab::Drills => "drills",
        Tab::Logs => "logs",
        Tab::Console => "console",
        Tab::Az => "az",
        Tab::Pwsh => "pwsh",
        Tab::Timeline => "timeline",
        Tab::Audit => "audit",
        Tab::Catalogue => "catalogue",
    }
}

/// Mounts the app into `#app` with the engine in a Web Worker; does nothing on a page without it.
pub fn mount() {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"))
    else {
        return;
    };
    root.set_inner_html("");
    yew::Renderer::<App>::with_root_and_props(
        root,
        AppProps {
            host: Host::worker(),
            // An embed in documentation keeps its world in the tab only; it must not replay (or
            // overwrite) the session of the full page on the same site.
            session: Some(if util::PageOptions::from_location().embed {
                Keeping::Tab
            } else {
                Keeping::Storage(session::KEY.into())
            }),
            owns_address: true,
        },
    )
    .render();
}

/// Mounts the app into `root` with a given host (tests use an in-page engine with a fixed seed).
pub fn mount_with(root: web_sys::Element, host: Host) -> yew::AppHandle<App> {
    yew::Renderer::<App>::with_root_and_props(
        root,
        AppProps {
            host,
            session: None,
            owns_address: false,
        },
    )
    .render()
}

/// Like [`mount_with`], keeping the session in localStorage under `key` as the page does.
pub fn mount_with_session(root: web_sys::Element, host: Host, key: &str) -> yew::AppHandle<App> {
    yew::Renderer::<App>::with_root_and_props(
        root,
        AppProps {
            host,
            session: Some(Keeping::Storage(key.into())),
            owns_address: false,
        },
    )
    .render()
}

/// What the page opens: a share link's session, else an embed's preset (or a `preset=` asked
/// for), else the saved session.
fn opening() -> Opening {
    if let Some(fragment) = util::take_session_fragment() {
        return Opening::Shared(crate::recording::Journal::from_fragment(&fragment));
    }
    let o = util::PageOptions::from_location();
    let guide = o.guide.unwrap_or_default();
    // On the full page `step=` only picks the view (its address bar always says it).
    let step = o.step.filter(|_| o.embed);
    match crate::presets::Preset::from_options(o.preset.as_deref(), guide, step) {
        Some(p) => {
            // The full page builds a preset once: a reload continues the session it became.
            if !o.embed {
                util::drop_url_param("preset");
            }
            Opening::Preset(p)
        }
        None => Opening::Saved,
    }
}

/// Shared by components that need a `Rc<Settings>`-aware walkthrough context.
pub fn wcx<'a>(
    snap: &'a crate::engine::Snapshot,
    settings: &'a Rc<crate::walkthrough::Settings>,
) -> crate::walkthrough::Context<'a> {
    crate::walkthrough::Context { snap, settings }
}
