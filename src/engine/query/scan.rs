//! A plan's table read, on columns: the source is asked only for the columns the plan uses, the
//! leading `where`s run on the columns (a predicate on one dictionary-coded column is evaluated
//! once per distinct value and then looked up by code), and a `count` or a `summarize count() by`
//! dictionary columns that follows is answered from the codes. Rows are built only for what the
//! rest of the plan needs.

use std::collections::HashMap;

use super::compile::{AggKind, Src, Step};
use super::eval::{Budget, CExpr, NeedleSrc, keeps};
use crate::engine::columnar::{Batch, Column, NULL_CODE, Part};
use crate::engine::table::{ColumnType, Schema, Value};

type Row = Vec<Value>;

/// The columns `steps` read from a table of `schema`, or None when they need every column (the
/// result shows them, or a step this analysis does not follow comes before a projection).
pub fn wanted(steps: &[Step], schema: &Schema) -> Option<Vec<String>> {
    let mut used = vec![false; schema.columns.len()];
    let names = |used: &[bool]| -> Vec<String> {
        (schema.columns.iter().zip(used))
            .filter(|(_, u)| **u)
            .map(|((n, _), _)| n.clone())
            .collect()
    };
    for step in steps {
        match step {
            Step::Filter(e) => mark(e, &mut used),
            Step::Take(_) => {}
            Step::Sort(keys) | Step::Top(_, keys) => {
                keys.iter().for_each(|k| mark_src(&k.key, &mut used))
            }
            Step::Count => return Some(names(&used)),
            Step::Summarize { keys, aggs } => {
                keys.iter().for_each(|k| mark(k, &mut used));
                for a in aggs {
                    a.arg
                        .iter()
                        .chain(&a.extra)
                        .for_each(|e| mark(e, &mut used));
                }
                return Some(names(&used));
            }
            Step::Project(srcs) => {
                srcs.iter().for_each(|s| mark_src(s, &mut used));
                return Some(names(&used));
            }
            _ => return None,
        }
    }
    None
}

fn mark_src(s: &Src, used: &mut [bool]) {
    match s {
        Src::Col(i) => {
            if let Some(u) = used.get_mut(*i) {
                *u = true;
            }
        }
        Src::Expr(e) => mark(e, used),
    }
}

/// Marks every column `e` reads.
fn mark(e: &CExpr, used: &mut [bool]) {
    match e {
        CExpr::Col(i) => {
            if let Some(u) = used.get_mut(*i) {
                *u = true;
            }
        }
        CExpr::Const(_) => {}
        CExpr::Neg(x) => mark(x, used),
        CExpr::Arith(_, l, r) | CExpr::Cmp(_, l, r) => {
            mark(l, used);
            mark(r, used);
        }
        CExpr::EqCi { left, right, .. } => {
            mark(left, used);
            mark(right, used);
        }
        CExpr::Text { hay, needle, .. } => {
            mark(hay, used);
            if let NeedleSrc::Expr(n) = needle {
                mark(n, used);
            }
        }
        CExpr::In { expr, list, .. } => {
            mark(expr, used);
            list.iter().for_each(|x| mark(x, used));
        }
        CExpr::All(xs) | CExpr::Any(xs) | CExpr::Call(_, xs) => {
            xs.iter().for_each(|x| mark(x, used))
        }
        CExpr::Extract { text, .. } => mark(text, used),
    }
}

/// The rows `batch` gives the plan, and how many of its leading steps were run here.
pub fn scan(steps: &[Step], schema: &Schema, batch: Batch, b: &Budget) -> (Vec<Row>, usize) {
    let width = schema.columns.len();
    // The plan's columns in the batch (by name: blocks may have gained columns over time).
    let map: Vec<Option<usize>> = (schema.columns.iter())
        .map(|(n, _)| batch.schema.index(n))
        .collect();
    // Kusto strings are never null: a string cell a row does not have reads as "".
    let strings: Vec<bool> = (schema.columns.iter())
        .map(|(_, ty)| *ty == ColumnType::String)
        .collect();
    let mut parts = batch.parts;
    fn column<'p>(map: &[Option<usize>], p: &'p Part, j: usize) -> Option<&'p Column> {
        map[j].and_then(|c| p.column(c))
    }
    let mut done = 0;
    while let Some(Step::Filter(pred)) = steps.get(done) {
        let mut used = vec![false; width];
        mark(pred, &mut used);
        let used: Vec<usize> = (0..width).filter(|&j| used[j]).collect();
        for p in &mut parts {
            let keep = filter(p, pred, &used, &map, &strings, b);
            p.selection = Some(keep);
        }
        done += 1;
    }
    match steps.get(done) {
        Some(Step::Count) => {
            let n: usize = parts.iter().map(Part::selected).sum();
            return (vec![vec![Value::Long(n as i64)]], done + 1);
        }
        Some(Step::Summarize { keys, aggs })
            if aggs
                .iter()
                .all(|a| a.kind == AggKind::Count && a.arg.is_none() && a.extra.is_empty()) =>
        {
            let cols: Option<Vec<usize>> = keys
                .iter()
                .map(|k| match k {
                    CExpr::Col(j) if *j < width => Some(*j),
                    _ => None,
                })
                .collect();
            let coded = |j: usize| {
                parts
                    .iter()
                    .all(|p| matches!(column(&map, p, j), None | Some(Column::Dictionary { .. })))
            };
            if let Some(cols) = cols.filter(|c| c.iter().all(|&j| coded(j))) {
                let rows = count_by_codes(
                    &parts,
                    &cols,
                    aggs.len(),
                    &|p, j| column(&map, p, j),
                    &strings,
                );
                return (rows, done + 1);
            }
        }
        _ => {}
    }
    let mut rows = Vec::with_capacity(parts.iter().map(Part::selected).sum());
    for p in &parts {
        let cols: Vec<Option<&Column>> = (0..width).map(|j| column(&map, p, j)).collect();
        p.for_each_selected(|i| {
            rows.push(
                (cols.iter().zip(&strings))
                    .map(|(c, s)| cell(*c, i, *s))
                    .collect(),
            )
        });
    }
    (rows, done)
}

/// Row `i`'s cell, "" for a string the row does not have.
fn cell(col: Option<&Column>, i: usize, string: bool) -> Value {
    match col.map(|c| c.value(i)) {
        Some(Value::Null) | None if string => Value::String(String::new()),
        Some(v) => v,
        None => Value::Null,
    }
}

/// The selected rows of `p` that `pred` keeps.
fn filter(
    p: &Part,
    pred: &CExpr,
    used: &[usize],
    map: &[Option<usize>],
    strings: &[bool],
    b: &Budget,
) -> Vec<u32> {
    let width = map.len();
    let column = |j: usize| map[j].and_then(|c| p.column(c));
    let absent = |j: usize| {
        if strings[j] {
            Value::String(String::new())
        } else {
            Value::Null
        }
    };
    let mut scratch: Row = (0..width).map(absent).collect();
    let selected = |keep: &mut dyn FnMut(usize) -> bool| -> Vec<u32> {
        let mut out = Vec::new();
        p.for_each_selected(|i| {
            if keep(i) {
                out.push(i as u32)
            }
        });
        out
    };
    // One dictionary-coded column: the predicate once per distinct value, then per row a lookup.
    if let [j] = used {
        if let Some(Column::Dictionary { dict, codes, .. }) = column(*j) {
            let by_code: Vec<bool> = dict
                .iter()
                .map(|d| {
                    scratch[*j] = Value::String(d.clone());
                    keeps(pred, &scratch, b)
                })
                .collect();
            scratch[*j] = absent(*j);
            let null = keeps(pred, &scratch, b);
            return selected(&mut |i| match codes[i] {
                NULL_CODE => null,
                c => by_code[c as usize],
            });
        }
    }
    // `contains` on free text: one search over the column's buffer.
    if let (
        CExpr::Text {
            op,
            negated: false,
            hay,
            needle: NeedleSrc::Const(needle),
        },
        [j],
    ) = (pred, used)
    {
        if let (CExpr::Col(c), Some(Column::Text { ends, buf, .. })) = (&**hay, column(*j)) {
            if c == j {
                if let Some(hits) = needle.texts_containing(*op, buf.as_bytes(), ends) {
                    return selected(&mut |i| hits[i]);
                }
            }
        }
    }
    // Otherwise the used cells go into one scratch row (string buffers reused, so free text is
    // copied, not allocated, per row).
    let cols: Vec<(usize, Option<&Column>)> = used.iter().map(|&j| (j, column(j))).collect();
    selected(&mut |i| {
        for (j, c) in &cols {
            match c {
                Some(c) => {
                    c.write(i, &mut scratch[*j]);
                    if strings[*j] && scratch[*j] == Value::Null {
                        scratch[*j] = Value::String(String::new());
                    }
                }
                None => scratch[*j] = absent(*j),
            }
        }
        keeps(pred, &scratch, b)
    })
}

/// `summarize count() by` dictionary-coded columns, on their codes: groups in order of first
/// appearance, as the row path makes them, each with its count in every `count()` column.
fn count_by_codes<'p>(
    parts: &'p [Part],
    keys: &[usize],
    counts: usize,
    column: &dyn Fn(&'p Part, usize) -> Option<&'p Column>,
    strings: &[bool],
) -> Vec<Row> {
    let mut index: HashMap<Vec<Option<&'p str>>, usize> = HashMap::new();
    let mut groups: Vec<(Vec<Option<&'p str>>, u64)> = Vec::new();
    for p in parts {
        let cols: Vec<Option<&'p Column>> = keys.iter().map(|&j| column(p, j)).collect();
        // One key: a table by code (the null code last) instead of hashing a tuple per row.
        if let [Some(Column::Dictionary { dict, codes, .. })] = cols[..] {
            let mut seen: Vec<u64> = vec![0; dict.len() + 1];
            let mut order: Vec<usize> = Vec::new();
            p.for_each_selected(|i| {
                let c = match codes[i] {
                    NULL_CODE => dict.len(),
                    c => c as usize,
                };
                if seen[c] == 0 {
                    order.push(c);
                }
                seen[c] += 1;
            });
            // Groups are made in order of first appearance, as the rows go.
            for c in order {
                let key = vec![match dict.get(c) {
                    Some(d) => Some(d.as_str()),
                    None if strings[keys[0]] => Some(""),
                    None => None,
                }];
                let g = *index.entry(key.clone()).or_insert_with(|| {
                    groups.push((key, 0));
                    groups.len() - 1
                });
                groups[g].1 += seen[c];
            }
            continue;
        }
        // This part's code tuples, to its groups.
        let mut local: HashMap<Vec<u16>, usize> = HashMap::new();
        let mut tuple = Vec::with_capacity(keys.len());
        p.for_each_selected(|i| {
            tuple.clear();
            tuple.extend(cols.iter().map(|c| match c {
                Some(Column::Dictionary { codes, .. }) => codes[i],
                _ => NULL_CODE,
            }));
            let g = match local.get(&tuple) {
                Some(&g) => g,
                None => {
                    let key: Vec<Option<&'p str>> = (cols.iter().zip(&tuple).zip(keys))
                        .map(|((c, &code), &j)| match c {
                            Some(Column::Dictionary { dict, .. }) if code != NULL_CODE => {
                                Some(dict[code as usize].as_str())
                            }
                            // A string the row does not have is "" (one group with "").
                            _ if strings[j] => Some(""),
                            _ => None,
                        })
                        .collect();
                    let g = *index.entry(key.clone()).or_insert_with(|| {
                        groups.push((key, 0));
                        groups.len() - 1
                    });
                    local.insert(tuple.clone(), g);
                    g
                }
            };
            groups[g].1 += 1;
        });
    }
    // Without `by`, summarize answers one row even over no rows (count() = 0).
    if keys.is_empty() && groups.is_empty() {
        groups.push((Vec::new(), 0));
    }
    groups
        .into_iter()
        .map(|(key, n)| {
            let mut row: Row = (key.iter().zip(keys))
                .map(|(k, _)| match k {
                    Some(s) => Value::String(s.to_string()),
                    None => Value::Null,
                })
                .collect();
            row.extend((0..counts).map(|_| Value::Long(n as i64)));
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::query::{self, TableSource};
    use crate::engine::table::RowSet;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// Serves table `T` as storage does: its rows cut into blocks of `.1` rows, each column a
    /// chunk encoded and decoded (dictionary, free text or fixed cells), only the columns asked.
    struct Chunked(RowSet, usize);

    impl TableSource for Chunked {
        fn table(&mut self, name: &str) -> Result<Option<RowSet>, String> {
            Ok((name == "T").then(|| self.0.clone()))
        }

        fn columns(
            &mut self,
            name: &str,
            wanted: Option<&[String]>,
        ) -> Result<Option<Batch>, String> {
            if name != "T" {
                return Ok(None);
            }
            let schema = self.0.schema.clone();
            let parts = (self.0.rows.chunks(self.1))
                .map(|rows| Part {
                    rows: rows.len(),
                    columns: (schema.columns.iter().enumerate())
                        .map(|(i, (n, ty))| {
                            wanted.is_none_or(|w| w.contains(n)).then(|| {
                                let (_, bytes) = Column::encode(rows, i, *ty).unwrap();
                                Column::decode(&bytes).unwrap()
                            })
                        })
                        .collect(),
                    selection: None,
                })
                .collect();
            Ok(Some(Batch { schema, parts }))
        }
    }

    /// Serves `T` as rows (the default `columns`).
    struct Rows(RowSet);

    impl TableSource for Rows {
        fn table(&mut self, name: &str) -> Result<Option<RowSet>, String> {
            Ok((name == "T").then(|| self.0.clone()))
        }
    }

    const QUERIES: &[&str] = &[
        "T | where Level == 'err' | count",
        "T | where Level != 'err' | count",
        "T | where Level =~ 'ERR' | summarize count() by Level",
        "T | summarize count() by Level",
        "T | summarize count() by Level, Host",
        "T | summarize c = count(), d = count() by G",
        "T | summarize count()",
        "T | where Msg contains 'port' | count",
        "T | where Msg contains 'PORT1' | summarize count() by Level",
        "T | where Msg contains_cs 'a p' | count",
        "T | where Msg contains 'b' | project Msg",
        "T | where Msg has 'a' and Level in ('err', 'warn') | summarize count() by Host",
        "T | where isempty(Host) | count",
        "T | where isnull(N) | count",
        "T | where N > 3 | project Level, N",
        "T | where Level startswith 'w' | summarize count() by Host | where count_ > 1",
        "T | sort by N desc | take 5",
        "T | where Host == '' | summarize count() by G",
        "T | where isnotempty(G) | count",
    ];

    fn cell(strings: &'static [&'static str]) -> impl Strategy<Value = Value> {
        prop_oneof![
            4 => select(strings).prop_map(Value::from),
            1 => Just(Value::Null),
        ]
    }

    fn table() -> impl Strategy<Value = RowSet> {
        let row = (
            cell(&["err", "warn", "ok", ""]),
            cell(&["vm-1", "vm-2", "vm-3"]),
            prop_oneof![
                6 => "[ab port1]{0,12}".prop_map(Value::String),
                1 => Just(Value::Null),
            ],
            prop_oneof![(0i64..8).prop_map(Value::Long), Just(Value::Null)],
            cell(&["6f1c1b1e-0000-4000-8000-000000000001"]),
        )
            .prop_map(|(l, h, m, n, g)| vec![l, h, m, n, g]);
        proptest::collection::vec(row, 0..60).prop_map(|rows| RowSet {
            schema: Schema {
                columns: vec![
                    ("Level".into(), ColumnType::String),
                    ("Host".into(), ColumnType::String),
                    ("Msg".into(), ColumnType::String),
                    ("N".into(), ColumnType::Long),
                    ("G".into(), ColumnType::Guid),
                ],
            },
            rows,
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// Filters and group-bys on codes answer exactly as the row path: the same query with a
        /// leading projection (which this module does not run) goes through rows step by step.
        #[test]
        fn scans_on_column_chunks_answer_as_the_row_path(
            rows in table(),
            q in select(QUERIES),
            block in 1usize..9,
        ) {
            let on_chunks = query::run(q, 0, &mut Chunked(rows.clone(), block));
            let row_path = q.replacen("T |", "T | extend Zz = 1 | project-away Zz |", 1);
            let on_rows = query::run(&row_path, 0, &mut Rows(rows));
            match (on_chunks, on_rows) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(&a.schema, &b.schema);
                    prop_assert_eq!(a.rows, b.rows);
                }
                (a, b) => prop_assert!(false, "{q}: {a:?} / {b:?}"),
            }
        }
    }
}
