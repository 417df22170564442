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

use super::ast::{BinOp, Expr, Item, Name, Op, Query, SortKey, Stage};
use super::eval::{ArithOp, CExpr, Cell, CmpOp, Func, Needle, NeedleSrc, fold};
use super::{Pos, QueryError};
use crate::engine::table::{ColumnType, Schema, Value};

/// What [`super::exec::run`] executes: one step per stage, and the final schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub schema: Schema,
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
    /// The output type (`count` is long; `sum` keeps its argument's kind).
    pub ty: ColumnType,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggKind {
    Count,
    CountIf,
    DCount,
    Sum,
    Avg,
    Min,
    Max,
}

impl AggKind {
    fn from_name(name: &str) -> Option<AggKind> {
        Some(match name {
            "count" => AggKind::Count,
            "countif" => AggKind::CountIf,
            "dcount" => AggKind::DCount,
            "sum" => AggKind::Sum,
            "avg" => AggKind::Avg,
            "min" => AggKind::Min,
            "max" => AggKind::Max,
            _ => return None,
        })
    }
}

/// Builds the plan for `query` over a table with `schema`; `now_ms` fixes `now()` and `ago()`.
pub fn plan(query: &Query, schema: &Schema, now_ms: i64) -> Result<Plan, QueryError> {
    let mut schema = schema.clone();
    let mut steps = Vec::with_capacity(query.stages.len());
    for stage in &query.stages {
        let scope = Scope {
            schema: &schema,
            operator: stage.operator,
            now_ms,
        };
        let (step, next) = scope.stage(stage)?;
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
    Ok(Plan { steps, schema })
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
}

impl Scope<'_> {
    fn column(&self, name: &Name) -> Result<(usize, ColumnType), QueryError> {
        match self.schema.index(&name.name) {
            Some(i) => Ok((i, self.schema.columns[i].1)),
            None => Err(QueryError::unresolved(self.operator, &name.name, name.at)),
        }
    }

    fn stage(&self, stage: &Stage) -> Result<(Step, Schema), QueryError> {
        let same = || self.schema.clone();
        Ok(match &stage.op {
            Op::Where(e) => {
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
            // `render` leaves the rows as they are (`query::answer` takes it off before planning).
            Op::Render(_) => (
                Step::Project((0..self.schema.columns.len()).map(Src::Col).collect()),
                same(),
            ),
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
            let (agg, default_name) = self.aggregate(&item.expr)?;
            let name = item.name.as_ref().map_or(default_name, |n| n.name.clone());
            cols.push(&name, agg.ty);
            plans.push(agg);
        }
        Ok((Step::Summarize { keys, aggs: plans }, cols.into_schema()))
    }

    /// One aggregation call and its default column name (`count_`, `sum_Bytes`, …).
    fn aggregate(&self, e: &Expr) -> Result<(Agg, String), QueryError> {
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
        let arity = usize::from(kind != AggKind::Count);
        check_arity(name, args, arity)?;
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
        let ty = match (kind, arg_ty) {
            (AggKind::Count | AggKind::DCount, _) => ColumnType::Long,
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
            (AggKind::Min | AggKind::Max, Some(t)) => {
                if t == ColumnType::Int {
                    ColumnType::Long
                } else {
                    t
                }
            }
            (AggKind::Min | AggKind::Max, None) => return Err(bad_arg("a scalar expression")),
        };
        let default_name = match kind {
            AggKind::Count => "count_".to_string(),
            AggKind::CountIf => "countif_".to_string(),
            _ => format!("{}_{suffix}", name.name),
        };
        Ok((
            Agg {
                kind,
                arg: arg.map(|(c, _)| c),
                ty,
            },
            default_name,
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
            Expr::Column(name) => {
                let (i, ty) = self.column(name)?;
                (CExpr::Col(i), ty)
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
                let mut items = Vec::with_capacity(list.len());
                for item in list {
                    let (c, t) = self.expr(item)?;
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

    fn binary(
        &self,
        op: BinOp,
        left: &Expr,
        right: &Expr,
        at: Pos,
    ) -> Result<(CExpr, ColumnType), QueryError> {
        let (l, lt) = self.expr(left)?;
        let (r, rt) = self.expr(right)?;
        let (l, r) = (Box::new(l), Box::new(r));
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
        for a in args {
            let (c, t) = self.expr(a)?;
            compiled.push(c);
            types.push(t);
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
