//! What the playground's KQL subset runs, and the rest of KQL it knows by name: a query using a
//! known construct outside the subset is refused whole with a message naming it
//! (`QueryError::unsupported`), where an unknown word is Kusto's own syntax or semantic error.
//! A query is never answered in part.

/// The tabular operators the subset runs (the parser's `stage`).
pub const OPERATORS: &[&str] = &[
    "where",
    "filter",
    "project",
    "project-away",
    "project-rename",
    "extend",
    "take",
    "limit",
    "count",
    "summarize",
    "order by",
    "sort by",
    "top",
    "distinct",
    "union",
    "join",
    "let",
    "datatable",
    "range",
    "print",
    "search",
    "getschema",
    "parse",
    "mv-expand",
    "render",
];

/// The visualizations `render` accepts (the Logs view draws each; `table` is the grid).
pub const VISUALIZATIONS: &[&str] = &[
    "timechart",
    "areachart",
    "columnchart",
    "barchart",
    "piechart",
    "table",
];

/// `render`'s properties the subset keeps (`ast::Render`).
pub const RENDER_PROPERTIES: &[&str] =
    &["title", "xtitle", "ytitle", "kind", "legend", "accumulate"];

/// Kusto's other visualizations (learn.microsoft.com/kusto/query/render-operator), refused whole.
const KNOWN_VISUALIZATIONS: &[&str] = &[
    "anomalychart",
    "card",
    "ladderchart",
    "linechart",
    "pivotchart",
    "scatterchart",
    "stackedareachart",
    "timepivot",
    "treemap",
    "plotly",
    "3Dchart",
];

/// Kusto's other `render` properties, refused whole.
const KNOWN_RENDER_PROPERTIES: &[&str] = &[
    "series",
    "xcolumn",
    "ycolumns",
    "anomalycolumns",
    "xaxis",
    "yaxis",
    "ymin",
    "ymax",
    "ysplit",
];

/// The scalar functions the subset runs (`compile::scalar_function`).
pub const FUNCTIONS: &[&str] = &[
    "now",
    "ago",
    "not",
    "tolower",
    "toupper",
    "strlen",
    "isempty",
    "isnotempty",
    "isnull",
    "isnotnull",
    "tostring",
    "strcat",
    "bin",
    "floor",
    "tolong",
    "toint",
    "toreal",
    "todouble",
    "todatetime",
    "totimespan",
    "iff",
    "iif",
    "case",
    "bin_at",
    "format_datetime",
    "split",
    "parse_json",
    "todynamic",
    "toobject",
    "array_length",
    "extract",
    "coalesce",
    "substring",
    "strcat_delim",
    "round",
    "abs",
    "startofday",
    "startofweek",
    "startofmonth",
    "startofyear",
    "endofday",
    "endofweek",
    "endofmonth",
    "endofyear",
    "dayofweek",
    "hourofday",
    "dayofmonth",
    "getmonth",
    "monthofyear",
    "getyear",
    "datetime_diff",
    "replace_string",
    "indexof",
    "tobool",
    "toboolean",
];

/// The aggregations the subset runs in `summarize` (`compile::AggKind`).
pub const AGGREGATIONS: &[&str] = &[
    "count",
    "countif",
    "dcount",
    "dcountif",
    "sum",
    "avg",
    "min",
    "max",
    "arg_max",
    "arg_min",
    "make_set",
    "make_list",
    "percentile",
    "percentiles",
];

/// One line for refusals and the page.
pub const SUMMARY: &str = "The subset runs let statements; the tabular sources datatable, range, print, union and search; the operators where (filter), project, project-away, project-rename, extend, take, limit, count, summarize, order by, sort by, top, distinct, union, join (innerunique, inner, leftouter, rightouter, fullouter, leftsemi, rightsemi, leftanti, rightanti), parse, mv-expand, search, getschema and, last, render (timechart, areachart, columnchart, barchart, piechart or table, with title, xtitle, ytitle, kind, legend and accumulate); the scalar operator between; dynamic values (dynamic(...) literals, d.name, d[\"name\"], d[0]); the aggregations count, countif, dcount, dcountif, sum, avg, min, max, arg_max, arg_min, make_set, make_list, percentile and percentiles; and the functions now, ago, not, tolower, toupper, strlen, isempty, isnotempty, isnull, isnotnull, tostring, strcat, bin, floor, bin_at, tolong, toint, toreal, todouble, todatetime, totimespan, iff (iif), case, format_datetime, split, extract, parse_json (todynamic, toobject), array_length, coalesce, substring, strcat_delim, round, abs, startofday, startofweek, startofmonth, startofyear, endofday, endofweek, endofmonth, endofyear, dayofweek, hourofday, dayofmonth, getmonth (monthofyear), getyear, datetime_diff, replace_string, indexof and tobool (toboolean); and has_any and has_all.";

/// KQL tabular operators (and query-level statements) outside the subset
/// (learn.microsoft.com/kusto/query: "Tabular operators", "Query statements").
const KNOWN_OPERATORS: &[&str] = &[
    "as",
    "consume",
    "evaluate",
    "externaldata",
    "facet",
    "find",
    "fork",
    "invoke",
    "lookup",
    "make-series",
    "mv-apply",
    "parse-where",
    "parse-kv",
    "partition",
    "project-keep",
    "project-reorder",
    "reduce",
    "sample",
    "sample-distinct",
    "scan",
    "serialize",
    "top-nested",
    "top-hitters",
    "materialize",
    "set",
    "declare",
    "alias",
    "pattern",
    "restrict",
];

/// KQL scalar functions and aggregations outside the subset, the ones CMK and Sentinel
/// documentation and runbooks use most.
const KNOWN_FUNCTIONS: &[&str] = &[
    "trim",
    "trim_start",
    "trim_end",
    "strcat_array",
    "replace_regex",
    "extract_all",
    "parse_url",
    "format_timespan",
    "datetime_add",
    "log",
    "log10",
    "exp",
    "pow",
    "sqrt",
    "hash",
    "hash_sha256",
    "bag_keys",
    "pack",
    "pack_array",
    "bag_pack",
    "make_datetime",
    "make_timespan",
    "ipv4_is_in_range",
    "ipv4_is_private",
    "base64_encode_tostring",
    "base64_decode_tostring",
    "toguid",
    "todecimal",
    "countof",
    "reverse",
    "column_ifexists",
    "current_principal",
    "row_number",
    "prev",
    "next",
    "series_stats",
    "make_bag",
    "make_set_if",
    "make_list_if",
    "sumif",
    "avgif",
    "maxif",
    "minif",
    "stdev",
    "variance",
    "any",
    "take_any",
    "take_anyif",
    "count_distinct",
    "hll",
    "tdigest",
];

/// KQL scalar operators outside the subset (learn.microsoft.com/kusto/query: "String
/// operators", "between operator"); `!` forms are matched by their word.
const KNOWN_SCALAR_OPERATORS: &[&str] = &[
    "between",
    "hasprefix",
    "hasprefix_cs",
    "hassuffix",
    "hassuffix_cs",
    "matches",
];

/// Whether `word` is a KQL scalar operator the subset does not run.
pub fn known_scalar_operator(word: &str) -> bool {
    KNOWN_SCALAR_OPERATORS.contains(&word)
}

/// Whether `word` is a `render` visualization the subset does not draw.
pub fn known_visualization(word: &str) -> bool {
    KNOWN_VISUALIZATIONS.contains(&word)
}

/// Whether `word` is a `render` property the subset does not keep.
pub fn known_render_property(word: &str) -> bool {
    KNOWN_RENDER_PROPERTIES.contains(&word)
}

/// Whether `word` is a KQL tabular operator or statement the subset does not run.
pub fn known_operator(word: &str) -> bool {
    KNOWN_OPERATORS.contains(&word)
}

/// Whether `name` is a KQL function or aggregation the subset does not run.
pub fn known_function(name: &str) -> bool {
    KNOWN_FUNCTIONS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// KQL.md, the page that lists the subset, names everything it runs.
    #[test]
    fn the_reference_page_lists_everything_the_subset_runs() {
        let page = include_str!("../../../KQL.md");
        for name in OPERATORS.iter().chain(FUNCTIONS).chain(AGGREGATIONS) {
            let word = name.split(' ').next().unwrap_or(name);
            assert!(page.contains(&format!("`{word}")), "KQL.md lacks {name}");
        }
    }

    #[test]
    fn the_summary_names_everything_the_subset_runs() {
        for name in OPERATORS.iter().chain(FUNCTIONS).chain(AGGREGATIONS) {
            assert!(SUMMARY.contains(name), "{name}");
        }
        for name in VISUALIZATIONS.iter().chain(RENDER_PROPERTIES) {
            assert!(SUMMARY.contains(name), "{name}");
        }
        for name in KNOWN_VISUALIZATIONS {
            assert!(!VISUALIZATIONS.contains(name), "{name}");
        }
        for name in KNOWN_RENDER_PROPERTIES {
            assert!(!RENDER_PROPERTIES.contains(name), "{name}");
        }
        for name in KNOWN_OPERATORS {
            assert!(!OPERATORS.contains(name), "{name}");
        }
        for name in KNOWN_FUNCTIONS {
            assert!(
                !FUNCTIONS.contains(name) && !AGGREGATIONS.contains(name),
                "{name}"
            );
        }
    }
}
