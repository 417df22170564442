//! The drills tab in headless Chromium: a drill run from one click with its checks, the levers,
//! the outage switch, the access badges, broken links in the key hierarchy, and the timeline
//! pointing at what an event affected.
#![cfg(target_arch = "wasm32")]

use crate::web_common;
use cmk_playground::ui::{host::Host, mount_with};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_common::*;
use web_sys::{Element, HtmlElement, HtmlSelectElement};

fn access(root: &Element) -> String {
    find(root, "[data-testid=cluster-access] .pill")
        .and_then(|e| e.get_attribute("data-access"))
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn a_drill_runs_from_one_click_and_its_checks_hold() {
    let root = root();
    let _app = mount_with(root.clone(), Host::local(Some([51; 32])));
    settle(&root).await;
    click(&root, "#tab-drills").await;
    click(&root, "[data-drill=revoke-recover]").await;
    click(&root, "[data-testid=drill-run-all]").await;
    wait_for(&root, "[data-testid=drill-verdict]").await;
    let verdict = text(&root, "[data-testid=drill-verdict]");
    assert!(verdict.starts_with("All 14 checks held"), "{verdict}");
    assert_eq!(root.query_selector_all(".stage.done").unwrap().length(), 5);
    assert_eq!(access(&root), "accessible");
    assert!(
        text(&root, "[data-testid=workspace]").contains("5 rows dropped"),
        "{}",
        text(&root, "[data-testid=workspace]")
    );

    // The timeline shows cause and effect, and points at what an event affected.
    click(&root, "#tab-timeline").await;
    let events = root.query_selector_all(".events li").unwrap();
    let mut revoked = None;
    for i in 0..events.length() {
        let li: Element = events.item(i).unwrap().dyn_into().unwrap();
        if li
            .text_content()
            .unwrap_or_default()
            .contains("is unavailable: new data")
        {
            revoked = Some(li);
        }
    }
    let revoked = revoked.expect("a revocation event");
    assert!(revoked.class_list().contains("alert"));
    assert!(find(&root, ".hierarchy .hl").is_none());
    let subject: HtmlElement = revoked
        .query_selector(".subject")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    subject.click();
    yew::scheduler::flush().await;
    assert!(
        find(&root, ".hierarchy rect.node.account.hl").is_some(),
        "the storage account is highlighted"
    );
    // The filter narrows the timeline.
    let search: web_sys::HtmlInputElement =
        find(&root, "#timeline-search").unwrap().dyn_into().unwrap();
    search.set_value("dropped and not recoverable");
    search
        .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    yew::scheduler::flush().await;
    assert_eq!(root.query_selector_all(".events li").unwrap().length(), 1);
}

#[wasm_bindgen_test]
async fn levers_and_the_outage_switch_show_in_badges_and_the_hierarchy() {
    let root = root();
    let _app = mount_with(root.clone(), Host::local(Some([52; 32])));
    settle(&root).await;
    click(&root, "#tab-drills").await;
    click(&root, "[data-drill=kv-outage]").await;
    // Only the set-up stage: a provisioned cluster with data.
    click(&root, "[data-testid=drill-run]").await;
    wait_for(&root, "[data-stage='0'].done").await;
    assert_eq!(access(&root), "accessible");

    click(&root, "[data-lever=DisableInUse]").await;
    assert!(text(&root, "[data-testid=lever-result]").starts_with("200"));
    assert_eq!(access(&root), "accessible", "the cached AEK serves for now");
    plus_hour(&root).await;
    assert_eq!(access(&root), "revoked", "within an hour");
    assert!(
        find(&root, ".hierarchy .edge.broken").is_some(),
        "the link turns red"
    );
    assert!(find(&root, ".hierarchy .node.account.revoked").is_some());

    click(&root, "[data-lever=EnableInUse]").await;
    assert_eq!(access(&root), "revoked");
    plus_hour(&root).await;
    assert_eq!(access(&root), "accessible", "resumed within 30 minutes");
    assert!(find(&root, ".hierarchy .edge.broken").is_none());

    // Key Vault outage: the cache carries the cluster; the badge says so.
    let select: HtmlSelectElement = find(&root, "[data-testid=kv-outage]")
        .unwrap()
        .dyn_into()
        .unwrap();
    select.set_value("dns");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    yew::scheduler::flush().await;
    settle(&root).await;
    plus_hour(&root).await;
    assert_eq!(access(&root), "accessible");
    assert!(
        text(&root, "[data-testid=cluster-access]").contains("Key Vault unreachable"),
        "{}",
        text(&root, "[data-testid=cluster-access]")
    );
}
