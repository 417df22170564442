//! Helpers for browser tests that drive the page: a fresh root per test, waiting for the engine,
//! clicking, reading text.
#![allow(dead_code)]

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, HtmlElement};

pub async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

/// A fresh root for each test (all the browser tests share a page).
pub fn root() -> Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

pub fn find(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).unwrap()
}

pub fn text(root: &Element, selector: &str) -> String {
    find(root, selector)
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

/// Waits until the engine is idle (the busy bar is back to idle) and the view has rendered.
pub async fn settle(root: &Element) {
    for _ in 0..600 {
        yew::scheduler::flush().await;
        if find(root, ".busy.idle").is_some()
            && find(root, ".tabs").is_some()
            && find(root, ".loading").is_none()
        {
            return;
        }
        sleep(25).await;
    }
    panic!("the engine never went idle");
}

pub async fn click(root: &Element, selector: &str) {
    let el = find(root, selector).unwrap_or_else(|| panic!("no element {selector}"));
    el.dyn_into::<HtmlElement>().unwrap().click();
    yew::scheduler::flush().await;
    settle(root).await;
}

pub async fn send(root: &Element, card: &str) -> String {
    click(root, &format!("[data-send=\"{card}\"]")).await;
    text(root, &format!("[data-card=\"{card}\"] .pill"))
}

/// The five provisioning steps, clicked through to a linked workspace.
pub async fn provision(root: &Element) {
    for (step, cards, wait) in [
        (1, &["group", "vault", "key"][..], false),
        (2, &["cluster"][..], true),
        (3, &["grant"][..], false),
        (4, &["key-identifier"][..], true),
        (5, &["workspace", "link"][..], true),
    ] {
        click(root, &format!("#step-{step}")).await;
        for c in cards {
            assert!(send(root, c).await.starts_with('2'), "{c} was refused");
        }
        if wait {
            click(root, "[data-testid=run-next]").await;
        }
    }
}

/// Clicks "+1 h" in the clock panel and waits for the page to settle.
pub async fn plus_hour(root: &Element) {
    let buttons = root.query_selector_all(".clock button").unwrap();
    for i in 0..buttons.length() {
        let b: HtmlElement = buttons.item(i).unwrap().dyn_into().unwrap();
        if b.text_content().unwrap_or_default() == "+1 h" {
            b.click();
            yew::scheduler::flush().await;
            return settle(root).await;
        }
    }
    panic!("no +1 h button");
}

/// Waits for `selector` to appear (drills chain many commands; the page goes idle between them).
pub async fn wait_for(root: &Element, selector: &str) {
    for _ in 0..2400 {
        yew::scheduler::flush().await;
        if find(root, selector).is_some() {
            settle(root).await;
            return;
        }
        sleep(25).await;
    }
    panic!("{selector} never appeared");
}
