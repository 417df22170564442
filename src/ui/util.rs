//! Small browser helpers: wall time, yielding, storage, themes.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Wall-clock milliseconds (only for "answered in N ms"; the engine never sees it).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Resolves after the browser had a chance to render (a zero-delay timeout).
pub async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        } else {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// UI preferences (the theme). The session (a seed and commands) is `super::session`'s; engine
/// state and key material are never stored.
pub fn load_pref(key: &str) -> Option<String> {
    storage().and_then(|s| s.get_item(key).ok().flatten())
}

pub fn save_pref(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

/// Options a page or a documentation embed can set in the query string:
/// `?embed=1&step=3&tab=console&theme=dark`, and `guide=sentinel` for the Microsoft Sentinel
/// walkthrough (`step` is then its step).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageOptions {
    pub embed: bool,
    pub step: Option<usize>,
    pub guide: Option<crate::walkthrough::Guide>,
    pub tab: Option<String>,
    pub theme: Option<Theme>,
}

impl PageOptions {
    pub fn from_location() -> PageOptions {
        let search = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        PageOptions::parse(&search)
    }

    pub fn parse(search: &str) -> PageOptions {
        let mut o = PageOptions::default();
        for pair in search.trim_start_matches('?').split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "embed" => o.embed = v != "0" && v != "false",
                "step" => {
                    o.step = v
                        .parse()
                        .ok()
                        .filter(|n| (1..=crate::walkthrough::STEPS.len()).contains(n))
                }
                "tab" => o.tab = Some(v.to_ascii_lowercase()),
                "guide" => o.guide = crate::walkthrough::Guide::from_id(&v.to_ascii_lowercase()),
                "theme" => {
                    o.theme = match v {
                        "dark" => Some(Theme::Dark),
                        "light" => Some(Theme::Light),
                        _ => None,
                    }
                }
                _ => {}
            }
        }
        o
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn initial() -> Theme {
        match load_pref("cmk-playground-theme").as_deref() {
            Some("dark") => Theme::Dark,
            Some("light") => Theme::Light,
            _ => {
                let dark = web_sys::window()
                    .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
                    .is_some_and(|m| m.matches());
                if dark { Theme::Dark } else { Theme::Light }
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn toggled(self) -> Theme {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }

    /// Sets `data-theme` on `<html>`; the stylesheet does the rest.
    pub fn apply(self) {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = el.set_attribute("data-theme", self.name());
        }
    }
}

/// The value of an input or textarea event's target.
pub fn event_value(e: &web_sys::Event) -> String {
    let Some(target) = e.target() else {
        return String::new();
    };
    if let Some(t) = target.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        return t.value();
    }
    if let Some(i) = target.dyn_ref::<web_sys::HtmlInputElement>() {
        return i.value();
    }
    if let Some(s) = target.dyn_ref::<web_sys::HtmlSelectElement>() {
        return s.value();
    }
    String::new()
}

/// Ctrl+Enter or Cmd+Enter: the "send" shortcut in every editor.
pub fn is_send_shortcut(e: &web_sys::KeyboardEvent) -> bool {
    e.key() == "Enter" && (e.ctrl_key() || e.meta_key())
}

/// Rows for a URL editor: URLs wrap rather than hide their resource path.
pub fn url_rows(url: &str) -> String {
    (url.chars().count() / 56 + 1).clamp(1, 5).to_string()
}

/// Keeps a one-line field (a URL in a wrapping textarea) free of newlines: plain Enter does
/// nothing; Ctrl+Enter still reaches the send handler of the surrounding editor.
pub fn no_newline() -> yew::Callback<web_sys::KeyboardEvent> {
    yew::Callback::from(|e: web_sys::KeyboardEvent| {
        if e.key() == "Enter" && !(e.ctrl_key() || e.meta_key()) {
            e.prevent_default();
        }
    })
}

/// Asks before leaving the page when there is work to lose (the session could not be saved).
pub fn guard_unload(enabled: bool) {
    let Some(w) = web_sys::window() else { return };
    if enabled {
        let f = Closure::<dyn FnMut(web_sys::BeforeUnloadEvent)>::new(
            |e: web_sys::BeforeUnloadEvent| {
                e.prevent_default();
                e.set_return_value("Your playground session is kept only in this tab.");
            },
        );
        w.set_onbeforeunload(Some(f.as_ref().unchecked_ref()));
        f.forget();
    } else {
        w.set_onbeforeunload(None);
    }
}

/// Short form of a GUID or key version for tight spaces.
pub fn short(id: &str) -> String {
    if id.chars().count() > 12 {
        format!("{}…", id.chars().take(8).collect::<String>())
    } else {
        id.to_string()
    }
}

/// HTTP reason phrases for the status codes the services answer.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        _ => "",
    }
}
