//! The parsed query, before any name is resolved. Every node keeps the position errors point at.

use super::Pos;
use crate::engine::table::{ColumnType, Value};

/// `let …; let …; tabular expression`
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub lets: Vec<Let>,
    pub body: Tabular,
}

/// `let name = scalar;` or `let name = tabular;`
#[derive(Clone, Debug, PartialEq)]
pub struct Let {
    pub name: Name,
    pub value: LetValue,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LetValue {
    Scalar(Expr),
    Tabular(Box<Tabular>),
}

/// `source | stage | stage …`
#[derive(Clone, Debug, PartialEq)]
pub struct Tabular {
    pub source: Source,
    pub stages: Vec<Stage>,
}

/// Where a tabular expression's rows come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A workspace table or a tabular `let`.
    Table(Name),
    /// `datatable(a:string, b:long) [v1, v2, …]`, values row by row.
    Datatable {
        columns: Vec<(Name, ColumnType)>,
        values: Vec<Expr>,
        at: Pos,
    },
    /// `range x from a to b step s`.
    Range {
        column: Name,
        from: Expr,
        to: Expr,
        step: Expr,
        at: Pos,
    },
    /// `print a = 1, 2`.
    Print(Vec<Item>),
    /// `union [kind=inner|outer] [withsource=Name] T1, (T2 | …), …`.
    Union(Union),
    /// `search [in (T1, T2)] predicate`: every table (or the ones named), rows matching.
    Search {
        tables: Option<Vec<Name>>,
        predicate: Expr,
        at: Pos,
    },
    /// `( tabular )`.
    Nested(Box<Tabular>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Union {
    /// `kind=inner`: only the columns every input has (the default, outer, keeps them all).
    pub inner: bool,
    pub withsource: Option<Name>,
    pub inputs: Vec<Tabular>,
    pub at: Pos,
}

/// The kinds of join the documentation names; `innerunique` is Kusto's default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    InnerUnique,
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
    LeftAnti,
    RightAnti,
    LeftSemi,
    RightSemi,
}

impl JoinKind {
    pub fn from_word(w: &str) -> Option<JoinKind> {
        Some(match w {
            "innerunique" => JoinKind::InnerUnique,
            "inner" => JoinKind::Inner,
            "leftouter" => JoinKind::LeftOuter,
            "rightouter" => JoinKind::RightOuter,
            "fullouter" => JoinKind::FullOuter,
            "leftanti" | "anti" | "leftantisemi" => JoinKind::LeftAnti,
            "rightanti" | "rightantisemi" => JoinKind::RightAnti,
            "leftsemi" => JoinKind::LeftSemi,
            "rightsemi" => JoinKind::RightSemi,
            _ => return None,
        })
    }
}

/// One part of a `parse` pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum ParsePart {
    Literal(String),
    /// `*`: skip text up to the next literal.
    Any,
    Column(Name, ColumnType),
}

/// An identifier as written (bare or `['quoted']`), and where.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub name: String,
    pub at: Pos,
}

/// One tabular operator after a `|`.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    /// The operator's name as errors quote it (`where`, `project`, `order`, `sort`, …).
    pub operator: &'static str,
    pub at: Pos,
    pub op: Op,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Where(Expr),
    Project(Vec<Item>),
    Extend(Vec<Item>),
    ProjectAway(Vec<Name>),
    /// `new = old` pairs.
    ProjectRename(Vec<(Name, Name)>),
    /// `take N` / `limit N`.
    Take(Expr),
    Count,
    Summarize {
        aggs: Vec<Item>,
        by: Vec<Item>,
    },
    /// `order by` / `sort by`.
    Sort(Vec<SortKey>),
    Top {
        n: Expr,
        key: SortKey,
    },
    /// `distinct a, b`; `None` is `distinct *`.
    Distinct(Option<Vec<Name>>),
    Union(Union),
    Join {
        kind: JoinKind,
        right: Box<Tabular>,
        /// `(left key, right key)`: `on Col` is `(Col, Col)`.
        on: Vec<(Name, Name)>,
    },
    /// `parse expr with pattern` (kind=simple).
    Parse {
        expr: Expr,
        pattern: Vec<ParsePart>,
    },
    /// `mv-expand [name =] expr [to typeof(t)], … [limit n]`.
    MvExpand {
        items: Vec<(Item, Option<ColumnType>)>,
        limit: Option<Expr>,
    },
    Getschema,
    /// `T | search predicate`.
    Search(Expr),
    /// `render visualization [with (property = value, …)]`: the last operator only; it leaves
    /// the rows alone and annotates the answer.
    Render(Render),
}

/// What `render` asks the user agent to draw (the properties the subset knows; Kusto's
/// defaults where the query says nothing).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Render {
    /// One of `subset::VISUALIZATIONS`.
    pub visualization: &'static str,
    pub title: Option<String>,
    pub xtitle: Option<String>,
    pub ytitle: Option<String>,
    /// `default`, `stacked`, `stacked100` or `unstacked`; `None` is `default`.
    pub kind: Option<&'static str>,
    /// `visible` or `hidden`; `None` is visible.
    pub legend: Option<&'static str>,
    pub accumulate: bool,
    /// Whether the rows reach `render` in an order the query chose (`sort`/`order`/`top` after
    /// the last `summarize`, `distinct` or `count`): the API's `isQuerySorted`.
    pub sorted: bool,
}

/// `[Name =] expr` in project, extend and summarize.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub name: Option<Name>,
    pub expr: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    pub desc: bool,
    pub nulls_first: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Column(Name),
    /// A typed literal; `Value::Null` only for `datetime(null)` / `timespan(null)`.
    Literal {
        value: Value,
        ty: ColumnType,
        at: Pos,
    },
    Neg {
        expr: Box<Expr>,
        at: Pos,
    },
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
        at: Pos,
    },
    /// `a and b and c` (or `or`), kept flat so a long chain is wide, not deep. `ats[i]` is
    /// where the operator before `operands[i + 1]` is.
    Logic {
        and: bool,
        operands: Vec<Expr>,
        ats: Vec<Pos>,
    },
    /// `e in (…)`, `e !in (…)`, `e in~ (…)`, `e !in~ (…)`.
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
        case_insensitive: bool,
        at: Pos,
    },
    Call {
        name: Name,
        args: Vec<Expr>,
    },
    /// `d.name`, `d["name"]`, `d[0]` on a dynamic value.
    Index {
        expr: Box<Expr>,
        key: Box<Expr>,
        at: Pos,
    },
    /// In `search`: a bare string term, matched against every column (`has`, or with `*`
    /// wildcards `contains`/`startswith`/`endswith`).
    Term {
        text: String,
        at: Pos,
    },
}

impl Expr {
    /// Where the expression starts being the expression errors point at.
    pub fn at(&self) -> Pos {
        match self {
            Expr::Column(n) => n.at,
            Expr::Literal { at, .. }
            | Expr::Neg { at, .. }
            | Expr::Binary { at, .. }
            | Expr::In { at, .. }
            | Expr::Index { at, .. }
            | Expr::Term { at, .. } => *at,
            Expr::Call { name, .. } => name.at,
            Expr::Logic { operands, .. } => operands.first().map_or(Pos::default(), Expr::at),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `=~`
    EqCi,
    /// `!~`
    NeCi,
    /// A string predicate; `negated` for the `!` forms.
    Text {
        op: TextOp,
        negated: bool,
    },
}

/// The string predicates. The `Cs` forms are case-sensitive, the others are not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextOp {
    Contains,
    ContainsCs,
    Has,
    HasCs,
    StartsWith,
    StartsWithCs,
    EndsWith,
    EndsWithCs,
}

impl TextOp {
    pub fn from_word(w: &str) -> Option<TextOp> {
        Some(match w {
            "contains" => TextOp::Contains,
            "contains_cs" => TextOp::ContainsCs,
            "has" => TextOp::Has,
            "has_cs" => TextOp::HasCs,
            "startswith" => TextOp::StartsWith,
            "startswith_cs" => TextOp::StartsWithCs,
            "endswith" => TextOp::EndsWith,
            "endswith_cs" => TextOp::EndsWithCs,
            _ => return None,
        })
    }

    pub fn word(self) -> &'static str {
        match self {
            TextOp::Contains => "contains",
            TextOp::ContainsCs => "contains_cs",
            TextOp::Has => "has",
            TextOp::HasCs => "has_cs",
            TextOp::StartsWith => "startswith",
            TextOp::StartsWithCs => "startswith_cs",
            TextOp::EndsWith => "endswith",
            TextOp::EndsWithCs => "endswith_cs",
        }
    }

    pub fn case_sensitive(self) -> bool {
        matches!(
            self,
            TextOp::ContainsCs | TextOp::HasCs | TextOp::StartsWithCs | TextOp::EndsWithCs
        )
    }
}

impl BinOp {
    /// The operator as written, for error messages.
    pub fn text(self) -> String {
        match self {
            BinOp::Add => "+".into(),
            BinOp::Sub => "-".into(),
            BinOp::Mul => "*".into(),
            BinOp::Div => "/".into(),
            BinOp::Mod => "%".into(),
            BinOp::Eq => "==".into(),
            BinOp::Ne => "!=".into(),
            BinOp::Lt => "<".into(),
            BinOp::Le => "<=".into(),
            BinOp::Gt => ">".into(),
            BinOp::Ge => ">=".into(),
            BinOp::EqCi => "=~".into(),
            BinOp::NeCi => "!~".into(),
            BinOp::Text { op, negated } => {
                format!("{}{}", if negated { "!" } else { "" }, op.word())
            }
        }
    }
}
