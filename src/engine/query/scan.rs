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
