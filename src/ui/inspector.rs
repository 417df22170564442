//! The block inspector: one block's header, the first bytes of its ciphertext, the path of keys
//! that decrypts it, a live decrypt check, and tampering to watch authentication fail.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::state::Action;
use super::{AppCtx, json};
use crate::engine::storage::TamperTarget;
use crate::protocol::Command;

#[function_component(Inspector)]
pub fn inspector() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let dialog = use_node_ref();
    // Where focus was when the dialog opened (the block's button): it goes back there on close.
    let opener = use_mut_ref(|| None::<web_sys::HtmlElement>);
    let open = app.state.inspection.clone();
    {
        let dialog = dialog.clone();
        let opener = opener.clone();
        let is_open = open.is_some();
        use_effect_with(is_open, move |is_open| {
            if *is_open {
                *opener.borrow_mut() = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.active_element())
                    .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
                if let Some(el) = dialog.cast::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            } else if let Some(el) = opener.borrow_mut().take() {
                let _ = el.focus();
            }
        });
    }
    // Escape closes the dialog wherever focus is (a clicked button may be disabled while busy).
    {
        let app = app.clone();
        let is_open = open.is_some();
        use_effect_with(is_open, move |is_open| {
            let listener = is_open.then(|| {
                let f = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(
                    move |e: web_sys::KeyboardEvent| {
                        if e.key() == "Escape" {
                            app.dispatch(Action::CloseInspector);
                        }
                    },
                );
                if let Some(w) = web_sys::window() {
                    let _ =
                        w.add_event_listener_with_callback("keydown", f.as_ref().unchecked_ref());
                }
                f
            });
            move || {
                if let (Some(f), Some(w)) = (listener, web_sys::window()) {
                    let _ = w
                        .remove_event_listener_with_callback("keydown", f.as_ref().unchecked_ref());
                }
            }
        });
    }
    let Some(i) = open else { return html! {} };
    let busy = app.state.busy.is_some();
    let close = {
        let app = app.clone();
        Callback::from(move |_| app.dispatch(Action::CloseInspector))
    };
    // Flipping the same bit again is the undo; the engine remembers which bits are flipped.
    let flip = |target: TamperTarget, offset: usize| {
        let app = app.clone();
        let id = i.id;
        Callback::from(move |_| {
            app.runner
                .run(Command::Tamper { id, target, offset }, "Tamper", None);
        })
    };
    let undos = i.flips.iter().map(|&(target, offset)| {
        let what = match target {
            TamperTarget::Sealed => "ciphertext",
            TamperTarget::Header => "header",
            TamperTarget::WrappedAek => "wrapped AEK",
        };
        html! {
            <button class="primary" onclick={flip(target, offset)} disabled={busy} data-testid="tamper-undo">
                { format!("Undo the {what} flip") }
            </button>
        }
    });
    // Tab and Shift+Tab stay inside the dialog while it is open.
    let trap_focus = {
        let dialog = dialog.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() != "Tab" {
                return;
            }
            let Some(root) = dialog.cast::<web_sys::Element>() else {
                return;
            };
            let Ok(list) =
                root.query_selector_all("button:not([disabled]), [href], input, textarea, select")
            else {
                return;
            };
            let items: Vec<web_sys::HtmlElement> = (0..list.length())
                .filter_map(|k| list.item(k))
                .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
                .collect();
            let (Some(first), Some(last)) = (items.first(), items.last()) else {
                return;
            };
            let active = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.active_element());
            let at = |el: &web_sys::HtmlElement| {
                active.as_ref().is_some_and(|a| a.is_same_node(Some(el)))
            };
            let outside = active.as_ref().is_none_or(|a| !root.contains(Some(a)));
            if e.shift_key()
                && (at(first)
                    || outside
                    || active.as_ref().is_some_and(|a| a.is_same_node(Some(&root))))
            {
                e.prevent_default();
                let _ = last.focus();
            } else if !e.shift_key() && (at(last) || outside) {
                e.prevent_default();
                let _ = first.focus();
            }
        })
    };
    let recheck = {
        let app = app.clone();
        let id = i.id;
        Callback::from(move |_| {
            app.runner
                .run(Command::InspectBlock { id }, "Inspect", None)
        })
    };
    let backdrop_click = {
        let close = close.clone();
        Callback::from(move |e: MouseEvent| {
            let on_backdrop = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| el.class_list().contains("backdrop"));
            if on_backdrop {
                close.emit(());
            }
        })
    };
    let (check_class, check_text) = match &i.check {
        Ok(t) => ("status-line done", format!("✓ {t}")),
        Err(t) => ("status-line warning", format!("✗ {t}")),
    };
    // Flip a ciphertext byte among those shown (any byte fails authentication; this one can be
    // seen changing), and a header value byte.
    let shown_byte = SHOWN_FLIP.min(i.sealed_bytes.saturating_sub(1));
    let header_mid = i.header_bytes / 3;
    let flipped: Vec<usize> = i
        .flips
        .iter()
        .filter(|(t, _)| *t == TamperTarget::Sealed)
        .map(|&(_, o)| o)
        .collect();
    let shown = i.ciphertext_prefix.len() / 2;
    let unseen: Vec<String> = flipped
        .iter()
        .filter(|&&o| o >= shown)
        .map(|o| format!("byte {o}"))
        .collect();
    html! {
        <div class="backdrop" onclick={backdrop_click}>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="inspector-title" tabindex="-1" ref={dialog} data-testid="inspector" onkeydown={trap_focus}>
                <header class="dialog-head">
                    <h2 id="inspector-title">{ format!("Block {}", i.id) }</h2>
                    <button class="icon" onclick={close.reform(|_| ())} aria-label="Close">{ "✕" }</button>
                </header>
                <p class={check_class} data-testid="inspector-check">{ check_text.clone() }</p>
                <h3>{ "The keys that decrypt it" }</h3>
                <ol class="key-path">{ for i.key_path.iter().map(|s| html! { <li>{ s }</li> }) }</ol>
                <p class="small muted">
                    { format!("{} plaintext bytes → {} stored bytes; header {} bytes (authenticated with every chunk at both layers){}.",
                        i.plain_bytes, i.sealed_bytes, i.header_bytes, if i.in_hot_cache { "; a copy sits in the hot cache under a Microsoft key" } else { "" }) }
                </p>
                <h3>{ "Column chunks" }</h3>
                <p class="small muted">{ "Each column is its own AEAD message under the block's DEK, with the header and the column's name as associated data: a query decrypts only the columns it reads." }</p>
                <table class="chunks" data-testid="inspector-chunks">
                    <caption class="sr-only">{ "The block's column chunks, in the order their bytes are stored" }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ "Column" }</th>
                            <th scope="col">{ "Type" }</th>
                            <th scope="col">{ "Encoding" }</th>
                            <th scope="col">{ "Bytes (plain → stored)" }</th>
                            <th scope="col">{ "Last read" }</th>
                            <th scope="col">{ "Authenticates" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for i.chunks.iter().map(|c| html! {
                            <tr data-column={c.column.clone()} class={classes!(c.last_read.then_some("opened"))}>
                                <th scope="row"><code>{ &c.column }</code></th>
                                <td>{ &c.ty }</td>
                                <td>{ &c.encoding }</td>
                                <td>{ format!("{} → {} (bytes {}–{})", c.plain_bytes, c.end - c.start, c.start, c.end) }</td>
                                <td>{ if c.last_read { "opened" } else { "—" } }</td>
                                <td>{ match &c.check { Ok(()) => "✓".to_string(), Err(why) => format!("✗ {why}") } }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                <h3>{ "Ciphertext (first 32 bytes)" }</h3>
                <pre class="json hex" data-testid="ciphertext">{ hex_bytes(&i.ciphertext_prefix, &flipped) }</pre>
                if !flipped.is_empty() {
                    <p class="small muted">
                        if unseen.is_empty() {
                            { "The flipped byte is marked: one bit differs from what was stored." }
                        } else {
                            { format!("Flipped beyond the bytes shown: {}.", unseen.join(", ")) }
                        }
                    </p>
                }
                <h3>{ "Header" }</h3>
                { json::view(&i.header) }
                <h3>{ "Tamper with it" }</h3>
                <p class="small muted">{ "Flip one bit and decrypt again: authenticated encryption refuses the chunk rather than return altered data. Queries that read its column fail too; a flipped header bit fails every chunk." }</p>
                <div class="row wrap">
                    <button class="secondary" onclick={flip(TamperTarget::Sealed, shown_byte)} disabled={busy} data-testid="tamper-sealed">{ "Flip a ciphertext bit" }</button>
                    <button class="secondary" onclick={flip(TamperTarget::Header, header_mid)} disabled={busy}>{ "Flip a header bit" }</button>
                    <button class="secondary" onclick={flip(TamperTarget::WrappedAek, 17)} disabled={busy}>{ "Flip a bit of the wrapped AEK" }</button>
                    { for undos }
                    <button class="secondary" onclick={recheck} disabled={busy}>{ "Decrypt again" }</button>
                </div>
                // The outcome next to the buttons that cause it (the line at the top is out of view).
                <p class={check_class} role="status" data-testid="inspector-result">{ check_text }</p>
            </div>
        </div>
    }
}

/// The ciphertext byte "Flip a ciphertext bit" flips: inside the 32 bytes shown.
const SHOWN_FLIP: usize = 20;

/// Hex bytes in groups of four, the flipped ones marked.
fn hex_bytes(hex: &str, flipped: &[usize]) -> Html {
    let bytes: Vec<&str> = (0..hex.len() / 2)
        .filter_map(|k| hex.get(2 * k..2 * k + 2))
        .collect();
    html! {
        { for bytes.iter().enumerate().map(|(k, b)| {
            let sep = if k == 0 { "" } else if k % 4 == 0 { " " } else { "" };
            if flipped.contains(&k) {
                html! { <>{ sep }<mark class="flipped" title={format!("byte {k}, flipped")}>{ *b }</mark></> }
            } else {
                html! { <>{ sep }{ *b }</> }
            }
        }) }
    }
}
