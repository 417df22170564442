//! The session survives a reload: the page in headless Chromium, unmounted and mounted again on a
//! fresh in-page engine, restores the world from the journal in localStorage.
#![cfg(target_arch = "wasm32")]

use crate::web_common;
use cmk_playground::ui::{host::Host, mount_with_session};
use wasm_bindgen_test::*;
use web_common::*;
use web_sys::Element;

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

/// What must survive: the cluster, the clock, the timeline, the key hierarchy, the history size.
async fn world(root: &Element) -> Vec<String> {
    click(root, "#tab-timeline").await;
    let out = vec![
        text(root, "[data-testid=cluster]"),
        text(root, "[data-testid=clock-time]"),
        text(root, "#main-panel"),
        text(root, "[data-testid=hierarchy]"),
        text(root, "#tab-console"),
    ];
    click(root, "#tab-walkthrough").await;
    out
}

/// Mounts the page again on a fresh engine (a reload); returns it and how long restoring took.
async fn reload(key: &str) -> (Element, yew::AppHandle<cmk_playground::ui::App>, f64) {
    let root = root();
    let t0 = js_sys::Date::now();
    let app = mount_with_session(root.clone(), Host::local(None), key);
    settle(&root).await;
    (root, app, js_sys::Date::now() - t0)
}

#[wasm_bindgen_test]
async fn a_provisioned_world_survives_a_reload() {
    let key = "test.session.provisioned";
    storage().remove_item(key).unwrap();
    storage().remove_item(&format!("{key}.view")).unwrap();
    let root = root();
    let app = mount_with_session(root.clone(), Host::local(None), key);
    settle(&root).await;
    provision(&root).await;
    plus_hour(&root).await;
    let before = world(&root).await;
    assert!(before[0].contains("Linked"), "{}", before[0]);
    app.destroy();
    root.remove();

    let (root, app, ms) = reload(key).await;
    web_sys::console::log_1(&format!("restored the provisioned session in {ms:.0} ms").into());
    assert_eq!(world(&root).await, before);
    assert!(
        find(&root, ".notice").is_none(),
        "{}",
        text(&root, ".notice")
    );
    // The page reopens the step it was on.
    assert_eq!(
        find(&root, "#step-5").and_then(|e| e.get_attribute("aria-current")),
        Some("step".into())
    );
    // The restored page is live: the next command runs and joins the journal.
    let saved = storage().get_item(key).unwrap().unwrap().len();
    plus_hour(&root).await;
    assert_ne!(text(&root, "[data-testid=clock-time]"), before[1]);
    assert!(storage().get_item(key).unwrap().unwrap().len() > saved);
    app.destroy();
    root.remove();
    storage().remove_item(key).unwrap();
    storage().remove_item(&format!("{key}.view")).unwrap();
}

#[wasm_bindgen_test]
async fn a_world_after_a_drill_survives_a_reload() {
    let key = "test.session.drill";
    storage().remove_item(key).unwrap();
    let root = root();
    let app = mount_with_session(root.clone(), Host::local(None), key);
    settle(&root).await;
    click(&root, "#tab-drills").await;
    click(&root, "[data-drill=revoke-recover]").await;
    click(&root, "[data-testid=drill-run-all]").await;
    wait_for(&root, "[data-testid=drill-verdict]").await;
    plus_hour(&root).await;
    let before = world(&root).await;
    let journal = storage().get_item(key).unwrap().unwrap();
    app.destroy();
    root.remove();

    let (root, app, ms) = reload(key).await;
    web_sys::console::log_1(
        &format!(
            "restored a session with a drill run ({} bytes of journal) in {ms:.0} ms",
            journal.len()
        )
        .into(),
    );
    assert_eq!(world(&root).await, before);
    app.destroy();
    root.remove();
    storage().remove_item(key).unwrap();
    storage().remove_item(&format!("{key}.view")).unwrap();
}

#[wasm_bindgen_test]
async fn a_journal_that_does_not_replay_is_discarded_with_a_notice() {
    let key = "test.session.broken";
    storage()
        .set_item(key, "{\"seed\":[1,2],\"entries\":7}")
        .unwrap();
    let (root, app, _) = reload(key).await;
    assert!(text(&root, ".notice").contains("could not be restored"));
    assert!(storage().get_item(key).unwrap().is_none());
    assert!(text(&root, "[data-testid=step-status]").contains("No vault"));
    app.destroy();
    root.remove();
}

/// The page starts signed in with real tokens; switching person is journalled, so a reload signs
/// in again as that person, and every request shows the `Authorization` header the page added.
#[wasm_bindgen_test]
async fn the_page_signs_in_and_a_switch_of_person_survives_a_reload() {
    let key = "test.session.signin";
    storage().remove_item(key).unwrap();
    storage().remove_item(&format!("{key}.view")).unwrap();
    let root = root();
    let app = mount_with_session(root.clone(), Host::local(None), key);
    settle(&root).await;
    assert!(text(&root, "[data-testid=signin-menu]").contains("Avery Admin"));
    click(&root, "#tab-console").await;
    click(&root, ".console button.primary").await;
    let auth = text(&root, ".console [data-testid=sent-auth]");
    assert!(auth.contains("Authorization: Bearer eyJ"), "{auth}");
    assert!(
        text(&root, ".console [data-testid=token-claims]")
            .contains("avery@contoso.onmicrosoft.com")
    );
    click(&root, "[data-testid=sign-in-as-sam]").await;
    assert!(text(&root, "[data-testid=signin-menu]").contains("Sam Operator"));
    app.destroy();
    root.remove();

    let (root, app, _) = reload(key).await;
    assert!(
        text(&root, "[data-testid=signin-menu]").contains("Sam Operator"),
        "{}",
        text(&root, "[data-testid=signin-menu]")
    );
    app.destroy();
    root.remove();
    storage().remove_item(key).unwrap();
    storage().remove_item(&format!("{key}.view")).unwrap();
}
