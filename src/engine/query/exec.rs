//! Runs a [`Plan`] over rows: filtering, projection, grouping and sorting.
//!
//! Rows are owned and threaded through the steps, so a `where` filters in place and a
//! projection moves cells instead of copying them. Grouping keys borrow their strings from the
//! input rows; a row allocates only when it starts a new group.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};

use super::compile::{Agg, AggKind, Plan, SortPlan, Src, Step};
use super::eval::{Budget, CExpr, Cell, compare, eval, keeps};
use crate::engine::table::{ColumnType, RowSet, Value};

type Row = Vec<Value>;

/// The query built more new values than its [`Budget`] allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exhausted;

/// Runs every step of `plan` over `input` (whose schema the plan was compiled against), building
/// at most `budget` bytes of new values.
pub fn run(plan: &Plan, input: RowSet, budget: &Budget) -> Result<RowSet, Exhausted> {
    let mut rows = input.rows;
    for step in &plan.steps {
        rows = apply(step, rows, budget);
        if budget.exhausted() {
            return Err(Exhausted);
        }
    }
    Ok(RowSet {
        schema: plan.schema.clone(),
        rows,
    })
}

/// What a value weighs in a query's budget and its result size: its bytes (strings) or 8.
pub fn weight(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len().max(8),
        _ => 8,
    }
}

fn apply(step: &Step, mut rows: Vec<Row>, b: &Budget) -> Vec<Row> {
    match step {
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
        }
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
            row.extend(states.into_iter().zip(aggs).map(|(s, a)| s.finish(a)));
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
