//! Semantic analysis: resolves every name in the pipeline against the schema each stage will
//! see, checks types, folds constants and produces the [`Plan`] that [`super::exec`] runs.
//!
//! All of it happens before a row is read, so whether a query is refused never depends on the
//! data (an empty table refuses the same queries as a full one).
//!
//! Scalar functions: `ago`, `now`, `not`, `tolower`, `toupper`, `strlen`, `isempty`,
//! `isnotempty`, `isnull`, `isnotnull`, `tostring`, `strcat`, `bin`/`floor`, `tolong`/`toint`,
//! `toreal`/`todouble`, `todatetime`, `totimespan`. Aggregates (in `summarize` only): `count`,
//! `countif`, `dcount` (exact), `sum`, `avg`, `min`, `max`.

use std::collections::{HashMap, HashSet};

use super::ast::{
    BinOp, Expr, Item, JoinKind, LetValue, Name, Op, ParsePart, Query, SortKey, Source, Stage,
    Tabular, Union,
};
use super::eval::{ArithOp, CExpr, Cell, CmpOp, Func, Needle, NeedleSrc, Period, Re, fold};
use super::{Pos, QueryError, TableSource};
use crate::engine::table::{ColumnType, Schema, Value};

/// What [`super::exec::run`] executes: where the rows come from, one step per stage, and the
/// final schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub source: SourcePlan,
    pub steps: Vec<Step>,
    pub schema: Schema,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SourcePlan {
    /// A workspace table, read (decrypted) when the plan runs; `schema` is what compiling saw.
    Table {
        name: String,
        schema: Schema,
        at: Pos,
    },
    /// Rows known when compiling (`datatable`, `print`, `getschema`).
    Rows(Vec<Vec<Value>>),
    /// `range`: generated when the plan runs (its rows count against the budget).
    Range {
        from: Value,
        to: Value,
        step: Value,
    },
    Union(UnionPlan),
}

/// Inputs side by side: each input's columns mapped onto the output's.
#[derive(Clone, Debug, PartialEq)]
pub struct UnionPlan {
    pub inputs: Vec<UnionInput>,
    /// The output starts with a column naming each row's input (`withsource`, `$table`).
    pub source_column: bool,
    /// Per output column (after the source column): absent cells of string columns read "".
    pub strings: Vec<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UnionInput {
    /// `None`: the rows flowing into a `| union` stage.
    pub plan: Option<Plan>,
    /// Per output column, the input's column (or none).
    pub map: Vec<Option<usize>>,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Filter(CExpr),
    /// Output columns in order (project, extend, project-away, project-rename).
    Project(Vec<Src>),
    Take(usize),
    Count,
    /// Also `distinct` (keys only). Groups keep first-appearance order.
    Summarize {
        keys: Vec<CExpr>,
        aggs: Vec<Agg>,
    },
    Sort(Vec<SortPlan>),
    Top(usize, Vec<SortPlan>),
    Union(UnionPlan),
    Join(JoinPlan),
    /// `parse`: matches the text, then writes the captures to `slots` (the row grows to `width`).
    Parse {
        text: CExpr,
        pattern: Vec<PatternPart>,
        slots: Vec<usize>,
        width: usize,
    },
    /// `mv-expand`: one row per element of the arrays (side by side), written to `slots`.
    MvExpand {
        items: Vec<(CExpr, Option<ColumnType>)>,
        slots: Vec<usize>,
        width: usize,
        limit: Option<usize>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum PatternPart {
    Literal(String),
    Any,
    /// Captures into the slot with this index in `slots`, converted to the type.
    Capture(usize, ColumnType),
}

#[derive(Clone, Debug, PartialEq)]
pub struct JoinPlan {
    pub kind: JoinKind,
    pub right: Box<Plan>,
    pub left_keys: Vec<usize>,
    pub right_keys: Vec<usize>,
    /// Which left columns are strings (an unmatched side of an outer join reads "" there).
    pub left_strings: Vec<bool>,
}

/// Where a projected column comes from: moved from the input row, or computed.
#[derive(Clone, Debug, PartialEq)]
pub enum Src {
    Col(usize),
    Expr(CExpr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SortPlan {
    pub key: Src,
    pub desc: bool,
    pub nulls_first: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Agg {
    pub kind: AggKind,
    pub arg: Option<CExpr>,
    /// The type of the first argument (make_set of a dynamic value keeps its JSON).
    pub arg_ty: ColumnType,
    /// The output type (`count` is long; `sum` keeps its argument's kind).
    pub ty: ColumnType,
    /// arg_max/arg_min's other columns, countif/dcountif's predicate.
    pub extra: Vec<CExpr>,
    /// percentile(s)' percentages; make_set/make_list's maximum size (as one number).
    pub params: Vec<f64>,
}

impl Agg {
    /// How many output columns it fills.
    pub fn width(&self) -> usize {
        match self.kind {
            AggKind::ArgMax | AggKind::ArgMin => 1 + self.extra.len(),
            AggKind::Percentiles => self.params.len(),
            _ => 1,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggKind {
    Count,
    CountIf,
    DCount,
    DCountIf,
    Sum,
    Avg,
    Min,
    Max,
    ArgMax,
    ArgMin,
    MakeSet,
    MakeList,
    /// `percentile` (one percentage) and `percentiles` (several): nearest rank.
    Percentiles,
}

impl AggKind {
    fn from_name(name: &str) -> Option<AggKind> {
        Some(match name {
            "count" => AggKind::Count,
            "countif" => AggKind::CountIf,
            "dcount" => AggKind::DCount,
            "dcountif" => AggKind::DCountIf,
            "sum" => AggKind::Sum,
            "avg" => AggKind::Avg,
            "min" => AggKind::Min,
            "max" => AggKind::Max,
            "arg_max" => AggKind::ArgMax,
            "arg_min" => AggKind::ArgMin,
            "make_set" => AggKind::MakeSet,
            "make_list" => AggKind::MakeList,
            "percentile" | "percentiles" => AggKind::Percentiles,
            _ => return None,
        })
    }
}

/// The default maximum number of elements make_set()/make_list() return.
const MAKE_MAX: f64 = 1_048_576.0;

/// Names the query's `let` statements bound, as each use sees them.
#[derive(Default)]
struct Lets {
    scalars: HashMap<String, (CExpr, ColumnType)>,
    tabulars: HashMap<String, Tabular>,
    /// Tabular lets being expanded: a use inside its own definition names the table.
    expanding: Vec<String>,
}

/// Compiles a whole query: its `let` statements, then its body, reading table schemas (never
/// rows) from `source`. `now_ms` fixes `now()` and `ago()`.
pub fn plan_query(
    query: &Query,
    source: &mut dyn TableSource,
    now_ms: i64,
) -> Result<Plan, QueryError> {
    let mut c = Compiler {
        source,
        now_ms,
        lets: Lets::default(),
        expressions: 0,
    };
    for l in &query.lets {
        match &l.value {
            LetValue::Scalar(e) => {
                let empty = Schema { columns: vec![] };
                let (x, ty) = c.scope(&empty, "let").expr(e)?;
                c.lets.tabulars.remove(&l.name.name);
                c.lets.scalars.insert(l.name.name.clone(), (x, ty));
            }
            LetValue::Tabular(t) => {
                // Checked now, so an error points into the let, not at its use.
                c.tabular(t, "let")?;
                c.lets.scalars.remove(&l.name.name);
                c.lets.tabulars.insert(l.name.name.clone(), (**t).clone());
            }
        }
    }
    c.tabular(&query.body, "take")
}

struct Compiler<'s> {
    source: &'s mut dyn TableSource,
    now_ms: i64,
    lets: Lets,
    /// Tabular expressions compiled so far, uses of tabular lets included: each use is compiled
    /// anew, so `let B = A | union A; let C = B | union B; …` doubles per line.
    expressions: usize,
}

/// The most tabular expressions one query may expand to (lets inlined).
pub const MAX_TABULAR_EXPRESSIONS: usize = 4096;

impl Compiler<'_> {
    fn scope<'a>(&'a self, schema: &'a Schema, operator: &'static str) -> Scope<'a> {
        Scope {
            schema,
            operator,
            now_ms: self.now_ms,
            lets: &self.lets,
        }
    }

    /// `consumer` is the operator an unknown table is reported against when the expression has
    /// no stage of its own (Log Analytics runs a bare name as `T | take …`).
    fn tabular(&mut self, t: &Tabular, consumer: &'static str) -> Result<Plan, QueryError> {
        let consumer = t.stages.first().map_or(consumer, |s| s.operator);
        self.expressions += 1;
        if self.expressions > MAX_TABULAR_EXPRESSIONS {
            return Err(QueryError::semantic(
                "SEM0001",
                format!(
                    "The query expands to more than {MAX_TABULAR_EXPRESSIONS} tabular expressions (each use of a tabular let counts again), the most the playground compiles; Kusto would materialize() them."
                ),
                consumer,
                Pos::default(),
            ));
        }
        let (mut source, mut schema) = self.source(&t.source, consumer)?;
        let mut steps: Vec<Step> = Vec::with_capacity(t.stages.len());
        for stage in &t.stages {
            if stage.op == Op::Getschema {
                // The columns, known now: nothing needs to be read.
                source = SourcePlan::Rows(getschema_rows(&schema));
                steps.clear();
                schema = getschema_schema();
                continue;
            }
            let (step, next) = self.stage(stage, &schema)?;
            // `order by … | take N` is `top N by …`: select N rows instead of sorting them all.
            match (steps.last_mut(), step) {
                (Some(last @ Step::Sort(_)), Step::Take(n)) => {
                    if let Step::Sort(keys) = std::mem::replace(last, Step::Count) {
                        *last = Step::Top(n, keys);
                    }
                }
                (_, step) => steps.push(step),
            }
            schema = next;
        }
        Ok(Plan {
            source,
            steps,
            schema,
        })
    }

    fn source(
        &mut self,
        src: &Source,
        consumer: &'static str,
    ) -> Result<(SourcePlan, Schema), QueryError> {
        let empty = Schema { columns: vec![] };
        Ok(match src {
            Source::Table(name) => {
                if let Some(t) = self.lets.tabulars.get(&name.name).cloned()
                    && !self.lets.expanding.contains(&name.name)
                {
                    self.lets.expanding.push(name.name.clone());
                    let plan = self.tabular(&t, consumer);
                    self.lets.expanding.pop();
                    let plan = plan?;
                    return Ok(nested(plan));
                }
                match self.source.schema(&name.name) {
                    Ok(Some(schema)) => (
                        SourcePlan::Table {
                            name: name.name.clone(),
                            schema: schema.clone(),
                            at: name.at,
                        },
                        schema,
                    ),
                    Ok(None) => {
                        return Err(QueryError::unresolved(consumer, &name.name, name.at));
                    }
                    Err(message) => return Err(QueryError::source(message, &name.name, name.at)),
                }
            }
            Source::Nested(t) => nested(self.tabular(t, consumer)?),
            Source::Print(items) => {
                let scope = self.scope(&empty, "print");
                let mut cols = Columns::default();
                let mut row = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let (c, ty) = scope.expr(&item.expr)?;
                    let name = match &item.name {
                        Some(n) => n.name.clone(),
                        None => format!("print_{i}"),
                    };
                    cols.push(&name, ty);
                    row.push(constant_value(c));
                }
                (SourcePlan::Rows(vec![row]), cols.into_schema())
            }
            Source::Datatable {
                columns,
                values,
                at,
            } => {
                let scope = self.scope(&empty, "datatable");
                let width = columns.len();
                if width == 0 || values.len() % width != 0 {
                    return Err(type_error(
                        format!(
                            "datatable: {} value(s) do not fill rows of {width} column(s)",
                            values.len()
                        ),
                        "datatable",
                        *at,
                    ));
                }
                let mut rows = Vec::with_capacity(values.len() / width);
                for chunk in values.chunks(width) {
                    let mut row = Vec::with_capacity(width);
                    for ((name, ty), e) in columns.iter().zip(chunk) {
                        let (c, vt) = scope.expr(e)?;
                        let v = match c {
                            CExpr::Const(v) => v,
                            _ => return Err(not_constant("datatable", e.at())),
                        };
                        row.push(convert_literal(v, vt, *ty).ok_or_else(|| {
                            type_error(
                                format!(
                                    "datatable: column '{}' is of type {}, but a value is of type {}",
                                    name.name,
                                    ty.kql_name(),
                                    vt.kql_name()
                                ),
                                &name.name,
                                e.at(),
                            )
                        })?);
                    }
                    rows.push(row);
                }
                let mut cols = Columns::default();
                for (n, t) in columns {
                    cols.push(&n.name, *t);
                }
                (SourcePlan::Rows(rows), cols.into_schema())
            }
            Source::Range {
                column,
                from,
                to,
                step,
                at,
            } => {
                let scope = self.scope(&empty, "range");
                let value = |e: &Expr| -> Result<(Value, ColumnType), QueryError> {
                    match scope.expr(e)? {
                        (CExpr::Const(v), t) => Ok((v, t)),
                        _ => Err(not_constant("range", e.at())),
                    }
                };
                let ((f, ft), (t, tt), (s, st)) = (value(from)?, value(to)?, value(step)?);
                use ColumnType::*;
                let ok = match ft {
                    Int | Long | Real => is_numeric(tt) && is_numeric(st),
                    DateTime => tt == DateTime && st == TimeSpan,
                    TimeSpan => tt == TimeSpan && st == TimeSpan,
                    _ => false,
                };
                if !ok {
                    return Err(type_error(
                        format!(
                            "range: from, to and step must be numbers, datetimes with a timespan step, or timespans, not {}, {} and {}",
                            ft.kql_name(),
                            tt.kql_name(),
                            st.kql_name()
                        ),
                        "range",
                        *at,
                    ));
                }
                let ty = if matches!(ft, Int | Long) && (tt == Real || st == Real) {
                    Real
                } else if ft == Int {
                    Long
                } else {
                    ft
                };
                let (f, t, s) = if ty == Real {
                    (to_real(f), to_real(t), to_real(s))
                } else {
                    (f, t, s)
                };
                (
                    SourcePlan::Range {
                        from: f,
                        to: t,
                        step: s,
                    },
                    Schema {
                        columns: vec![(column.name.clone(), ty)],
                    },
                )
            }
            Source::Union(u) => {
                let (plan, schema) = self.union(u, None)?;
                (SourcePlan::Union(plan), schema)
            }
            Source::Search {
                tables,
                predicate,
                at,
            } => {
                let names: Vec<Name> = match tables {
                    Some(t) => t.clone(),
                    None => {
                        let mut all = self.source.table_names();
                        all.sort();
                        all.into_iter().map(|name| Name { name, at: *at }).collect()
                    }
                };
                let mut inputs = Vec::new();
                let mut plans = Vec::new();
                for n in names {
                    let t = Tabular {
                        source: Source::Table(n.clone()),
                        stages: Vec::new(),
                    };
                    let mut plan = self.tabular(&t, "search")?;
                    let (c, _) = self.scope(&plan.schema, "search").predicate(predicate)?;
                    plan.steps.push(Step::Filter(c));
                    plans.push((n.name.clone(), plan));
                }
                for (name, plan) in plans {
                    inputs.push((name, Some(plan)));
                }
                let (plan, schema) = union_of(inputs, false, Some("$table".into()));
                (SourcePlan::Union(plan), schema)
            }
        })
    }

    /// `union`'s inputs; `flowing` is the schema of the rows piped into a `| union` stage.
    fn union(
        &mut self,
        u: &Union,
        flowing: Option<&Schema>,
    ) -> Result<(UnionPlan, Schema), QueryError> {
        let mut inputs: Vec<(String, Option<Plan>)> = Vec::new();
        if let Some(schema) = flowing {
            inputs.push((
                "union_arg0".into(),
                Some(Plan {
                    source: SourcePlan::Rows(Vec::new()),
                    steps: Vec::new(),
                    schema: schema.clone(),
                }),
            ));
        }
        for (i, t) in u.inputs.iter().enumerate() {
            let name = match &t.source {
                Source::Table(n) => n.name.clone(),
                _ => format!("union_arg{}", i + usize::from(flowing.is_some())),
            };
            inputs.push((name, Some(self.tabular(t, "union")?)));
        }
        let (mut plan, schema) = union_of(
            inputs,
            u.inner,
            u.withsource.as_ref().map(|n| n.name.clone()),
        );
        if flowing.is_some() {
            plan.inputs[0].plan = None;
        }
        Ok((plan, schema))
    }

    fn stage(&mut self, stage: &Stage, schema: &Schema) -> Result<(Step, Schema), QueryError> {
        match &stage.op {
            Op::Union(u) => {
                let (plan, schema) = self.union(u, Some(schema))?;
                Ok((Step::Union(plan), schema))
            }
            Op::Join { kind, right, on } => {
                let right = self.tabular(right, "join")?;
                let scope = self.scope(schema, "join");
                let mut left_keys = Vec::new();
                let mut right_keys = Vec::new();
                let rscope = self.scope(&right.schema, "join");
                for (l, r) in on {
                    let (li, lt) = scope.column(l)?;
                    let (ri, rt) = rscope.column(r)?;
                    let widen = |t| {
                        if t == ColumnType::Int {
                            ColumnType::Long
                        } else {
                            t
                        }
                    };
                    if widen(lt) != widen(rt) {
                        return Err(type_error(
                            format!(
                                "join: the key '{}' ({}) and '{}' ({}) must be of the same type",
                                l.name,
                                lt.kql_name(),
                                r.name,
                                rt.kql_name()
                            ),
                            &l.name,
                            l.at,
                        ));
                    }
                    left_keys.push(li);
                    right_keys.push(ri);
                }
                let out = match kind {
                    JoinKind::LeftSemi | JoinKind::LeftAnti => schema.clone(),
                    JoinKind::RightSemi | JoinKind::RightAnti => right.schema.clone(),
                    _ => {
                        let mut cols = Columns::default();
                        for (n, t) in schema.columns.iter().chain(&right.schema.columns) {
                            cols.push(n, *t);
                        }
                        cols.into_schema()
                    }
                };
                Ok((
                    Step::Join(JoinPlan {
                        kind: *kind,
                        right: Box::new(right),
                        left_keys,
                        right_keys,
                        left_strings: schema
                            .columns
                            .iter()
                            .map(|(_, t)| *t == ColumnType::String)
                            .collect(),
                    }),
                    out,
                ))
            }
            _ => self.scope(schema, stage.operator).stage(stage),
        }
    }
}

/// A nested plan as a source: its rows come from running it.
fn nested(plan: Plan) -> (SourcePlan, Schema) {
    let schema = plan.schema.clone();
    let width = schema.columns.len();
    let strings = schema
        .columns
        .iter()
        .map(|(_, t)| *t == ColumnType::String)
        .collect();
    (
        SourcePlan::Union(UnionPlan {
            inputs: vec![UnionInput {
                plan: Some(plan),
                map: (0..width).map(Some).collect(),
                name: String::new(),
            }],
            source_column: false,
            strings,
        }),
        schema,
    )
}

/// The union of `inputs`' columns by name, in order of first appearance: a name with different
/// types in different inputs becomes one column per type (`Name_string`, `Name_long`), as Kusto
/// names them; `inner` keeps only the columns every input has.
fn union_of(
    inputs: Vec<(String, Option<Plan>)>,
    inner: bool,
    source_column: Option<String>,
) -> (UnionPlan, Schema) {
    let schemas: Vec<Schema> = inputs
        .iter()
        .map(|(_, p)| {
            p.as_ref()
                .map(|p| p.schema.clone())
                .unwrap_or(Schema { columns: vec![] })
        })
        .collect();
    let mut types: Vec<(String, Vec<ColumnType>)> = Vec::new();
    for s in &schemas {
        for (n, t) in &s.columns {
            let t = if *t == ColumnType::Int {
                ColumnType::Long
            } else {
                *t
            };
            match types.iter_mut().find(|(m, _)| m == n) {
                Some((_, ts)) if !ts.contains(&t) => ts.push(t),
                Some(_) => {}
                None => types.push((n.clone(), vec![t])),
            }
        }
    }
    let mut out: Vec<(String, String, ColumnType)> = Vec::new(); // (output, input name, type)
    for (n, ts) in &types {
        if inner && !schemas.iter().all(|s| s.index(n).is_some()) {
            continue;
        }
        for t in ts {
            let name = if ts.len() > 1 {
                format!("{n}_{}", t.kql_name())
            } else {
                n.clone()
            };
            out.push((name, n.clone(), *t));
        }
    }
    let inputs = inputs
        .into_iter()
        .zip(&schemas)
        .map(|((name, plan), s)| UnionInput {
            plan,
            map: out
                .iter()
                .map(|(_, n, t)| {
                    s.index(n).filter(|&i| {
                        let it = s.columns[i].1;
                        it == *t || (it == ColumnType::Int && *t == ColumnType::Long)
                    })
                })
                .collect(),
            name,
        })
        .collect();
    let strings = out
        .iter()
        .map(|(_, _, t)| *t == ColumnType::String)
        .collect();
    let mut columns: Vec<(String, ColumnType)> = out.into_iter().map(|(n, _, t)| (n, t)).collect();
    if let Some(name) = &source_column {
        columns.insert(0, (name.clone(), ColumnType::String));
    }
    (
        UnionPlan {
            inputs,
            source_column: source_column.is_some(),
            strings,
        },
        Schema { columns },
    )
}

/// getschema's columns.
fn getschema_schema() -> Schema {
    Schema {
        columns: vec![
            ("ColumnName".into(), ColumnType::String),
            ("ColumnOrdinal".into(), ColumnType::Int),
            ("DataType".into(), ColumnType::String),
            ("ColumnType".into(), ColumnType::String),
        ],
    }
}

/// One row per column: name, ordinal, the .NET type Kusto reports, the KQL type.
fn getschema_rows(schema: &Schema) -> Vec<Vec<Value>> {
    schema
        .columns
        .iter()
        .enumerate()
        .map(|(i, (n, t))| {
            let net = match t {
                ColumnType::Bool => "System.SByte",
                ColumnType::DateTime => "System.DateTime",
                ColumnType::Dynamic => "System.Object",
                ColumnType::Guid => "System.Guid",
                ColumnType::Int => "System.Int32",
                ColumnType::Long => "System.Int64",
                ColumnType::Real => "System.Double",
                ColumnType::String => "System.String",
                ColumnType::TimeSpan => "System.TimeSpan",
            };
            vec![
                Value::String(n.clone()),
                Value::Long(i as i64),
                Value::String(net.into()),
                Value::String(t.kql_name().into()),
            ]
        })
        .collect()
}

fn constant_value(c: CExpr) -> Value {
    match fold(c) {
        CExpr::Const(v) => v,
        _ => Value::Null,
    }
}

fn to_real(v: Value) -> Value {
    match v {
        Value::Long(n) => Value::Real(n as f64),
        v => v,
    }
}

/// A literal of type `from` as a cell of a `to` column (numbers widen; strings may be guids or
/// dynamic), or None if Kusto refuses it.
fn convert_literal(v: Value, from: ColumnType, to: ColumnType) -> Option<Value> {
    use ColumnType::*;
    if v == Value::Null {
        return Some(Value::Null);
    }
    Some(match (from, to) {
        (a, b) if a == b => v,
        (Int | Long, Int | Long) => v,
        (Int | Long | Real, Real) => to_real(v),
        (String, Guid) => v,
        (_, Dynamic) => Value::String(super::eval::cell_json(&Cell::of(&v)).to_string()),
        _ => return None,
    })
}

/// A percentage in a column name: `95`, `99_5` (Kusto writes the point as `_`).
fn format_real_for_name(p: f64) -> String {
    let s = if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p}")
    };
    s.replace('.', "_")
}

/// A dynamic operand where a scalar is needed: its scalar value.
fn dyn_scalar(c: CExpr, ty: ColumnType) -> CExpr {
    if ty == ColumnType::Dynamic {
        fold(CExpr::Call(Func::DynScalar, vec![c]))
    } else {
        c
    }
}

fn not_constant(operator: &str, at: Pos) -> QueryError {
    type_error(
        format!("'{operator}': the value must be a constant"),
        operator,
        at,
    )
}

fn type_error(message: String, token: &str, at: Pos) -> QueryError {
    QueryError::semantic("SEM0001", message, token, at)
}

fn is_numeric(t: ColumnType) -> bool {
    matches!(t, ColumnType::Int | ColumnType::Long | ColumnType::Real)
}

fn is_text(t: ColumnType) -> bool {
    matches!(
        t,
        ColumnType::String | ColumnType::Guid | ColumnType::Dynamic
    )
}

/// Whether `==`, `<` … accept these operand types. `dynamic` is checked at run time.
fn comparable(a: ColumnType, b: ColumnType) -> bool {
    a == ColumnType::Dynamic
        || b == ColumnType::Dynamic
        || (is_numeric(a) && is_numeric(b))
        || (is_text(a) && is_text(b))
        || a == b
}

/// The result type of `a op b`, or `None` if Kusto refuses the combination.
fn arith_type(op: ArithOp, a: ColumnType, b: ColumnType) -> Option<ColumnType> {
    use ArithOp::*;
    use ColumnType::{DateTime, Real, TimeSpan};
    if is_numeric(a) && is_numeric(b) {
        return Some(if a == Real || b == Real {
            Real
        } else {
            ColumnType::Long
        });
    }
    match (a, b, op) {
        (DateTime, TimeSpan, Add | Sub) | (TimeSpan, DateTime, Add) => Some(DateTime),
        (DateTime, DateTime, Sub) => Some(TimeSpan),
        (TimeSpan, TimeSpan, Add | Sub | Mod) => Some(TimeSpan),
        (TimeSpan, TimeSpan, Div) => Some(Real),
        (TimeSpan, n, Mul | Div) if is_numeric(n) => Some(TimeSpan),
        (n, TimeSpan, Mul) if is_numeric(n) => Some(TimeSpan),
        _ => None,
    }
}

struct Scope<'a> {
    schema: &'a Schema,
    operator: &'static str,
    now_ms: i64,
    lets: &'a Lets,
}

impl Scope<'_> {
    fn column(&self, name: &Name) -> Result<(usize, ColumnType), QueryError> {
        match self.schema.index(&name.name) {
            Some(i) => Ok((i, self.schema.columns[i].1)),
            None => Err(QueryError::unresolved(self.operator, &name.name, name.at)),
        }
    }

    /// A bool expression (`where`, `search`).
    fn predicate(&self, e: &Expr) -> Result<(CExpr, ColumnType), QueryError> {
        let (c, ty) = self.expr(e)?;
        if ty != ColumnType::Bool {
            return Err(type_error(
                format!(
                    "'{}' operator: the predicate must be of type bool, but it is of type {}",
                    self.operator,
                    ty.kql_name()
                ),
                self.operator,
                e.at(),
            ));
        }
        Ok((c, ty))
    }

    /// A new column named `name` on top of the schema (replacing one of the same name, as
    /// `extend` does): its slot and the grown schema.
    fn slot(&self, cols: &mut Vec<(String, ColumnType)>, name: &str, ty: ColumnType) -> usize {
        match cols.iter().position(|(n, _)| n == name) {
            Some(i) => {
                cols[i].1 = ty;
                i
            }
            None => {
                cols.push((name.to_string(), ty));
                cols.len() - 1
            }
        }
    }

    fn stage(&self, stage: &Stage) -> Result<(Step, Schema), QueryError> {
        let same = || self.schema.clone();
        Ok(match &stage.op {
            Op::Where(e) | Op::Search(e) => {
                let (c, ty) = self.expr(e)?;
                if ty != ColumnType::Bool {
                    return Err(type_error(
                        format!(
                            "'{}' operator: the predicate must be of type bool, but it is of type {}",
                            self.operator,
                            ty.kql_name()
                        ),
                        self.operator,
                        stage.at,
                    ));
                }
                (Step::Filter(c), same())
            }
            Op::Parse { expr, pattern } => {
                let (text, _) = self.expr(expr)?;
                let text = dyn_scalar(text, self.expr(expr)?.1);
                let mut cols = self.schema.columns.clone();
                let mut slots = Vec::new();
                let mut parts = Vec::new();
                for p in pattern {
                    parts.push(match p {
                        ParsePart::Literal(l) => PatternPart::Literal(l.clone()),
                        ParsePart::Any => PatternPart::Any,
                        ParsePart::Column(n, t) => {
                            slots.push(self.slot(&mut cols, &n.name, *t));
                            PatternPart::Capture(slots.len() - 1, *t)
                        }
                    });
                }
                let width = cols.len();
                (
                    Step::Parse {
                        text,
                        pattern: parts,
                        slots,
                        width,
                    },
                    Schema { columns: cols },
                )
            }
            Op::MvExpand { items, limit } => {
                let mut cols = self.schema.columns.clone();
                let mut exprs = Vec::new();
                let mut slots = Vec::new();
                for (item, ty) in items {
                    let (c, _) = self.expr(&item.expr)?;
                    let name = match (&item.name, &item.expr) {
                        (Some(n), _) => n.name.clone(),
                        (None, Expr::Column(n)) => n.name.clone(),
                        (None, _) => format!("Column{}", cols.len() + 1),
                    };
                    slots.push(self.slot(&mut cols, &name, ty.unwrap_or(ColumnType::Dynamic)));
                    exprs.push((c, *ty));
                }
                let limit = match limit {
                    Some(e) => Some(self.row_count(e)?),
                    None => None,
                };
                let width = cols.len();
                (
                    Step::MvExpand {
                        items: exprs,
                        slots,
                        width,
                        limit,
                    },
                    Schema { columns: cols },
                )
            }
            // The compiler plans these itself (they need other tables' schemas).
            Op::Union(_) | Op::Join { .. } | Op::Getschema => {
                return Err(QueryError::syntax(self.operator, stage.at));
            }
            Op::Project(items) => {
                let mut cols = Columns::default();
                let mut srcs = Vec::new();
                for item in items {
                    let (src, ty) = self.item(item)?;
                    cols.push(&self.item_name(item, cols.len()), ty);
                    srcs.push(src);
                }
                (Step::Project(srcs), cols.into_schema())
            }
            Op::Extend(items) => {
                let mut cols = self.schema.columns.clone();
                let mut srcs: Vec<Src> = (0..cols.len()).map(Src::Col).collect();
                let mut index: HashMap<String, usize> = (cols.iter().enumerate())
                    .map(|(i, (n, _))| (n.clone(), i))
                    .rev()
                    .collect();
                for item in items {
                    let (src, ty) = self.item(item)?;
                    let name = self.item_name(item, cols.len());
                    // Extending with an existing name replaces that column in place.
                    match index.get(&name) {
                        Some(&i) => {
                            cols[i].1 = ty;
                            srcs[i] = src;
                        }
                        None => {
                            index.insert(name.clone(), cols.len());
                            cols.push((name, ty));
                            srcs.push(src);
                        }
                    }
                }
                (Step::Project(srcs), Schema { columns: cols })
            }
            Op::ProjectAway(names) => {
                let mut away = Vec::new();
                for n in names {
                    away.push(self.column(n)?.0);
                }
                let (srcs, cols) = self
                    .schema
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !away.contains(i))
                    .map(|(i, c)| (Src::Col(i), c.clone()))
                    .unzip();
                (Step::Project(srcs), Schema { columns: cols })
            }
            Op::ProjectRename(pairs) => {
                let mut cols = self.schema.columns.clone();
                for (new, old) in pairs {
                    let (i, _) = self.column(old)?;
                    if cols
                        .iter()
                        .enumerate()
                        .any(|(j, (n, _))| j != i && *n == new.name)
                    {
                        return Err(QueryError::semantic(
                            "SEM0001",
                            format!(
                                "'project-rename' operator: a column named '{}' already exists",
                                new.name
                            ),
                            &new.name,
                            new.at,
                        ));
                    }
                    cols[i].0 = new.name.clone();
                }
                let srcs = (0..cols.len()).map(Src::Col).collect();
                (Step::Project(srcs), Schema { columns: cols })
            }
            Op::Take(n) => (Step::Take(self.row_count(n)?), same()),
            // The query's last `render` is taken off before planning (`query::answer`); one
            // inside a let, join or union is not the query's last operator.
            Op::Render(_) => {
                return Err(type_error(
                    "'render' operator: the render operator must be the last operator in the query"
                        .into(),
                    "render",
                    stage.at,
                ));
            }
            Op::Count => (
                Step::Count,
                Schema {
                    columns: vec![("Count".into(), ColumnType::Long)],
                },
            ),
            Op::Summarize { aggs, by } => self.summarize(aggs, by)?,
            Op::Sort(keys) => {
                let keys = keys
                    .iter()
                    .map(|k| self.sort_key(k))
                    .collect::<Result<_, _>>()?;
                (Step::Sort(keys), same())
            }
            Op::Top { n, key } => (
                Step::Top(self.row_count(n)?, vec![self.sort_key(key)?]),
                same(),
            ),
            Op::Distinct(names) => {
                let idx: Vec<usize> = match names {
                    None => (0..self.schema.columns.len()).collect(),
                    Some(names) => names
                        .iter()
                        .map(|n| self.column(n).map(|(i, _)| i))
                        .collect::<Result<_, _>>()?,
                };
                let mut cols = Columns::default();
                for &i in &idx {
                    let (name, ty) = &self.schema.columns[i];
                    cols.push(name, *ty);
                }
                let keys = idx.into_iter().map(CExpr::Col).collect();
                (
                    Step::Summarize {
                        keys,
                        aggs: Vec::new(),
                    },
                    cols.into_schema(),
                )
            }
        })
    }

    /// A projected item: a bare column is moved, anything else computed.
    fn item(&self, item: &Item) -> Result<(Src, ColumnType), QueryError> {
        let (c, ty) = self.expr(&item.expr)?;
        Ok(match c {
            CExpr::Col(i) => (Src::Col(i), ty),
            c => (Src::Expr(c), ty),
        })
    }

    /// The output name: as given, the column's own name, `bin(Col, …)`'s column, or `Column{n}`.
    fn item_name(&self, item: &Item, position: usize) -> String {
        if let Some(n) = &item.name {
            return n.name.clone();
        }
        match &item.expr {
            Expr::Column(n) => n.name.clone(),
            Expr::Call { name, args }
                if matches!(name.name.as_str(), "bin" | "floor")
                    && matches!(args.first(), Some(Expr::Column(_))) =>
            {
                match &args[0] {
                    Expr::Column(n) => n.name.clone(),
                    _ => format!("Column{}", position + 1),
                }
            }
            _ => format!("Column{}", position + 1),
        }
    }

    /// `take`/`top` counts: a constant non-negative integer.
    fn row_count(&self, e: &Expr) -> Result<usize, QueryError> {
        let (c, _) = self.expr(e)?;
        match c {
            CExpr::Const(Value::Long(n)) if n >= 0 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => Err(type_error(
                format!(
                    "'{}' operator: the row count must be a constant non-negative integer",
                    self.operator
                ),
                self.operator,
                e.at(),
            )),
        }
    }

    fn sort_key(&self, k: &SortKey) -> Result<SortPlan, QueryError> {
        let (c, _) = self.expr(&k.expr)?;
        Ok(SortPlan {
            key: match c {
                CExpr::Col(i) => Src::Col(i),
                c => Src::Expr(c),
            },
            desc: k.desc,
            nulls_first: k.nulls_first,
        })
    }

    fn summarize(&self, aggs: &[Item], by: &[Item]) -> Result<(Step, Schema), QueryError> {
        let mut cols = Columns::default();
        let mut keys = Vec::new();
        for item in by {
            let (c, ty) = self.expr(&item.expr)?;
            cols.push(&self.item_name(item, cols.len()), ty);
            keys.push(c);
        }
        let mut plans = Vec::new();
        for item in aggs {
            let (agg, outputs) = self.aggregate(&item.expr, &cols)?;
            for (k, (name, ty)) in outputs.into_iter().enumerate() {
                let name = match (&item.name, k) {
                    (Some(n), 0) => n.name.clone(),
                    _ => name,
                };
                cols.push(&name, ty);
            }
            plans.push(agg);
        }
        Ok((Step::Summarize { keys, aggs: plans }, cols.into_schema()))
    }

    /// One aggregation call and its output columns with their default names (`count_`,
    /// `sum_Bytes`, arg_max's columns, one per percentile, …). `before` are the columns the
    /// summarize already outputs (arg_max's `*` leaves them out).
    fn aggregate(
        &self,
        e: &Expr,
        before: &Columns,
    ) -> Result<(Agg, Vec<(String, ColumnType)>), QueryError> {
        let Expr::Call { name, args } = e else {
            return Err(type_error(
                format!(
                    "'{}' operator: expected an aggregation function such as count(), sum() or max()",
                    self.operator
                ),
                self.operator,
                e.at(),
            ));
        };
        let Some(kind) = AggKind::from_name(&name.name) else {
            return Err(self.unknown_or_scalar(name));
        };
        let arity_range = |lo: usize, hi: usize| {
            if args.len() < lo || args.len() > hi {
                Err(QueryError::semantic(
                    "SEM0219",
                    if lo == hi {
                        format!("{}(): function expects {lo} argument(s).", name.name)
                    } else {
                        format!(
                            "{}(): function expects between {lo} and {hi} argument(s).",
                            name.name
                        )
                    },
                    &name.name,
                    name.at,
                ))
            } else {
                Ok(())
            }
        };
        match kind {
            AggKind::Count => arity_range(0, 0)?,
            AggKind::DCountIf => arity_range(2, 3)?,
            AggKind::DCount => arity_range(1, 2)?,
            AggKind::ArgMax | AggKind::ArgMin => arity_range(2, usize::MAX)?,
            AggKind::MakeSet | AggKind::MakeList => arity_range(1, 2)?,
            AggKind::Percentiles if name.name == "percentile" => arity_range(2, 2)?,
            AggKind::Percentiles => arity_range(2, usize::MAX)?,
            _ => arity_range(1, 1)?,
        }
        let arg = match args.first() {
            Some(a) => Some(self.expr(a)?),
            None => None,
        };
        let suffix = match args.first() {
            Some(Expr::Column(c)) => c.name.clone(),
            _ => String::new(),
        };
        let arg_ty = arg.as_ref().map(|(_, t)| *t);
        let bad_arg = |what: &str| {
            type_error(
                format!(
                    "{}(): argument #1 expected to be {what}, but it is of type {}",
                    name.name,
                    arg_ty.map_or("none", |t| t.kql_name())
                ),
                &name.name,
                name.at,
            )
        };
        let constant_number = |i: usize| -> Result<f64, QueryError> {
            let e = &args[i];
            match self.expr(e)? {
                (CExpr::Const(Value::Long(n)), _) => Ok(n as f64),
                (CExpr::Const(Value::Real(f)), _) if f.is_finite() => Ok(f),
                _ => Err(type_error(
                    format!(
                        "{}(): argument #{} must be a constant number",
                        name.name,
                        i + 1
                    ),
                    &name.name,
                    e.at(),
                )),
            }
        };
        let mut extra = Vec::new();
        let mut params = Vec::new();
        let mut outputs = Vec::new();
        let widen = |t: ColumnType| {
            if t == ColumnType::Int {
                ColumnType::Long
            } else {
                t
            }
        };
        let ty = match (kind, arg_ty) {
            (AggKind::Count | AggKind::DCount, _) => ColumnType::Long,
            (AggKind::DCountIf, _) => {
                let (p, pt) = self.expr(&args[1])?;
                if pt != ColumnType::Bool {
                    return Err(type_error(
                        format!(
                            "dcountif(): argument #2 expected to be a bool expression, but it is of type {}",
                            pt.kql_name()
                        ),
                        &name.name,
                        name.at,
                    ));
                }
                extra.push(p);
                ColumnType::Long
            }
            (AggKind::CountIf, Some(ColumnType::Bool)) => ColumnType::Long,
            (AggKind::CountIf, _) => return Err(bad_arg("a bool expression")),
            (AggKind::Sum, Some(t)) if is_numeric(t) => {
                if t == ColumnType::Real {
                    ColumnType::Real
                } else {
                    ColumnType::Long
                }
            }
            (AggKind::Avg, Some(t)) if is_numeric(t) => ColumnType::Real,
            (AggKind::Sum | AggKind::Avg, Some(ColumnType::TimeSpan)) => ColumnType::TimeSpan,
            (AggKind::Sum | AggKind::Avg, _) => {
                return Err(bad_arg("a numeric or timespan expression"));
            }
            (AggKind::Min | AggKind::Max, Some(t)) => widen(t),
            (AggKind::Min | AggKind::Max, None) => return Err(bad_arg("a scalar expression")),
            (AggKind::ArgMax | AggKind::ArgMin, Some(t)) => {
                let first = if suffix.is_empty() {
                    format!(
                        "{}_",
                        if kind == AggKind::ArgMax {
                            "max"
                        } else {
                            "min"
                        }
                    )
                } else {
                    suffix.clone()
                };
                outputs.push((first.clone(), widen(t)));
                for a in &args[1..] {
                    match a {
                        Expr::Column(n) if n.name == "*" => {
                            for (i, (cn, ct)) in self.schema.columns.iter().enumerate() {
                                let taken = *cn == first
                                    || before.taken.contains(cn)
                                    || outputs.iter().any(|(o, _)| o == cn);
                                if !taken {
                                    extra.push(CExpr::Col(i));
                                    outputs.push((cn.clone(), *ct));
                                }
                            }
                        }
                        a => {
                            let (c, ct) = self.expr(a)?;
                            let n = match a {
                                Expr::Column(n) => n.name.clone(),
                                _ => format!("Column{}", outputs.len() + 1),
                            };
                            extra.push(c);
                            outputs.push((n, ct));
                        }
                    }
                }
                widen(t)
            }
            (AggKind::ArgMax | AggKind::ArgMin, None) => {
                return Err(bad_arg("a scalar expression"));
            }
            (AggKind::MakeSet | AggKind::MakeList, _) => {
                params.push(if args.len() > 1 {
                    constant_number(1)?
                } else {
                    MAKE_MAX
                });
                ColumnType::Dynamic
            }
            (AggKind::Percentiles, Some(t))
                if is_numeric(t) || matches!(t, ColumnType::DateTime | ColumnType::TimeSpan) =>
            {
                for i in 1..args.len() {
                    let p = constant_number(i)?;
                    if !(0.0..=100.0).contains(&p) {
                        return Err(type_error(
                            format!(
                                "{}(): argument #{} must be a percentage between 0 and 100",
                                name.name,
                                i + 1
                            ),
                            &name.name,
                            args[i].at(),
                        ));
                    }
                    params.push(p);
                    let pname = format_real_for_name(p);
                    outputs.push((format!("percentile_{suffix}_{pname}"), widen(t)));
                }
                widen(t)
            }
            (AggKind::Percentiles, _) => {
                return Err(bad_arg("a numeric, datetime or timespan expression"));
            }
        };
        if outputs.is_empty() {
            let default_name = match kind {
                AggKind::Count => "count_".to_string(),
                AggKind::CountIf => "countif_".to_string(),
                AggKind::MakeSet => format!("set_{suffix}"),
                AggKind::MakeList => format!("list_{suffix}"),
                _ => format!("{}_{suffix}", name.name),
            };
            outputs.push((default_name, ty));
        }
        Ok((
            Agg {
                kind,
                arg: arg.map(|(c, _)| c),
                arg_ty: arg_ty.unwrap_or(ColumnType::Dynamic),
                ty,
                extra,
                params,
            },
            outputs,
        ))
    }

    fn unknown_or_scalar(&self, name: &Name) -> QueryError {
        if scalar_function(&name.name).is_some() {
            type_error(
                format!(
                    "'{}' operator: {}() is not an aggregation function",
                    self.operator, name.name
                ),
                &name.name,
                name.at,
            )
        } else {
            unknown_function(name)
        }
    }

    /// Compiles a scalar expression, returning it (constant-folded) with its static type.
    fn expr(&self, e: &Expr) -> Result<(CExpr, ColumnType), QueryError> {
        Ok(match e {
            Expr::Column(name) => match self.schema.index(&name.name) {
                Some(i) => (CExpr::Col(i), self.schema.columns[i].1),
                // A column wins over a `let` of the same name.
                None => match self.lets.scalars.get(&name.name) {
                    Some((c, ty)) => (c.clone(), *ty),
                    None => return Err(QueryError::unresolved(self.operator, &name.name, name.at)),
                },
            },
            Expr::Index { expr, key, at } => {
                let (d, dt) = self.expr(expr)?;
                let (k, kt) = self.expr(key)?;
                if dt != ColumnType::Dynamic {
                    return Err(type_error(
                        format!(
                            "Indexing ([], .) applies to dynamic values, not to type {}",
                            dt.kql_name()
                        ),
                        "[",
                        *at,
                    ));
                }
                let k = match kt {
                    ColumnType::String | ColumnType::Int | ColumnType::Long => k,
                    ColumnType::Dynamic => dyn_scalar(k, kt),
                    _ => {
                        return Err(type_error(
                            format!(
                                "An index must be a string (a property) or an integer (an element), not {}",
                                kt.kql_name()
                            ),
                            "[",
                            *at,
                        ));
                    }
                };
                (
                    fold(CExpr::Call(Func::Index, vec![d, k])),
                    ColumnType::Dynamic,
                )
            }
            Expr::Term { text, .. } => {
                // A search term: any column holding it (`has`; with `*` wildcards, `contains`).
                let op = if text.contains('*') {
                    super::ast::TextOp::Contains
                } else {
                    super::ast::TextOp::Has
                };
                let needle = text.trim_matches('*').to_string();
                let any = (0..self.schema.columns.len())
                    .map(|i| CExpr::Text {
                        op,
                        negated: false,
                        hay: Box::new(dyn_scalar(CExpr::Col(i), self.schema.columns[i].1)),
                        needle: NeedleSrc::Const(Needle::new(&needle)),
                    })
                    .collect();
                (CExpr::Any(any), ColumnType::Bool)
            }
            Expr::Literal { value, ty, .. } => (CExpr::Const(value.clone()), *ty),
            Expr::Neg { expr, at } => {
                let (c, ty) = self.expr(expr)?;
                if !(is_numeric(ty) || ty == ColumnType::TimeSpan) {
                    return Err(type_error(
                        format!(
                            "The unary '-' operator cannot be applied to type {}",
                            ty.kql_name()
                        ),
                        "-",
                        *at,
                    ));
                }
                let ty = if ty == ColumnType::Int {
                    ColumnType::Long
                } else {
                    ty
                };
                (fold(CExpr::Neg(Box::new(c))), ty)
            }
            Expr::Binary {
                op,
                left,
                right,
                at,
            } => self.binary(*op, left, right, *at)?,
            Expr::In {
                expr,
                list,
                negated,
                case_insensitive,
                at,
            } => {
                let (x, xt) = self.expr(expr)?;
                let x = dyn_scalar(x, xt);
                let mut items = Vec::with_capacity(list.len());
                for item in list {
                    let (c, t) = self.expr(item)?;
                    let c = dyn_scalar(c, t);
                    let ok = if *case_insensitive {
                        is_text(xt) && is_text(t)
                    } else {
                        comparable(xt, t)
                    };
                    if !ok {
                        let word = format!(
                            "{}in{}",
                            if *negated { "!" } else { "" },
                            if *case_insensitive { "~" } else { "" }
                        );
                        return Err(compare_error(xt, t, &word, *at));
                    }
                    items.push(c);
                }
                let c = CExpr::In {
                    expr: Box::new(x),
                    list: items,
                    negated: *negated,
                    case_insensitive: *case_insensitive,
                };
                (fold(c), ColumnType::Bool)
            }
            Expr::Call { name, args } => self.call(name, args)?,
            Expr::Logic { and, operands, ats } => {
                let word = if *and { "and" } else { "or" };
                let mut compiled = Vec::with_capacity(operands.len());
                let mut types = Vec::with_capacity(operands.len());
                for o in operands {
                    let (c, t) = self.expr(o)?;
                    compiled.push(c);
                    types.push(t);
                }
                if let Some(bad) = types.iter().position(|t| *t != ColumnType::Bool) {
                    // Name the operator next to the offending operand, with both its sides.
                    let k = bad.saturating_sub(1).min(ats.len().saturating_sub(1));
                    let (a, b) = (
                        types.get(k).copied().unwrap_or(ColumnType::Bool),
                        types.get(k + 1).copied().unwrap_or(ColumnType::Bool),
                    );
                    return Err(type_error(
                        format!(
                            "The '{word}' operator expects bool operands, but got {} and {}",
                            a.kql_name(),
                            b.kql_name()
                        ),
                        word,
                        ats.get(k).copied().unwrap_or_default(),
                    ));
                }
                let c = if *and {
                    CExpr::All(compiled)
                } else {
                    CExpr::Any(compiled)
                };
                (fold(c), ColumnType::Bool)
            }
        })
    }

    /// `extract(regex, group, text[, typeof(t)])`: the regex must be a constant, compiled once.
    fn extract(
        &self,
        name: &Name,
        args: &[Expr],
        mut compiled: Vec<CExpr>,
        types: &[ColumnType],
    ) -> Result<(CExpr, ColumnType), QueryError> {
        let pattern = match compiled.first() {
            Some(CExpr::Const(Value::String(p))) => p.clone(),
            _ => {
                return Err(type_error(
                    "extract(): argument #1 (the regular expression) must be a constant string"
                        .into(),
                    &name.name,
                    name.at,
                ));
            }
        };
        let re = regex_lite::RegexBuilder::new(&pattern)
            .size_limit(1 << 20)
            .nest_limit(64)
            .build()
            .map_err(|e| {
                type_error(
                    format!("extract(): the regular expression is not valid: {e}"),
                    &name.name,
                    args[0].at(),
                )
            })?;
        let group = match compiled.get(1) {
            Some(CExpr::Const(Value::Long(g))) if *g >= 0 && (*g as usize) < re.captures_len() => {
                *g as usize
            }
            _ => {
                return Err(type_error(
                    format!(
                        "extract(): argument #2 must be a constant capture group between 0 and {}",
                        re.captures_len().saturating_sub(1)
                    ),
                    &name.name,
                    args[1].at(),
                ));
            }
        };
        if !is_text(types.get(2).copied().unwrap_or(ColumnType::String)) {
            return Err(type_error(
                format!(
                    "extract(): argument #3 expected to be a string, but it is of type {}",
                    types[2].kql_name()
                ),
                &name.name,
                name.at,
            ));
        }
        let text = compiled.swap_remove(2);
        let c = fold(CExpr::Extract {
            re: Re(re),
            group,
            text: Box::new(text),
        });
        // `typeof(long)` and friends: the capture converted.
        match args.get(3) {
            None => Ok((c, ColumnType::String)),
            Some(Expr::Call {
                name: t,
                args: targs,
            }) if t.name == "typeof" && targs.len() == 1 => {
                let ty = match &targs[0] {
                    Expr::Column(n) => n.name.as_str(),
                    _ => "",
                };
                let (f, ty) = match ty {
                    "long" | "int" => (Func::ToLong, ColumnType::Long),
                    "real" | "double" => (Func::ToReal, ColumnType::Real),
                    "datetime" => (Func::ToDateTime, ColumnType::DateTime),
                    "timespan" => (Func::ToTimeSpan, ColumnType::TimeSpan),
                    "string" => return Ok((c, ColumnType::String)),
                    _ => {
                        return Err(type_error(
                            "extract(): argument #4 must be typeof(string|long|int|real|double|datetime|timespan)".into(),
                            &name.name,
                            t.at,
                        ));
                    }
                };
                Ok((fold(CExpr::Call(f, vec![c])), ty))
            }
            Some(other) => Err(type_error(
                "extract(): argument #4 must be a type, such as typeof(long)".into(),
                &name.name,
                other.at(),
            )),
        }
    }

    fn binary(
        &self,
        op: BinOp,
        left: &Expr,
        right: &Expr,
        at: Pos,
    ) -> Result<(CExpr, ColumnType), QueryError> {
        let (l, lt) = self.expr(left)?;
        let (r, rt) = self.expr(right)?;
        let (l, r) = (Box::new(dyn_scalar(l, lt)), Box::new(dyn_scalar(r, rt)));
        let arith = |a: ArithOp| match arith_type(a, lt, rt) {
            Some(ty) => Ok(ty),
            None => Err(type_error(
                format!(
                    "The '{}' operator cannot be applied to operands of types {} and {}",
                    op.text(),
                    lt.kql_name(),
                    rt.kql_name()
                ),
                &op.text(),
                at,
            )),
        };
        let cmp = |c: CmpOp| {
            if comparable(lt, rt) {
                Ok(c)
            } else {
                Err(compare_error(lt, rt, &op.text(), at))
            }
        };
        let (c, ty) = match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                let a = match op {
                    BinOp::Add => ArithOp::Add,
                    BinOp::Sub => ArithOp::Sub,
                    BinOp::Mul => ArithOp::Mul,
                    BinOp::Div => ArithOp::Div,
                    _ => ArithOp::Mod,
                };
                let ty = arith(a)?;
                (CExpr::Arith(a, l, r), ty)
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let c = cmp(match op {
                    BinOp::Eq => CmpOp::Eq,
                    BinOp::Ne => CmpOp::Ne,
                    BinOp::Lt => CmpOp::Lt,
                    BinOp::Le => CmpOp::Le,
                    BinOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                })?;
                (CExpr::Cmp(c, l, r), ColumnType::Bool)
            }
            BinOp::EqCi | BinOp::NeCi => {
                if !(is_text(lt) && is_text(rt)) {
                    return Err(compare_error(lt, rt, &op.text(), at));
                }
                let c = CExpr::EqCi {
                    left: l,
                    right: r,
                    negated: op == BinOp::NeCi,
                };
                (c, ColumnType::Bool)
            }
            // Like the service, non-string operands are matched through their string form.
            BinOp::Text { op, negated } => {
                // A null needle matches nothing, constant or not; leave it to run time.
                let needle = match *r {
                    CExpr::Const(v) if v != Value::Null => {
                        NeedleSrc::Const(Needle::new(&Cell::of(&v).to_text()))
                    }
                    other => NeedleSrc::Expr(Box::new(other)),
                };
                let c = CExpr::Text {
                    op,
                    negated,
                    hay: l,
                    needle,
                };
                (c, ColumnType::Bool)
            }
        };
        Ok((fold(c), ty))
    }

    fn call(&self, name: &Name, args: &[Expr]) -> Result<(CExpr, ColumnType), QueryError> {
        if AggKind::from_name(&name.name).is_some() {
            return Err(type_error(
                format!(
                    "The function '{}' cannot be invoked in the current context",
                    name.name
                ),
                &name.name,
                name.at,
            ));
        }
        let Some((func, arity)) = scalar_function(&name.name) else {
            return Err(unknown_function(name));
        };
        match arity {
            Arity::Exactly(n) => check_arity(name, args, n)?,
            Arity::Range(lo, hi) => {
                if args.len() < lo || args.len() > hi {
                    return Err(QueryError::semantic(
                        "SEM0219",
                        format!(
                            "{}(): function expects between {lo} and {hi} argument(s).",
                            name.name
                        ),
                        &name.name,
                        name.at,
                    ));
                }
            }
            Arity::AtLeast(n) => {
                if args.len() < n {
                    return Err(QueryError::semantic(
                        "SEM0219",
                        format!(
                            "{}(): function expects at least {n} argument(s).",
                            name.name
                        ),
                        &name.name,
                        name.at,
                    ));
                }
            }
        }
        let mut compiled = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        let takes_dynamic = matches!(
            func,
            Callee::F(
                Func::ArrayLength
                    | Func::Index
                    | Func::IsNull
                    | Func::IsNotNull
                    | Func::Iff
                    | Func::Case
            )
        );
        // extract()'s fourth argument is a type (`typeof(long)`), not a value.
        let values = if matches!(func, Callee::Extract) {
            3
        } else {
            args.len()
        };
        for a in &args[..values.min(args.len())] {
            let (c, t) = self.expr(a)?;
            compiled.push(if takes_dynamic { c } else { dyn_scalar(c, t) });
            types.push(t);
        }
        if let Callee::Extract = func {
            return self.extract(name, args, compiled, &types);
        }
        // The arity check above guarantees the arguments read here; `dynamic` is a safe default.
        let arg = |i: usize| types.get(i).copied().unwrap_or(ColumnType::Dynamic);
        let arg_error = |i: usize, what: &str| {
            type_error(
                format!(
                    "{}(): argument #{} expected to be {what}, but it is of type {}",
                    name.name,
                    i + 1,
                    arg(i).kql_name()
                ),
                &name.name,
                name.at,
            )
        };
        let ty = match func {
            // ago() and now() are constants of the query: `now - span` once, not per row.
            Callee::Now => {
                let now = CExpr::Const(Value::DateTime(self.now_ms));
                return match compiled.pop() {
                    None => Ok((now, ColumnType::DateTime)),
                    Some(offset) if arg(0) == ColumnType::TimeSpan => Ok((
                        fold(CExpr::Arith(ArithOp::Add, Box::new(now), Box::new(offset))),
                        ColumnType::DateTime,
                    )),
                    Some(_) => Err(arg_error(0, "a timespan")),
                };
            }
            Callee::Ago => {
                if arg(0) != ColumnType::TimeSpan {
                    return Err(arg_error(0, "a timespan"));
                }
                let now = CExpr::Const(Value::DateTime(self.now_ms));
                let span = compiled.pop().unwrap_or(CExpr::Const(Value::Null));
                return Ok((
                    fold(CExpr::Arith(ArithOp::Sub, Box::new(now), Box::new(span))),
                    ColumnType::DateTime,
                ));
            }
            Callee::Extract => return Err(unknown_function(name)),
            Callee::F(f) => match f {
                Func::Not => {
                    if arg(0) != ColumnType::Bool {
                        return Err(arg_error(0, "a bool"));
                    }
                    ColumnType::Bool
                }
                Func::ToLower | Func::ToUpper => {
                    if !is_text(arg(0)) {
                        return Err(arg_error(0, "a string"));
                    }
                    ColumnType::String
                }
                Func::StrLen => {
                    if !is_text(arg(0)) {
                        return Err(arg_error(0, "a string"));
                    }
                    ColumnType::Long
                }
                Func::IsEmpty | Func::IsNotEmpty | Func::IsNull | Func::IsNotNull => {
                    ColumnType::Bool
                }
                Func::ToString | Func::StrCat => ColumnType::String,
                Func::Bin => {
                    let ok = match (arg(0), arg(1)) {
                        (a, b) if is_numeric(a) && is_numeric(b) => true,
                        (ColumnType::DateTime | ColumnType::TimeSpan, ColumnType::TimeSpan) => true,
                        _ => false,
                    };
                    if !ok {
                        return Err(arg_error(
                            1,
                            &format!("a bin size for {}", arg(0).kql_name()),
                        ));
                    }
                    match arg(0) {
                        ColumnType::Int => ColumnType::Long,
                        t if is_numeric(t) && arg(1) == ColumnType::Real => ColumnType::Real,
                        t => t,
                    }
                }
                Func::BinAt => {
                    let ok = match (arg(0), arg(1), arg(2)) {
                        (a, b, c) if is_numeric(a) && is_numeric(b) && is_numeric(c) => true,
                        (ColumnType::DateTime, ColumnType::TimeSpan, ColumnType::DateTime) => true,
                        (ColumnType::TimeSpan, ColumnType::TimeSpan, ColumnType::TimeSpan) => true,
                        _ => false,
                    };
                    if !ok {
                        return Err(arg_error(
                            2,
                            &format!("a fixed point of type {}", arg(0).kql_name()),
                        ));
                    }
                    match arg(0) {
                        ColumnType::Int => ColumnType::Long,
                        t if is_numeric(t)
                            && (arg(1) == ColumnType::Real || arg(2) == ColumnType::Real) =>
                        {
                            ColumnType::Real
                        }
                        t => t,
                    }
                }
                Func::FormatDateTime => {
                    if arg(0) != ColumnType::DateTime {
                        return Err(arg_error(0, "a datetime"));
                    }
                    if !is_text(arg(1)) {
                        return Err(arg_error(1, "a string"));
                    }
                    ColumnType::String
                }
                Func::Split => {
                    if args.len() == 3 && !matches!(arg(2), ColumnType::Int | ColumnType::Long) {
                        return Err(arg_error(2, "an integer"));
                    }
                    ColumnType::Dynamic
                }
                Func::ParseJson => ColumnType::Dynamic,
                Func::ArrayLength => {
                    if arg(0) != ColumnType::Dynamic {
                        return Err(arg_error(0, "a dynamic array"));
                    }
                    ColumnType::Long
                }
                Func::Index | Func::DynScalar => ColumnType::Dynamic,
                Func::Coalesce => {
                    let widen = |t: ColumnType| {
                        if t == ColumnType::Int {
                            ColumnType::Long
                        } else {
                            t
                        }
                    };
                    let ty = widen(arg(0));
                    if let Some(i) = (1..types.len()).find(|&i| widen(arg(i)) != ty) {
                        return Err(arg_error(
                            i,
                            &format!("of type {} (the type of argument #1)", ty.kql_name()),
                        ));
                    }
                    ty
                }
                Func::Substring => {
                    if !matches!(arg(1), ColumnType::Int | ColumnType::Long)
                        || (types.len() == 3
                            && !matches!(arg(2), ColumnType::Int | ColumnType::Long))
                    {
                        return Err(arg_error(1, "an integer"));
                    }
                    ColumnType::String
                }
                Func::StrCatDelim | Func::ReplaceString => ColumnType::String,
                Func::Round | Func::Abs => {
                    let t = arg(0);
                    if !(is_numeric(t) || (f == Func::Abs && t == ColumnType::TimeSpan)) {
                        return Err(arg_error(0, "a number"));
                    }
                    if t == ColumnType::Int {
                        ColumnType::Long
                    } else {
                        t
                    }
                }
                Func::StartOf(_) | Func::EndOf(_) => {
                    if arg(0) != ColumnType::DateTime {
                        return Err(arg_error(0, "a datetime"));
                    }
                    ColumnType::DateTime
                }
                Func::DayOfWeek => {
                    if arg(0) != ColumnType::DateTime {
                        return Err(arg_error(0, "a datetime"));
                    }
                    ColumnType::TimeSpan
                }
                Func::HourOfDay | Func::DayOfMonth | Func::GetMonth | Func::GetYear => {
                    if arg(0) != ColumnType::DateTime {
                        return Err(arg_error(0, "a datetime"));
                    }
                    ColumnType::Long
                }
                Func::DateTimeDiff => {
                    let part = match compiled.first() {
                        Some(CExpr::Const(Value::String(p))) => p.to_ascii_lowercase(),
                        _ => String::new(),
                    };
                    if !matches!(
                        part.as_str(),
                        "year"
                            | "month"
                            | "week"
                            | "day"
                            | "hour"
                            | "minute"
                            | "second"
                            | "millisecond"
                    ) {
                        return Err(arg_error(
                            0,
                            "a constant period: year, month, week, day, hour, minute, second or millisecond",
                        ));
                    }
                    if arg(1) != ColumnType::DateTime || arg(2) != ColumnType::DateTime {
                        return Err(arg_error(1, "a datetime"));
                    }
                    ColumnType::Long
                }
                Func::IndexOf => ColumnType::Long,
                Func::ToBool => ColumnType::Bool,
                Func::ToLong => ColumnType::Long,
                Func::ToReal => ColumnType::Real,
                Func::ToDateTime => ColumnType::DateTime,
                Func::ToTimeSpan => ColumnType::TimeSpan,
                Func::Iff | Func::Case => {
                    // Conditions at the even places before the last argument; the values (every
                    // odd place, and the last) share one type (int widens to long).
                    let n = types.len();
                    if f == Func::Case && n % 2 == 0 {
                        return Err(QueryError::semantic(
                            "SEM0219",
                            "case(): function expects an odd number of arguments: pairs of condition and value, then the value when no condition holds.".into(),
                            &name.name,
                            name.at,
                        ));
                    }
                    let conditions: Vec<usize> = (0..n - 1).step_by(2).collect();
                    if let Some(&i) = conditions.iter().find(|&&i| arg(i) != ColumnType::Bool) {
                        return Err(arg_error(i, "a bool"));
                    }
                    let widen = |t: ColumnType| match t {
                        ColumnType::Int => ColumnType::Long,
                        t => t,
                    };
                    let values: Vec<usize> = (1..n).step_by(2).chain([n - 1]).collect();
                    let ty = widen(arg(values[0]));
                    if let Some(&i) = values.iter().find(|&&i| widen(arg(i)) != ty) {
                        return Err(type_error(
                            format!(
                                "{}(): argument #{} must be of type {} (the type of argument #{}), not {}",
                                name.name,
                                i + 1,
                                ty.kql_name(),
                                values[0] + 1,
                                arg(i).kql_name()
                            ),
                            &name.name,
                            name.at,
                        ));
                    }
                    ty
                }
            },
        };
        let Callee::F(f) = func else {
            return Err(unknown_function(name));
        };
        Ok((fold(CExpr::Call(f, compiled)), ty))
    }
}

#[derive(Clone, Copy)]
enum Callee {
    Now,
    Ago,
    Extract,
    F(Func),
}

#[derive(Clone, Copy)]
enum Arity {
    Exactly(usize),
    Range(usize, usize),
    AtLeast(usize),
}

/// The scalar functions by name (names are case-sensitive in KQL).
fn scalar_function(name: &str) -> Option<(Callee, Arity)> {
    use Arity::*;
    let f = |func| Callee::F(func);
    Some(match name {
        "now" => (Callee::Now, Range(0, 1)),
        "ago" => (Callee::Ago, Exactly(1)),
        "not" => (f(Func::Not), Exactly(1)),
        "tolower" => (f(Func::ToLower), Exactly(1)),
        "toupper" => (f(Func::ToUpper), Exactly(1)),
        "strlen" => (f(Func::StrLen), Exactly(1)),
        "isempty" => (f(Func::IsEmpty), Exactly(1)),
        "isnotempty" => (f(Func::IsNotEmpty), Exactly(1)),
        "isnull" => (f(Func::IsNull), Exactly(1)),
        "isnotnull" => (f(Func::IsNotNull), Exactly(1)),
        "tostring" => (f(Func::ToString), Exactly(1)),
        "strcat" => (f(Func::StrCat), AtLeast(1)),
        "bin" | "floor" => (f(Func::Bin), Exactly(2)),
        "tolong" | "toint" => (f(Func::ToLong), Exactly(1)),
        "toreal" | "todouble" => (f(Func::ToReal), Exactly(1)),
        "todatetime" => (f(Func::ToDateTime), Exactly(1)),
        "totimespan" => (f(Func::ToTimeSpan), Exactly(1)),
        "iff" | "iif" => (f(Func::Iff), Exactly(3)),
        "case" => (f(Func::Case), AtLeast(3)),
        "bin_at" => (f(Func::BinAt), Exactly(3)),
        "format_datetime" => (f(Func::FormatDateTime), Exactly(2)),
        "split" => (f(Func::Split), Range(2, 3)),
        "parse_json" | "todynamic" | "toobject" => (f(Func::ParseJson), Exactly(1)),
        "array_length" => (f(Func::ArrayLength), Exactly(1)),
        "extract" => (Callee::Extract, Range(3, 4)),
        "coalesce" => (f(Func::Coalesce), Range(2, 64)),
        "substring" => (f(Func::Substring), Range(2, 3)),
        "strcat_delim" => (f(Func::StrCatDelim), Range(3, 64)),
        "round" => (f(Func::Round), Range(1, 2)),
        "abs" => (f(Func::Abs), Exactly(1)),
        "startofday" => (f(Func::StartOf(Period::Day)), Exactly(1)),
        "startofweek" => (f(Func::StartOf(Period::Week)), Exactly(1)),
        "startofmonth" => (f(Func::StartOf(Period::Month)), Exactly(1)),
        "startofyear" => (f(Func::StartOf(Period::Year)), Exactly(1)),
        "endofday" => (f(Func::EndOf(Period::Day)), Exactly(1)),
        "endofweek" => (f(Func::EndOf(Period::Week)), Exactly(1)),
        "endofmonth" => (f(Func::EndOf(Period::Month)), Exactly(1)),
        "endofyear" => (f(Func::EndOf(Period::Year)), Exactly(1)),
        "dayofweek" => (f(Func::DayOfWeek), Exactly(1)),
        "hourofday" => (f(Func::HourOfDay), Exactly(1)),
        "dayofmonth" => (f(Func::DayOfMonth), Exactly(1)),
        "getmonth" | "monthofyear" => (f(Func::GetMonth), Exactly(1)),
        "getyear" => (f(Func::GetYear), Exactly(1)),
        "datetime_diff" => (f(Func::DateTimeDiff), Exactly(3)),
        "replace_string" => (f(Func::ReplaceString), Exactly(3)),
        "indexof" => (f(Func::IndexOf), Exactly(2)),
        "tobool" | "toboolean" => (f(Func::ToBool), Exactly(1)),
        _ => return None,
    })
}

fn check_arity(name: &Name, args: &[Expr], n: usize) -> Result<(), QueryError> {
    if args.len() == n {
        return Ok(());
    }
    Err(QueryError::semantic(
        "SEM0219",
        format!("{}(): function expects {n} argument(s).", name.name),
        &name.name,
        name.at,
    ))
}

/// Kusto's SEM0260 for a name it doesn't know; a KQL function outside the subset is refused as
/// such instead, naming it.
fn unknown_function(name: &Name) -> QueryError {
    if super::subset::known_function(&name.name) {
        return QueryError::unsupported(&name.name, "function", name.at);
    }
    QueryError::semantic(
        "SEM0260",
        format!("Unknown function: '{}'", name.name),
        &name.name,
        name.at,
    )
}

fn compare_error(a: ColumnType, b: ColumnType, token: &str, at: Pos) -> QueryError {
    type_error(
        format!(
            "Cannot compare values of types {} and {}. Try adding explicit casts",
            a.kql_name(),
            b.kql_name()
        ),
        token,
        at,
    )
}

/// Output columns as they are built: a name already taken gets the first free `name1`,
/// `name2` … as Kusto names them, found in constant time per column (a linear scan per name made
/// 4,000 repeated names take 20 s to compile).
#[derive(Default)]
struct Columns {
    cols: Vec<(String, ColumnType)>,
    taken: HashSet<String>,
    /// Per base name, the first suffix not yet tried.
    next: HashMap<String, usize>,
}

impl Columns {
    /// Adds a column named `name`, or `name{n}` if that is taken; returns the name used.
    fn push(&mut self, name: &str, ty: ColumnType) {
        let name = if self.taken.contains(name) {
            let mut i = self.next.get(name).copied().unwrap_or(1);
            let mut candidate = format!("{name}{i}");
            while self.taken.contains(&candidate) {
                i += 1;
                candidate = format!("{name}{i}");
            }
            self.next.insert(name.to_string(), i + 1);
            candidate
        } else {
            name.to_string()
        };
        self.taken.insert(name.clone());
        self.cols.push((name, ty));
    }

    fn len(&self) -> usize {
        self.cols.len()
    }

    fn into_schema(self) -> Schema {
        Schema { columns: self.cols }
    }
}
