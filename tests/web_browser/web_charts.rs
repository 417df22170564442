//! Charts: a `render` query in the Logs view is drawn as SVG (one line per series, one focusable
//! mark with a `<title>` per value), and the table is one click away.
#![cfg(target_arch = "wasm32")]

use crate::web_common;
use cmk_playground::ui::{host::Host, mount_with};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_common::*;

async fn run_query(root: &web_sys::Element, q: &str) {
    let area: web_sys::HtmlTextAreaElement = find(root, "#log-query").unwrap().dyn_into().unwrap();
    area.set_value(q);
    area.dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    yew::scheduler::flush().await;
    click(root, "[data-testid=run-query]").await;
}

fn count(root: &web_sys::Element, selector: &str) -> u32 {
    root.query_selector_all(selector).unwrap().length()
}

#[wasm_bindgen_test]
async fn a_render_query_is_drawn_as_an_svg_chart_with_a_table_toggle() {
    let root = root();
    let _app = mount_with(root.clone(), Host::local(Some([61; 32])));
    settle(&root).await;
    // A workspace without a cluster is enough: no keys to generate.
    click(&root, "#step-1").await;
    assert!(send(&root, "group").await.starts_with('2'));
    click(&root, "#step-5").await;
    assert!(send(&root, "workspace").await.starts_with('2'));
    click(&root, "#tab-logs").await;
    click(&root, "[data-testid=send-records]").await;
    click(&root, "[data-testid=send-records]").await;

    // Two levels over time: two series, each a line through its points.
    run_query(
        &root,
        "AppEvents_CL | summarize n = count() by bin(TimeGenerated, 1m), Level_s | render timechart with (title='Events by level', legend=visible)",
    )
    .await;
    let chart = find(&root, ".results [data-testid=chart]").expect("a chart");
    assert_eq!(
        chart.get_attribute("data-visualization").as_deref(),
        Some("timechart")
    );
    assert_eq!(count(&root, ".results .chart path.line"), 2);
    assert_eq!(count(&root, ".results .chart .mark circle"), 2);
    assert_eq!(
        text(&root, ".results .chart .chart-title"),
        "Events by level"
    );
    let legend = text(&root, ".results .chart-legend");
    assert!(
        legend.contains("Error") && legend.contains("Info"),
        "{legend}"
    );
    let first = find(&root, ".results .chart .mark").unwrap();
    assert_eq!(first.get_attribute("tabindex").as_deref(), Some("0"));
    let title = text(&root, ".results .chart .mark title");
    assert!(
        title.starts_with("Error: 2 at ") || title.starts_with("Info: 2 at "),
        "{title}"
    );
    // Axis labels are virtual time, UTC, with the date.
    assert!(text(&root, ".results .chart .axes").contains("(UTC)"));
    // The rows are a click away; the chart comes back.
    assert!(find(&root, ".results .table-wrap[hidden]").is_some());
    click(&root, "[data-testid=show-table]").await;
    assert!(find(&root, ".results [data-testid=chart]").is_none());
    assert!(find(&root, ".results .table-wrap[hidden]").is_none());
    assert_eq!(count(&root, ".results tbody tr"), 2);
    click(&root, "[data-testid=show-chart]").await;
    assert!(find(&root, ".results [data-testid=chart]").is_some());

    // A point's value shows while it has the focus, which reaches the mark Yew listens on (dispatched: the test page's window may lack focus).
    let first = find(&root, ".results .chart .mark").unwrap();
    first
        .dispatch_event(&web_sys::FocusEvent::new("focus").unwrap())
        .unwrap();
    yew::scheduler::flush().await;
    assert_eq!(text(&root, ".results [data-testid=chart-value]"), title);

    // Columns: a category per level, a bar per value.
    run_query(&root, "AppEvents_CL | summarize n = count(), slow = countif(DurationMs_d > 100) by Level_s | render columnchart").await;
    assert_eq!(count(&root, ".results .chart .mark rect"), 4);
    // A new answer does not keep the last one's value.
    assert!(text(&root, ".results [data-testid=chart-value]").starts_with("Hover or tab"));
    assert_eq!(count(&root, ".results .chart-legend li"), 2);
    // A pie: two slices, halves of the whole.
    run_query(
        &root,
        "AppEvents_CL | summarize count() by Level_s | render piechart with (legend=hidden)",
    )
    .await;
    assert_eq!(count(&root, ".results .chart .mark path"), 2);
    assert!(find(&root, ".results .chart-legend").is_none());
    assert!(text(&root, ".results .chart .mark title").ends_with("(50.0%)"));
    // The Ingestion view: the two sends (two rows each) stored in this virtual hour.
    let stored = find(&root, "[data-testid=ingestion] .mark title").expect("an hour column");
    let stored = stored.text_content().unwrap_or_default();
    assert!(
        stored.starts_with("4 rows stored in the hour from "),
        "{stored}"
    );
    click(&root, "[data-testid=ingestion-table-toggle]").await;
    assert_eq!(count(&root, "[data-testid=ingestion-table] tbody tr"), 1);
    // The drills link to it.
    click(&root, "#tab-drills").await;
    click(&root, "[data-testid=drill-ingestion]").await;
    assert!(
        find(&root, "#tab-logs[aria-selected=true]").is_some()
            || find(&root, "#ingestion").is_some()
    );
    assert!(find(&root, "#ingestion").is_some());

    // Copy as curl: the Data Collector request, with a signature placeholder.
    click(&root, ".copy-as-menu summary").await;
    click(&root, "[data-copy-as=curl]").await;
    let mut copied = String::new();
    for _ in 0..40 {
        if let Some(t) = find(&root, "[data-testid=copy-as-text] textarea") {
            copied = t
                .dyn_into::<web_sys::HtmlTextAreaElement>()
                .unwrap()
                .value();
            break;
        }
        sleep(25).await;
    }
    assert!(copied.starts_with("curl -X POST 'https://"), "{copied}");
    assert!(
        copied.contains("SharedKey") && copied.contains("$SIGNATURE"),
        "{copied}"
    );
    assert!(copied.contains("--data-raw '["), "{copied}");

    // Nothing to draw: said, and the table stays.
    run_query(&root, "AppEvents_CL | project Message_s | render timechart").await;
    assert!(text(&root, ".results [data-testid=chart-unavailable]").contains("datetime"));
    assert!(find(&root, ".results .table-wrap[hidden]").is_none());
    root.remove();
}
