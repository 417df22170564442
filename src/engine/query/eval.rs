//! Scalar evaluation: compiled expressions ([`CExpr`]) over one row, and the string matching
//! behind `contains`, `has`, `startswith`, `endswith` and `=~`.
//!
//! Evaluation cannot fail: every type question was settled by [`super::compile`] against the
//! schema. What is left at run time (null cells, overflow, division by zero, a cell whose variant
//! disagrees with its schema) yields null, and a null predicate keeps no row.
//!
//! The hot path does not allocate: a string cell is borrowed from its row ([`Cell::Str`] holds a
//! `Cow`), needles are prepared once per query ([`Needle`]), and case-insensitive matching
//! compares ASCII bytes in place. Only non-ASCII needles fall back to Unicode lowercase copies.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::ast::TextOp;
use crate::engine::table::{Value, format_datetime, format_real, format_timespan};

/// A compiled scalar expression: names resolved to column indices, types checked.
#[derive(Clone, Debug, PartialEq)]
pub enum CExpr {
    Col(usize),
    Const(Value),
    Neg(Box<CExpr>),
    Arith(ArithOp, Box<CExpr>, Box<CExpr>),
    Cmp(CmpOp, Box<CExpr>, Box<CExpr>),
    /// `=~` (or `!~` when `negated`).
    EqCi {
        left: Box<CExpr>,
        right: Box<CExpr>,
        negated: bool,
    },
    Text {
        op: TextOp,
        negated: bool,
        hay: Box<CExpr>,
        needle: NeedleSrc,
    },
    In {
        expr: Box<CExpr>,
        list: Vec<CExpr>,
        negated: bool,
        case_insensitive: bool,
    },
    /// Every operand true (three-valued: a false operand wins over null).
    All(Vec<CExpr>),
    /// Some operand true (three-valued: a true operand wins over null).
    Any(Vec<CExpr>),
    Call(Func, Vec<CExpr>),
    /// `extract(regex, group, text)`: the regex compiled once per query.
    Extract {
        re: Re,
        group: usize,
        text: Box<CExpr>,
    },
}

/// A compiled regular expression (RE2-like syntax, `regex-lite`), compared by its pattern.
#[derive(Clone, Debug)]
pub struct Re(pub regex_lite::Regex);

impl PartialEq for Re {
    fn eq(&self, other: &Re) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Scalar functions (aggregates live in [`super::exec`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Not,
    ToLower,
    ToUpper,
    StrLen,
    IsEmpty,
    IsNotEmpty,
    IsNull,
    IsNotNull,
    ToString,
    StrCat,
    /// `bin(value, size)` / `floor(value, size)`.
    Bin,
    ToLong,
    ToReal,
    ToDateTime,
    ToTimeSpan,
    /// `iff(condition, then, else)` (also `iif`): only the chosen branch is evaluated.
    Iff,
    /// `case(condition1, value1, condition2, value2, ..., else)`: the first true condition's value.
    Case,
    /// `bin_at(value, size, fixed point)`.
    BinAt,
    /// `format_datetime(datetime, format)`.
    FormatDateTime,
    /// `split(text, delimiter[, index])`: a dynamic array of strings.
    Split,
    /// `parse_json(text)` / `todynamic(text)`: the JSON, or the text as a JSON string.
    ParseJson,
    /// `d[key]` / `d.key` on a dynamic value.
    Index,
    /// A dynamic value where a scalar is needed (compared, matched, converted): JSON strings,
    /// numbers and bools become those; arrays and objects stay JSON text.
    DynScalar,
    /// `array_length(d)`.
    ArrayLength,
    /// `coalesce(a, b, …)`: the first value that is not null (nor an empty string).
    Coalesce,
    /// `substring(text, start[, length])`, in characters.
    Substring,
    /// `strcat_delim(delimiter, a, b, …)`.
    StrCatDelim,
    /// `round(x[, digits])`.
    Round,
    Abs,
    /// `startofday`, `startofweek` (Sunday), `startofmonth`, `startofyear`.
    StartOf(Period),
    /// `endofday` … : the last tick of the period (here, its last millisecond).
    EndOf(Period),
    /// `dayofweek(dt)`: days since Sunday, as a timespan.
    DayOfWeek,
    HourOfDay,
    DayOfMonth,
    /// `getmonth` / `monthofyear`.
    GetMonth,
    GetYear,
    /// `datetime_diff(part, a, b)`: whole `part`s from b to a.
    DateTimeDiff,
    /// `replace_string(text, lookup, rewrite)`.
    ReplaceString,
    /// `indexof(text, lookup)`: the character position, or -1.
    IndexOf,
    /// `tobool` / `toboolean`.
    ToBool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Day,
    Week,
    Month,
    Year,
}

const DAY_MS: i64 = 86_400_000;

/// The start of the period holding `ms` (UTC), in milliseconds.
fn start_of(ms: i64, p: Period) -> i64 {
    let days = ms.div_euclid(DAY_MS);
    let start_day = match p {
        Period::Day => days,
        // 1970-01-01 was a Thursday: day 0 is 4 days after a Sunday.
        Period::Week => days - (days + 4).rem_euclid(7),
        Period::Month => {
            let (y, m, _) = crate::engine::clock::civil_from_days(days);
            crate::engine::clock::days_from_civil(y, m, 1)
        }
        Period::Year => {
            let (y, _, _) = crate::engine::clock::civil_from_days(days);
            crate::engine::clock::days_from_civil(y, 1, 1)
        }
    };
    start_day * DAY_MS
}

fn next_start(ms: i64, p: Period) -> i64 {
    let start = start_of(ms, p);
    match p {
        Period::Day => start + DAY_MS,
        Period::Week => start + 7 * DAY_MS,
        Period::Month | Period::Year => {
            let (y, m, _) = crate::engine::clock::civil_from_days(start / DAY_MS);
            let (y, m) = match (p, m) {
                (Period::Year, _) => (y + 1, 1),
                (_, 12) => (y + 1, 1),
                (_, m) => (y, m + 1),
            };
            crate::engine::clock::days_from_civil(y, m, 1) * DAY_MS
        }
    }
}

/// The right-hand side of a string predicate: prepared once when constant.
#[derive(Clone, Debug, PartialEq)]
pub enum NeedleSrc {
    Const(Needle),
    Expr(Box<CExpr>),
}

/// A string predicate's needle with what matching needs precomputed.
#[derive(Clone, Debug, PartialEq)]
pub struct Needle {
    raw: String,
    lower: String,
    ascii: bool,
}

/// One evaluated cell. Strings borrow from the row or the plan when they can.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell<'a> {
    Null,
    Bool(bool),
    Long(i64),
    Real(f64),
    DateTime(i64),
    TimeSpan(i64),
    Str(Cow<'a, str>),
}

impl<'a> Cell<'a> {
    pub fn of(v: &'a Value) -> Cell<'a> {
        match v {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(*b),
            Value::DateTime(n) => Cell::DateTime(*n),
            Value::Long(n) => Cell::Long(*n),
            Value::Real(f) => Cell::Real(*f),
            Value::String(s) => Cell::Str(Cow::Borrowed(s)),
            Value::TimeSpan(n) => Cell::TimeSpan(*n),
        }
    }

    pub fn into_value(self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Bool(b),
            Cell::Long(n) => Value::Long(n),
            Cell::Real(f) => Value::Real(f),
            Cell::DateTime(n) => Value::DateTime(n),
            Cell::TimeSpan(n) => Value::TimeSpan(n),
            Cell::Str(s) => Value::String(s.into_owned()),
        }
    }

    /// A predicate's outcome: `None` for null (which keeps no row).
    pub fn truth(&self) -> Option<bool> {
        match self {
            Cell::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// `tostring()`: null becomes the empty string, as in Kusto.
    pub fn to_text(&self) -> Cow<'a, str> {
        match self {
            Cell::Null => Cow::Borrowed(""),
            Cell::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Cell::Long(n) => Cow::Owned(n.to_string()),
            Cell::Real(f) => Cow::Owned(format_real(*f)),
            Cell::DateTime(ms) => Cow::Owned(format_datetime(*ms)),
            Cell::TimeSpan(ms) => Cow::Owned(format_timespan(*ms)),
            Cell::Str(s) => s.clone(),
        }
    }
}

/// How many bytes of new values (computed columns, `strcat` results, group keys) a query may
/// still build. Evaluation cannot fail, so a value that would not fit yields null and marks the
/// budget exhausted; the executor checks that after each step and fails the query as a whole,
/// so a null from an exhausted budget is never part of an answer.
#[derive(Debug)]
pub struct Budget {
    left: std::cell::Cell<usize>,
    exhausted: std::cell::Cell<bool>,
}

impl Budget {
    pub fn new(bytes: usize) -> Budget {
        Budget {
            left: std::cell::Cell::new(bytes),
            exhausted: std::cell::Cell::new(false),
        }
    }

    /// For constant folding: constants are bounded by the query text.
    pub fn unlimited() -> Budget {
        Budget::new(usize::MAX)
    }

    /// Whether one value of `bytes` would still fit (it is not charged: it may be temporary).
    pub fn fits(&self, bytes: usize) -> bool {
        let ok = bytes <= self.left.get();
        if !ok {
            self.exhausted.set(true);
        }
        ok
    }

    /// Charges `bytes` of values the query keeps; false (and exhausted) when they do not fit.
    pub fn charge(&self, bytes: usize) -> bool {
        match self.left.get().checked_sub(bytes) {
            Some(left) => {
                self.left.set(left);
                true
            }
            None => {
                self.exhausted.set(true);
                false
            }
        }
    }

    pub fn exhausted(&self) -> bool {
        self.exhausted.get()
    }
}

/// Evaluates `e` over `row`. Missing cells (a short row) read as null.
pub fn eval<'a>(e: &'a CExpr, row: &'a [Value], b: &Budget) -> Cell<'a> {
    match e {
        CExpr::Col(i) => row.get(*i).map_or(Cell::Null, Cell::of),
        CExpr::Const(v) => Cell::of(v),
        CExpr::Neg(x) => match eval(x, row, b) {
            Cell::Long(n) => n.checked_neg().map_or(Cell::Null, Cell::Long),
            Cell::Real(f) => Cell::Real(-f),
            Cell::TimeSpan(n) => n.checked_neg().map_or(Cell::Null, Cell::TimeSpan),
            _ => Cell::Null,
        },
        CExpr::Arith(op, l, r) => arith(*op, eval(l, row, b), eval(r, row, b)),
        CExpr::Cmp(op, l, r) => {
            let ord = compare(&eval(l, row, b), &eval(r, row, b));
            // A comparison with null (or NaN) is false, `!=` included.
            Cell::Bool(ord.is_some_and(|o| match op {
                CmpOp::Eq => o == Ordering::Equal,
                CmpOp::Ne => o != Ordering::Equal,
                CmpOp::Lt => o == Ordering::Less,
                CmpOp::Le => o != Ordering::Greater,
                CmpOp::Gt => o == Ordering::Greater,
                CmpOp::Ge => o != Ordering::Less,
            }))
        }
        CExpr::EqCi {
            left,
            right,
            negated,
        } => match (eval(left, row, b), eval(right, row, b)) {
            (Cell::Str(a), Cell::Str(b)) => Cell::Bool(eq_ci(&a, &b) != *negated),
            _ => Cell::Bool(false),
        },
        CExpr::Text {
            op,
            negated,
            hay,
            needle,
        } => {
            let hay = eval(hay, row, b);
            if hay.is_null() {
                return Cell::Bool(false);
            }
            let hay = hay.to_text();
            let hit = match needle {
                NeedleSrc::Const(n) => n.test(*op, &hay),
                NeedleSrc::Expr(x) => match eval(x, row, b) {
                    Cell::Null => return Cell::Bool(false),
                    c => Needle::new(&c.to_text()).test(*op, &hay),
                },
            };
            Cell::Bool(hit != *negated)
        }
        CExpr::In {
            expr,
            list,
            negated,
            case_insensitive,
        } => {
            let x = eval(expr, row, b);
            if x.is_null() {
                return Cell::Bool(false);
            }
            let found = list.iter().any(|item| {
                let y = eval(item, row, b);
                match (&x, &y) {
                    (Cell::Str(a), Cell::Str(b)) if *case_insensitive => eq_ci(a, b),
                    _ => compare(&x, &y) == Some(Ordering::Equal),
                }
            });
            Cell::Bool(found != *negated)
        }
        // Three-valued logic: null and false is false, null or true is true.
        CExpr::All(xs) => logic(xs, row, false, b),
        CExpr::Any(xs) => logic(xs, row, true, b),
        CExpr::Call(f, args) => call(*f, args, row, b),
        CExpr::Extract { re, group, text } => match eval(text, row, b) {
            Cell::Null => Cell::Null,
            t => {
                let t = t.to_text();
                match re.0.captures(&t).and_then(|c| c.get(*group)) {
                    Some(m) => Cell::Str(Cow::Owned(m.as_str().to_string())),
                    None => Cell::Null,
                }
            }
        },
    }
}

/// `and` (`decisive` false) or `or` (`decisive` true): the first operand equal to `decisive`
/// settles it; otherwise any null operand makes the result null.
fn logic<'a>(xs: &'a [CExpr], row: &'a [Value], decisive: bool, b: &Budget) -> Cell<'a> {
    let mut unknown = false;
    for x in xs {
        match eval(x, row, b).truth() {
            Some(b) if b == decisive => return Cell::Bool(decisive),
            Some(_) => {}
            None => unknown = true,
        }
    }
    if unknown {
        Cell::Null
    } else {
        Cell::Bool(!decisive)
    }
}

/// Whether `e` keeps `row` (a `where` predicate: null keeps nothing).
pub fn keeps(e: &CExpr, row: &[Value], b: &Budget) -> bool {
    eval(e, row, b).truth() == Some(true)
}

/// Replaces an expression whose operands are all constants by its value, so `ago(1h)`, needles
/// and literals are computed once per query, not once per row.
pub fn fold(e: CExpr) -> CExpr {
    let constant = |x: &CExpr| matches!(x, CExpr::Const(_));
    let all_const = match &e {
        CExpr::Col(_) | CExpr::Const(_) => return e,
        CExpr::Neg(x) => constant(x),
        CExpr::Arith(_, l, r) | CExpr::Cmp(_, l, r) => constant(l) && constant(r),
        CExpr::All(xs) | CExpr::Any(xs) => xs.iter().all(constant),
        CExpr::EqCi { left, right, .. } => constant(left) && constant(right),
        CExpr::Text { hay, needle, .. } => constant(hay) && matches!(needle, NeedleSrc::Const(_)),
        CExpr::In { expr, list, .. } => constant(expr) && list.iter().all(constant),
        CExpr::Call(_, args) => args.iter().all(constant),
        CExpr::Extract { text, .. } => constant(text),
    };
    if !all_const {
        return e;
    }
    // Constants come from the query text, so they are as long as it at most.
    let value = eval(&e, &[], &Budget::unlimited()).into_value();
    CExpr::Const(value)
}

/// Orders two cells of comparable types; `None` when either is null, the types differ, or a
/// real is NaN. int/long/real compare numerically, strings by ordinal (byte) order.
pub fn compare(a: &Cell, b: &Cell) -> Option<Ordering> {
    match (a, b) {
        (Cell::Long(x), Cell::Long(y)) => Some(x.cmp(y)),
        (Cell::Long(x), Cell::Real(y)) => (*x as f64).partial_cmp(y),
        (Cell::Real(x), Cell::Long(y)) => x.partial_cmp(&(*y as f64)),
        (Cell::Real(x), Cell::Real(y)) => x.partial_cmp(y),
        (Cell::DateTime(x), Cell::DateTime(y)) | (Cell::TimeSpan(x), Cell::TimeSpan(y)) => {
            Some(x.cmp(y))
        }
        (Cell::Bool(x), Cell::Bool(y)) => Some(x.cmp(y)),
        (Cell::Str(x), Cell::Str(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        _ => None,
    }
}

fn arith<'a>(op: ArithOp, a: Cell, b: Cell) -> Cell<'a> {
    use ArithOp::*;
    let real = |x: f64, y: f64| {
        Cell::Real(match op {
            Add => x + y,
            Sub => x - y,
            Mul => x * y,
            Div => x / y,
            Mod => x % y,
        })
    };
    let opt = |r: Option<i64>, wrap: fn(i64) -> Cell<'a>| r.map_or(Cell::Null, wrap);
    match (a, b) {
        (Cell::Long(x), Cell::Long(y)) => opt(
            match op {
                Add => x.checked_add(y),
                Sub => x.checked_sub(y),
                Mul => x.checked_mul(y),
                Div => x.checked_div(y),
                Mod => x.checked_rem(y),
            },
            Cell::Long,
        ),
        (Cell::Long(x), Cell::Real(y)) => real(x as f64, y),
        (Cell::Real(x), Cell::Long(y)) => real(x, y as f64),
        (Cell::Real(x), Cell::Real(y)) => real(x, y),
        (Cell::DateTime(d), Cell::TimeSpan(t)) => match op {
            Add => opt(d.checked_add(t), Cell::DateTime),
            Sub => opt(d.checked_sub(t), Cell::DateTime),
            _ => Cell::Null,
        },
        (Cell::TimeSpan(t), Cell::DateTime(d)) if op == Add => {
            opt(d.checked_add(t), Cell::DateTime)
        }
        (Cell::DateTime(x), Cell::DateTime(y)) if op == Sub => {
            opt(x.checked_sub(y), Cell::TimeSpan)
        }
        (Cell::TimeSpan(x), Cell::TimeSpan(y)) => match op {
            Add => opt(x.checked_add(y), Cell::TimeSpan),
            Sub => opt(x.checked_sub(y), Cell::TimeSpan),
            Mod => opt(x.checked_rem(y), Cell::TimeSpan),
            Div if y != 0 => Cell::Real(x as f64 / y as f64),
            _ => Cell::Null,
        },
        (Cell::TimeSpan(t), Cell::Long(n)) => match op {
            Mul => opt(t.checked_mul(n), Cell::TimeSpan),
            Div => opt(t.checked_div(n), Cell::TimeSpan),
            _ => Cell::Null,
        },
        (Cell::TimeSpan(t), Cell::Real(f)) => match op {
            Mul => real_ms(t as f64 * f),
            Div => real_ms(t as f64 / f),
            _ => Cell::Null,
        },
        (Cell::Long(n), Cell::TimeSpan(t)) if op == Mul => opt(t.checked_mul(n), Cell::TimeSpan),
        (Cell::Real(f), Cell::TimeSpan(t)) if op == Mul => real_ms(t as f64 * f),
        _ => Cell::Null,
    }
}

/// A timespan computed in floating point, back to whole milliseconds (null if out of range).
fn real_ms<'a>(ms: f64) -> Cell<'a> {
    let ms = ms.round();
    if ms.is_finite() && ms.abs() < 9.2e18 {
        Cell::TimeSpan(ms as i64)
    } else {
        Cell::Null
    }
}

fn call<'a>(f: Func, args: &'a [CExpr], row: &'a [Value], b: &Budget) -> Cell<'a> {
    let arg = |i: usize| args.get(i).map_or(Cell::Null, |a| eval(a, row, b));
    match f {
        Func::Not => match arg(0).truth() {
            Some(b) => Cell::Bool(!b),
            None => Cell::Null,
        },
        Func::ToLower => match arg(0) {
            Cell::Str(s) => Cell::Str(Cow::Owned(s.to_lowercase())),
            _ => Cell::Null,
        },
        Func::ToUpper => match arg(0) {
            Cell::Str(s) => Cell::Str(Cow::Owned(s.to_uppercase())),
            _ => Cell::Null,
        },
        Func::StrLen => match arg(0) {
            Cell::Str(s) => Cell::Long(s.chars().count() as i64),
            _ => Cell::Null,
        },
        // A null or false condition takes the other branch, as in Kusto.
        Func::Iff => match arg(0).truth() {
            Some(true) => arg(1),
            _ => arg(2),
        },
        Func::Case => {
            let pairs = args.len().saturating_sub(1) / 2;
            (0..pairs)
                .find(|i| arg(2 * i).truth() == Some(true))
                .map_or_else(|| arg(args.len().saturating_sub(1)), |i| arg(2 * i + 1))
        }
        Func::IsEmpty => Cell::Bool(is_empty(&arg(0))),
        Func::IsNotEmpty => Cell::Bool(!is_empty(&arg(0))),
        Func::IsNull => Cell::Bool(arg(0).is_null()),
        Func::IsNotNull => Cell::Bool(!arg(0).is_null()),
        Func::ToString => Cell::Str(arg(0).to_text()),
        Func::StrCat => {
            let mut s = String::new();
            for a in args {
                let piece = eval(a, row, b).to_text();
                // Checked before it is built: one call can repeat a long value thousands of times.
                if !b.fits(s.len() + piece.len()) {
                    return Cell::Null;
                }
                s.push_str(&piece);
            }
            Cell::Str(Cow::Owned(s))
        }
        Func::Bin => bin(arg(0), arg(1)),
        Func::ToLong => match arg(0) {
            Cell::Long(n) => Cell::Long(n),
            Cell::Real(f) => real_to_long(f),
            Cell::Bool(b) => Cell::Long(i64::from(b)),
            Cell::Str(s) => {
                let s = s.trim();
                match s.parse::<i64>() {
                    Ok(n) => Cell::Long(n),
                    Err(_) => s.parse::<f64>().map_or(Cell::Null, real_to_long),
                }
            }
            _ => Cell::Null,
        },
        Func::ToReal => match arg(0) {
            Cell::Long(n) => Cell::Real(n as f64),
            Cell::Real(f) => Cell::Real(f),
            Cell::Bool(b) => Cell::Real(if b { 1.0 } else { 0.0 }),
            Cell::Str(s) => s.trim().parse::<f64>().map_or(Cell::Null, Cell::Real),
            _ => Cell::Null,
        },
        Func::ToDateTime => match arg(0) {
            Cell::DateTime(n) => Cell::DateTime(n),
            Cell::Str(s) => super::lexer::parse_datetime(&s).map_or(Cell::Null, Cell::DateTime),
            _ => Cell::Null,
        },
        Func::ToTimeSpan => match arg(0) {
            Cell::TimeSpan(n) => Cell::TimeSpan(n),
            Cell::Str(s) => super::lexer::parse_timespan(&s).map_or(Cell::Null, Cell::TimeSpan),
            _ => Cell::Null,
        },
        Func::BinAt => {
            let fixed = arg(2);
            let binned = bin(arith(ArithOp::Sub, arg(0), fixed.clone()), arg(1));
            arith(ArithOp::Add, binned, fixed)
        }
        Func::FormatDateTime => match (arg(0), arg(1)) {
            (Cell::DateTime(ms), Cell::Str(f)) => {
                Cell::Str(Cow::Owned(format_kql_datetime(ms, &f)))
            }
            _ => Cell::Null,
        },
        Func::Split => match (arg(0), arg(1)) {
            (Cell::Null, _) => Cell::Null,
            (t, d) => {
                let (t, d) = (t.to_text(), d.to_text());
                let parts: Vec<serde_json::Value> = if d.is_empty() {
                    vec![serde_json::Value::String(t.to_string())]
                } else {
                    t.split(d.as_ref())
                        .map(|p| serde_json::Value::String(p.to_string()))
                        .collect()
                };
                let parts = match arg(2) {
                    Cell::Null if args.len() < 3 => parts,
                    Cell::Long(i) => {
                        let i = if i < 0 { parts.len() as i64 + i } else { i };
                        match usize::try_from(i).ok().and_then(|i| parts.get(i)) {
                            Some(p) => vec![p.clone()],
                            None => return Cell::Null,
                        }
                    }
                    _ => return Cell::Null,
                };
                json_cell(&serde_json::Value::Array(parts), b)
            }
        },
        Func::ParseJson => match arg(0) {
            Cell::Null => Cell::Null,
            Cell::Str(s) => match serde_json::from_str::<serde_json::Value>(&s) {
                Ok(serde_json::Value::Null) => Cell::Null,
                Ok(v) => json_cell(&v, b),
                Err(_) => json_cell(&serde_json::Value::String(s.to_string()), b),
            },
            c => json_cell(&cell_json(&c), b),
        },
        Func::Index => match (dynamic_of(&arg(0)), arg(1)) {
            (Some(d), key) => {
                let item = match (&d, key) {
                    (serde_json::Value::Object(m), Cell::Str(k)) => m.get(k.as_ref()),
                    (serde_json::Value::Array(a), Cell::Long(i)) => {
                        let i = if i < 0 { a.len() as i64 + i } else { i };
                        usize::try_from(i).ok().and_then(|i| a.get(i))
                    }
                    _ => None,
                };
                match item {
                    None | Some(serde_json::Value::Null) => Cell::Null,
                    Some(v) => json_cell(v, b),
                }
            }
            (None, _) => Cell::Null,
        },
        Func::DynScalar => match dynamic_of(&arg(0)) {
            None | Some(serde_json::Value::Null) => Cell::Null,
            Some(serde_json::Value::String(s)) => Cell::Str(Cow::Owned(s)),
            Some(serde_json::Value::Bool(x)) => Cell::Bool(x),
            Some(serde_json::Value::Number(n)) => match n.as_i64() {
                Some(i) => Cell::Long(i),
                None => n.as_f64().map_or(Cell::Null, Cell::Real),
            },
            Some(v) => Cell::Str(Cow::Owned(v.to_string())),
        },
        Func::ArrayLength => match dynamic_of(&arg(0)) {
            Some(serde_json::Value::Array(a)) => Cell::Long(a.len() as i64),
            _ => Cell::Null,
        },
        Func::Coalesce => (0..args.len())
            .map(arg)
            .find(|c| !is_empty(c))
            .unwrap_or(Cell::Null),
        Func::Substring => match (arg(0), arg(1), arg(2)) {
            (Cell::Null, _, _) => Cell::Null,
            (t, Cell::Long(start), len) => {
                let t = t.to_text();
                let start = usize::try_from(start.max(0)).unwrap_or(usize::MAX);
                let chars = t.chars().skip(start);
                Cell::Str(Cow::Owned(match len {
                    Cell::Long(n) if n >= 0 => chars.take(n as usize).collect(),
                    Cell::Null if args.len() < 3 => chars.collect(),
                    _ => return Cell::Null,
                }))
            }
            _ => Cell::Null,
        },
        Func::StrCatDelim => {
            let d = arg(0).to_text();
            let mut s = String::new();
            for (k, a) in args.iter().skip(1).enumerate() {
                let piece = eval(a, row, b).to_text();
                if !b.fits(s.len() + d.len() + piece.len()) {
                    return Cell::Null;
                }
                if k > 0 {
                    s.push_str(&d);
                }
                s.push_str(&piece);
            }
            Cell::Str(Cow::Owned(s))
        }
        Func::Round => {
            let digits = match arg(1) {
                Cell::Long(n) => n.clamp(-15, 15) as i32,
                _ => 0,
            };
            match arg(0) {
                Cell::Real(f) => {
                    let m = 10f64.powi(digits);
                    Cell::Real((f * m).round() / m)
                }
                Cell::Long(n) if digits >= 0 => Cell::Long(n),
                Cell::Long(n) => {
                    let m = 10i64.pow((-digits) as u32);
                    Cell::Long(((n as f64 / m as f64).round() as i64).saturating_mul(m))
                }
                _ => Cell::Null,
            }
        }
        Func::Abs => match arg(0) {
            Cell::Long(n) => n.checked_abs().map_or(Cell::Null, Cell::Long),
            Cell::Real(f) => Cell::Real(f.abs()),
            Cell::TimeSpan(n) => n.checked_abs().map_or(Cell::Null, Cell::TimeSpan),
            _ => Cell::Null,
        },
        Func::StartOf(p) => match arg(0) {
            Cell::DateTime(ms) => Cell::DateTime(start_of(ms, p)),
            _ => Cell::Null,
        },
        Func::EndOf(p) => match arg(0) {
            Cell::DateTime(ms) => Cell::DateTime(next_start(ms, p) - 1),
            _ => Cell::Null,
        },
        Func::DayOfWeek => match arg(0) {
            Cell::DateTime(ms) => {
                Cell::TimeSpan((ms.div_euclid(DAY_MS) + 4).rem_euclid(7) * DAY_MS)
            }
            _ => Cell::Null,
        },
        Func::HourOfDay => match arg(0) {
            Cell::DateTime(ms) => Cell::Long(ms.rem_euclid(DAY_MS) / 3_600_000),
            _ => Cell::Null,
        },
        Func::DayOfMonth | Func::GetMonth | Func::GetYear => match arg(0) {
            Cell::DateTime(ms) => {
                let (y, m, d) = crate::engine::clock::civil_from_days(ms.div_euclid(DAY_MS));
                Cell::Long(match f {
                    Func::DayOfMonth => i64::from(d),
                    Func::GetMonth => i64::from(m),
                    _ => y,
                })
            }
            _ => Cell::Null,
        },
        Func::DateTimeDiff => match (arg(0), arg(1), arg(2)) {
            (Cell::Str(part), Cell::DateTime(a), Cell::DateTime(bb)) => {
                let unit = |ms: i64| -> i64 {
                    match part.to_ascii_lowercase().as_str() {
                        "year" => crate::engine::clock::civil_from_days(ms.div_euclid(DAY_MS)).0,
                        "month" => {
                            let (y, m, _) =
                                crate::engine::clock::civil_from_days(ms.div_euclid(DAY_MS));
                            y * 12 + i64::from(m)
                        }
                        "week" => (ms.div_euclid(DAY_MS) + 4).div_euclid(7),
                        "day" => ms.div_euclid(DAY_MS),
                        "hour" => ms.div_euclid(3_600_000),
                        "minute" => ms.div_euclid(60_000),
                        "second" => ms.div_euclid(1000),
                        _ => ms,
                    }
                };
                Cell::Long(unit(a) - unit(bb))
            }
            _ => Cell::Null,
        },
        Func::ReplaceString => match (arg(0), arg(1), arg(2)) {
            (Cell::Null, _, _) => Cell::Null,
            (t, l, r) => {
                let (t, l, r) = (t.to_text(), l.to_text(), r.to_text());
                if l.is_empty() {
                    return Cell::Str(t);
                }
                let grown = t.matches(l.as_ref()).count() * r.len();
                if !b.fits(t.len() + grown) {
                    return Cell::Null;
                }
                Cell::Str(Cow::Owned(t.replace(l.as_ref(), &r)))
            }
        },
        Func::IndexOf => match (arg(0), arg(1)) {
            (Cell::Null, _) => Cell::Null,
            (t, l) => {
                let (t, l) = (t.to_text(), l.to_text());
                Cell::Long(
                    t.find(l.as_ref())
                        .map_or(-1, |i| t[..i].chars().count() as i64),
                )
            }
        },
        Func::ToBool => match arg(0) {
            Cell::Bool(x) => Cell::Bool(x),
            Cell::Long(n) => Cell::Bool(n != 0),
            Cell::Real(f) => Cell::Bool(f != 0.0),
            Cell::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Cell::Bool(true),
                "false" | "0" => Cell::Bool(false),
                _ => Cell::Null,
            },
            _ => Cell::Null,
        },
    }
}

/// A dynamic cell's JSON (dynamic values are held as JSON text).
pub fn dynamic_of(c: &Cell) -> Option<serde_json::Value> {
    match c {
        Cell::Str(s) => Some(
            serde_json::from_str(s).unwrap_or_else(|_| serde_json::Value::String(s.to_string())),
        ),
        Cell::Null => None,
        c => Some(cell_json(c)),
    }
}

/// A scalar cell as the JSON a dynamic value holds (datetimes and timespans as their text).
pub fn cell_json(c: &Cell) -> serde_json::Value {
    match c {
        Cell::Null => serde_json::Value::Null,
        Cell::Bool(x) => serde_json::Value::Bool(*x),
        Cell::Long(n) => serde_json::Value::from(*n),
        Cell::Real(f) => serde_json::Number::from_f64(*f).map_or_else(
            || serde_json::Value::String(format_real(*f)),
            serde_json::Value::Number,
        ),
        c => serde_json::Value::String(c.to_text().into_owned()),
    }
}

/// A dynamic value as a cell (its JSON text), charged to the budget.
pub fn json_cell<'a>(v: &serde_json::Value, b: &Budget) -> Cell<'a> {
    let text = v.to_string();
    if !b.fits(text.len()) {
        return Cell::Null;
    }
    Cell::Str(Cow::Owned(text))
}

/// `format_datetime`'s specifiers (learn.microsoft.com/kusto/query/format-datetime-function):
/// d dd, f…fffffff, F…FFFFFFF, h hh, H HH, m mm, M MM, s ss, y yy yyyy, tt; other characters
/// are copied (separators).
pub fn format_kql_datetime(ms: i64, format: &str) -> String {
    let text = format_datetime(ms); // 2026-03-02T08:00:00.123Z or without fraction
    let num = |a: usize, b: usize| {
        text.get(a..b)
            .and_then(|x| x.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let (year, month, day, hour, minute, second) = (
        num(0, 4),
        num(5, 7),
        num(8, 10),
        num(11, 13),
        num(14, 16),
        num(17, 19),
    );
    let millis = ms.rem_euclid(1000) as u32;
    let chars: Vec<char> = format.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c {
            n += 1;
        }
        let piece = match c {
            'y' => match n {
                1 => (year % 100).to_string(),
                2 => format!("{:02}", year % 100),
                _ => format!("{year:0n$}"),
            },
            'M' => pad(month, n),
            'd' => pad(day, n),
            'H' => pad(hour, n),
            'h' => pad(if hour % 12 == 0 { 12 } else { hour % 12 }, n),
            'm' => pad(minute, n),
            's' => pad(second, n),
            'f' | 'F' => {
                let digits = format!("{millis:03}0000");
                let d: String = digits.chars().take(n.min(7)).collect();
                if c == 'F' {
                    d.trim_end_matches('0').to_string()
                } else {
                    d
                }
            }
            't' => (if hour < 12 { "AM" } else { "PM" })[..n.min(2)].to_string(),
            _ => std::iter::repeat_n(c, n).collect(),
        };
        out.push_str(&piece);
        i += n;
    }
    out
}

fn pad(v: u32, n: usize) -> String {
    if n >= 2 {
        format!("{v:02}")
    } else {
        v.to_string()
    }
}

fn real_to_long<'a>(f: f64) -> Cell<'a> {
    let t = f.trunc();
    if t.is_finite() && t.abs() < 9.2e18 {
        Cell::Long(t as i64)
    } else {
        Cell::Null
    }
}

fn is_empty(c: &Cell) -> bool {
    match c {
        Cell::Null => true,
        Cell::Str(s) => s.is_empty(),
        _ => false,
    }
}

/// `bin(value, size)`: rounds down to a multiple of `size`; null for a non-positive size.
fn bin<'a>(value: Cell, size: Cell) -> Cell<'a> {
    let floor_i = |v: i64, s: i64| -> Option<i64> {
        if s <= 0 {
            return None;
        }
        v.div_euclid(s).checked_mul(s)
    };
    match (value, size) {
        (Cell::Long(v), Cell::Long(s)) => floor_i(v, s).map_or(Cell::Null, Cell::Long),
        (Cell::DateTime(v), Cell::TimeSpan(s)) => floor_i(v, s).map_or(Cell::Null, Cell::DateTime),
        (Cell::TimeSpan(v), Cell::TimeSpan(s)) => floor_i(v, s).map_or(Cell::Null, Cell::TimeSpan),
        (Cell::Long(v), Cell::Real(s)) => bin_real(v as f64, s),
        (Cell::Real(v), Cell::Long(s)) => bin_real(v, s as f64),
        (Cell::Real(v), Cell::Real(s)) => bin_real(v, s),
        _ => Cell::Null,
    }
}

fn bin_real<'a>(v: f64, s: f64) -> Cell<'a> {
    if s > 0.0 {
        Cell::Real((v / s).floor() * s)
    } else {
        Cell::Null
    }
}

// ---- string matching ----------------------------------------------------------------------

/// Case-insensitive equality; ASCII compares in place, anything else through Unicode lowercase.
pub fn eq_ci(a: &str, b: &str) -> bool {
    if a.len() == b.len() && a.eq_ignore_ascii_case(b) {
        return true;
    }
    if a.is_ascii() && b.is_ascii() {
        return false;
    }
    a.to_lowercase() == b.to_lowercase()
}

impl Needle {
    pub fn new(s: &str) -> Needle {
        Needle {
            raw: s.to_string(),
            lower: s.to_lowercase(),
            ascii: s.is_ascii(),
        }
    }

    /// Whether `hay` satisfies `op` (the positive form) with this needle.
    pub fn test(&self, op: TextOp, hay: &str) -> bool {
        // Every string contains, starts with, ends with and has the empty string.
        if self.raw.is_empty() {
            return true;
        }
        let h = hay.as_bytes();
        match op {
            TextOp::ContainsCs => hay.contains(self.raw.as_str()),
            TextOp::StartsWithCs => hay.starts_with(self.raw.as_str()),
            TextOp::EndsWithCs => hay.ends_with(self.raw.as_str()),
            TextOp::HasCs => has(h, self.raw.as_bytes(), false),
            _ if !self.ascii => self.test_unicode(op, hay),
            TextOp::Contains => find(h, self.lower.as_bytes(), 0, true).is_some(),
            TextOp::StartsWith => h
                .get(..self.lower.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(self.lower.as_bytes())),
            TextOp::EndsWith => h
                .len()
                .checked_sub(self.lower.len())
                .is_some_and(|at| h[at..].eq_ignore_ascii_case(self.lower.as_bytes())),
            TextOp::Has => has(h, self.lower.as_bytes(), true),
        }
    }

    /// Which of the texts laid end to end in `buf` (text `i` ends at `ends[i]`) contain this
    /// needle (`op` being `contains` or `contains_cs`), found by one search over the buffer
    /// rather than one per text; None when that does not apply (another operator, an empty
    /// needle, a case-insensitive needle beyond ASCII).
    pub fn texts_containing(&self, op: TextOp, buf: &[u8], ends: &[u32]) -> Option<Vec<bool>> {
        let (pat, ci) = match op {
            TextOp::ContainsCs => (self.raw.as_bytes(), false),
            TextOp::Contains if self.ascii => (self.lower.as_bytes(), true),
            _ => return None,
        };
        if pat.is_empty() {
            return None;
        }
        let mut hits = vec![false; ends.len()];
        let (mut row, mut from) = (0, 0);
        while let Some(at) = find(buf, pat, from, ci) {
            while ends.get(row).is_some_and(|&e| e as usize <= at) {
                row += 1;
            }
            let Some(&end) = ends.get(row) else { break };
            let end = end as usize;
            if at + pat.len() <= end {
                // Found inside text `row`: go on from the next one.
                hits[row] = true;
                from = end;
                row += 1;
            } else {
                // Across a boundary between two texts: not a match.
                from = at + 1;
            }
        }
        Some(hits)
    }

    /// Case-insensitive matching for a non-ASCII needle: lowercase copies of the value.
    fn test_unicode(&self, op: TextOp, hay: &str) -> bool {
        let hay = hay.to_lowercase();
        let n = self.lower.as_str();
        match op {
            TextOp::StartsWith => hay.starts_with(n),
            TextOp::EndsWith => hay.ends_with(n),
            TextOp::Has => has(hay.as_bytes(), n.as_bytes(), false),
            _ => hay.contains(n),
        }
    }
}

/// `has`: the needle occurs with no term character (or an end of the value) on either side.
/// For an alphanumeric needle that is exactly "some term equals it", a term being a maximal run
/// of alphanumeric characters in any script (`é` is part of `café`, so `caf` is not a term);
/// for any other needle it is the documented fallback. Matches start and end on character
/// boundaries: the needle is UTF-8 and only ASCII letters are case-folded.
fn has(hay: &[u8], needle: &[u8], ci: bool) -> bool {
    let mut from = 0;
    while let Some(at) = find(hay, needle, from, ci) {
        let end = at + needle.len();
        if !term_char_before(hay, at) && !term_char_at(hay, end) {
            return true;
        }
        from = at + 1;
    }
    false
}

/// Whether the character ending at byte `at` is alphanumeric.
fn term_char_before(hay: &[u8], at: usize) -> bool {
    let Some(start) = (0..at).rev().find(|&i| hay[i] & 0xC0 != 0x80) else {
        return false;
    };
    is_term_char(&hay[start..at])
}

/// Whether the character starting at byte `at` is alphanumeric.
fn term_char_at(hay: &[u8], at: usize) -> bool {
    let width = match hay.get(at) {
        None => return false,
        Some(b) if *b < 0x80 => 1,
        Some(b) if *b >= 0xF0 => 4,
        Some(b) if *b >= 0xE0 => 3,
        Some(_) => 2,
    };
    hay.get(at..at + width).is_some_and(is_term_char)
}

fn is_term_char(c: &[u8]) -> bool {
    match c {
        [b] => b.is_ascii_alphanumeric(),
        _ => std::str::from_utf8(c)
            .ok()
            .and_then(|s| s.chars().next())
            .is_some_and(char::is_alphanumeric),
    }
}

/// The first index at or after `from` where `needle` occurs in `hay`, ASCII case folded when
/// `ci` (`needle` is then already lowercase).
fn find(hay: &[u8], needle: &[u8], from: usize, ci: bool) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let &final_byte = needle.last()?;
    let span = needle.len() - 1;
    let last = hay.len().checked_sub(needle.len())?;
    // For a (lowercase) letter, `b | 0x20 == c` holds for exactly its two ASCII cases; for any
    // other byte the mask is 0.
    let mask = |c: u8| {
        if ci && c.is_ascii_alphabetic() {
            0x20
        } else {
            0
        }
    };
    let (m1, m2) = (mask(first), mask(final_byte));
    let matches_at = |i: usize| {
        let cand = &hay[i + 1..i + needle.len()];
        hay[i] | m1 == first
            && if ci {
                cand.eq_ignore_ascii_case(rest)
            } else {
                cand == rest
            }
    };
    // Eight start positions at a time, as one 64-bit word each for the needle's first byte and,
    // `span` bytes on, its last (SWAR: plain integer operations, which wasm has without SIMD).
    // A word pair with no position holding both is skipped; one with a candidate (or a false
    // one: the zero-byte test may flag a byte above a true zero, never miss one) is checked
    // position by position. Two bytes rule out far more than one ("port 1" in log text: every
    // "p", but few "p" five bytes before a "1").
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let word = |at: usize| u64::from_le_bytes(hay[at..at + 8].try_into().expect("8 bytes"));
    let (want1, want2) = (ONES * first as u64, ONES * final_byte as u64);
    let (fold1, fold2) = (ONES * m1 as u64, ONES * m2 as u64);
    let mut i = from;
    // `i + 7 <= last` keeps every position of the word a possible start (and `i + span + 8`
    // inside the haystack).
    while i + 7 <= last {
        let hit =
            zero_bytes((word(i) | fold1) ^ want1) & zero_bytes((word(i + span) | fold2) ^ want2);
        if hit != 0 {
            if let Some(at) = (i..i + 8).find(|&j| matches_at(j)) {
                return Some(at);
            }
        }
        i += 8;
    }
    (i..=last).find(|&j| matches_at(j))
}

#[cfg(test)]
mod find_tests {
    use proptest::prelude::*;

    /// The first `at >= from` where the needle is, position by position.
    fn naive(hay: &[u8], needle: &[u8], from: usize, ci: bool) -> Option<usize> {
        (from..=hay.len().checked_sub(needle.len())?).find(|&i| {
            let w = &hay[i..i + needle.len()];
            if ci {
                w.eq_ignore_ascii_case(needle)
            } else {
                w == needle
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The block skipping (first and last byte) finds exactly what a plain scan finds, in
        /// both cases, at every offset, across block edges.
        #[test]
        fn find_agrees_with_a_plain_scan(
            hay in proptest::collection::vec(prop::sample::select(b"aAbB1 p-\xc3\xa9".to_vec()), 0..80),
            needle in proptest::collection::vec(prop::sample::select(b"ab1 p-".to_vec()), 1..6),
            from in 0usize..90,
            ci in any::<bool>(),
        ) {
            prop_assert_eq!(super::find(&hay, &needle, from, ci), naive(&hay, &needle, from, ci));
        }
    }
}
