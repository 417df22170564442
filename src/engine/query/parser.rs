//! Tokens to [`ast::Query`] by recursive descent.
//!
//! Expressions use precedence climbing. Precedence, loosest first: `or`, `and`, comparisons,
//! string predicates and `in` (not chained), `+ -`, `* / %`, unary minus, primary. `and`/`or`
//! chains are flat lists, so a long `x == 1 or x == 2 or …` is wide, not deep. Nesting is capped
//! so a hostile query cannot exhaust the stack (the page runs this in wasm with a 1 MiB stack)
//! or make evaluation recurse without bound; a query deeper than the cap is a syntax error at the
//! token where the cap is reached.

use super::ast::{
    BinOp, Expr, Item, JoinKind, Let, LetValue, Name, Op, ParsePart, Query, Render, SortKey,
    Source, Stage, Tabular, TextOp, Union,
};
use super::lexer::{Tok, Token, lex};
use super::{Pos, QueryError};
use crate::engine::table::{ColumnType, Value};

/// Deepest expression nesting accepted (as parentheses, or as the depth of the expression
/// tree); real queries stay far below it.
pub const MAX_DEPTH: usize = 32;

/// An expression and the depth of its tree.
type Parsed = Result<(Expr, usize), QueryError>;

/// The precedence of comparisons, string predicates and `in`.
const CMP: u8 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Infix {
    /// `and` (true) / `or` (false): collected into one flat [`Expr::Logic`].
    Logic(bool),
    /// `in` / `!in` (negated) and their `~` forms (case-insensitive).
    In(bool, bool),
    Op(BinOp),
}

/// Parses a whole query: a table name and its `| operator` stages.
pub fn parse(src: &str) -> Result<Query, QueryError> {
    let mut p = Parser {
        toks: lex(src),
        i: 0,
        depth: 0,
        search: false,
    };
    p.query()
}

/// Kusto's rule: `render` "must be the last operator in the query". The last one learns whether
/// the rows reach it in an order the query chose.
fn render_is_last(stages: &mut [Stage]) -> Result<(), QueryError> {
    let Some((last, before)) = stages.split_last_mut() else {
        return Ok(());
    };
    if let Some(s) = before.iter().find(|s| matches!(s.op, Op::Render(_))) {
        return Err(QueryError::semantic(
            "SEM0001",
            "'render' operator: the render operator must be the last operator in the query"
                .to_string(),
            "render",
            s.at,
        ));
    }
    if let Op::Render(render) = &mut last.op {
        render.sorted = before
            .iter()
            .rev()
            .find_map(|s| match s.op {
                Op::Sort(_) | Op::Top { .. } => Some(true),
                Op::Summarize { .. } | Op::Distinct(_) | Op::Count => Some(false),
                _ => None,
            })
            .unwrap_or(false);
    }
    Ok(())
}

struct Parser {
    /// Never empty: the lexer always ends with `Eof`.
    toks: Vec<Token>,
    i: usize,
    depth: usize,
    /// Inside a `search` predicate, where `Column:"text"` means `has`.
    search: bool,
}

/// A `search` predicate's bare strings, where a bool belongs, become terms.
fn terms(e: Expr) -> Expr {
    match e {
        Expr::Literal {
            value: Value::String(text),
            at,
            ..
        } => Expr::Term { text, at },
        Expr::Logic { and, operands, ats } => Expr::Logic {
            and,
            operands: operands.into_iter().map(terms).collect(),
            ats,
        },
        Expr::Call { name, args } if name.name == "not" => Expr::Call {
            name,
            args: args.into_iter().map(terms).collect(),
        },
        e => e,
    }
}

/// Words that cannot stand for a column without brackets: they would make operators ambiguous.
fn reserved(w: &str) -> bool {
    matches!(w, "and" | "or" | "by" | "in" | "in~") || TextOp::from_word(w).is_some()
}

impl Parser {
    fn peek(&self) -> &Token {
        let last = self.toks.len() - 1;
        &self.toks[self.i.min(last)]
    }

    fn peek_at(&self, n: usize) -> &Token {
        let last = self.toks.len() - 1;
        &self.toks[(self.i + n).min(last)]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    /// The syntax error for the current token.
    fn err(&self) -> QueryError {
        let t = self.peek();
        QueryError::syntax(&t.text, t.at)
    }

    fn is_sym(&self, s: &str) -> bool {
        matches!(&self.peek().tok, Tok::Sym(x) if *x == s)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(x) if x == w)
    }

    fn expect_sym(&mut self, s: &str) -> Result<Pos, QueryError> {
        if self.is_sym(s) {
            Ok(self.bump().at)
        } else {
            Err(self.err())
        }
    }

    fn expect_word(&mut self, w: &str) -> Result<(), QueryError> {
        if self.is_word(w) {
            self.bump();
            Ok(())
        } else {
            Err(self.err())
        }
    }

    /// One more level of nesting, refused past [`MAX_DEPTH`].
    fn enter(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err());
        }
        Ok(())
    }

    fn query(&mut self) -> Result<Query, QueryError> {
        let mut lets: Vec<Let> = Vec::new();
        while self.is_word("let") {
            let l = self.let_statement(&lets)?;
            lets.push(l);
            self.expect_sym(";")?;
        }
        let mut body = self.tabular()?;
        render_is_last(&mut body.stages)?;
        while self.is_sym(";") {
            self.bump();
        }
        if self.peek().tok != Tok::Eof {
            return Err(self.err());
        }
        Ok(Query { lets, body })
    }

    /// `let name = value` (without the `;`): a scalar or a tabular expression. A bare name is a
    /// table unless an earlier `let` made it a scalar.
    fn let_statement(&mut self, earlier: &[Let]) -> Result<Let, QueryError> {
        self.bump(); // let
        let name = self.name()?;
        self.expect_sym("=")?;
        // `let f = (x: long) { … }`: a user-defined function.
        if self.is_sym("(")
            && (matches!(self.peek_at(1).tok, Tok::Sym(")"))
                || (matches!(self.peek_at(1).tok, Tok::Ident(_))
                    && matches!(self.peek_at(2).tok, Tok::Sym(":"))))
        {
            let at = self.peek().at;
            return Err(QueryError::unsupported("let", "function definition", at));
        }
        let scalar_name = |w: &str| {
            earlier
                .iter()
                .rev()
                .find(|l| l.name.name == w)
                .is_some_and(|l| matches!(l.value, LetValue::Scalar(_)))
        };
        let tabular = match &self.peek().tok {
            Tok::Ident(w) if self.peek_at(1).tok == Tok::Sym("(") => {
                matches!(w.as_str(), "datatable" | "materialize")
            }
            Tok::Ident(w) if reserved(w) => false,
            Tok::Ident(w) if matches!(w.as_str(), "true" | "false" | "True" | "False") => false,
            Tok::Ident(w) | Tok::Quoted(w) => {
                !scalar_name(w) || self.peek_at(1).tok == Tok::Sym("|")
            }
            Tok::Sym("(") => {
                // A parenthesised scalar, or a parenthesised tabular expression.
                let saved = self.i;
                let scalar = self.expr().is_ok() && self.is_sym(";");
                self.i = saved;
                !scalar
            }
            _ => false,
        };
        let value = if tabular {
            LetValue::Tabular(Box::new(self.tabular()?))
        } else {
            LetValue::Scalar(self.expr()?)
        };
        Ok(Let { name, value })
    }

    /// `source | stage | …`
    fn tabular(&mut self) -> Result<Tabular, QueryError> {
        self.enter()?;
        let source = self.source()?;
        let mut stages = Vec::new();
        while self.is_sym("|") {
            self.bump();
            stages.push(self.stage()?);
        }
        self.depth -= 1;
        Ok(Tabular { source, stages })
    }

    fn source(&mut self) -> Result<Source, QueryError> {
        let at = self.peek().at;
        if self.is_sym("(") {
            self.bump();
            let t = self.tabular()?;
            self.expect_sym(")")?;
            return Ok(Source::Nested(Box::new(t)));
        }
        let next = self.peek_at(1).tok.clone();
        let ends = matches!(next, Tok::Eof | Tok::Sym("|" | ";" | ")" | ","));
        let Tok::Ident(w) = self.peek().tok.clone() else {
            return Ok(Source::Table(self.name()?));
        };
        match w.as_str() {
            "datatable" if next == Tok::Sym("(") => self.datatable(),
            "range" if !ends => {
                self.bump();
                let column = self.name()?;
                self.expect_word("from")?;
                let from = self.expr()?;
                self.expect_word("to")?;
                let to = self.expr()?;
                self.expect_word("step")?;
                let step = self.expr()?;
                Ok(Source::Range {
                    column,
                    from,
                    to,
                    step,
                    at,
                })
            }
            "print" if !ends => {
                self.bump();
                Ok(Source::Print(self.items()?))
            }
            "union" if !ends => {
                self.bump();
                Ok(Source::Union(self.union(at)?))
            }
            "search" if !ends => {
                self.bump();
                let mut tables = None;
                self.kind_option(&["case_sensitive", "case_insensitive"])?;
                if self.is_word("in") {
                    self.bump();
                    self.expect_sym("(")?;
                    let names = self.names()?;
                    self.expect_sym(")")?;
                    tables = Some(names);
                }
                let predicate = self.search_predicate()?;
                Ok(Source::Search {
                    tables,
                    predicate,
                    at,
                })
            }
            // A statement or tabular source the subset does not run (`find`, `evaluate`, …).
            w if super::subset::known_operator(w) && !ends => {
                Err(QueryError::unsupported(w, "operator", at))
            }
            _ => Ok(Source::Table(self.name()?)),
        }
    }

    /// `kind = word` if present (one of `allowed`), returning the word.
    fn kind_option(&mut self, allowed: &[&str]) -> Result<Option<String>, QueryError> {
        if !(self.is_word("kind") && self.peek_at(1).tok == Tok::Sym("=")) {
            return Ok(None);
        }
        self.bump();
        self.bump();
        match &self.peek().tok {
            Tok::Ident(w) if allowed.contains(&w.as_str()) => {
                let w = w.clone();
                self.bump();
                Ok(Some(w))
            }
            _ => Err(self.err()),
        }
    }

    fn datatable(&mut self) -> Result<Source, QueryError> {
        let at = self.bump().at;
        self.expect_sym("(")?;
        let mut columns = Vec::new();
        loop {
            let name = self.name()?;
            self.expect_sym(":")?;
            columns.push((name, self.type_name()?));
            if !self.is_sym(",") {
                break;
            }
            self.bump();
        }
        self.expect_sym(")")?;
        // `['one']` lexes as a bracketed name: here it is a list of one string.
        if let Tok::Quoted(v) = self.peek().tok.clone() {
            let t = self.bump();
            return Ok(Source::Datatable {
                columns,
                values: vec![Expr::Literal {
                    value: Value::String(v),
                    ty: ColumnType::String,
                    at: t.at,
                }],
                at,
            });
        }
        self.expect_sym("[")?;
        let mut values = Vec::new();
        while !self.is_sym("]") {
            values.push(self.expr()?);
            if !self.is_sym(",") {
                break;
            }
            self.bump();
        }
        self.expect_sym("]")?;
        Ok(Source::Datatable {
            columns,
            values,
            at,
        })
    }

    /// A scalar type's name (`string`, `long`, `typeof(long)` is read by the caller).
    fn type_name(&mut self) -> Result<ColumnType, QueryError> {
        let Tok::Ident(w) = &self.peek().tok else {
            return Err(self.err());
        };
        let ty = match w.as_str() {
            "string" => ColumnType::String,
            "long" => ColumnType::Long,
            "int" => ColumnType::Int,
            "real" | "double" => ColumnType::Real,
            "bool" | "boolean" => ColumnType::Bool,
            "datetime" | "date" => ColumnType::DateTime,
            "timespan" | "time" => ColumnType::TimeSpan,
            "dynamic" => ColumnType::Dynamic,
            "guid" | "uniqueid" => ColumnType::Guid,
            "decimal" => {
                let at = self.peek().at;
                return Err(QueryError::unsupported("decimal", "type", at));
            }
            _ => return Err(self.err()),
        };
        self.bump();
        Ok(ty)
    }

    /// `[kind=…] [withsource=Name] [isfuzzy=…] input, input, …` after `union`.
    fn union(&mut self, at: Pos) -> Result<Union, QueryError> {
        let mut inner = false;
        let mut withsource = None;
        loop {
            if self.is_word("kind") && self.peek_at(1).tok == Tok::Sym("=") {
                inner = self.kind_option(&["inner", "outer"])?.as_deref() == Some("inner");
            } else if self.is_word("withsource") && self.peek_at(1).tok == Tok::Sym("=") {
                self.bump();
                self.bump();
                withsource = Some(self.name()?);
            } else if self.is_word("isfuzzy") && self.peek_at(1).tok == Tok::Sym("=") {
                self.bump();
                self.bump();
                if !(self.is_word("true") || self.is_word("false")) {
                    return Err(self.err());
                }
                self.bump();
            } else {
                break;
            }
        }
        let mut inputs = Vec::new();
        loop {
            if self.is_sym("*") || matches!(self.peek_at(1).tok, Tok::Sym("*")) {
                let at = self.peek().at;
                return Err(QueryError::unsupported("*", "table wildcard", at));
            }
            let source = if self.is_sym("(") {
                self.bump();
                let t = self.tabular()?;
                self.expect_sym(")")?;
                Source::Nested(Box::new(t))
            } else {
                Source::Table(self.name()?)
            };
            inputs.push(Tabular {
                source,
                stages: Vec::new(),
            });
            if !self.is_sym(",") {
                break;
            }
            self.bump();
        }
        Ok(Union {
            inner,
            withsource,
            inputs,
            at,
        })
    }

    /// A `search` predicate: bare strings are terms matched against every column, and
    /// `Column:"text"` is `Column has "text"`.
    fn search_predicate(&mut self) -> Result<Expr, QueryError> {
        self.search = true;
        let e = self.expr();
        self.search = false;
        Ok(terms(e?))
    }

    fn name(&mut self) -> Result<Name, QueryError> {
        match &self.peek().tok {
            Tok::Ident(w) if !reserved(w) && !w.contains(['-', '~']) => {}
            Tok::Quoted(_) => {}
            _ => return Err(self.err()),
        }
        let t = self.bump();
        match t.tok {
            Tok::Ident(name) | Tok::Quoted(name) => Ok(Name { name, at: t.at }),
            _ => Err(QueryError::syntax(&t.text, t.at)),
        }
    }

    fn stage(&mut self) -> Result<Stage, QueryError> {
        let Tok::Ident(word) = &self.peek().tok else {
            return Err(self.err());
        };
        let operator: &'static str = match word.as_str() {
            "where" => "where",
            "filter" => "filter",
            "project" => "project",
            "project-away" => "project-away",
            "project-rename" => "project-rename",
            "extend" => "extend",
            "take" => "take",
            "limit" => "limit",
            "count" => "count",
            "summarize" => "summarize",
            "order" => "order",
            "sort" => "sort",
            "top" => "top",
            "distinct" => "distinct",
            "union" => "union",
            "join" => "join",
            "parse" => "parse",
            "mv-expand" => "mv-expand",
            "getschema" => "getschema",
            "search" => "search",
            "render" => "render",
            w if super::subset::known_operator(w) => {
                let at = self.peek().at;
                return Err(QueryError::unsupported(w, "operator", at));
            }
            _ => return Err(self.err()),
        };
        let at = self.bump().at;
        let op = match operator {
            "where" | "filter" => Op::Where(self.expr()?),
            "project" => Op::Project(self.items()?),
            "extend" => Op::Extend(self.items()?),
            "project-away" => Op::ProjectAway(self.names()?),
            "project-rename" => {
                let mut pairs = Vec::new();
                loop {
                    let new = self.name()?;
                    self.expect_sym("=")?;
                    pairs.push((new, self.name()?));
                    if !self.is_sym(",") {
                        break;
                    }
                    self.bump();
                }
                Op::ProjectRename(pairs)
            }
            "take" | "limit" => Op::Take(self.expr()?),
            "count" => Op::Count,
            "render" => Op::Render(self.render()?),
            "summarize" => {
                let aggs = if self.is_word("by") {
                    Vec::new()
                } else {
                    self.items()?
                };
                let by = if self.is_word("by") {
                    self.bump();
                    self.items()?
                } else {
                    Vec::new()
                };
                Op::Summarize { aggs, by }
            }
            "order" | "sort" => {
                self.expect_word("by")?;
                let mut keys = vec![self.sort_key()?];
                while self.is_sym(",") {
                    self.bump();
                    keys.push(self.sort_key()?);
                }
                Op::Sort(keys)
            }
            "top" => {
                let n = self.expr()?;
                self.expect_word("by")?;
                Op::Top {
                    n,
                    key: self.sort_key()?,
                }
            }
            "union" => Op::Union(self.union(at)?),
            "join" => self.join()?,
            "parse" => {
                self.kind_option(&["simple"])?;
                let expr = self.expr()?;
                self.expect_word("with")?;
                Op::Parse {
                    expr,
                    pattern: self.parse_pattern()?,
                }
            }
            "mv-expand" => {
                let mut items = Vec::new();
                loop {
                    let item = self.item()?;
                    let mut ty = None;
                    if self.is_word("to") {
                        self.bump();
                        self.expect_word("typeof")?;
                        self.expect_sym("(")?;
                        ty = Some(self.type_name()?);
                        self.expect_sym(")")?;
                    }
                    items.push((item, ty));
                    if !self.is_sym(",") {
                        break;
                    }
                    self.bump();
                }
                let limit = if self.is_word("limit") {
                    self.bump();
                    Some(self.expr()?)
                } else {
                    None
                };
                Op::MvExpand { items, limit }
            }
            "getschema" => Op::Getschema,
            "search" => {
                self.kind_option(&["case_sensitive", "case_insensitive"])?;
                Op::Search(self.search_predicate()?)
            }
            _ => {
                // distinct
                if self.is_sym("*") {
                    self.bump();
                    Op::Distinct(None)
                } else {
                    Op::Distinct(Some(self.names()?))
                }
            }
        };
        Ok(Stage { operator, at, op })
    }

    /// `render visualization [with (p = v, …)]`, also the older `render visualization p = v …`
    /// (the Query API documentation's own example).
    fn render(&mut self) -> Result<Render, QueryError> {
        let t = self.peek().clone();
        let visualization = match &t.tok {
            Tok::Ident(w) => match super::subset::VISUALIZATIONS.iter().find(|v| *v == w) {
                Some(v) => *v,
                None if super::subset::known_visualization(w) => {
                    return Err(QueryError::unsupported(w, "visualization", t.at));
                }
                None => return Err(self.err()),
            },
            _ => return Err(self.err()),
        };
        self.bump();
        let mut render = Render {
            visualization,
            ..Render::default()
        };
        if self.is_word("with") {
            self.bump();
            self.expect_sym("(")?;
            if !self.is_sym(")") {
                loop {
                    self.render_property(&mut render)?;
                    if !self.is_sym(",") {
                        break;
                    }
                    self.bump();
                }
            }
            self.expect_sym(")")?;
        } else {
            while matches!(self.peek().tok, Tok::Ident(_)) {
                self.render_property(&mut render)?;
            }
        }
        Ok(render)
    }

    /// One `property = value` of `render`: strings for the titles, a word for the others.
    fn render_property(&mut self, render: &mut Render) -> Result<(), QueryError> {
        let name = self.bump();
        let Tok::Ident(property) = &name.tok else {
            return Err(QueryError::syntax(&name.text, name.at));
        };
        if super::subset::known_render_property(property) {
            return Err(QueryError::unsupported(
                property,
                "render property",
                name.at,
            ));
        }
        if !super::subset::RENDER_PROPERTIES.contains(&property.as_str()) {
            return Err(QueryError::syntax(&name.text, name.at));
        }
        self.expect_sym("=")?;
        let value = self.peek().clone();
        let word = |options: &[&'static str]| match &value.tok {
            Tok::Ident(w) => options.iter().find(|o| *o == w).copied(),
            _ => None,
        };
        let bad = || QueryError::syntax(&value.text, value.at);
        match property.as_str() {
            "title" | "xtitle" | "ytitle" => {
                let text = match &value.tok {
                    Tok::Str(s) | Tok::Ident(s) => s.clone(),
                    _ => return Err(bad()),
                };
                let slot = match property.as_str() {
                    "title" => &mut render.title,
                    "xtitle" => &mut render.xtitle,
                    _ => &mut render.ytitle,
                };
                *slot = Some(text);
            }
            "kind" => {
                render.kind =
                    Some(word(&["default", "stacked", "stacked100", "unstacked"]).ok_or_else(bad)?)
            }
            "legend" => render.legend = Some(word(&["visible", "hidden"]).ok_or_else(bad)?),
            _ => render.accumulate = word(&["true", "false"]).ok_or_else(bad)? == "true",
        }
        self.bump();
        Ok(())
    }

    /// `join [kind=…] [hint.…=…] (right) on key, $left.a == $right.b, …`
    fn join(&mut self) -> Result<Op, QueryError> {
        let mut kind = JoinKind::InnerUnique;
        loop {
            if self.is_word("kind") && self.peek_at(1).tok == Tok::Sym("=") {
                self.bump();
                self.bump();
                let t = self.peek().clone();
                kind = match &t.tok {
                    Tok::Ident(w) => JoinKind::from_word(w).ok_or_else(|| self.err())?,
                    _ => return Err(self.err()),
                };
                self.bump();
            } else if matches!(&self.peek().tok, Tok::Ident(w) if w == "hint")
                && self.peek_at(1).tok == Tok::Sym(".")
            {
                // `hint.strategy=shuffle`, `hint.remote=auto`: advice to the cluster, no effect
                // on the rows.
                self.bump();
                self.bump();
                self.name()?;
                self.expect_sym("=")?;
                self.bump();
            } else {
                break;
            }
        }
        let right = if self.is_sym("(") {
            self.bump();
            let t = self.tabular()?;
            self.expect_sym(")")?;
            t
        } else {
            Tabular {
                source: Source::Table(self.name()?),
                stages: Vec::new(),
            }
        };
        self.expect_word("on")?;
        let mut on = Vec::new();
        loop {
            if let Tok::Ident(w) = &self.peek().tok
                && (w == "$left" || w == "$right")
            {
                let first_left = w == "$left";
                let a = self.side_key()?;
                self.expect_sym("==")?;
                let second_left = matches!(&self.peek().tok, Tok::Ident(w) if w == "$left");
                if second_left == first_left {
                    return Err(self.err());
                }
                let b = self.side_key()?;
                on.push(if first_left { (a, b) } else { (b, a) });
            } else {
                let n = self.name()?;
                on.push((n.clone(), n));
            }
            if !self.is_sym(",") {
                break;
            }
            self.bump();
        }
        Ok(Op::Join {
            kind,
            right: Box::new(right),
            on,
        })
    }

    /// `$left.Name` / `$right.Name`: the name.
    fn side_key(&mut self) -> Result<Name, QueryError> {
        match &self.peek().tok {
            Tok::Ident(w) if w == "$left" || w == "$right" => {
                self.bump();
            }
            _ => return Err(self.err()),
        }
        self.expect_sym(".")?;
        self.name()
    }

    /// `parse`'s pattern: string literals, `*`, and `Name[:type]` columns, up to the next `|`.
    fn parse_pattern(&mut self) -> Result<Vec<ParsePart>, QueryError> {
        let mut parts = Vec::new();
        loop {
            match self.peek().tok.clone() {
                Tok::Str(s) => {
                    self.bump();
                    parts.push(ParsePart::Literal(s));
                }
                Tok::Sym("*") => {
                    self.bump();
                    parts.push(ParsePart::Any);
                }
                Tok::Ident(_) | Tok::Quoted(_) => {
                    let name = self.name()?;
                    let ty = if self.is_sym(":") {
                        self.bump();
                        self.type_name()?
                    } else {
                        ColumnType::String
                    };
                    parts.push(ParsePart::Column(name, ty));
                }
                _ => break,
            }
        }
        if parts.is_empty() {
            return Err(self.err());
        }
        Ok(parts)
    }

    fn names(&mut self) -> Result<Vec<Name>, QueryError> {
        let mut names = vec![self.name()?];
        while self.is_sym(",") {
            self.bump();
            names.push(self.name()?);
        }
        Ok(names)
    }

    fn items(&mut self) -> Result<Vec<Item>, QueryError> {
        let mut items = vec![self.item()?];
        while self.is_sym(",") {
            self.bump();
            items.push(self.item()?);
        }
        Ok(items)
    }

    /// `[Name =] expr`
    fn item(&mut self) -> Result<Item, QueryError> {
        let named = matches!(self.peek().tok, Tok::Ident(_) | Tok::Quoted(_))
            && matches!(self.peek_at(1).tok, Tok::Sym("="));
        let name = if named {
            let n = self.name()?;
            self.bump(); // '='
            Some(n)
        } else {
            None
        };
        Ok(Item {
            name,
            expr: self.expr()?,
        })
    }

    fn sort_key(&mut self) -> Result<SortKey, QueryError> {
        let expr = self.expr()?;
        let desc = if self.is_word("asc") {
            self.bump();
            false
        } else {
            if self.is_word("desc") {
                self.bump();
            }
            true
        };
        // Kusto's defaults: nulls last when descending, first when ascending.
        let mut nulls_first = !desc;
        if self.is_word("nulls") {
            self.bump();
            if self.is_word("first") {
                nulls_first = true;
            } else if self.is_word("last") {
                nulls_first = false;
            } else {
                return Err(self.err());
            }
            self.bump();
        }
        Ok(SortKey {
            expr,
            desc,
            nulls_first,
        })
    }

    pub fn expr(&mut self) -> Result<Expr, QueryError> {
        Ok(self.expr_d()?.0)
    }

    /// Comma-separated expressions up to and including the closing `)` (none at all only when
    /// `may_be_empty`), with the deepest nesting among them.
    fn expr_list(&mut self, may_be_empty: bool) -> Result<(Vec<Expr>, usize), QueryError> {
        let mut list = Vec::new();
        let mut depth = 0;
        if !(may_be_empty && self.is_sym(")")) {
            loop {
                let (e, d) = self.expr_d()?;
                depth = depth.max(d);
                list.push(e);
                if !self.is_sym(",") {
                    break;
                }
                self.bump();
            }
        }
        self.expect_sym(")")?;
        Ok((list, depth))
    }

    fn expr_d(&mut self) -> Parsed {
        self.enter()?;
        let e = self.binary(0);
        self.depth -= 1;
        e
    }

    /// The depth of a new node over children of depth `child`, refused past [`MAX_DEPTH`] at
    /// `t` (the operator that would build it).
    fn grow(child: usize, t: &Token) -> Result<usize, QueryError> {
        if child >= MAX_DEPTH {
            return Err(QueryError::syntax(&t.text, t.at));
        }
        Ok(child + 1)
    }

    /// The binary operator at the current token and its precedence (higher binds tighter).
    fn infix(&self) -> Option<(Infix, u8)> {
        Some(match &self.peek().tok {
            Tok::Ident(w) if w == "or" => (Infix::Logic(false), 1),
            Tok::Ident(w) if w == "and" => (Infix::Logic(true), 2),
            Tok::Ident(w) if w == "in" || w == "in~" => (Infix::In(false, w == "in~"), CMP),
            Tok::Bang(w) if w == "in" || w == "in~" => (Infix::In(true, w == "in~"), CMP),
            Tok::Ident(w) => {
                let op = TextOp::from_word(w)?;
                (Infix::Op(BinOp::Text { op, negated: false }), CMP)
            }
            // An unknown `!word` is not an operator; it fails where it stands.
            Tok::Bang(w) => {
                let op = TextOp::from_word(w)?;
                (Infix::Op(BinOp::Text { op, negated: true }), CMP)
            }
            Tok::Sym(s) => match *s {
                "==" => (Infix::Op(BinOp::Eq), CMP),
                "!=" => (Infix::Op(BinOp::Ne), CMP),
                "<" => (Infix::Op(BinOp::Lt), CMP),
                "<=" => (Infix::Op(BinOp::Le), CMP),
                ">" => (Infix::Op(BinOp::Gt), CMP),
                ">=" => (Infix::Op(BinOp::Ge), CMP),
                "=~" => (Infix::Op(BinOp::EqCi), CMP),
                ":" if self.search => (
                    Infix::Op(BinOp::Text {
                        op: TextOp::Has,
                        negated: false,
                    }),
                    CMP,
                ),
                "!~" => (Infix::Op(BinOp::NeCi), CMP),
                "+" => (Infix::Op(BinOp::Add), 4),
                "-" => (Infix::Op(BinOp::Sub), 4),
                "*" => (Infix::Op(BinOp::Mul), 5),
                "/" => (Infix::Op(BinOp::Div), 5),
                "%" => (Infix::Op(BinOp::Mod), 5),
                _ => return None,
            },
            _ => return None,
        })
    }

    /// Precedence climbing: operators binding at least as tight as `min`, left-associative.
    /// Comparisons do not chain (`a == b == c` fails at the second `==`).
    fn binary(&mut self, min: u8) -> Parsed {
        let (mut left, mut depth) = self.unary()?;
        if let Tok::Ident(w) | Tok::Bang(w) = &self.peek().tok
            && w == "between"
            && min <= CMP
        {
            (left, depth) = self.between(left, depth)?;
        }
        if let Tok::Ident(w) = &self.peek().tok
            && (w == "has_any" || w == "has_all")
            && min <= CMP
        {
            (left, depth) = self.has_list(left, depth)?;
        }
        // A KQL scalar operator the subset does not run (`hasprefix`, ...).
        if let Tok::Ident(w) | Tok::Bang(w) = &self.peek().tok
            && super::subset::known_scalar_operator(w)
        {
            let at = self.peek().at;
            return Err(QueryError::unsupported(w, "operator", at));
        }
        let mut compared = false;
        while let Some((op, prec)) = self.infix() {
            if prec < min {
                break;
            }
            if prec == CMP && compared {
                return Err(self.err());
            }
            compared = prec == CMP;
            match op {
                Infix::In(negated, ci) => {
                    (left, depth) = self.in_list(left, depth, negated, ci)?;
                }
                Infix::Logic(and) => {
                    let mut operands = vec![left];
                    let mut ats = Vec::new();
                    while self.infix().is_some_and(|(o, _)| o == Infix::Logic(and)) {
                        ats.push(self.bump().at);
                        let (right, rd) = self.binary(prec + 1)?;
                        depth = depth.max(rd);
                        operands.push(right);
                    }
                    let t = &self.toks[self.i.saturating_sub(1)];
                    depth = Self::grow(depth, t)?;
                    left = Expr::Logic { and, operands, ats };
                }
                Infix::Op(o) => {
                    let t = self.bump();
                    let (right, rd) = self.binary(prec + 1)?;
                    depth = Self::grow(depth.max(rd), &t)?;
                    left = Expr::Binary {
                        op: o,
                        left: Box::new(left),
                        right: Box::new(right),
                        at: t.at,
                    };
                }
            }
        }
        Ok((left, depth))
    }

    /// `e between (lo .. hi)` is `e >= lo and e <= hi`; `e !between (lo .. hi)` is
    /// `e < lo or e > hi` (the KQL documentation's own definition), built from the operators the
    /// subset already types and evaluates.
    fn between(&mut self, left: Expr, ld: usize) -> Parsed {
        let t = self.bump();
        let negated = matches!(t.tok, Tok::Bang(_));
        self.expect_sym("(")?;
        let (lo, d1) = self.expr_d()?;
        let dots = self.expect_sym("..")?;
        let (hi, d2) = self.expr_d()?;
        self.expect_sym(")")?;
        let depth = Self::grow(ld.max(d1).max(d2) + 1, &t)?;
        let side = |op, bound: Expr, at| Expr::Binary {
            op,
            left: Box::new(left.clone()),
            right: Box::new(bound),
            at,
        };
        let (low, high) = if negated {
            (BinOp::Lt, BinOp::Gt)
        } else {
            (BinOp::Ge, BinOp::Le)
        };
        Ok((
            Expr::Logic {
                and: !negated,
                operands: vec![side(low, lo, t.at), side(high, hi, dots)],
                ats: vec![dots],
            },
            depth,
        ))
    }

    /// `e has_any (a, b)` is `e has a or e has b`; `has_all` joins them with `and`.
    fn has_list(&mut self, left: Expr, ld: usize) -> Parsed {
        let t = self.bump();
        let all = matches!(&t.tok, Tok::Ident(w) if w == "has_all");
        self.expect_sym("(")?;
        let (list, d) = self.expr_list(false)?;
        let depth = Self::grow(ld.max(d) + 1, &t)?;
        let operands: Vec<Expr> = list
            .into_iter()
            .map(|needle| Expr::Binary {
                op: BinOp::Text {
                    op: TextOp::Has,
                    negated: false,
                },
                left: Box::new(left.clone()),
                right: Box::new(needle),
                at: t.at,
            })
            .collect();
        let ats = vec![t.at; operands.len().saturating_sub(1)];
        Ok((
            Expr::Logic {
                and: all,
                operands,
                ats,
            },
            depth,
        ))
    }

    fn in_list(&mut self, left: Expr, ld: usize, negated: bool, ci: bool) -> Parsed {
        let t = self.bump();
        self.expect_sym("(")?;
        let (list, d) = self.expr_list(false)?;
        let depth = Self::grow(ld.max(d), &t)?;
        Ok((
            Expr::In {
                expr: Box::new(left),
                list,
                negated,
                case_insensitive: ci,
                at: t.at,
            },
            depth,
        ))
    }

    fn unary(&mut self) -> Parsed {
        if !(self.is_sym("-") || self.is_sym("+")) {
            return self.primary();
        }
        let t = self.bump();
        self.enter()?;
        let (inner, d) = self.unary()?;
        self.depth -= 1;
        if t.tok == Tok::Sym("+") {
            return Ok((inner, d));
        }
        let depth = Self::grow(d, &t)?;
        Ok((
            Expr::Neg {
                expr: Box::new(inner),
                at: t.at,
            },
            depth,
        ))
    }

    /// A primary expression and its dynamic accessors (`.name`, `["name"]`, `[0]`).
    fn primary(&mut self) -> Parsed {
        let (mut e, mut depth) = self.atom()?;
        loop {
            let t = self.peek().clone();
            let key = match &t.tok {
                Tok::Sym(".") if matches!(self.peek_at(1).tok, Tok::Ident(_) | Tok::Quoted(_)) => {
                    self.bump();
                    let n = self.bump();
                    Expr::Literal {
                        value: Value::String(match n.tok {
                            Tok::Ident(w) | Tok::Quoted(w) => w,
                            _ => n.text,
                        }),
                        ty: ColumnType::String,
                        at: n.at,
                    }
                }
                Tok::Quoted(k) => {
                    self.bump();
                    Expr::Literal {
                        value: Value::String(k.clone()),
                        ty: ColumnType::String,
                        at: t.at,
                    }
                }
                Tok::Sym("[") => {
                    self.bump();
                    let (k, d) = self.expr_d()?;
                    depth = depth.max(d);
                    self.expect_sym("]")?;
                    k
                }
                _ => return Ok((e, depth)),
            };
            depth = Self::grow(depth, &t)?;
            e = Expr::Index {
                expr: Box::new(e),
                key: Box::new(key),
                at: t.at,
            };
        }
    }

    fn atom(&mut self) -> Parsed {
        let t = self.peek().clone();
        let lit = |value: Value, ty: ColumnType| Expr::Literal {
            value,
            ty,
            at: t.at,
        };
        let e = match &t.tok {
            Tok::Long(n) => lit(Value::Long(*n), ColumnType::Long),
            Tok::Real(f) => lit(Value::Real(*f), ColumnType::Real),
            Tok::Str(s) => lit(Value::String(s.clone()), ColumnType::String),
            Tok::TimeSpan(ms) => lit(
                ms.map_or(Value::Null, Value::TimeSpan),
                ColumnType::TimeSpan,
            ),
            Tok::DateTime(ms) => lit(
                ms.map_or(Value::Null, Value::DateTime),
                ColumnType::DateTime,
            ),
            Tok::Dynamic(json) => lit(
                json.clone().map_or(Value::Null, Value::String),
                ColumnType::Dynamic,
            ),
            Tok::Sym("(") => {
                self.bump();
                let e = self.expr_d()?;
                self.expect_sym(")")?;
                return Ok(e);
            }
            Tok::Ident(w) if matches!(w.as_str(), "true" | "True" | "TRUE") => {
                lit(Value::Bool(true), ColumnType::Bool)
            }
            Tok::Ident(w) if matches!(w.as_str(), "false" | "False" | "FALSE") => {
                lit(Value::Bool(false), ColumnType::Bool)
            }
            Tok::Ident(_) if self.peek_at(1).tok == Tok::Sym("(") => return self.call(),
            Tok::Ident(_) | Tok::Quoted(_) => return Ok((Expr::Column(self.name()?), 1)),
            // `arg_max(x, *)`: every column (only arg_max/arg_min accept it).
            Tok::Sym("*") if matches!(self.peek_at(1).tok, Tok::Sym(")" | ",")) => {
                Expr::Column(Name {
                    name: "*".into(),
                    at: t.at,
                })
            }
            _ => return Err(self.err()),
        };
        self.bump();
        Ok((e, 1))
    }

    fn call(&mut self) -> Parsed {
        let t = self.bump();
        let Tok::Ident(name) = &t.tok else {
            return Err(QueryError::syntax(&t.text, t.at));
        };
        // Before its arguments, which may use syntax only it accepts (`arg_max(x, *)`).
        if super::subset::known_function(name) {
            return Err(QueryError::unsupported(name, "function", t.at));
        }
        self.bump(); // '('
        let (args, depth) = self.expr_list(true)?;
        let depth = Self::grow(depth, &t)?;
        Ok((
            Expr::Call {
                name: Name {
                    name: name.clone(),
                    at: t.at,
                },
                args,
            },
            depth,
        ))
    }
}
