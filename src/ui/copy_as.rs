//! The "Copy as" menu of a request in the history: the text comes from [`crate::copy_as`]; this
//! only copies it (the Clipboard API, or the text selected for Ctrl+C where that is refused).

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use super::state::Exchange;
use crate::copy_as::{Format, Req, format};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub exchange: Exchange,
}

#[derive(Clone, PartialEq)]
struct Copied {
    format: Format,
    text: String,
    /// `None` while the clipboard answers; `Some(false)`: refused, the text is selected instead.
    done: Option<bool>,
}

#[function_component(CopyAs)]
pub fn copy_as(p: &Props) -> Html {
    let copied = use_state(|| None::<Copied>);
    let area = use_node_ref();
    // Where the clipboard is refused (no permission, an insecure page), select the text.
    {
        let area = area.clone();
        let failed = matches!(
            &*copied,
            Some(Copied {
                done: Some(false),
                ..
            })
        );
        use_effect_with(failed, move |failed| {
            if *failed && let Some(a) = area.cast::<HtmlTextAreaElement>() {
                let _ = a.focus();
                a.select();
            }
        });
    }
    let x = &p.exchange;
    let items = Format::ALL.iter().map(|&f| {
        let text = format(
            f,
            &Req {
                method: &x.method,
                url: &x.url,
                headers: &x.headers,
                body: x.body.as_deref(),
            },
        );
        let copied = copied.clone();
        let onclick = Callback::from(move |e: MouseEvent| {
            // Close the menu (a <details>) once a choice is made.
            if let Some(d) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("details").ok().flatten())
            {
                let _ = d.remove_attribute("open");
            }
            copied.set(Some(Copied {
                format: f,
                text: text.clone(),
                done: None,
            }));
            let (copied, text) = (copied.clone(), text.clone());
            let promise = web_sys::window().map(|w| w.navigator().clipboard().write_text(&text));
            spawn_local(async move {
                let ok = match promise {
                    Some(p) => JsFuture::from(p).await.is_ok(),
                    None => false,
                };
                copied.set(Some(Copied {
                    format: f,
                    text,
                    done: Some(ok),
                }));
            });
        });
        html! {
            <li><button class="link small" {onclick} data-copy-as={f.id()}>{ f.label() }</button></li>
        }
    });
    let close = {
        let copied = copied.clone();
        Callback::from(move |_| copied.set(None))
    };
    html! {
        <div class="copy-as">
            <details class="copy-as-menu">
                <summary class="small" aria-label="Copy this request as a command">{ "Copy as…" }</summary>
                <ul class="plain">{ for items }</ul>
            </details>
            if let Some(c) = &*copied {
                <div class="copy-as-text" data-testid="copy-as-text">
                    <p class="small muted" role="status">
                        { match c.done {
                            Some(true) => format!("Copied as {}. No credentials are in it: ", c.format.label()),
                            Some(false) => format!("The browser refused the clipboard: the {} command is selected, press Ctrl+C (⌘C) to copy it. ", c.format.label()),
                            None => format!("Copying as {}… ", c.format.label()),
                        } }
                        { "tokens and signatures are placeholders ($TOKEN, $SIGNATURE) or fetched by the tool itself. " }
                        <button class="link small" onclick={close}>{ "Hide" }</button>
                    </p>
                    <label class="sr-only" for={format!("copy-as-{}", p.exchange.seq)}>{ "The command" }</label>
                    <textarea id={format!("copy-as-{}", p.exchange.seq)} class="body mono small" readonly=true spellcheck="false"
                        rows={(c.text.lines().count().clamp(2, 12)).to_string()} ref={area} value={c.text.clone()} />
                </div>
            }
        </div>
    }
}
