//! `render`: parsed with its properties, last only, rows untouched, other visualizations and
//! properties refused whole naming them.

use super::ast::{Op, Render};
use super::*;
use crate::engine::table::{ColumnType, RowSet, Schema, Value};

struct One(RowSet);
impl TableSource for One {
    fn table(&mut self, name: &str) -> Result<Option<RowSet>, String> {
        Ok((name == "T").then(|| self.0.clone()))
    }
}

fn t() -> One {
    One(RowSet {
        schema: Schema {
            columns: vec![
                ("At".into(), ColumnType::DateTime),
                ("N".into(), ColumnType::Long),
            ],
        },
        rows: (0..4)
            .map(|i| vec![Value::DateTime(i * 3_600_000), Value::Long(i)])
            .collect(),
    })
}

fn render_of(text: &str) -> Render {
    let q = parser::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    match q.body.stages.last().map(|s| &s.op) {
        Some(Op::Render(r)) => r.clone(),
        other => panic!("{text}: {other:?}"),
    }
}

#[test]
fn render_parses_every_visualization_and_property() {
    for v in subset::VISUALIZATIONS {
        assert_eq!(render_of(&format!("T | render {v}")).visualization, *v);
    }
    let r = render_of(
        "T | render timechart with (title=\"Rows \\\"in\\\"\", xtitle='Time', ytitle=Rows, kind=stacked, legend=hidden, accumulate=true)",
    );
    assert_eq!(
        r,
        Render {
            visualization: "timechart",
            title: Some("Rows \"in\"".into()),
            xtitle: Some("Time".into()),
            ytitle: Some("Rows".into()),
            kind: Some("stacked"),
            legend: Some("hidden"),
            accumulate: true,
            sorted: false,
        }
    );
    // The older form the Query API documentation uses: properties without `with (…)`.
    let r = render_of("T | render barchart title='24H Perf events' kind=unstacked");
    assert_eq!(r.title.as_deref(), Some("24H Perf events"));
    assert_eq!(r.kind, Some("unstacked"));
    assert_eq!(render_of("T | render piechart with ()").title, None);
}

#[test]
fn render_says_whether_the_rows_arrive_sorted() {
    assert!(render_of("T | sort by N asc | render timechart").sorted);
    assert!(render_of("T | top 3 by N | where N > 0 | render timechart").sorted);
    assert!(!render_of("T | sort by N | summarize count() by N | render timechart").sorted);
    assert!(!render_of("T | render timechart").sorted);
}

#[test]
fn render_leaves_the_rows_alone_and_rides_on_the_answer() {
    let plain = answer("T | where N > 0", 0, &mut t()).unwrap();
    let drawn = answer("T | where N > 0 | render areachart", 0, &mut t()).unwrap();
    assert_eq!(drawn.rows, plain.rows);
    assert_eq!(plain.render, None);
    assert_eq!(drawn.render.map(|r| r.visualization), Some("areachart"));
}

#[test]
fn render_must_be_the_last_operator() {
    for text in [
        "T | render timechart | take 1",
        "T | render table | render timechart",
    ] {
        let e = parser::parse(text).unwrap_err();
        assert_eq!((e.kind, e.code), (ErrorKind::Semantic, "SEM0001"), "{text}");
        assert_eq!((e.token.as_str(), e.pos), ("render", 4), "{text}");
    }
}

#[test]
fn other_visualizations_and_properties_are_refused_naming_them() {
    for (text, construct, what, pos) in [
        (
            "T | render scatterchart",
            "scatterchart",
            "visualization",
            11,
        ),
        ("T | render card", "card", "visualization", 11),
        (
            "T | render anomalychart",
            "anomalychart",
            "visualization",
            11,
        ),
        (
            "T | render timechart with (ycolumns=N)",
            "ycolumns",
            "render property",
            27,
        ),
        (
            "T | render timechart series=N",
            "series",
            "render property",
            21,
        ),
    ] {
        let e = answer(text, 0, &mut t()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported, "{text}");
        assert_eq!((e.token.as_str(), e.pos), (construct, pos), "{text}");
        assert!(e.message.contains(&format!("'{construct}' {what}")), "{e}");
    }
    // Words Kusto does not know are its syntax errors, not the subset's refusals.
    for text in [
        "T | render sparkline",
        "T | render timechart with (colour=red)",
        "T | render timechart with (kind=sideways)",
        "T | render timechart with (title=\"x\"",
        "T | render timechart with (title=\"x\",)",
        "T | render timechart with (,)",
        "T | render",
    ] {
        let e = answer(text, 0, &mut t()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Syntax, "{text}");
    }
}
