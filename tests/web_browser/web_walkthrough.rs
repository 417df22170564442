//! The page in headless Chromium: the walkthrough driven by clicks through all five steps to a
//! linked workspace, with the engine running in the page (fixed seed).
#![cfg(target_arch = "wasm32")]

use crate::web_common;
use cmk_playground::ui::{host::Host, mount_with};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_common::*;
use web_sys::HtmlElement;

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
