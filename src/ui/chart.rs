//! The SVG of a [`crate::chart::Chart`]: every position comes from the pure layout; this file
//! only writes elements. Each value mark is a focus stop with a `<title>` (hover and screen
//! readers) and shows its value beside the chart while focused or hovered.

use yew::prelude::*;

use crate::chart::{Chart, HEIGHT, Mark, Shape, WIDTH};

#[derive(Properties, PartialEq)]
pub struct ChartProps {
    pub chart: Chart,
}

#[function_component(ChartView)]
pub fn chart_view(p: &ChartProps) -> Html {
    let c = &p.chart;
    // The value of the mark under the pointer or the focus, read out politely.
    let current = use_state(|| None::<String>);
    let (px, py, pw, ph) = c.plot;
    let mark = |i: usize, m: &Mark| {
        let color = c.series.get(m.series).map_or("currentColor", |s| s.color);
        let label = m.label.clone();
        let show = {
            let current = current.clone();
            let label = label.clone();
            Callback::from(move |_: FocusEvent| current.set(Some(label.clone())))
        };
        let hover = {
            let current = current.clone();
            let label = label.clone();
            Callback::from(move |_: MouseEvent| current.set(Some(label.clone())))
        };
        let shape = if !m.path.is_empty() {
            html! { <path d={m.path.clone()} fill={color} stroke="var(--surface, #fff)" stroke-width="1" /> }
        } else if m.r > 0.0 {
            html! { <circle cx={f(m.x)} cy={f(m.y)} r={f(m.r)} fill={color} /> }
        } else {
            html! { <rect x={f(m.x)} y={f(m.y)} width={f(m.w)} height={f(m.h.max(0.5))} fill={color} /> }
        };
        html! {
            <g key={i} class="mark" tabindex="0" role="img" aria-label={label.clone()}
                onfocus={show} onmouseenter={hover} data-series={m.series.to_string()}>
                <title>{ label }</title>
                { shape }
            </g>
        }
    };
    let legend = !c.spec.legend_hidden && !c.series.is_empty();
    html! {
        <figure class="chart" data-testid="chart" data-visualization={c.spec.visualization.clone()}>
            if !c.spec.title.is_empty() {
                <figcaption class="chart-title">{ &c.spec.title }</figcaption>
            }
            <svg viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="group"
                aria-label={if c.spec.title.is_empty() { c.summary.clone() } else { format!("{}: {}", c.spec.title, c.summary) }}
                preserveAspectRatio="xMidYMid meet">
                <desc>{ &c.summary }</desc>
                if !matches!(c.shape, Shape::Pie) {
                    <g class="axes" aria-hidden="true">
                        { for c.y_ticks.iter().map(|t| html! {
                            <g class="tick">
                                if !matches!(c.shape, Shape::Columns { horizontal: true }) {
                                    <line x1={f(px)} x2={f(px + pw)} y1={f(t.at)} y2={f(t.at)} class="grid" />
                                }
                                <text x={f(px - 6.0)} y={f(t.at)} text-anchor="end" dominant-baseline="middle">{ &t.label }</text>
                            </g>
                        }) }
                        { for c.x_ticks.iter().map(|t| html! {
                            <g class="tick">
                                if matches!(c.shape, Shape::Columns { horizontal: true }) {
                                    <line x1={f(t.at)} x2={f(t.at)} y1={f(py)} y2={f(py + ph)} class="grid" />
                                }
                                <line x1={f(t.at)} x2={f(t.at)} y1={f(py + ph)} y2={f(py + ph + 4.0)} class="axis" />
                                <text x={f(t.at)} y={f(py + ph + 16.0)} text-anchor="middle">{ &t.label }</text>
                            </g>
                        }) }
                        <line x1={f(px)} x2={f(px + pw)} y1={f(py + ph)} y2={f(py + ph)} class="axis" />
                        <line x1={f(px)} x2={f(px)} y1={f(py)} y2={f(py + ph)} class="axis" />
                        <text x={f(px + pw / 2.0)} y={f(HEIGHT - 6.0)} text-anchor="middle" class="axis-title">{ &c.x_title }</text>
                        if !c.y_title.is_empty() {
                            <text transform={format!("translate(14 {}) rotate(-90)", f(py + ph / 2.0))} text-anchor="middle" class="axis-title">{ &c.y_title }</text>
                        }
                    </g>
                }
                if !c.bands.is_empty() {
                    <g class="bands">
                        { for c.bands.iter().enumerate().map(|(i, b)| html! {
                            <g class={classes!("band", b.kind)} data-band={b.kind} tabindex="0" role="img" aria-label={b.label.clone()}>
                                <title>{ &b.label }</title>
                                <rect x={f(b.x)} y={f(py)} width={f(b.w)} height={f(ph)} />
                                // Staggered so labels of neighbouring windows do not overlap.
                                <text x={f(b.x + 3.0)} y={f(py + 11.0 + 12.0 * (i % 3) as f64)}>{ b.label.split(" (").next().unwrap_or("") }</text>
                            </g>
                        }) }
                    </g>
                }
                <g class="series">
                    { for c.series.iter().enumerate().filter(|(_, s)| !s.path.is_empty()).map(|(i, s)| html! {
                        <g class="line" data-series={i.to_string()} aria-hidden="true">
                            if !s.area.is_empty() {
                                <path class="area" d={s.area.clone()} fill={s.color} fill-opacity="0.25" stroke="none" />
                            }
                            <path class="line" d={s.path.clone()} fill="none" stroke={s.color} stroke-width="2" />
                        </g>
                    }) }
                </g>
                <g class="marks">{ for c.marks.iter().enumerate().map(|(i, m)| mark(i, m)) }</g>
            </svg>
            <p class="chart-value small mono" aria-live="polite" data-testid="chart-value">
                { (*current).clone().unwrap_or_else(|| "Hover or tab to a point for its value.".into()) }
            </p>
            if legend {
                <ul class="chart-legend" aria-label="Legend">
                    { for c.series.iter().map(|s| html! {
                        <li><span class="swatch" style={format!("background:{}", s.color)} aria-hidden="true"></span>{ &s.name }</li>
                    }) }
                </ul>
            }
            { for c.notes.iter().map(|n| html! { <p class="muted small">{ n }</p> }) }
        </figure>
    }
}

/// A coordinate as an attribute, one decimal (enough at this size, shorter markup).
fn f(v: f64) -> String {
    format!("{v:.1}")
}
