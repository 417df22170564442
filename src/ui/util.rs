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
/// `?embed=1&step=3&tab=console&theme=dark`, `guide=sentinel` for the Microsoft Sentinel
/// walkthrough (`step` is then its step), `preset=` for a prepared world and `height=auto` for an
/// embed that sizes its frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageOptions {
    pub embed: bool,
    pub step: Option<usize>,
    pub guide: Option<crate::walkthrough::Guide>,
    pub tab: Option<String>,
    pub theme: Option<Theme>,
    /// `preset=provisioned|data|revoked|sentinel`: the world to open (see `crate::presets`).
    pub preset: Option<String>,
    /// `height=auto`: an embed tells its host page its height (`postMessage`).
    pub height_auto: bool,
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
                        // The longest walkthrough's; each guide clamps to its own.
                        .filter(|n| {
                            let longest = crate::walkthrough::Guide::all()
                                .iter()
                                .map(|g| g.steps().len())
                                .max()
                                .unwrap_or(1);
                            (1..=longest).contains(n)
                        })
                }
                "tab" => o.tab = Some(v.to_ascii_lowercase()),
                "preset" => o.preset = Some(v.to_ascii_lowercase()),
                "height" => o.height_auto = v == "auto",
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

/// The address bar follows the view, so Back and Forward move between views: `query` replaces
/// the view's parameters (`tab`, `guide`, `step`) and keeps the others. The first call replaces
/// the entry the page was opened with; later ones push one when the view changed.
pub fn show_view_in_url(view: &[(&str, String)], push: bool) {
    let Some(w) = web_sys::window() else { return };
    let (Ok(search), Ok(history)) = (w.location().search(), w.history()) else {
        return;
    };
    let mut pairs: Vec<(String, String)> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .filter(|(k, _)| !view.iter().any(|(n, _)| n == k))
        .collect();
    pairs.extend(view.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let next = format!(
        "?{}",
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    );
    if next == search {
        return;
    }
    let _ = if push {
        history.push_state_with_url(&JsValue::NULL, "", Some(&next))
    } else {
        history.replace_state_with_url(&JsValue::NULL, "", Some(&next))
    };
}

/// Calls `f` when the person goes Back or Forward (the page then reads its options again).
pub fn on_popstate(f: impl Fn() + 'static) {
    let Some(w) = web_sys::window() else { return };
    let cb = Closure::<dyn Fn()>::new(f);
    let _ = w.add_event_listener_with_callback("popstate", cb.as_ref().unchecked_ref());
    cb.forget();
}

/// The share link's fragment the page was opened with, removed from the address bar (the
/// session it carries becomes the page's own; a reload must not open it again).
pub fn take_session_fragment() -> Option<String> {
    let w = web_sys::window()?;
    let hash = w.location().hash().ok()?;
    if !hash
        .trim_start_matches('#')
        .starts_with(crate::recording::FRAGMENT)
    {
        return None;
    }
    if let (Ok(h), Ok(search)) = (w.history(), w.location().search()) {
        let path = w.location().pathname().unwrap_or_default();
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&format!("{path}{search}")));
    }
    Some(hash)
}

/// Tells the host page of an embed how tall the page is, now and whenever it changes:
/// `{ type: "cmk-playground:height", height }` through `postMessage` to the parent frame.
pub fn report_height() {
    let Some(w) = web_sys::window() else { return };
    let Some(root) = w.document().and_then(|d| d.document_element()) else {
        return;
    };
    let Ok(Some(parent)) = w.parent() else { return };
    let send = move || {
        let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        else {
            return;
        };
        let msg = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&msg, &"type".into(), &"cmk-playground:height".into());
        let _ = js_sys::Reflect::set(
            &msg,
            &"height".into(),
            &(root.scroll_height() as f64).into(),
        );
        let _ = parent.post_message(&msg, "*");
    };
    send();
    let cb = Closure::<dyn Fn()>::new(send);
    if let Ok(observer) = web_sys::ResizeObserver::new(cb.as_ref().unchecked_ref()) {
        observer.observe(&root);
        if let Some(body) = w.document().and_then(|d| d.body()) {
            observer.observe(&body);
        }
        std::mem::forget(observer);
    }
    cb.forget();
}

/// Offers `text` as a file download named `name`.
pub fn download(name: &str, text: &str, mime: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    web_sys::Url::revoke_object_url(&url)?;
    Ok(())
}

/// Remembers which element has the focus, and gives it back after the page re-rendered if the
/// focus fell to `<body>` meanwhile (a button disabled while the engine works loses it).
pub fn keep_focus() -> impl FnOnce() {
    let focused = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    move || {
        let Some(el) = focused else { return };
        let restore = Closure::once_into_js(move || {
            let doc = web_sys::window().and_then(|w| w.document());
            let lost = doc
                .as_ref()
                .and_then(|d| d.active_element())
                .is_none_or(|a| {
                    Some(&a)
                        == doc
                            .as_ref()
                            .and_then(|d| d.body())
                            .map(|b| b.unchecked_into::<web_sys::Element>())
                            .as_ref()
                });
            if lost && el.is_connected() {
                // A button that stays disabled (nothing left to run) hands the focus to its
                // panel, so the keyboard user is still where they were.
                let disabled = el.has_attribute("disabled");
                let target = if disabled {
                    el.closest("section, [role=dialog]").ok().flatten()
                } else {
                    Some(el)
                };
                if let Some(h) = target.and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) {
                    if disabled && !h.has_attribute("tabindex") {
                        let _ = h.set_attribute("tabindex", "-1");
                    }
                    let _ = h.focus();
                }
            }
        });
        if let Some(w) = web_sys::window() {
            let _ =
                w.set_timeout_with_callback_and_timeout_and_arguments_0(restore.unchecked_ref(), 0);
        }
    }
}

/// Scrolls the page (this document only, never a host page around an embed) as little as
/// makes the first element matching `selector` wholly visible, keeping what is above it in view
/// when it fits.
pub fn reveal_first(selector: &str) {
    let Some(w) = web_sys::window() else { return };
    let Some(el) = w
        .document()
        .and_then(|d| d.query_selector(selector).ok().flatten())
    else {
        return;
    };
    let view = w
        .inner_height()
        .ok()
        .and_then(|h| h.as_f64())
        .unwrap_or(0.0);
    let r = el.get_bounding_client_rect();
    let y = w.scroll_y().unwrap_or(0.0);
    if r.bottom() <= view {
        return;
    }
    let by = (r.bottom() - view + 8.0).min(r.top() - 8.0).max(0.0);
    w.scroll_to_with_x_and_y(0.0, y + by);
}

/// Removes `name` from the address bar's query string (without a new history entry).
pub fn drop_url_param(name: &str) {
    let Some(w) = web_sys::window() else { return };
    let (Ok(search), Ok(path), Ok(history)) =
        (w.location().search(), w.location().pathname(), w.history())
    else {
        return;
    };
    let kept: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some(name))
        .collect();
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&format!("{path}{query}")));
}

/// The file picked in the `<input type="file">` of `e`, read as text: `then(name, text)` (None
/// if it could not be read). The input is cleared, so picking the same file again reads it again.
pub fn read_picked_file(e: &web_sys::Event, then: impl FnOnce(String, Option<String>) + 'static) {
    let Some(input) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(file) = input.files().and_then(|f| f.get(0)) else {
        return;
    };
    input.set_value("");
    wasm_bindgen_futures::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(file.text())
            .await
            .ok()
            .and_then(|t| t.as_string());
        then(file.name(), text);
    });
}
