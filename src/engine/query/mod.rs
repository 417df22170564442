//! A Kusto Query Language (KQL) subset: the queries a workspace answers over its decrypted rows.
//!
//! The module owns the whole path from query text to result rows: [`lexer`] turns text into
//! tokens with their line and position, [`parser`] builds the [`ast`], [`compile`] resolves every
//! name against the table schemas and checks types *before any row is read* (so an error never
//! depends on the data), [`eval`] evaluates scalar expressions and [`exec`] runs the tabular
//! operators. It is sans-IO like the rest of the engine: tables come from a [`TableSource`] and
//! time from the caller's virtual clock.
//!
//! Supported: `Table | where … | project … | extend … | project-away … | project-rename … |
//! take/limit N | count | summarize aggs by keys | order/sort by … | top N by … | distinct …`,
//! with comparisons, the string predicates (`contains`, `has`, `startswith`, `endswith`, their
//! `!` and `_cs` forms), `in`/`!in`/`in~`, `and`/`or`/`not()`, arithmetic on numbers, datetimes
//! and timespans, and the scalar functions listed in [`compile`].
//!
//! ```
//! use cmk_playground::engine::query::{self, TableSource};
//! use cmk_playground::engine::table::{ColumnType, RowSet, Schema, Value};
//!
//! struct One(RowSet);
//! impl TableSource for One {
//!     fn table(&mut self, name: &str) -> Result<Option<RowSet>, String> {
//!         Ok((name == "T").then(|| self.0.clone()))
//!     }
//! }
//! let rows = RowSet {
//!     schema: Schema { columns: vec![("N".into(), ColumnType::Long)] },
//!     rows: (1..=5).map(|n| vec![Value::Long(n)]).collect(),
//! };
//! let out = query::run("T | where N > 2 | count", 0, &mut One(rows)).unwrap();
//! assert_eq!(out.rows, vec![vec![Value::Long(3)]]);
//! ```

pub mod ast;
pub mod compile;
pub mod eval;
pub mod exec;
pub mod lexer;
pub mod parser;
pub mod scan;
pub mod subset;

#[cfg(test)]
mod render_tests;
#[cfg(test)]
mod tests;

use std::fmt;

use super::columnar::Batch;
use super::table::{RowSet, Schema};

/// Log Analytics returns at most this many records and bytes per query ("the Query API returns at
/// most 500,000 records and 64,000,000 bytes", Azure Monitor service limits); a larger result is
/// cut there and the answer says so (`E_QUERY_RESULT_SET_TOO_LARGE`, a partial query failure).
pub const MAX_RESULT_ROWS: usize = 500_000;
pub const MAX_RESULT_BYTES: usize = 64_000_000;
/// New values (computed columns, copies, `strcat` results, group keys) one query may build: the
/// playground's bound, as large as the largest answer, so a query text of a few kilobytes cannot
/// build gigabytes in a browser tab (Kusto stops such queries as runaway queries).
pub const MAX_COMPUTED_BYTES: usize = 64_000_000;

/// A query's rows, and why they were cut if they were.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub rows: RowSet,
    /// Kusto's message when the result passed a limit and was cut to fit.
    pub truncated: Option<String>,
    /// The query's `render`, which the Query API returns only when asked
    /// (`Prefer: include-render=true`).
    pub render: Option<ast::Render>,
}

/// Where the query reads tables from. The storage layer implements it (decrypting blocks).
pub trait TableSource {
    /// The columns of table `name`, without reading its rows, so a query is checked before any
    /// data is touched (Log Analytics compiles first: a bad query never reaches storage). The
    /// default reads the table; storage answers from its metadata.
    fn schema(&mut self, name: &str) -> Result<Option<Schema>, String> {
        self.table(name).map(|t| t.map(|r| r.schema))
    }

    /// The rows of table `name` (exact, case-sensitive name), Ok(None) if no such table exists in
    /// the workspace, Err(message) if the table exists but cannot be read (e.g. the key is revoked).
    fn table(&mut self, name: &str) -> Result<Option<RowSet>, String>;

    /// The columns `wanted` names (every column when None) of table `name`, as its source lays
    /// them out: a query asks only for the columns it uses, and storage decrypts only those.
    /// The default reads the whole table.
    fn columns(&mut self, name: &str, wanted: Option<&[String]>) -> Result<Option<Batch>, String> {
        let _ = wanted;
        self.table(name).map(|t| t.map(Batch::from_rows))
    }

    /// Every table with data (`search` without `in (…)` reads them all).
    fn table_names(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// Which stage refused the query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The text is not a query (`SYN0002`).
    Syntax,
    /// The query parses but names something unknown or mixes types (`SEM…`).
    Semantic,
    /// The table exists but its source could not deliver it (`SourceUnavailable`).
    Source,
    /// The query would build more than a query may (`E_RUNAWAY_QUERY`).
    Limit,
    /// Valid KQL outside the playground's subset: refused whole, naming the construct.
    Unsupported,
}

/// A refused query, shaped like the `innererror` Log Analytics returns: `line` is 1-based, `pos`
/// is the 0-based character offset in that line (what the service reports: `"completely invalid
/// syntax"` fails at `'invalid' on line [1,11]`), and `token` is the offending text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub message: String,
    pub line: usize,
    pub pos: usize,
    pub token: String,
}

/// A place in the query text: 1-based line, 0-based character position in the line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub pos: usize,
}

impl QueryError {
    /// `SYN0002`: the text stops parsing at `token`.
    pub fn syntax(token: &str, at: Pos) -> Self {
        QueryError {
            kind: ErrorKind::Syntax,
            code: "SYN0002",
            message: format!(
                "Query could not be parsed at '{token}' on line [{},{}]",
                at.line, at.pos
            ),
            line: at.line,
            pos: at.pos,
            token: token.to_string(),
        }
    }

    /// Valid KQL the playground's subset does not run (`what`: "operator", "function", ...):
    /// the whole query is refused, never answered in part.
    pub fn unsupported(construct: &str, what: &str, at: Pos) -> Self {
        QueryError {
            kind: ErrorKind::Unsupported,
            code: "PlaygroundUnsupported",
            message: format!(
                "The playground's KQL subset does not support the '{construct}' {what} (line {}, position {}), so the query was not run. Log Analytics itself supports it. {}",
                at.line,
                at.pos,
                subset::SUMMARY
            ),
            line: at.line,
            pos: at.pos,
            token: construct.to_string(),
        }
    }

    /// `SEM0100`: `name` is neither a table nor a column where `operator` uses it.
    pub fn unresolved(operator: &str, name: &str, at: Pos) -> Self {
        Self::semantic(
            "SEM0100",
            format!(
                "'{operator}' operator: Failed to resolve table or column expression named '{name}'"
            ),
            name,
            at,
        )
    }

    /// Any other semantic error (types, arity, unknown functions).
    pub fn semantic(code: &'static str, message: String, token: &str, at: Pos) -> Self {
        QueryError {
            kind: ErrorKind::Semantic,
            code,
            message,
            line: at.line,
            pos: at.pos,
            token: token.to_string(),
        }
    }

    /// The query built more new values than [`MAX_COMPUTED_BYTES`].
    pub fn runaway(at: Pos) -> Self {
        QueryError {
            kind: ErrorKind::Limit,
            code: "E_RUNAWAY_QUERY",
            message: format!(
                "The query built more than {MAX_COMPUTED_BYTES} bytes of new values (computed or copied columns, strcat results, group keys), the most the playground evaluates in a browser tab; Kusto stops such queries as runaway queries (E_RUNAWAY_QUERY). Project fewer or shorter columns, or filter and take fewer rows first."
            ),
            line: at.line,
            pos: at.pos,
            token: String::new(),
        }
    }

    /// The table exists but could not be read; the source's message is passed on.
    pub fn source(message: String, table: &str, at: Pos) -> Self {
        QueryError {
            kind: ErrorKind::Source,
            code: "SourceUnavailable",
            message,
            line: at.line,
            pos: at.pos,
            token: table.to_string(),
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for QueryError {}

/// Runs `text` against `source`; `now_ms` is the virtual clock (milliseconds since the Unix
/// epoch) for now()/ago(). The rows are cut to the result limits; [`answer`] says when.
pub fn run(text: &str, now_ms: i64, source: &mut dyn TableSource) -> Result<RowSet, QueryError> {
    answer(text, now_ms, source).map(|a| a.rows)
}

/// [`run`], saying whether the result was cut to Log Analytics' limits.
pub fn answer(text: &str, now_ms: i64, source: &mut dyn TableSource) -> Result<Answer, QueryError> {
    let mut query = parser::parse(text)?;
    let at = match &query.body.source {
        ast::Source::Table(n) => n.at,
        _ => Pos { line: 1, pos: 0 },
    };
    // `render` is last (the parser's rule) and annotates the answer; the plan never sees it.
    let render = match query.body.stages.last() {
        Some(ast::Stage {
            op: ast::Op::Render(_),
            ..
        }) => match query.body.stages.pop().map(|s| s.op) {
            Some(ast::Op::Render(r)) => Some(r),
            _ => None,
        },
        _ => None,
    };
    // Every stage is checked against the schema it will see before a single row is read.
    let plan = compile::plan_query(&query, source, now_ms)?;
    let budget = eval::Budget::new(MAX_COMPUTED_BYTES);
    let rows = exec::run(&plan, source, &budget).map_err(|f| match f {
        exec::Failure::Exhausted => QueryError::runaway(at),
        exec::Failure::Query(e) => e,
    })?;
    Ok(Answer {
        render,
        ..cut_to_limits(rows)
    })
}

/// The rows that fit the result limits, in order, and Kusto's message for the first limit passed.
fn cut_to_limits(mut rows: RowSet) -> Answer {
    let mut bytes = 0usize;
    let mut keep = rows.rows.len().min(MAX_RESULT_ROWS);
    let mut truncated = (rows.rows.len() > MAX_RESULT_ROWS).then(|| {
        format!("Query result set has exceeded the internal record count limit {MAX_RESULT_ROWS} (E_QUERY_RESULT_SET_TOO_LARGE; see https://aka.ms/kustoquerylimits)")
    });
    for (i, row) in rows.rows.iter().take(keep).enumerate() {
        bytes += row.iter().map(exec::weight).sum::<usize>();
        if bytes > MAX_RESULT_BYTES {
            keep = i;
            truncated = Some(format!(
                "Query result set has exceeded the internal data size limit {MAX_RESULT_BYTES} (E_QUERY_RESULT_SET_TOO_LARGE; see https://aka.ms/kustoquerylimits)"
            ));
            break;
        }
    }
    rows.rows.truncate(keep);
    Answer {
        rows,
        truncated,
        render: None,
    }
}
