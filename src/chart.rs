//! Charts for the Logs view, as pure layout: a Query API answer (its `tables[0]` and `render`
//! property), or a workspace's ingestion series ([`ingestion`]), in; positioned marks, ticks,
//! bands and legend out. No browser types here, so the scales,
//! ticks and series extraction are tested natively; `ui::chart` only writes the SVG.
//!
//! Series follow Kusto's defaults for `render` without `xcolumn`/`series`/`ycolumns`
//! (learn.microsoft.com/kusto/query/render-operator): a time chart's x axis is the first
//! datetime column, every numeric column is a y column, and the string columns together name
//! the series; a column or bar chart's categories are the first string column; a pie's slices
//! are the first string column's values sized by the first numeric column.

use serde_json::Value as Json;

use crate::engine::query::lexer::parse_datetime;
use crate::engine::storage::ingestion::{BUCKET_SECS, Bucket};
use crate::engine::table::format_datetime;
use crate::engine::view::LockboxRequestView;

/// The SVG's coordinate space (the page scales it to the width available).
pub const WIDTH: f64 = 720.0;
pub const HEIGHT: f64 = 320.0;
/// Room for the y labels (left), the x labels (bottom) and the axis titles.
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 48.0;
/// More series than this are drawn as the first ones plus a note: a legend of hundreds helps
/// nobody, and the table keeps every row.
pub const MAX_SERIES: usize = 12;
/// Points, bars or slices that get a focus stop and a hover title each; past it the marks are
/// drawn without (the table has the values).
pub const MAX_FOCUSABLE: usize = 300;
/// Rows a chart reads (the view shows at most the API's rows anyway).
pub const MAX_ROWS: usize = 10_000;

/// Ten colours that stay distinct for common colour-vision deficiencies (Tableau 10).
pub const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// What the query asked for, from the answer's `render` property.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Spec {
    pub visualization: String,
    pub title: String,
    pub xtitle: String,
    pub ytitle: String,
    pub kind: String,
    pub legend_hidden: bool,
}

impl Spec {
    /// The `render` property of a Query API answer, if it has one.
    pub fn from_answer(body: &Json) -> Option<Spec> {
        let r = body.get("render")?;
        let s = |k: &str| r.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        Some(Spec {
            visualization: s("visualization"),
            title: s("title"),
            xtitle: s("xtitle"),
            ytitle: s("ytitle"),
            kind: s("kind"),
            legend_hidden: s("legend") == "hidden",
        })
    }
}

/// One axis label at `at` (SVG units along its axis).
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub at: f64,
    pub label: String,
}

/// A series as the legend shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub color: &'static str,
    /// A line or area's outline (`d` of an SVG path); empty for bars and slices.
    pub path: String,
    /// An area's filled shape (closed down to the baseline or the series below).
    pub area: String,
}

/// Something to draw that carries a value: a point (`r` > 0, at x, y), a bar (w × h) or a slice
/// (`path`). `label` is its hover and screen-reader text.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub series: usize,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub r: f64,
    pub path: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    Lines { area: bool },
    Columns { horizontal: bool },
    Pie,
}

/// A laid-out chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub shape: Shape,
    pub spec: Spec,
    pub series: Vec<Series>,
    pub marks: Vec<Mark>,
    /// Along the bottom (x) and the left (y); empty for a pie.
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    /// The plot area: x, y, width, height.
    pub plot: (f64, f64, f64, f64),
    pub x_title: String,
    pub y_title: String,
    /// Why some of the data is not drawn (more series than [`MAX_SERIES`], non-finite values).
    pub notes: Vec<String>,
    /// One sentence for screen readers: what the chart shows.
    pub summary: String,
    /// Shaded spans of the x axis with what they mean (the Ingestion view's windows).
    pub bands: Vec<Band>,
}

/// A shaded span of the plot: x from `x` for `w`, `kind` for its colour, `label` said in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub x: f64,
    pub w: f64,
    pub kind: &'static str,
    pub label: String,
}

/// Why an answer has no chart (the view shows the table and says this).
pub type NoChart = String;

/// The columns of an answer's first table: (name, type).
fn columns(table: &Json) -> Vec<(String, String)> {
    table["columns"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
                    (s("name"), s("type"))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn is_numeric(ty: &str) -> bool {
    matches!(ty, "int" | "long" | "real" | "decimal")
}

/// A cell as a number: finite numbers only (Kusto writes NaN and infinities as strings).
fn number(v: &Json) -> Option<f64> {
    v.as_f64().filter(|f| f.is_finite())
}

fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// Lays out `body` (a Query API answer) as `spec` asks; `Err` says why it cannot be drawn.
pub fn layout(body: &Json, spec: &Spec) -> Result<Chart, NoChart> {
    let table = &body["tables"][0];
    let cols = columns(table);
    let empty = Vec::new();
    let rows: &[Json] = table["rows"].as_array().unwrap_or(&empty);
    let rows = &rows[..rows.len().min(MAX_ROWS)];
    match spec.visualization.as_str() {
        "timechart" | "areachart" => lines(&cols, rows, spec),
        "columnchart" | "barchart" => columns_chart(&cols, rows, spec),
        "piechart" => pie(&cols, rows, spec),
        "table" => Err("The query renders a table.".into()),
        other => Err(format!("The playground does not draw '{other}'.")),
    }
}

/// A linear scale from `[lo, hi]` onto `[a, b]` (a degenerate domain maps to the middle).
#[derive(Clone, Copy, Debug)]
struct Scale {
    lo: f64,
    hi: f64,
    a: f64,
    b: f64,
}

impl Scale {
    fn at(&self, v: f64) -> f64 {
        if self.hi > self.lo {
            self.a + (v - self.lo) / (self.hi - self.lo) * (self.b - self.a)
        } else {
            (self.a + self.b) / 2.0
        }
    }
}

/// "Nice" ticks over `[lo, hi]`: steps of 1, 2 or 5 × 10ⁿ, about `want` of them, and the domain
/// widened to whole steps. Returns (lo, hi, step).
pub fn nice_range(lo: f64, hi: f64, want: usize) -> (f64, f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() && lo <= hi {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let (lo, hi) = if hi - lo < f64::EPSILON * hi.abs().max(1.0) {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    };
    let raw = (hi - lo) / want.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((lo / step).floor() * step, (hi / step).ceil() * step, step)
}

/// A number as an axis or hover shows it: thousands grouped, at most three decimals.
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.abs() >= 1e15 {
        return format!("{v:e}");
    }
    let rounded = (v * 1000.0).round() / 1000.0;
    let neg = rounded < 0.0;
    let int = rounded.abs().trunc() as u64;
    let frac = rounded.abs() - int as f64;
    let digits = int.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let mut out = if neg && (int > 0 || frac > 0.0) {
        format!("-{grouped}")
    } else {
        grouped
    };
    if frac > 0.0 {
        let f = format!("{frac:.3}");
        out.push_str(f.trim_start_matches('0').trim_end_matches('0'));
    }
    out
}

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Time ticks over `[lo, hi]` ms: a whole step (1 s … 1 year) giving at most `want` ticks,
/// aligned to UTC multiples of it; labels in virtual time, UTC.
pub fn time_ticks(lo: i64, hi: i64, want: usize) -> Vec<(i64, String)> {
    const STEPS: [i64; 20] = [
        SECOND,
        5 * SECOND,
        15 * SECOND,
        30 * SECOND,
        MINUTE,
        5 * MINUTE,
        15 * MINUTE,
        30 * MINUTE,
        HOUR,
        2 * HOUR,
        3 * HOUR,
        6 * HOUR,
        12 * HOUR,
        DAY,
        2 * DAY,
        7 * DAY,
        14 * DAY,
        30 * DAY,
        90 * DAY,
        365 * DAY,
    ];
    if hi < lo {
        return Vec::new();
    }
    let span = hi.saturating_sub(lo);
    let want = want.max(1) as i64;
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s < want)
        .unwrap_or_else(|| (span / want).max(1));
    let mut t = lo.div_euclid(step).saturating_mul(step);
    if t < lo {
        t = t.saturating_add(step);
    }
    let mut out = Vec::new();
    let mut last_day = None;
    while t <= hi && out.len() <= want as usize {
        let iso = format_datetime(t); // 2026-03-02T08:00:00Z or with .mmm
        let day = iso.get(..10).unwrap_or("").to_string();
        let label = if step >= DAY {
            day.clone()
        } else {
            let clock = if step < MINUTE {
                iso.get(11..19).unwrap_or("")
            } else {
                iso.get(11..16).unwrap_or("")
            };
            // The date once, and again where it changes.
            if last_day.as_ref() != Some(&day) {
                format!("{day} {clock}")
            } else {
                clock.to_string()
            }
        };
        last_day = Some(day);
        out.push((t, label));
        match t.checked_add(step) {
            Some(n) => t = n,
            None => break,
        }
    }
    out
}

fn plot_area() -> (f64, f64, f64, f64) {
    (LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM)
}

fn stacked(kind: &str) -> bool {
    matches!(kind, "stacked" | "stacked100")
}

/// Series of a time chart: (name, points (x ms, y)) in first-appearance order, points sorted by x.
type Extracted = Vec<(String, Vec<(i64, f64)>)>;

/// Kusto's default series of a time chart: x the first datetime column, y every numeric column,
/// the string columns together naming the series (`value:column` when there are several y).
pub fn time_series(cols: &[(String, String)], rows: &[Json]) -> Result<Extracted, NoChart> {
    let x = cols
        .iter()
        .position(|(_, t)| t == "datetime")
        .ok_or("A time chart needs a datetime column (its x axis); the answer has none.")?;
    let ys: Vec<usize> = (0..cols.len())
        .filter(|&i| i != x && is_numeric(&cols[i].1))
        .collect();
    if ys.is_empty() {
        return Err(
            "A time chart needs a numeric column (its y axis); the answer has none.".into(),
        );
    }
    let names: Vec<usize> = (0..cols.len()).filter(|&i| cols[i].1 == "string").collect();
    let mut out: Extracted = Vec::new();
    for row in rows {
        let Some(t) = row.get(x).and_then(Json::as_str).and_then(parse_datetime) else {
            continue;
        };
        let key: Vec<String> = names
            .iter()
            .map(|&i| text(row.get(i).unwrap_or(&Json::Null)))
            .collect();
        for &y in &ys {
            let Some(v) = row.get(y).and_then(number) else {
                continue;
            };
            let name = match (key.is_empty(), ys.len()) {
                (true, _) => cols[y].0.clone(),
                (false, 1) => key.join(", "),
                (false, _) => format!("{}:{}", key.join(", "), cols[y].0),
            };
            match out.iter_mut().find(|(n, _)| *n == name) {
                Some((_, pts)) => pts.push((t, v)),
                None => out.push((name, vec![(t, v)])),
            }
        }
    }
    for (_, pts) in &mut out {
        pts.sort_by_key(|p| p.0);
    }
    if out.is_empty() {
        return Err("No rows to draw.".into());
    }
    Ok(out)
}

fn lines(cols: &[(String, String)], rows: &[Json], spec: &Spec) -> Result<Chart, NoChart> {
    let mut all = time_series(cols, rows)?;
    let mut notes = Vec::new();
    if all.len() > MAX_SERIES {
        notes.push(format!(
            "Showing the first {MAX_SERIES} of {} series; the table has them all.",
            all.len()
        ));
        all.truncate(MAX_SERIES);
    }
    let area = spec.visualization == "areachart";
    let stack = stacked(&spec.kind);
    // Stacking adds each series onto the ones before it at the same x.
    let mut base: Vec<Vec<f64>> = Vec::with_capacity(all.len());
    if stack {
        let mut totals: std::collections::BTreeMap<i64, f64> = Default::default();
        for (_, pts) in &mut all {
            let mut b = Vec::with_capacity(pts.len());
            for p in pts.iter_mut() {
                let below = totals.entry(p.0).or_insert(0.0);
                b.push(*below);
                *below += p.1;
                p.1 = *below;
            }
            base.push(b);
        }
        if spec.kind == "stacked100" {
            for (i, (_, pts)) in all.iter_mut().enumerate() {
                for (j, p) in pts.iter_mut().enumerate() {
                    let total = totals.get(&p.0).copied().unwrap_or(0.0);
                    let k = if total != 0.0 { 100.0 / total } else { 0.0 };
                    p.1 *= k;
                    base[i][j] *= k;
                }
            }
        }
    }
    let (x_lo, x_hi) = all
        .iter()
        .flat_map(|(_, p)| p.iter().map(|p| p.0))
        .fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t), b.max(t)));
    let (y_lo, y_hi) = all
        .iter()
        .flat_map(|(_, p)| p.iter().map(|p| p.1))
        .fold((0f64, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let (y_lo, y_hi, y_step) = nice_range(y_lo, y_hi.max(y_lo), 5);
    let (px, py, pw, ph) = plot_area();
    let xs = Scale {
        lo: x_lo as f64,
        hi: x_hi as f64,
        a: px,
        b: px + pw,
    };
    let ys = Scale {
        lo: y_lo,
        hi: y_hi,
        a: py + ph,
        b: py,
    };
    let x_ticks = time_ticks(x_lo, x_hi, 6)
        .into_iter()
        .map(|(t, label)| Tick {
            at: xs.at(t as f64),
            label,
        })
        .collect();
    let y_ticks = value_ticks(y_lo, y_hi, y_step, &ys);
    let point_count: usize = all.iter().map(|(_, p)| p.len()).sum();
    let mut series = Vec::with_capacity(all.len());
    let mut marks = Vec::new();
    for (i, (name, pts)) in all.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let coords: Vec<(f64, f64)> = pts
            .iter()
            .map(|p| (xs.at(p.0 as f64), ys.at(p.1)))
            .collect();
        let path = polyline(&coords);
        let area_path = if area {
            let floor: Vec<(f64, f64)> = match base.get(i) {
                Some(b) => pts
                    .iter()
                    .zip(b)
                    .rev()
                    .map(|(p, b)| (xs.at(p.0 as f64), ys.at(*b)))
                    .collect(),
                None => coords
                    .iter()
                    .rev()
                    .map(|(x, _)| (*x, ys.at(y_lo.max(0.0).min(y_hi))))
                    .collect(),
            };
            let mut ring = coords.clone();
            ring.extend(floor);
            format!("{}Z", polyline(&ring))
        } else {
            String::new()
        };
        if point_count <= MAX_FOCUSABLE {
            for (j, (p, (x, y))) in pts.iter().zip(&coords).enumerate() {
                // A stacked point's own value is what it adds.
                let own = p.1 - base.get(i).and_then(|b| b.get(j)).copied().unwrap_or(0.0);
                marks.push(Mark {
                    series: i,
                    x: *x,
                    y: *y,
                    w: 0.0,
                    h: 0.0,
                    r: 3.0,
                    path: String::new(),
                    label: format!("{name}: {} at {}", format_number(own), format_datetime(p.0)),
                });
            }
        }
        series.push(Series {
            name: name.clone(),
            color,
            path,
            area: area_path,
        });
    }
    if point_count > MAX_FOCUSABLE {
        notes.push(format!(
            "{point_count} points: too many to give each a focus stop; the table has the values."
        ));
    }
    let x_col = cols
        .iter()
        .find(|(_, t)| t == "datetime")
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let summary = format!(
        "{} of {} series over {}, from {} to {} (UTC).",
        if area { "Area chart" } else { "Time chart" },
        series.len(),
        x_col,
        format_datetime(x_lo),
        format_datetime(x_hi)
    );
    Ok(Chart {
        shape: Shape::Lines { area },
        spec: spec.clone(),
        series,
        marks,
        x_ticks,
        y_ticks,
        plot: (px, py, pw, ph),
        x_title: or(&spec.xtitle, &format!("{x_col} (UTC)")),
        y_title: spec.ytitle.clone(),
        notes,
        summary,
        bands: Vec::new(),
    })
}

fn or(given: &str, default: &str) -> String {
    if given.is_empty() {
        default.to_string()
    } else {
        given.to_string()
    }
}

fn value_ticks(lo: f64, hi: f64, step: f64, scale: &Scale) -> Vec<Tick> {
    let mut out = Vec::new();
    let mut v = lo;
    // Bounded: nice_range makes (hi - lo) / step about five.
    while v <= hi + step / 2.0 && out.len() < 20 {
        out.push(Tick {
            at: scale.at(v),
            label: format_number(v),
        });
        v += step;
    }
    out
}

fn polyline(points: &[(f64, f64)]) -> String {
    let mut d = String::with_capacity(points.len() * 16);
    for (i, (x, y)) in points.iter().enumerate() {
        d.push(if i == 0 { 'M' } else { 'L' });
        d.push_str(&format!("{x:.1},{y:.1}"));
    }
    d
}

/// Value series of a column or bar chart: (column name, one value per category).
type Columns = Vec<(String, Vec<f64>)>;

/// Categories (first string column, else the first non-numeric one, else row numbers) and one
/// value series per numeric column.
pub fn categories(
    cols: &[(String, String)],
    rows: &[Json],
) -> Result<(Vec<String>, Columns), NoChart> {
    let ys: Vec<usize> = (0..cols.len())
        .filter(|&i| is_numeric(&cols[i].1))
        .collect();
    if ys.is_empty() {
        return Err("This chart needs a numeric column; the answer has none.".into());
    }
    let cat = cols
        .iter()
        .position(|(_, t)| t == "string")
        .or_else(|| cols.iter().position(|(_, t)| !is_numeric(t)));
    let names = rows
        .iter()
        .enumerate()
        .map(|(i, r)| match cat {
            Some(c) => text(r.get(c).unwrap_or(&Json::Null)),
            None => (i + 1).to_string(),
        })
        .collect();
    let series = ys
        .iter()
        .map(|&y| {
            let vals = rows
                .iter()
                .map(|r| r.get(y).and_then(number).unwrap_or(0.0))
                .collect();
            (cols[y].0.clone(), vals)
        })
        .collect();
    if rows.is_empty() {
        return Err("No rows to draw.".into());
    }
    Ok((names, series))
}

fn columns_chart(cols: &[(String, String)], rows: &[Json], spec: &Spec) -> Result<Chart, NoChart> {
    let (mut names, mut all) = categories(cols, rows)?;
    let mut notes = Vec::new();
    if all.len() > MAX_SERIES {
        notes.push(format!(
            "Showing the first {MAX_SERIES} of {} value columns.",
            all.len()
        ));
        all.truncate(MAX_SERIES);
    }
    const MAX_CATEGORIES: usize = 100;
    if names.len() > MAX_CATEGORIES {
        notes.push(format!(
            "Showing the first {MAX_CATEGORIES} of {} rows; the table has them all.",
            names.len()
        ));
        names.truncate(MAX_CATEGORIES);
        for (_, v) in &mut all {
            v.truncate(MAX_CATEGORIES);
        }
    }
    let horizontal = spec.visualization == "barchart";
    let stack = stacked(&spec.kind);
    let n = names.len();
    let totals: Vec<f64> = (0..n)
        .map(|j| all.iter().map(|(_, v)| v[j]).sum())
        .collect();
    let hundred = spec.kind == "stacked100";
    let value = |i: usize, j: usize| {
        let v = all[i].1[j];
        if hundred && totals[j] != 0.0 {
            v * 100.0 / totals[j]
        } else {
            v
        }
    };
    let (lo, hi) = if stack {
        (0..n).fold((0f64, 0f64), |(a, b), j| {
            let (neg, pos) = (0..all.len())
                .map(|i| value(i, j))
                .fold(
                    (0.0, 0.0),
                    |(n, p), v| {
                        if v < 0.0 { (n + v, p) } else { (n, p + v) }
                    },
                );
            (a.min(neg), b.max(pos))
        })
    } else {
        (0..n)
            .flat_map(|j| (0..all.len()).map(move |i| (i, j)))
            .fold((0f64, 0f64), |(a, b), (i, j)| {
                (a.min(value(i, j)), b.max(value(i, j)))
            })
    };
    let (lo, hi, step) = nice_range(lo, hi, 5);
    let (px, py, pw, ph) = plot_area();
    // The value axis runs up (columns) or right (bars); categories share the other one.
    let vs = if horizontal {
        Scale {
            lo,
            hi,
            a: px,
            b: px + pw,
        }
    } else {
        Scale {
            lo,
            hi,
            a: py + ph,
            b: py,
        }
    };
    let band = if horizontal { ph } else { pw } / n.max(1) as f64;
    let groups = if stack { 1 } else { all.len().max(1) };
    let bar = band * 0.8 / groups as f64;
    let mut marks = Vec::new();
    let mut cat_ticks = Vec::new();
    for (j, name) in names.iter().enumerate() {
        let start = if horizontal { py } else { px } + band * j as f64 + band * 0.1;
        cat_ticks.push(Tick {
            at: start + band * 0.4,
            label: name.clone(),
        });
        let (mut up, mut down) = (0.0, 0.0);
        for (i, (col, _)) in all.iter().enumerate() {
            let v = value(i, j);
            let (from, to) = if stack {
                let acc = if v < 0.0 { &mut down } else { &mut up };
                let from = *acc;
                *acc += v;
                (from, *acc)
            } else {
                (0.0, v)
            };
            let (a, b) = (vs.at(from), vs.at(to));
            let offset = if stack { 0.0 } else { bar * i as f64 };
            let (x, y, w, h) = if horizontal {
                (a.min(b), start + offset, (b - a).abs(), bar)
            } else {
                (start + offset, a.min(b), bar, (b - a).abs())
            };
            let label = format!("{name} · {col}: {}", format_number(all[i].1[j]));
            marks.push(Mark {
                series: i,
                x,
                y,
                w,
                h,
                r: 0.0,
                path: String::new(),
                label,
            });
        }
    }
    let val_ticks = value_ticks(lo, hi, step, &vs);
    let series = all
        .iter()
        .enumerate()
        .map(|(i, (name, _))| Series {
            name: name.clone(),
            color: PALETTE[i % PALETTE.len()],
            path: String::new(),
            area: String::new(),
        })
        .collect::<Vec<_>>();
    let cat_col = cols
        .iter()
        .find(|(_, t)| t == "string")
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let (x_ticks, y_ticks) = if horizontal {
        (val_ticks, cat_ticks)
    } else {
        (cat_ticks, val_ticks)
    };
    let (x_title, y_title) = if horizontal {
        (spec.ytitle.clone(), or(&spec.xtitle, &cat_col))
    } else {
        (or(&spec.xtitle, &cat_col), spec.ytitle.clone())
    };
    Ok(Chart {
        shape: Shape::Columns { horizontal },
        spec: spec.clone(),
        summary: format!(
            "{} of {} by {}: {} categories.",
            if horizontal {
                "Bar chart"
            } else {
                "Column chart"
            },
            series
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if cat_col.is_empty() { "row" } else { &cat_col },
            n
        ),
        series,
        marks,
        x_ticks,
        y_ticks,
        plot: (px, py, pw, ph),
        x_title,
        y_title,
        notes,
        bands: Vec::new(),
    })
}

fn pie(cols: &[(String, String)], rows: &[Json], spec: &Spec) -> Result<Chart, NoChart> {
    let (names, all) = categories(cols, rows)?;
    let (col, values) = &all[0];
    let mut notes = Vec::new();
    // Slices are parts of a whole: negative values have no place in it.
    let mut slices: Vec<(String, f64)> = names
        .iter()
        .cloned()
        .zip(values.iter().copied())
        .filter(|(_, v)| *v > 0.0)
        .collect();
    if slices.len() < names.len() {
        notes.push("Rows with a zero or negative value have no slice.".into());
    }
    if slices.len() > MAX_SERIES {
        let rest: f64 = slices[MAX_SERIES - 1..].iter().map(|s| s.1).sum();
        notes.push(format!(
            "The smallest {} slices after the first {} are one slice, \"Other\".",
            slices.len() - (MAX_SERIES - 1),
            MAX_SERIES - 1
        ));
        slices.truncate(MAX_SERIES - 1);
        slices.push(("Other".into(), rest));
    }
    let total: f64 = slices.iter().map(|s| s.1).sum();
    if total <= 0.0 || !total.is_finite() {
        return Err("No positive values to draw as a pie.".into());
    }
    let (cx, cy, r) = (WIDTH / 2.0 - 120.0, HEIGHT / 2.0, HEIGHT / 2.0 - 24.0);
    let mut angle = -std::f64::consts::FRAC_PI_2;
    let mut marks = Vec::new();
    let mut series = Vec::new();
    for (i, (name, v)) in slices.iter().enumerate() {
        let sweep = v / total * std::f64::consts::TAU;
        let (a0, a1) = (angle, angle + sweep);
        angle = a1;
        let point = |a: f64| (cx + r * a.cos(), cy + r * a.sin());
        let path = if sweep >= std::f64::consts::TAU - 1e-9 {
            // A whole circle: two half arcs (one arc cannot start and end at the same point).
            format!(
                "M{:.1},{:.1}A{r:.1},{r:.1} 0 1 1 {:.1},{:.1}A{r:.1},{r:.1} 0 1 1 {:.1},{:.1}Z",
                cx,
                cy - r,
                cx,
                cy + r,
                cx,
                cy - r
            )
        } else {
            let ((x0, y0), (x1, y1)) = (point(a0), point(a1));
            let large = u8::from(sweep > std::f64::consts::PI);
            format!("M{cx:.1},{cy:.1}L{x0:.1},{y0:.1}A{r:.1},{r:.1} 0 {large} 1 {x1:.1},{y1:.1}Z")
        };
        let color = PALETTE[i % PALETTE.len()];
        marks.push(Mark {
            series: i,
            x: 0.0,
            y: 0.0,
            w: 0.0,
            h: 0.0,
            r: 0.0,
            path,
            label: format!("{name}: {} ({:.1}%)", format_number(*v), v / total * 100.0),
        });
        series.push(Series {
            name: name.clone(),
            color,
            path: String::new(),
            area: String::new(),
        });
    }
    Ok(Chart {
        shape: Shape::Pie,
        spec: spec.clone(),
        summary: format!("Pie chart of {col}: {} slices.", series.len()),
        series,
        marks,
        x_ticks: Vec::new(),
        y_ticks: Vec::new(),
        plot: (cx - r, cy - r, 2.0 * r, 2.0 * r),
        x_title: String::new(),
        y_title: String::new(),
        notes,
        bands: Vec::new(),
    })
}

/// A span of virtual time the Ingestion view shades: `kind` is `key`, `vault` or `lockbox`.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub from: u64,
    pub to: u64,
    pub kind: &'static str,
    pub label: String,
}

/// The hours in which ingestion met an unusable key or an unreachable Key Vault, as windows
/// (consecutive marked hours are one window).
pub fn ingestion_windows(buckets: &[Bucket]) -> Vec<Window> {
    let mut out: Vec<Window> = Vec::new();
    type Marked = fn(&Bucket) -> bool;
    let kinds: [(&'static str, &str, Marked); 2] = [
        ("key", "Key unusable: revoked, rows dropped", |b| {
            b.key_unusable
        }),
        ("vault", "Key Vault unreachable: cached key in use", |b| {
            b.vault_unreachable
        }),
    ];
    for (kind, label, marked) in kinds {
        for b in buckets.iter().filter(|b| marked(b)) {
            let end = b.start.saturating_add(BUCKET_SECS);
            match out.last_mut() {
                Some(w) if w.kind == kind && w.to == b.start => w.to = end,
                _ => out.push(Window {
                    from: b.start,
                    to: end,
                    kind,
                    label: label.to_string(),
                }),
            }
        }
    }
    out
}

/// Customer Lockbox approvals of the workspace `workspace_id` (its ARM id): from the decision to
/// the end of the access it granted (denied, expired and pending requests granted none).
pub fn lockbox_windows(requests: &[LockboxRequestView], workspace_id: &str) -> Vec<Window> {
    requests
        .iter()
        .filter(|r| r.workspace.eq_ignore_ascii_case(workspace_id))
        .filter(|r| matches!(r.status.as_str(), "Approved" | "Completed"))
        .filter_map(|r| {
            Some(Window {
                from: r.decided?,
                to: r.expires,
                kind: "lockbox",
                label: format!("Customer Lockbox access ({})", r.support_request),
            })
        })
        .collect()
}

/// The Ingestion view: per virtual hour, rows stored and rows dropped stacked, with `windows`
/// shaded and labelled (clipped to the hours shown).
pub fn ingestion(buckets: &[Bucket], windows: &[Window]) -> Result<Chart, NoChart> {
    let (Some(first), Some(last)) = (buckets.first(), buckets.last()) else {
        return Err("No rows sent to this workspace yet.".into());
    };
    let (t0, t1) = (first.start, last.start.saturating_add(BUCKET_SECS));
    let (px, py, pw, ph) = plot_area();
    let ms = |t: u64| i64::try_from(t).unwrap_or(i64::MAX).saturating_mul(1000);
    let xs = Scale {
        lo: t0 as f64,
        hi: t1 as f64,
        a: px,
        b: px + pw,
    };
    let top = buckets.iter().map(|b| b.ingested).max().unwrap_or(0) as f64;
    let (lo, hi, step) = nice_range(0.0, top.max(1.0), 5);
    let ys = Scale {
        lo,
        hi,
        a: py + ph,
        b: py,
    };
    let hour = (xs.at(BUCKET_SECS as f64 + t0 as f64) - px).max(0.0);
    let mut marks = Vec::new();
    for b in buckets {
        let x = xs.at(b.start as f64) + hour * 0.1;
        let when = format_datetime(ms(b.start));
        let mut below = 0.0;
        for (series, rows, what) in [(0, b.stored, "stored"), (1, b.dropped, "dropped")] {
            if rows == 0 {
                continue;
            }
            let v = rows as f64;
            let (y0, y1) = (ys.at(below), ys.at(below + v));
            below += v;
            let why = if series == 1 && !b.reasons.is_empty() {
                let reasons: Vec<String> = (b.reasons.iter())
                    .map(|(r, n)| format!("{} ({r})", format_number(*n as f64)))
                    .collect();
                format!(": {}", reasons.join("; "))
            } else {
                String::new()
            };
            marks.push(Mark {
                series,
                x,
                y: y1.min(y0),
                w: hour * 0.8,
                h: (y0 - y1).abs(),
                r: 0.0,
                path: String::new(),
                label: format!(
                    "{} rows {what} in the hour from {when} (of {} sent){why}",
                    format_number(v),
                    format_number(b.ingested as f64)
                ),
            });
        }
    }
    let bands = windows
        .iter()
        .filter(|w| w.to > t0 && w.from < t1)
        .map(|w| {
            let (a, b) = (xs.at(w.from.max(t0) as f64), xs.at(w.to.min(t1) as f64));
            Band {
                x: a,
                w: (b - a).max(1.0),
                kind: w.kind,
                label: format!(
                    "{} ({} to {})",
                    w.label,
                    format_datetime(ms(w.from)),
                    format_datetime(ms(w.to))
                ),
            }
        })
        .collect();
    let x_ticks = time_ticks(ms(t0), ms(t1), 6)
        .into_iter()
        .map(|(t, label)| Tick {
            at: xs.at(t as f64 / 1000.0),
            label,
        })
        .collect();
    let series = [("Stored", "#59a14f"), ("Dropped", "#e15759")]
        .into_iter()
        .map(|(name, color)| Series {
            name: name.into(),
            color,
            path: String::new(),
            area: String::new(),
        })
        .collect();
    let (stored, dropped): (u64, u64) = buckets
        .iter()
        .fold((0, 0), |(s, d), b| (s + b.stored, d + b.dropped));
    Ok(Chart {
        shape: Shape::Columns { horizontal: false },
        spec: Spec {
            visualization: "columnchart".into(),
            kind: "stacked".into(),
            ..Spec::default()
        },
        series,
        marks,
        x_ticks,
        y_ticks: value_ticks(lo, hi, step, &ys),
        plot: (px, py, pw, ph),
        x_title: "Virtual time (UTC), one column per hour".into(),
        y_title: "Rows".into(),
        notes: Vec::new(),
        summary: format!(
            "Rows sent per hour from {} to {}: {} stored, {} dropped; {} shaded windows.",
            format_datetime(ms(t0)),
            format_datetime(ms(t1)),
            format_number(stored as f64),
            format_number(dropped as f64),
            windows.len()
        ),
        bands,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(v: &str) -> Spec {
        Spec {
            visualization: v.into(),
            ..Spec::default()
        }
    }

    fn answer(cols: &[(&str, &str)], rows: Json) -> Json {
        json!({ "tables": [{
            "name": "PrimaryResult",
            "columns": cols.iter().map(|(n, t)| json!({ "name": n, "type": t })).collect::<Vec<_>>(),
            "rows": rows,
        }] })
    }

    #[test]
    fn nice_ranges_use_whole_steps_of_one_two_or_five() {
        assert_eq!(nice_range(0.0, 97.0, 5), (0.0, 100.0, 20.0));
        assert_eq!(nice_range(3.0, 3.0, 5), (2.0, 4.0, 0.5));
        assert_eq!(nice_range(-12.0, 40.0, 5), (-20.0, 40.0, 20.0));
        let (lo, hi, step) = nice_range(f64::NAN, 1.0, 5);
        assert!(lo <= 0.0 && hi >= 1.0 && step > 0.0);
    }

    #[test]
    fn numbers_are_grouped_and_short() {
        assert_eq!(format_number(1234567.0), "1,234,567");
        assert_eq!(format_number(-0.5), "-0.5");
        assert_eq!(format_number(2.0 / 3.0), "0.667");
        assert_eq!(format_number(0.0), "0");
    }

    #[test]
    fn time_ticks_are_whole_utc_steps_with_the_date_where_it_changes() {
        let t0 = parse_datetime("2026-03-02T22:10:00Z").unwrap();
        let t1 = parse_datetime("2026-03-03T03:50:00Z").unwrap();
        let ticks = time_ticks(t0, t1, 6);
        let labels: Vec<&str> = ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(
            labels,
            [
                "2026-03-02 23:00",
                "2026-03-03 00:00",
                "01:00",
                "02:00",
                "03:00"
            ]
        );
        assert!(
            ticks
                .iter()
                .all(|(t, _)| t % HOUR == 0 && *t >= t0 && *t <= t1)
        );
        let days = time_ticks(t0, t0 + 20 * DAY, 6);
        assert!(
            days.len() <= 7 && days.iter().all(|(_, l)| l.len() == 10),
            "{days:?}"
        );
        // A single instant is one tick, to the second.
        assert_eq!(
            time_ticks(t0, t0, 6),
            [(t0, "2026-03-02 22:10:00".to_string())]
        );
        assert_eq!(time_ticks(t1, t0, 6), []);
        assert!(time_ticks(i64::MIN, i64::MAX, 6).len() <= 7);
    }

    #[test]
    fn a_time_chart_has_a_series_per_string_value_sorted_by_time() {
        let body = answer(
            &[
                ("TimeGenerated", "datetime"),
                ("Computer", "string"),
                ("count_", "long"),
            ],
            json!([
                ["2026-03-02T09:00:00Z", "web", 5],
                ["2026-03-02T08:00:00Z", "web", 3],
                ["2026-03-02T08:00:00Z", "db", 1],
                ["not a time", "db", 9],
            ]),
        );
        let c = layout(&body, &spec("timechart")).unwrap();
        let names: Vec<&str> = c.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["web", "db"]);
        // Two points for web (a line with one segment), one for db.
        assert_eq!(c.series[0].path.matches('L').count(), 1);
        assert_eq!(c.series[1].path.matches('L').count(), 0);
        assert_eq!(c.marks.len(), 3);
        // Sorted by time: web's first point is the 08:00 one, at the plot's left edge.
        assert_eq!(c.marks[0].x, LEFT);
        assert!(
            c.marks[0].label.contains("web: 3 at 2026-03-02T08:00:00"),
            "{}",
            c.marks[0].label
        );
        assert!(c.series.iter().all(|s| s.area.is_empty()));
        assert_eq!(c.x_title, "TimeGenerated (UTC)");
    }

    #[test]
    fn without_string_columns_each_numeric_column_is_a_series() {
        let body = answer(
            &[("t", "datetime"), ("a", "long"), ("b", "real")],
            json!([
                ["2026-03-02T08:00:00Z", 1, 2.5],
                ["2026-03-02T09:00:00Z", 2, "NaN"]
            ]),
        );
        let c = layout(&body, &spec("areachart")).unwrap();
        assert_eq!(
            c.series.iter().map(|s| &s.name[..]).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(c.series.iter().all(|s| s.area.ends_with('Z')));
        // NaN is not a point.
        assert_eq!(c.marks.len(), 3);
    }

    #[test]
    fn stacked_areas_sit_on_the_series_below() {
        let body = answer(
            &[("t", "datetime"), ("a", "long"), ("b", "long")],
            json!([
                ["2026-03-02T08:00:00Z", 1, 2],
                ["2026-03-02T09:00:00Z", 3, 4]
            ]),
        );
        let mut s = spec("areachart");
        s.kind = "stacked".into();
        let c = layout(&body, &s).unwrap();
        // b's points are drawn at a + b (3 and 7), labelled with b's own values.
        let top = &c.marks[2..];
        assert!(top[0].label.starts_with("b: 2 at"), "{:?}", top[0].label);
        assert!(top[1].y < c.marks[1].y);
        assert_eq!(c.y_ticks.last().unwrap().label, "8");
    }

    #[test]
    fn time_charts_need_a_datetime_and_a_number() {
        let body = answer(&[("c", "string"), ("n", "long")], json!([["a", 1]]));
        assert!(
            layout(&body, &spec("timechart"))
                .unwrap_err()
                .contains("datetime")
        );
        let body = answer(&[("t", "datetime")], json!([["2026-03-02T08:00:00Z"]]));
        assert!(
            layout(&body, &spec("timechart"))
                .unwrap_err()
                .contains("numeric")
        );
        assert!(layout(&json!({}), &spec("timechart")).is_err());
        assert!(layout(&json!({}), &spec("table")).is_err());
    }

    #[test]
    fn columns_are_grouped_per_category_and_bars_run_sideways() {
        let body = answer(
            &[
                ("Computer", "string"),
                ("errors", "long"),
                ("warnings", "long"),
            ],
            json!([["web", 4, 2], ["db", 0, 6]]),
        );
        let c = layout(&body, &spec("columnchart")).unwrap();
        assert_eq!(c.marks.len(), 4);
        assert_eq!(
            c.x_ticks.iter().map(|t| &t.label[..]).collect::<Vec<_>>(),
            ["web", "db"]
        );
        // Zero is a bar of no height standing on the baseline; six is the tallest.
        assert_eq!(c.marks[2].h, 0.0);
        let tallest = c.marks.iter().max_by(|a, b| a.h.total_cmp(&b.h)).unwrap();
        assert_eq!(tallest.label, "db · warnings: 6");
        let b = layout(&body, &spec("barchart")).unwrap();
        assert_eq!(b.shape, Shape::Columns { horizontal: true });
        assert_eq!(b.y_ticks.len(), 2);
        assert!(b.marks.iter().all(|m| m.x >= LEFT - 1e-9));
    }

    #[test]
    fn a_pie_is_the_first_numeric_column_by_the_first_string_column() {
        let body = answer(
            &[("Computer", "string"), ("n", "long")],
            json!([["web", 3], ["db", 1], ["none", 0]]),
        );
        let c = layout(&body, &spec("piechart")).unwrap();
        assert_eq!(c.marks.len(), 2);
        assert_eq!(c.marks[0].label, "web: 3 (75.0%)");
        assert!(
            c.marks[0].path.contains(" 0 1 1 "),
            "a 75% slice is a large arc"
        );
        assert!(c.marks[1].path.contains(" 0 0 1 "));
        assert_eq!(c.notes.len(), 1);
        let one = answer(&[("c", "string"), ("n", "long")], json!([["all", 5]]));
        let whole = layout(&one, &spec("piechart")).unwrap();
        assert_eq!(whole.marks[0].path.matches('A').count(), 2);
        let none = answer(&[("c", "string"), ("n", "long")], json!([["a", 0]]));
        assert!(layout(&none, &spec("piechart")).is_err());
    }

    #[test]
    fn many_series_are_capped_and_said() {
        let rows: Vec<Json> = (0..40)
            .map(|i| json!(["2026-03-02T08:00:00Z", format!("m{i}"), i]))
            .collect();
        let body = answer(
            &[("t", "datetime"), ("c", "string"), ("n", "long")],
            json!(rows),
        );
        let c = layout(&body, &spec("timechart")).unwrap();
        assert_eq!(c.series.len(), MAX_SERIES);
        assert!(c.notes[0].contains("of 40 series"));
    }

    fn bucket(h: u64, stored: u64, dropped: u64, key: bool, vault: bool) -> Bucket {
        Bucket {
            start: 1_772_438_400 + h * BUCKET_SECS,
            ingested: stored + dropped,
            stored,
            dropped,
            reasons: if dropped > 0 {
                vec![("storage is unavailable".into(), dropped)]
            } else {
                Vec::new()
            },
            key_unusable: key,
            vault_unreachable: vault,
        }
    }

    #[test]
    fn ingestion_hours_stack_stored_under_dropped_and_windows_join_up() {
        let b = [
            bucket(0, 10, 0, false, false),
            bucket(1, 4, 0, false, true),
            bucket(2, 0, 8, true, false),
            bucket(3, 0, 6, true, false),
            // An hour with nothing sent has no bucket: the window breaks there.
            bucket(5, 0, 2, true, false),
        ];
        let w = ingestion_windows(&b);
        let spans: Vec<(&str, u64, u64)> = w
            .iter()
            .map(|w| {
                (
                    w.kind,
                    (w.from - b[0].start) / 3600,
                    (w.to - b[0].start) / 3600,
                )
            })
            .collect();
        assert_eq!(spans, [("key", 2, 4), ("key", 5, 6), ("vault", 1, 2)]);
        let mut all = w.clone();
        // A Lockbox approval that began before the first hour shown is clipped to it.
        all.push(Window {
            from: b[0].start - 7200,
            to: b[0].start + 3600,
            kind: "lockbox",
            label: "Customer Lockbox access".into(),
        });
        let c = ingestion(&b, &all).unwrap();
        assert_eq!(c.bands.len(), 4);
        let lockbox = &c.bands[3];
        assert_eq!(lockbox.x, LEFT);
        assert!(
            lockbox
                .label
                .starts_with("Customer Lockbox access (2026-03-02T06:00:00")
        );
        // One mark per non-zero count; the dropped hours are series 1 and say why.
        assert_eq!(c.marks.len(), 5);
        assert!(
            c.marks[2]
                .label
                .starts_with("8 rows dropped in the hour from 2026-03-02T10:00:00")
        );
        assert!(
            c.marks[2].label.ends_with("8 (storage is unavailable)"),
            "{}",
            c.marks[2].label
        );
        assert_eq!(c.marks.iter().filter(|m| m.series == 1).count(), 3);
        // Ten rows is the tallest column, standing on the baseline.
        let tallest = c.marks.iter().max_by(|a, b| a.h.total_cmp(&b.h)).unwrap();
        assert!(tallest.label.starts_with("10 rows stored"));
        assert!((tallest.y + tallest.h - (TOP + HEIGHT - TOP - BOTTOM)).abs() < 1e-9);
        assert!(ingestion(&[], &[]).is_err());
    }

    #[test]
    fn lockbox_approvals_of_the_workspace_are_windows() {
        let ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w";
        let req = |workspace: &str, status: &str, decided: Option<u64>| LockboxRequestView {
            workspace: workspace.into(),
            status: status.into(),
            decided,
            expires: 100 + 8 * 3600,
            support_request: "2603020010000001".into(),
            ..LockboxRequestView::default()
        };
        let requests = [
            req(&ws.to_uppercase(), "Approved", Some(100)),
            req(ws, "Completed", Some(50)),
            req(ws, "Denied", Some(100)),
            req(ws, "Pending", None),
            req("/subscriptions/s/other", "Approved", Some(100)),
        ];
        let w = lockbox_windows(&requests, ws);
        assert_eq!(
            w.iter().map(|w| (w.from, w.to, w.kind)).collect::<Vec<_>>(),
            [
                (100, 100 + 8 * 3600, "lockbox"),
                (50, 100 + 8 * 3600, "lockbox")
            ]
        );
        assert_eq!(w[0].label, "Customer Lockbox access (2603020010000001)");
    }

    #[test]
    fn the_render_property_becomes_a_spec() {
        let body = json!({ "tables": [], "render": { "visualization": "piechart", "title": "T", "legend": "hidden", "kind": "default" } });
        let s = Spec::from_answer(&body).unwrap();
        assert_eq!(
            (s.visualization.as_str(), s.title.as_str(), s.legend_hidden),
            ("piechart", "T", true)
        );
        assert_eq!(Spec::from_answer(&json!({ "tables": [] })), None);
    }
}
