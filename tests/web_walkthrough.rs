//! The page in headless Chromium: the walkthrough driven by clicks through all five steps to a
//! linked workspace, with the engine running in the page (fixed seed).
#![cfg(target_arch = "wasm32")]

use cmk_playground::ui::{host::Host, mount_with};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

/// A fresh root for each test (tests of one file share a page).
fn root() -> Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

fn find(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).unwrap()
}

fn text(root: &Element, selector: &str) -> String {
    find(root, selector)
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

/// Waits until the engine is idle (the busy bar is back to idle) and the view has rendered.
async fn settle(root: &Element) {
    for _ in 0..600 {
        yew::scheduler::flush().await;
        if find(root, ".busy.idle").is_some() && find(root, ".stepper").is_some() {
            return;
        }
        sleep(25).await;
    }
    panic!("the engine never went idle");
}

async fn click(root: &Element, selector: &str) {
    let el = find(root, selector).unwrap_or_else(|| panic!("no element {selector}"));
    el.dyn_into::<HtmlElement>().unwrap().click();
    yew::scheduler::flush().await;
    settle(root).await;
}

async fn send(root: &Element, card: &str) -> String {
    click(root, &format!("[data-send=\"{card}\"]")).await;
    text(root, &format!("[data-card=\"{card}\"] .pill"))
}

#[wasm_bindgen_test]
async fn walkthrough_drives_all_five_steps_to_a_linked_workspace() {
    let root = root();
    let _app = mount_with(root.clone(), Host::local(Some([42; 32])));
    settle(&root).await;
    assert!(
        text(&root, "[data-testid=step-status]").contains("No vault"),
        "fresh start"
    );

    assert_eq!(send(&root, "group").await, "201");
    assert_eq!(send(&root, "vault").await, "200");
    assert_eq!(send(&root, "key").await, "200");
    assert!(
        text(&root, "[data-testid=step-status]").contains("is recoverable"),
        "{}",
        text(&root, "[data-testid=step-status]")
    );

    click(&root, "#step-2").await;
    assert_eq!(send(&root, "cluster").await, "202");
    assert_eq!(
        text(&root, "[data-testid=cluster-state]"),
        "ProvisioningAccount"
    );
    click(&root, "[data-testid=run-next]").await;
    assert_eq!(text(&root, "[data-testid=cluster-state]"), "Succeeded");

    click(&root, "#step-3").await;
    assert_eq!(send(&root, "grant").await, "200");
    assert!(text(&root, "[data-testid=step-status]").contains("get, wrapKey and unwrapKey"));

    click(&root, "#step-4").await;
    assert_eq!(send(&root, "key-identifier").await, "202");
    assert_eq!(text(&root, "[data-testid=cluster-state]"), "Updating");
    click(&root, "[data-testid=run-next]").await;
    assert!(
        text(&root, "[data-testid=step-status]").contains("auto-rotation"),
        "{}",
        text(&root, "[data-testid=step-status]")
    );

    click(&root, "#step-5").await;
    assert_eq!(send(&root, "workspace").await, "201");
    assert_eq!(send(&root, "link").await, "202");
    click(&root, "[data-testid=run-next]").await;
    let status = text(&root, "[data-testid=step-status]");
    assert!(status.contains("is linked"), "{status}");
    assert!(text(&root, "[data-testid=cluster]").contains("Linked"));
    // The hierarchy draws the key version the cluster uses.
    assert!(find(&root, "[data-testid=hierarchy] .chip.used").is_some());
    root.remove();
}

#[wasm_bindgen_test]
async fn a_deliberate_mistake_shows_the_services_real_error() {
    let root = root();
    let _app = mount_with(root.clone(), Host::local(Some([43; 32])));
    settle(&root).await;
    send(&root, "group").await;
    // "Skip purge protection": the vault is created but is not recoverable.
    let skip = root
        .query_selector_all(".mistakes button")
        .unwrap()
        .item(0)
        .unwrap();
    skip.dyn_into::<HtmlElement>().unwrap().click();
    yew::scheduler::flush().await;
    assert!(find(&root, "[data-card=vault].mistake").is_some());
    assert_eq!(send(&root, "vault").await, "200");
    send(&root, "key").await;
    assert!(
        find(&root, ".status-line.warning").is_some(),
        "step 1 warns the vault is not recoverable"
    );
    click(&root, "#step-2").await;
    send(&root, "cluster").await;
    click(&root, "[data-testid=run-next]").await;
    click(&root, "#step-3").await;
    send(&root, "grant").await;
    click(&root, "#step-4").await;
    assert_eq!(send(&root, "key-identifier").await, "400");
    let body = text(&root, "[data-card=key-identifier] .json");
    assert!(
        body.contains(
            "Key is not recoverable. Key Vault must be set to Soft-delete and Purge-protection."
        ),
        "{body}"
    );
    assert!(
        text(&root, "[data-card=key-identifier] .source")
            .contains("Quoted from the Azure Monitor customer-managed key document")
    );
    root.remove();
}
