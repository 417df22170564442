//! Runs a [`Plan`] over rows: filtering, projection, grouping and sorting.
//!
//! Rows are owned and threaded through the steps, so a `where` filters in place and a
//! projection moves cells instead of copying them. Grouping keys borrow their strings from the
//! input rows; a row allocates only when it starts a new group.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};

use super::compile::{
    Agg, AggKind, JoinPlan, PatternPart, Plan, SortPlan, SourcePlan, Src, Step, UnionPlan,
};
use super::eval::{Budget, CExpr, Cell, compare, dynamic_of, eval, keeps};
use super::{QueryError, TableSource};
use crate::engine::query::ast::JoinKind;
use crate::engine::table::{ColumnType, RowSet, Value};

type Row = Vec<Value>;

/// Why a plan stopped.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// The query built more new values than its [`Budget`] allows.
    Exhausted,
    /// A table could not be read.
    Query(QueryError),
}

/// Runs `plan`, reading its tables from `source`, building at most `budget` bytes of new values.
pub fn run(plan: &Plan, source: &mut dyn TableSource, budget: &Budget) -> Result<RowSet, Failure> {
    let rows = rows_of(plan, source, budget)?;
    Ok(RowSet {
        schema: plan.schema.clone(),
        rows,
    })
}

/// A plan's rows.
fn rows_of(plan: &Plan, source: &mut dyn TableSource, b: &Budget) -> Result<Vec<Row>, Failure> {
    let mut done = 0;
    let mut rows = match &plan.source {
        SourcePlan::Table { name, schema, at } => {
            let wanted = super::scan::wanted(&plan.steps, schema);
            match source.columns(name, wanted.as_deref()) {
                Ok(Some(batch)) => {
                    let (rows, steps) = super::scan::scan(&plan.steps, schema, batch, b);
                    done = steps;
                    rows
                }
                Ok(None) => {
                    return Err(Failure::Query(QueryError::unresolved("take", name, *at)));
                }
                Err(m) => return Err(Failure::Query(QueryError::source(m, name, *at))),
            }
        }
        SourcePlan::Rows(r) => {
            if !b.charge(r.iter().flatten().map(weight).sum()) {
                return Err(Failure::Exhausted);
            }
            r.clone()
        }
        SourcePlan::Range { from, to, step } => range(from, to, step, b)?,
        SourcePlan::Union(u) => union(u, Vec::new(), source, b)?,
    };
    if b.exhausted() {
        return Err(Failure::Exhausted);
    }
    for step in &plan.steps[done..] {
        rows = apply(step, rows, source, b)?;
        if b.exhausted() {
            return Err(Failure::Exhausted);
        }
    }
    Ok(rows)
}

/// `range`'s rows, each charged to the budget (a range of a billion rows is a runaway query).
fn range(from: &Value, to: &Value, step: &Value, b: &Budget) -> Result<Vec<Row>, Failure> {
    let mut out = Vec::new();
    let mut push = |v: Value| -> Result<(), Failure> {
        if !b.charge(16) {
            return Err(Failure::Exhausted);
        }
        out.push(vec![v]);
        Ok(())
    };
    match (from, to, step) {
        (Value::Real(f), Value::Real(t), Value::Real(s)) => {
            if *s == 0.0 || !s.is_finite() {
                return Ok(Vec::new());
            }
            let mut k = 0.0;
            loop {
                let v = f + k * s;
                if (*s > 0.0 && v > *t) || (*s < 0.0 && v < *t) {
                    break;
                }
                push(Value::Real(v))?;
                k += 1.0;
            }
        }
        (Value::Long(f), Value::Long(t), Value::Long(s) | Value::TimeSpan(s))
        | (Value::DateTime(f), Value::DateTime(t), Value::TimeSpan(s))
        | (Value::TimeSpan(f), Value::TimeSpan(t), Value::TimeSpan(s)) => {
            if *s == 0 {
                return Ok(Vec::new());
            }
            let wrap = |n: i64| match from {
                Value::DateTime(_) => Value::DateTime(n),
                Value::TimeSpan(_) => Value::TimeSpan(n),
                _ => Value::Long(n),
            };
            let mut v = *f;
            while (*s > 0 && v <= *t) || (*s < 0 && v >= *t) {
                push(wrap(v))?;
                match v.checked_add(*s) {
                    Some(n) => v = n,
                    None => break,
                }
            }
        }
        _ => {}
    }
    Ok(out)
}

/// The inputs' rows one after the other, laid out as the output's columns.
fn union(
    u: &UnionPlan,
    mut flowing: Vec<Row>,
    source: &mut dyn TableSource,
    b: &Budget,
) -> Result<Vec<Row>, Failure> {
    let mut out = Vec::new();
    for input in &u.inputs {
        let rows = match &input.plan {
            Some(p) => rows_of(p, source, b)?,
            None => std::mem::take(&mut flowing),
        };
        for mut row in rows {
            let mut o = Vec::with_capacity(input.map.len() + 1);
            if u.source_column {
                if !b.charge(weight(&Value::String(input.name.clone()))) {
                    return Err(Failure::Exhausted);
                }
                o.push(Value::String(input.name.clone()));
            }
            for (k, m) in input.map.iter().enumerate() {
                let cell = m
                    .and_then(|i| row.get_mut(i))
                    .map(|c| std::mem::replace(c, Value::Null));
                o.push(match cell {
                    Some(v) => v,
                    None if u.strings.get(k) == Some(&true) => Value::String(String::new()),
                    None => Value::Null,
                });
            }
            out.push(o);
        }
    }
    Ok(out)
}

/// What a value weighs in a query's budget and its result size: its bytes (strings) or 8.
pub fn weight(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len().max(8),
        _ => 8,
    }
}

fn apply(
    step: &Step,
    mut rows: Vec<Row>,
    source: &mut dyn TableSource,
    b: &Budget,
) -> Result<Vec<Row>, Failure> {
    Ok(match step {
        Step::Union(u) => union(u, rows, source, b)?,
        Step::Join(j) => {
            let right = rows_of(&j.right, source, b)?;
            join(j, rows, right, b)
        }
        Step::Parse {
            text,
            pattern,
            slots,
            width,
        } => {
            for row in &mut rows {
                row.resize(*width, Value::Null);
                let captures = {
                    let t = eval(text, row, b);
                    if t == Cell::Null {
                        None
                    } else {
                        parse_text(&t.to_text(), pattern, slots.len())
                    }
                };
                for (k, (slot, ty)) in slots.iter().zip(capture_types(pattern)).enumerate() {
                    row[*slot] = match captures.as_ref().and_then(|c| c.get(k).cloned()) {
                        Some(v) => v,
                        None if ty == ColumnType::String => Value::String(String::new()),
                        None => Value::Null,
                    };
                }
            }
            rows
        }
        Step::MvExpand {
            items,
            slots,
            width,
            limit,
        } => mv_expand(items, slots, *width, *limit, rows, b)?,
        Step::Filter(pred) => {
            rows.retain(|r| keeps(pred, r, b));
            rows
        }
        Step::Project(srcs) => project(srcs, rows, b),
        Step::Take(n) => {
            rows.truncate(*n);
            rows
        }
        Step::Count => vec![vec![Value::Long(rows.len() as i64)]],
        Step::Summarize { keys, aggs } => summarize(keys, aggs, &rows, b),
        Step::Sort(keys) => sort(keys, rows, None, b),
        Step::Top(n, keys) => sort(keys, rows, Some(*n), b),
    })
}

// ---- join -------------------------------------------------------------------------------------

/// The key cells of `row`, or None if one is null (a null key matches nothing).
fn join_key<'a>(row: &'a [Value], keys: &[usize]) -> Option<Vec<Key<'a>>> {
    keys.iter()
        .map(|&k| match row.get(k).map_or(Cell::Null, Cell::of) {
            Cell::Null => None,
            c => Some(Key::of(c)),
        })
        .collect()
}

/// An unmatched side of an outer join: nulls, and "" where the column is a string.
fn empty_side(strings: &[bool]) -> Row {
    strings
        .iter()
        .map(|s| {
            if *s {
                Value::String(String::new())
            } else {
                Value::Null
            }
        })
        .collect()
}

fn join(j: &JoinPlan, left: Vec<Row>, right: Vec<Row>, b: &Budget) -> Vec<Row> {
    let right_strings: Vec<bool> = j
        .right
        .schema
        .columns
        .iter()
        .map(|(_, t)| *t == ColumnType::String)
        .collect();
    let mut index: HashMap<Vec<Key>, Vec<usize>, FxBuild> = HashMap::default();
    for (i, r) in right.iter().enumerate() {
        if let Some(k) = join_key(r, &j.right_keys) {
            index.entry(k).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    let mut right_matched = vec![false; right.len()];
    let mut seen_left: HashSet<Vec<Key>, FxBuild> = HashSet::default();
    let emit = |row: Row, out: &mut Vec<Row>| -> bool {
        if !b.charge(row.iter().map(weight).sum()) {
            return false;
        }
        out.push(row);
        true
    };
    for l in &left {
        let key = join_key(l, &j.left_keys);
        // innerunique: one left row per key (the first).
        if j.kind == JoinKind::InnerUnique {
            match &key {
                Some(k) if !seen_left.insert(k.clone()) => continue,
                _ => {}
            }
        }
        let matches: &[usize] = key
            .as_ref()
            .and_then(|k| index.get(k))
            .map_or(&[], |v| v.as_slice());
        for &m in matches {
            right_matched[m] = true;
        }
        let ok = match j.kind {
            JoinKind::LeftSemi if !matches.is_empty() => emit(l.clone(), &mut out),
            JoinKind::LeftAnti if matches.is_empty() => emit(l.clone(), &mut out),
            JoinKind::LeftSemi | JoinKind::LeftAnti | JoinKind::RightSemi | JoinKind::RightAnti => {
                true
            }
            JoinKind::LeftOuter | JoinKind::FullOuter if matches.is_empty() => {
                let mut row = l.clone();
                row.extend(empty_side(&right_strings));
                emit(row, &mut out)
            }
            _ => matches.iter().all(|&m| {
                let mut row = l.clone();
                row.extend(right[m].iter().cloned());
                emit(row, &mut out)
            }),
        };
        if !ok {
            return out;
        }
    }
    match j.kind {
        JoinKind::RightSemi | JoinKind::RightAnti => {
            let want = j.kind == JoinKind::RightSemi;
            for (r, m) in right.iter().zip(&right_matched) {
                if *m == want && !emit(r.clone(), &mut out) {
                    break;
                }
            }
        }
        JoinKind::RightOuter | JoinKind::FullOuter => {
            for (r, m) in right.iter().zip(&right_matched) {
                if !*m {
                    let mut row = empty_side(&j.left_strings);
                    row.extend(r.iter().cloned());
                    if !emit(row, &mut out) {
                        break;
                    }
                }
            }
        }
        _ => {}
    }
    out
}

// ---- parse and mv-expand ----------------------------------------------------------------------

fn capture_types(pattern: &[PatternPart]) -> impl Iterator<Item = ColumnType> + '_ {
    pattern.iter().filter_map(|p| match p {
        PatternPart::Capture(_, t) => Some(*t),
        _ => None,
    })
}

/// `parse` (kind=simple): literals in order, each capture the text up to the next literal (the
/// last one, the rest). Any literal missing or capture not of its type: no captures at all.
fn parse_text(text: &str, pattern: &[PatternPart], n: usize) -> Option<Vec<Value>> {
    let mut out = vec![Value::Null; n];
    let mut pos = 0usize;
    // A capture (or `*`) waiting for the next literal to end it.
    let mut open: Option<Option<(usize, ColumnType)>> = None;
    for part in pattern {
        match part {
            PatternPart::Literal(l) => {
                let at = match open {
                    Some(_) => pos + text.get(pos..)?.find(l.as_str())?,
                    None if text.get(pos..)?.starts_with(l.as_str()) => pos,
                    None => return None,
                };
                if let Some(Some((k, ty))) = open.take() {
                    out[k] = typed(&text[pos..at], ty)?;
                }
                pos = at + l.len();
            }
            PatternPart::Any => open = Some(None),
            PatternPart::Capture(k, ty) => open = Some(Some((*k, *ty))),
        }
    }
    if let Some(Some((k, ty))) = open {
        out[k] = typed(&text[pos..], ty)?;
    }
    Some(out)
}

/// Text as a value of `ty`, or None if it is not one.
fn typed(s: &str, ty: ColumnType) -> Option<Value> {
    let v = match ty {
        ColumnType::String | ColumnType::Guid => Value::String(s.to_string()),
        ColumnType::Int | ColumnType::Long => Value::Long(s.trim().parse().ok()?),
        ColumnType::Real => Value::Real(s.trim().parse().ok()?),
        ColumnType::Bool => match s.trim() {
            "true" | "True" | "1" => Value::Bool(true),
            "false" | "False" | "0" => Value::Bool(false),
            _ => return None,
        },
        ColumnType::DateTime => Value::DateTime(super::lexer::parse_datetime(s.trim())?),
        ColumnType::TimeSpan => Value::TimeSpan(super::lexer::parse_timespan(s.trim())?),
        ColumnType::Dynamic => Value::String(
            serde_json::from_str::<serde_json::Value>(s)
                .unwrap_or_else(|_| serde_json::Value::String(s.to_string()))
                .to_string(),
        ),
    };
    Some(v)
}

/// One row per element of the expanded arrays (taken side by side; a property bag expands to
/// one `{key: value}` per property; a scalar is one element; null or an empty array, no row).
fn mv_expand(
    items: &[(CExpr, Option<ColumnType>)],
    slots: &[usize],
    width: usize,
    limit: Option<usize>,
    rows: Vec<Row>,
    b: &Budget,
) -> Result<Vec<Row>, Failure> {
    let mut out = Vec::new();
    for mut row in rows {
        row.resize(width, Value::Null);
        let lists: Vec<Vec<serde_json::Value>> = items
            .iter()
            .map(|(e, _)| match dynamic_of(&eval(e, &row, b)) {
                None | Some(serde_json::Value::Null) => Vec::new(),
                Some(serde_json::Value::Array(a)) => a,
                Some(serde_json::Value::Object(m)) => m
                    .into_iter()
                    .map(|(k, v)| serde_json::Value::Object([(k, v)].into_iter().collect()))
                    .collect(),
                Some(v) => vec![v],
            })
            .collect();
        let n = lists.iter().map(Vec::len).max().unwrap_or(0);
        let n = limit.map_or(n, |l| n.min(l));
        for i in 0..n {
            let mut r = row.clone();
            for ((list, (_, ty)), slot) in lists.iter().zip(items).zip(slots) {
                r[*slot] = match list.get(i) {
                    None | Some(serde_json::Value::Null) => Value::Null,
                    Some(v) => element(v, *ty),
                };
            }
            if !b.charge(r.iter().map(weight).sum()) {
                return Err(Failure::Exhausted);
            }
            out.push(r);
        }
    }
    Ok(out)
}

/// An expanded element: its JSON text, or (with `to typeof(t)`) converted to `t`.
fn element(v: &serde_json::Value, ty: Option<ColumnType>) -> Value {
    let Some(ty) = ty.filter(|t| *t != ColumnType::Dynamic) else {
        return Value::String(v.to_string());
    };
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    match ty {
        ColumnType::String | ColumnType::Guid => Value::String(text),
        ColumnType::Int | ColumnType::Long => match v {
            serde_json::Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
                .map_or(Value::Null, Value::Long),
            _ => typed(&text, ty).unwrap_or(Value::Null),
        },
        _ => typed(&text, ty).unwrap_or(Value::Null),
    }
}

fn project(srcs: &[Src], rows: Vec<Row>, b: &Budget) -> Vec<Row> {
    // A column's last use moves it out of its row; earlier uses of the same column clone it.
    let mut last_use: HashMap<usize, usize> = HashMap::new();
    for (k, s) in srcs.iter().enumerate() {
        if let Src::Col(c) = s {
            last_use.insert(*c, k);
        }
    }
    let moves: Vec<(usize, usize, bool)> = srcs
        .iter()
        .enumerate()
        .filter_map(|(k, s)| match s {
            Src::Col(c) => Some((k, *c, last_use[c] == k)),
            Src::Expr(_) => None,
        })
        .collect();
    let mut out_rows = Vec::with_capacity(rows.len());
    for mut row in rows {
        let mut out: Row = vec![Value::Null; srcs.len()];
        // Computed columns first: they read the row before any cell is moved out.
        for (k, s) in srcs.iter().enumerate() {
            if let Src::Expr(e) = s {
                let v = eval(e, &row, b).into_value();
                if !b.charge(weight(&v)) {
                    return out_rows;
                }
                out[k] = v;
            }
        }
        for &(k, c, take) in &moves {
            if let Some(cell) = row.get_mut(c) {
                out[k] = if take {
                    std::mem::replace(cell, Value::Null)
                } else {
                    // A copy is a new value: projecting one long column a thousand times is
                    // as costly as computing it.
                    if !b.charge(weight(cell)) {
                        return out_rows;
                    }
                    cell.clone()
                };
            }
        }
        out_rows.push(out);
    }
    out_rows
}

// ---- sorting ----------------------------------------------------------------------------------

/// Sorts `rows` by `keys`; with `limit`, only the first `limit` rows are produced (`top`).
fn sort(keys: &[SortPlan], rows: Vec<Row>, limit: Option<usize>, b: &Budget) -> Vec<Row> {
    // Computed keys are evaluated once per row, not once per comparison.
    let computed: Vec<Vec<Value>> = keys
        .iter()
        .map(|k| match &k.key {
            Src::Expr(e) => rows
                .iter()
                .map_while(|r| {
                    let v = eval(e, r, b).into_value();
                    b.charge(weight(&v)).then_some(v)
                })
                .collect(),
            Src::Col(_) => Vec::new(),
        })
        .collect();
    if b.exhausted() {
        return Vec::new();
    }
    // Keys side by side in memory, so comparing them does not chase every row's allocation;
    // string keys become ranks, so comparing them does not chase every string either.
    let cols: Vec<SortCol> = keys
        .iter()
        .zip(&computed)
        .map(|(k, values)| {
            let cells: Vec<Cell> = match &k.key {
                Src::Col(c) => rows
                    .iter()
                    .map(|r| r.get(*c).map_or(Cell::Null, Cell::of))
                    .collect(),
                Src::Expr(_) => values.iter().map(Cell::of).collect(),
            };
            SortCol::new(cells)
        })
        .collect();
    // The row's position breaks ties, so the order is total: the unstable sort and the
    // selection below give exactly what a stable sort would (equal keys keep input order).
    let cmp = |a: &usize, b: &usize| {
        for (plan, col) in keys.iter().zip(&cols) {
            let o = col.cmp(*a, *b, plan.desc, plan.nulls_first);
            if o != Ordering::Equal {
                return o;
            }
        }
        a.cmp(b)
    };
    let mut order: Vec<usize> = (0..rows.len()).collect();
    if let Some(n) = limit.filter(|n| *n < order.len()) {
        if n == 0 {
            return Vec::new();
        }
        order.select_nth_unstable_by(n - 1, cmp);
        order.truncate(n);
    }
    order.sort_unstable_by(cmp);
    drop(cols);
    let mut slots: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
    order
        .into_iter()
        .map(|i| slots.get_mut(i).and_then(Option::take).unwrap_or_default())
        .collect()
}

/// One sort key's values, one per row.
enum SortCol<'a> {
    Cells(Vec<Cell<'a>>),
    /// Strings by rank in ordinal order (0 is null): equal strings have equal ranks.
    Ranks(Vec<u32>),
}

impl<'a> SortCol<'a> {
    fn new(cells: Vec<Cell<'a>>) -> SortCol<'a> {
        let all_text = cells.iter().all(|c| matches!(c, Cell::Str(_) | Cell::Null));
        if !all_text || cells.len() > u32::MAX as usize - 1 {
            return SortCol::Cells(cells);
        }
        // Number the distinct strings in first-seen order, then renumber them in sorted order.
        let mut ids: HashMap<&str, u32, FxBuild> = HashMap::default();
        let mut distinct: Vec<&str> = Vec::new();
        let seen: Vec<u32> = cells
            .iter()
            .map(|c| match c {
                Cell::Str(s) => *ids.entry(s.as_ref()).or_insert_with(|| {
                    distinct.push(s.as_ref());
                    distinct.len() as u32
                }),
                _ => 0,
            })
            .collect();
        let mut by_value: Vec<u32> = (1..=distinct.len() as u32).collect();
        by_value.sort_unstable_by(|a, b| {
            distinct[*a as usize - 1]
                .as_bytes()
                .cmp(distinct[*b as usize - 1].as_bytes())
        });
        let mut rank = vec![0u32; distinct.len() + 1];
        for (r, id) in by_value.into_iter().enumerate() {
            rank[id as usize] = r as u32 + 1;
        }
        SortCol::Ranks(seen.into_iter().map(|id| rank[id as usize]).collect())
    }

    fn cmp(&self, a: usize, b: usize, desc: bool, nulls_first: bool) -> Ordering {
        let first = if nulls_first {
            Ordering::Less
        } else {
            Ordering::Greater
        };
        let (null_a, null_b, o) = match self {
            SortCol::Cells(c) => (
                c[a] == Cell::Null,
                c[b] == Cell::Null,
                cell_order(&c[a], &c[b]),
            ),
            SortCol::Ranks(r) => (r[a] == 0, r[b] == 0, r[a].cmp(&r[b])),
        };
        match (null_a, null_b) {
            (true, true) => Ordering::Equal,
            (true, false) => first,
            (false, true) => first.reverse(),
            _ if desc => o.reverse(),
            _ => o,
        }
    }
}

/// A total order over non-null cells: by value within comparable kinds (NaN after every
/// number), by kind otherwise (a column holds one kind, so this only settles malformed data).
fn cell_order(a: &Cell, b: &Cell) -> Ordering {
    if let (Cell::Real(x), Cell::Real(y)) = (a, b) {
        return x.total_cmp(y);
    }
    compare(a, b).unwrap_or_else(|| {
        let nan = |c: &Cell| matches!(c, Cell::Real(f) if f.is_nan());
        (rank(a), nan(a)).cmp(&(rank(b), nan(b)))
    })
}

fn rank(c: &Cell) -> u8 {
    match c {
        Cell::Null => 0,
        Cell::Bool(_) => 1,
        Cell::Long(_) | Cell::Real(_) => 2,
        Cell::DateTime(_) => 3,
        Cell::TimeSpan(_) => 4,
        Cell::Str(_) => 5,
    }
}

// ---- grouping ---------------------------------------------------------------------------------

/// A hashable group key; reals by their bits (with -0.0 and every NaN made one key).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key<'a> {
    Null,
    Bool(bool),
    Long(i64),
    Real(u64),
    DateTime(i64),
    TimeSpan(i64),
    Str(Cow<'a, str>),
}

impl<'a> Key<'a> {
    fn of(c: Cell<'a>) -> Key<'a> {
        match c {
            Cell::Null => Key::Null,
            Cell::Bool(b) => Key::Bool(b),
            Cell::Long(n) => Key::Long(n),
            Cell::Real(f) if f.is_nan() => Key::Real(f64::NAN.to_bits()),
            Cell::Real(f) => Key::Real((f + 0.0).to_bits()),
            Cell::DateTime(n) => Key::DateTime(n),
            Cell::TimeSpan(n) => Key::TimeSpan(n),
            Cell::Str(s) => Key::Str(s),
        }
    }

    /// New bytes a key holds: a string it owns (computed); borrowed cells and numbers are as
    /// many as the input rows, which are already held.
    fn weight(&self) -> usize {
        match self {
            Key::Str(Cow::Owned(s)) => s.len(),
            _ => 0,
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Key::Null => Value::Null,
            Key::Bool(b) => Value::Bool(*b),
            Key::Long(n) => Value::Long(*n),
            Key::Real(bits) => Value::Real(f64::from_bits(*bits)),
            Key::DateTime(n) => Value::DateTime(*n),
            Key::TimeSpan(n) => Value::TimeSpan(*n),
            Key::Str(s) => Value::String(s.to_string()),
        }
    }
}

/// FxHash (rustc's hasher): much faster than SipHash for short keys, and there is nothing to
/// defend against here, the rows are the user's own. Its multiply only carries low bits upward,
/// so `finish` mixes the high bits back down (murmur3's finalizer): the table picks buckets by
/// the low bits, and integer-valued reals (every number the Data Collector API stores, `_d`)
/// have all-zero low bits, which put every group in one bucket chain (quadratic grouping).
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_i64(&mut self, n: i64) {
        self.add(n as u64);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

impl Fx {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxBuild = BuildHasherDefault<Fx>;

/// One aggregate's running state for one group.
enum State<'a> {
    Count(i64),
    Distinct(HashSet<Key<'a>, FxBuild>),
    SumLong(Option<i64>, bool),
    SumReal(f64),
    Avg(f64, i64),
    /// Extremes keep the best cell seen so far (borrowed from its row).
    Min(Option<Cell<'a>>),
    Max(Option<Cell<'a>>),
    /// arg_max/arg_min: the best cell and its row (the other columns are read at the end).
    Arg(Option<(Cell<'a>, &'a [Value])>),
    /// make_set: the values, and their JSON texts seen.
    Set(Vec<serde_json::Value>, HashSet<String, FxBuild>),
    List(Vec<serde_json::Value>),
    /// percentile(s): every non-null value.
    Values(Vec<Cell<'a>>),
}

impl<'a> State<'a> {
    fn new(agg: &Agg) -> State<'a> {
        match agg.kind {
            AggKind::Count | AggKind::CountIf => State::Count(0),
            AggKind::DCount => State::Distinct(HashSet::default()),
            AggKind::Sum if agg.ty == ColumnType::Real => State::SumReal(0.0),
            AggKind::Sum => State::SumLong(Some(0), false),
            AggKind::Avg => State::Avg(0.0, 0),
            AggKind::Min => State::Min(None),
            AggKind::Max => State::Max(None),
            AggKind::DCountIf => State::Distinct(HashSet::default()),
            AggKind::ArgMax | AggKind::ArgMin => State::Arg(None),
            AggKind::MakeSet => State::Set(Vec::new(), HashSet::default()),
            AggKind::MakeList => State::List(Vec::new()),
            AggKind::Percentiles => State::Values(Vec::new()),
        }
    }

    fn update(&mut self, agg: &'a Agg, row: &'a [Value], b: &Budget) {
        let arg = || agg.arg.as_ref().map_or(Cell::Null, |a| eval(a, row, b));
        match self {
            State::Count(n) => {
                if agg.kind == AggKind::Count || arg().truth() == Some(true) {
                    *n += 1;
                }
            }
            State::Distinct(set) => {
                if agg.kind == AggKind::DCountIf
                    && agg.extra.first().map(|p| eval(p, row, b).truth()) != Some(Some(true))
                {
                    return;
                }
                let c = arg();
                // dcount() ignores nulls, like every aggregate but count().
                if c != Cell::Null {
                    let key = Key::of(c);
                    if !set.contains(&key) && b.charge(key.weight()) {
                        set.insert(key);
                    }
                }
            }
            State::SumLong(sum, seen) => match arg() {
                Cell::Long(n) | Cell::TimeSpan(n) => {
                    *sum = sum.and_then(|s| s.checked_add(n));
                    *seen = true;
                }
                _ => {}
            },
            State::SumReal(sum) => match arg() {
                Cell::Real(f) => *sum += f,
                Cell::Long(n) => *sum += n as f64,
                _ => {}
            },
            State::Avg(sum, n) => match arg() {
                Cell::Real(f) => {
                    *sum += f;
                    *n += 1;
                }
                Cell::Long(v) | Cell::TimeSpan(v) => {
                    *sum += v as f64;
                    *n += 1;
                }
                _ => {}
            },
            State::Min(best) => {
                let c = arg();
                if c != Cell::Null
                    && best
                        .as_ref()
                        .is_none_or(|b| compare(&c, b) == Some(Ordering::Less))
                {
                    *best = Some(c);
                }
            }
            State::Max(best) => {
                let c = arg();
                if c != Cell::Null
                    && best
                        .as_ref()
                        .is_none_or(|b| compare(&c, b) == Some(Ordering::Greater))
                {
                    *best = Some(c);
                }
            }
            State::Arg(best) => {
                let c = arg();
                let want = if agg.kind == AggKind::ArgMax {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
                if c != Cell::Null
                    && best
                        .as_ref()
                        .is_none_or(|(b, _)| compare(&c, b) == Some(want))
                {
                    *best = Some((c, row));
                }
            }
            State::Set(values, seen) => {
                let max = agg.params.first().copied().unwrap_or(0.0);
                if (values.len() as f64) < max
                    && let Some(v) = element_json(arg(), agg.arg_ty)
                {
                    let text = v.to_string();
                    if !seen.contains(&text) && b.charge(2 * text.len().max(8)) {
                        seen.insert(text);
                        values.push(v);
                    }
                }
            }
            State::List(values) => {
                let max = agg.params.first().copied().unwrap_or(0.0);
                if (values.len() as f64) < max
                    && let Some(v) = element_json(arg(), agg.arg_ty)
                    && b.charge(v.to_string().len().max(8))
                {
                    values.push(v);
                }
            }
            State::Values(values) => {
                let c = arg();
                if c != Cell::Null && !matches!(c, Cell::Real(f) if f.is_nan()) && b.charge(8) {
                    values.push(c);
                }
            }
        }
    }

    /// The aggregate's output cells (arg_max and percentiles fill several).
    fn finish_into(self, agg: &Agg, b: &Budget, out: &mut Row) {
        match self {
            State::Arg(best) => match best {
                Some((c, row)) => {
                    out.push(c.into_value());
                    for e in &agg.extra {
                        out.push(eval(e, row, b).into_value());
                    }
                }
                None => out.extend(std::iter::repeat_n(Value::Null, 1 + agg.extra.len())),
            },
            State::Set(values, _) | State::List(values) => {
                out.push(Value::String(serde_json::Value::Array(values).to_string()));
            }
            State::Values(mut values) => {
                values.sort_by(cell_order);
                for p in &agg.params {
                    // Nearest rank: the smallest value with at least p% of the values at or
                    // below it.
                    let n = values.len();
                    let v = if n == 0 {
                        Value::Null
                    } else {
                        let rank = ((p / 100.0) * n as f64).ceil() as usize;
                        values[rank.clamp(1, n) - 1].clone().into_value()
                    };
                    out.push(v);
                }
            }
            s => out.push(s.finish(agg)),
        }
    }

    fn finish(self, agg: &Agg) -> Value {
        match self {
            State::Count(n) => Value::Long(n),
            State::Distinct(set) => Value::Long(set.len() as i64),
            State::SumLong(Some(s), _) if agg.ty == ColumnType::TimeSpan => Value::TimeSpan(s),
            State::SumLong(Some(s), _) => Value::Long(s),
            State::SumLong(None, _) => Value::Null,
            State::SumReal(s) => Value::Real(s),
            State::Avg(_, 0) => Value::Null,
            State::Avg(s, n) if agg.ty == ColumnType::TimeSpan => {
                Value::TimeSpan((s / n as f64).round() as i64)
            }
            State::Avg(s, n) => Value::Real(s / n as f64),
            State::Min(best) | State::Max(best) => best.map_or(Value::Null, Cell::into_value),
            State::Arg(_) | State::Set(..) | State::List(_) | State::Values(_) => Value::Null,
        }
    }
}

/// A value make_set/make_list collects, as JSON (a dynamic cell's own JSON); None for null.
fn element_json(c: Cell, ty: ColumnType) -> Option<serde_json::Value> {
    match c {
        Cell::Null => None,
        Cell::Str(s) if ty == ColumnType::Dynamic => serde_json::from_str(&s)
            .ok()
            .filter(|v: &serde_json::Value| !v.is_null()),
        c => Some(super::eval::cell_json(&c)),
    }
}

fn summarize(keys: &[CExpr], aggs: &[Agg], rows: &[Row], b: &Budget) -> Vec<Row> {
    let mut index: HashMap<Vec<Key>, usize, FxBuild> = HashMap::default();
    let mut groups: Vec<(Vec<Key>, Vec<State>)> = Vec::new();
    let mut scratch: Vec<Key> = Vec::with_capacity(keys.len());
    for row in rows {
        scratch.clear();
        scratch.extend(keys.iter().map(|k| Key::of(eval(k, row, b))));
        let g = match index.get(scratch.as_slice()) {
            Some(&g) => g,
            None => {
                // A new group keeps its computed key strings twice (index and groups).
                if !b.charge(2 * scratch.iter().map(Key::weight).sum::<usize>()) {
                    return Vec::new();
                }
                let g = groups.len();
                index.insert(scratch.clone(), g);
                groups.push((scratch.clone(), aggs.iter().map(State::new).collect()));
                g
            }
        };
        for (state, agg) in groups[g].1.iter_mut().zip(aggs) {
            state.update(agg, row, b);
        }
    }
    // Without `by`, summarize answers one row even over no rows (count() = 0).
    if keys.is_empty() && groups.is_empty() {
        groups.push((Vec::new(), aggs.iter().map(State::new).collect()));
    }
    groups
        .into_iter()
        .map(|(key, states)| {
            let mut row: Row = key.iter().map(Key::to_value).collect();
            for (s, a) in states.into_iter().zip(aggs) {
                s.finish_into(a, b, &mut row);
            }
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    /// The hash table picks a bucket from the low bits: integer-valued reals, whose low mantissa
    /// bits are all zero, must still spread over them (they all landed in one bucket before).
    #[test]
    fn integer_valued_reals_spread_over_the_low_bits() {
        let build = FxBuild::default();
        let buckets: HashSet<u64> = (0..4096)
            .map(|n| build.hash_one(Key::of(Cell::Real(f64::from(n)))) & 0xfff)
            .collect();
        // 4,096 random values fall in about 2,590 of 4,096 buckets.
        assert!(buckets.len() > 2_000, "{} buckets used", buckets.len());
    }
}
