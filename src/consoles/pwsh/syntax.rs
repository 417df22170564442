//! The PowerShell a runbook uses, parsed: statements (`$x = …` or a pipeline), commands with
//! `-Parameter value` arguments, and the expressions runbooks pass them — strings (`"…"` with
//! `$var` and `$(…)` expanded, `'…'` literal), numbers, `$true`/`$false`/`$null`, `$var.Member`,
//! `( … )`, `$( … )`, `@( … )`, `@{ k = v; … }` and `a, b` arrays. Lines continue after a
//! backtick; `#` starts a comment. Operators (`-eq`, `+`, …), script blocks and control flow
//! are not part of the subset and are refused by name.

/// A statement: an optional assignment, then a pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub assign: Option<String>,
    pub pipeline: Vec<Element>,
    /// 1-based line, for errors.
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Element {
    Command { name: String, args: Vec<Arg> },
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// `-Name` (and `-Name:value`, with the value attached).
    Param(String, Option<Expr>),
    Value(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Str(String),
    /// `"…"`: literal text and the variables and subexpressions inside it.
    Expandable(Vec<Piece>),
    Int(i64),
    Real(f64),
    Var(String),
    Member(Box<Expr>, String),
    /// `( pipeline )` / `$( statements )` / `@( statements )`.
    Sub(Vec<Statement>, bool),
    Hash(Vec<(String, Expr)>),
    Array(Vec<Expr>),
    /// A bare word in argument position (`eastus`, `get,wrapKey`).
    Bare(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Text(String),
    Var(String),
    Sub(Vec<Statement>),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Var(String),
    Str(String),
    Expandable(String),
    Num(String),
    Word(String),
    Param(String, bool),
    Sym(&'static str),
    Newline,
    Eof,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    line: usize,
    /// Whitespace came before it (`$a.b` is a member, `$a .b` is not).
    spaced: bool,
}

/// A parse error in PowerShell's words, with its line.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0usize, 1usize);
    let mut spaced = true;
    let err = |line, m: &str| ParseError {
        line,
        message: m.to_string(),
    };
    while i < chars.len() {
        let c = chars[i];
        let at = line;
        let push = |out: &mut Vec<Token>, tok, spaced| {
            out.push(Token {
                tok,
                line: at,
                spaced,
            })
        };
        match c {
            '`' if matches!(chars.get(i + 1), Some('\n')) => {
                i += 2;
                line += 1;
                spaced = true;
                continue;
            }
            '`' if matches!(chars.get(i + 1), Some('\r'))
                && matches!(chars.get(i + 2), Some('\n')) =>
            {
                i += 3;
                line += 1;
                spaced = true;
                continue;
            }
            ' ' | '\t' | '\r' => {
                i += 1;
                spaced = true;
                continue;
            }
            '\n' => {
                push(&mut out, Tok::Newline, spaced);
                i += 1;
                line += 1;
                spaced = true;
                continue;
            }
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '<' if chars.get(i + 1) == Some(&'#') => {
                let start = line;
                i += 2;
                while i < chars.len() && !(chars[i] == '#' && chars.get(i + 1) == Some(&'>')) {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
                if i >= chars.len() {
                    return Err(err(start, "Missing closing '#>' of the block comment."));
                }
                i += 2;
                continue;
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                push(&mut out, Tok::Sym("$("), spaced);
                i += 2;
            }
            '@' if chars.get(i + 1) == Some(&'{') => {
                push(&mut out, Tok::Sym("@{"), spaced);
                i += 2;
            }
            '@' if chars.get(i + 1) == Some(&'(') => {
                push(&mut out, Tok::Sym("@("), spaced);
                i += 2;
            }
            '$' if chars.get(i + 1) == Some(&'{') => {
                let close = chars[i + 2..].iter().position(|c| *c == '}');
                let Some(n) = close else {
                    return Err(err(line, "Missing closing '}' in the variable name."));
                };
                let name: String = chars[i + 2..i + 2 + n].iter().collect();
                push(&mut out, Tok::Var(name), spaced);
                i += n + 3;
            }
            '$' => {
                let mut j = i + 1;
                while j < chars.len()
                    && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == ':')
                {
                    j += 1;
                }
                if j == i + 1 {
                    return Err(err(line, "Unexpected '$': a variable name must follow it."));
                }
                let name: String = chars[i + 1..j].iter().collect();
                push(&mut out, Tok::Var(name), spaced);
                i = j;
            }
            '\'' => {
                let mut s = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(err(line, "The string is missing the terminator: '."));
                        }
                        Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                            s.push('\'');
                            j += 2;
                        }
                        Some('\'') => break,
                        Some(c) => {
                            if *c == '\n' {
                                line += 1;
                            }
                            s.push(*c);
                            j += 1;
                        }
                    }
                }
                push(&mut out, Tok::Str(s), spaced);
                i = j + 1;
            }
            '"' => {
                let mut s = String::new();
                let mut j = i + 1;
                let mut depth = 0usize;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(err(line, "The string is missing the terminator: \"."));
                        }
                        Some('`') => {
                            s.push('`');
                            if let Some(n) = chars.get(j + 1) {
                                s.push(*n);
                            }
                            j += 2;
                        }
                        Some('"') if depth == 0 && chars.get(j + 1) == Some(&'"') => {
                            s.push_str("`\"");
                            j += 2;
                        }
                        Some('"') if depth == 0 => break,
                        Some(c) => {
                            if *c == '(' && ((j > 0 && chars[j - 1] == '$') || depth > 0) {
                                depth += 1;
                            } else if *c == ')' && depth > 0 {
                                depth -= 1;
                            }
                            if *c == '\n' {
                                line += 1;
                            }
                            s.push(*c);
                            j += 1;
                        }
                    }
                }
                push(&mut out, Tok::Expandable(s), spaced);
                i = j + 1;
            }
            '-' if chars.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic()) && spaced => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                let name: String = chars[i + 1..j].iter().collect();
                let colon = chars.get(j) == Some(&':');
                push(&mut out, Tok::Param(name, colon), spaced);
                i = if colon { j + 1 } else { j };
            }
            '(' | ')' | '{' | '}' | '|' | ',' | ';' | '=' | '.' | '[' | ']' => {
                let s = match c {
                    '(' => "(",
                    ')' => ")",
                    '{' => "{",
                    '}' => "}",
                    '|' => "|",
                    ',' => ",",
                    ';' => ";",
                    '=' => "=",
                    '.' => ".",
                    '[' => "[",
                    _ => "]",
                };
                push(&mut out, Tok::Sym(s), spaced);
                i += 1;
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                // A number, or (in argument mode) a word that starts with digits, such as a
                // GUID: up to whitespace or a delimiter.
                let mut j = i + 1;
                while j < chars.len()
                    && !chars[j].is_whitespace()
                    && !matches!(
                        chars[j],
                        '(' | ')' | '{' | '}' | '|' | ',' | ';' | '"' | '\'' | '`' | '#' | '='
                    )
                {
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                let tok = if number(&text).is_some() {
                    Tok::Num(text)
                } else {
                    Tok::Word(text)
                };
                push(&mut out, tok, spaced);
                i = j;
            }
            _ => {
                // A bare word: up to whitespace or a delimiter.
                let mut j = i;
                while j < chars.len()
                    && !chars[j].is_whitespace()
                    && !matches!(
                        chars[j],
                        '(' | ')' | '{' | '}' | '|' | ',' | ';' | '"' | '\'' | '`' | '#'
                    )
                {
                    j += 1;
                }
                // A character no rule takes (a lone backtick) is a word of its own, so the
                // lexer always moves on.
                let j = j.max(i + 1);
                let word: String = chars[i..j].iter().collect();
                push(&mut out, Tok::Word(word), spaced);
                i = j;
            }
        }
        spaced = false;
    }
    out.push(Token {
        tok: Tok::Eof,
        line,
        spaced: true,
    });
    Ok(out)
}

/// Parses a script.
pub fn parse(src: &str) -> Result<Vec<Statement>, ParseError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
    };
    let stmts = p.statements(None)?;
    match &p.peek().tok {
        Tok::Eof => Ok(stmts),
        t => Err(p.error(&format!(
            "Unexpected token '{}' in expression or statement.",
            show(t)
        ))),
    }
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Var(v) => format!("${v}"),
        Tok::Str(s) => format!("'{s}'"),
        Tok::Expandable(s) => format!("\"{s}\""),
        Tok::Num(n) | Tok::Word(n) => n.clone(),
        Tok::Param(p, _) => format!("-{p}"),
        Tok::Sym(s) => s.to_string(),
        Tok::Newline => "newline".into(),
        Tok::Eof => "end of input".into(),
    }
}

/// Nesting the parser follows before refusing (the page's stack is small).
const MAX_DEPTH: usize = 40;

struct Parser {
    toks: Vec<Token>,
    i: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn is(&self, s: &str) -> bool {
        matches!(&self.peek().tok, Tok::Sym(x) if *x == s)
    }

    fn error(&self, m: &str) -> ParseError {
        ParseError {
            line: self.peek().line,
            message: m.to_string(),
        }
    }

    fn skip_separators(&mut self) {
        while matches!(self.peek().tok, Tok::Newline) || self.is(";") {
            self.bump();
        }
    }

    /// Statements up to `end` (a closing symbol) or the end of input.
    fn statements(&mut self, end: Option<&str>) -> Result<Vec<Statement>, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("The script nests too deeply."));
        }
        let mut out = Vec::new();
        loop {
            self.skip_separators();
            match (&self.peek().tok, end) {
                (Tok::Eof, _) => break,
                (Tok::Sym(s), Some(e)) if *s == e => break,
                _ => {}
            }
            out.push(self.statement()?);
            match &self.peek().tok {
                Tok::Newline | Tok::Eof => {}
                Tok::Sym(";") => {}
                Tok::Sym(s) if Some(*s) == end => {}
                t => {
                    return Err(self.error(&format!(
                        "Unexpected token '{}' in expression or statement.",
                        show(t)
                    )));
                }
            }
        }
        self.depth -= 1;
        Ok(out)
    }

    fn statement(&mut self) -> Result<Statement, ParseError> {
        let line = self.peek().line;
        if let Tok::Word(w) = &self.peek().tok {
            let lower = w.to_ascii_lowercase();
            if matches!(
                lower.as_str(),
                "if" | "foreach"
                    | "for"
                    | "while"
                    | "do"
                    | "switch"
                    | "function"
                    | "try"
                    | "param"
                    | "return"
            ) {
                return Err(self.error(&format!(
                    "The playground's PowerShell console runs cmdlets, variables and pipelines; '{w}' (control flow and functions) is not supported."
                )));
            }
        }
        let mut assign = None;
        if let Tok::Var(v) = &self.peek().tok
            && matches!(
                self.toks.get(self.i + 1).map(|t| &t.tok),
                Some(Tok::Sym("="))
            )
        {
            assign = Some(v.clone());
            self.bump();
            self.bump();
            while matches!(self.peek().tok, Tok::Newline) {
                self.bump();
            }
        }
        let mut pipeline = vec![self.element()?];
        while self.is("|") {
            self.bump();
            while matches!(self.peek().tok, Tok::Newline) {
                self.bump();
            }
            match &self.peek().tok {
                Tok::Word(_) => pipeline.push(self.element()?),
                _ => {
                    return Err(self.error(
                        "Expressions are only allowed as the first element of a pipeline.",
                    ));
                }
            }
        }
        Ok(Statement {
            assign,
            pipeline,
            line,
        })
    }

    fn element(&mut self) -> Result<Element, ParseError> {
        if let Tok::Word(w) = &self.peek().tok {
            let name = w.clone();
            self.bump();
            let mut args = Vec::new();
            loop {
                match self.peek().tok.clone() {
                    Tok::Newline | Tok::Eof => break,
                    Tok::Sym("|" | ";" | ")" | "}") => break,
                    Tok::Param(p, colon) => {
                        self.bump();
                        let v = if colon { Some(self.value()?) } else { None };
                        args.push(Arg::Param(p, v));
                    }
                    _ => args.push(Arg::Value(self.value()?)),
                }
            }
            return Ok(Element::Command { name, args });
        }
        Ok(Element::Expr(self.value()?))
    }

    /// A primary, or several separated by commas (an array).
    fn value(&mut self) -> Result<Expr, ParseError> {
        let first = self.primary()?;
        if !self.is(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.is(",") {
            self.bump();
            while matches!(self.peek().tok, Tok::Newline) {
                self.bump();
            }
            items.push(self.primary()?);
        }
        Ok(Expr::Array(items))
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let t = self.bump();
        let mut e = match t.tok {
            Tok::Var(v) => Expr::Var(v),
            Tok::Str(s) => Expr::Str(s),
            Tok::Expandable(s) => Expr::Expandable(expand(&s, t.line)?),
            Tok::Num(n) => number(&n).ok_or_else(|| ParseError {
                line: t.line,
                message: format!("'{n}' is not a number."),
            })?,
            Tok::Word(w) => Expr::Bare(w),
            Tok::Sym("(") => {
                let s = self.statements(Some(")"))?;
                if !self.is(")") {
                    return Err(self.error("Missing closing ')' in expression."));
                }
                self.bump();
                Expr::Sub(s, false)
            }
            Tok::Sym("$(") | Tok::Sym("@(") => {
                let s = self.statements(Some(")"))?;
                if !self.is(")") {
                    return Err(self.error("Missing closing ')' in subexpression."));
                }
                self.bump();
                Expr::Sub(s, matches!(t.tok, Tok::Sym("@(")))
            }
            Tok::Sym("@{") => self.hashtable()?,
            Tok::Sym("{") => {
                return Err(ParseError {
                    line: t.line,
                    message:
                        "The playground's PowerShell console does not run script blocks ({ … })."
                            .into(),
                });
            }
            Tok::Param(p, _) => {
                return Err(ParseError {
                    line: t.line,
                    message: format!(
                        "The playground's PowerShell console does not support the '-{p}' operator in expressions."
                    ),
                });
            }
            other => {
                return Err(ParseError {
                    line: t.line,
                    message: format!(
                        "Unexpected token '{}' in expression or statement.",
                        show(&other)
                    ),
                });
            }
        };
        // Members bind without whitespace: `$c.Identity.PrincipalId`.
        while self.is(".") && !self.peek().spaced {
            self.bump();
            match self.bump().tok {
                Tok::Word(w) => {
                    if w.contains('.') {
                        for part in w.split('.') {
                            e = Expr::Member(Box::new(e), part.to_string());
                        }
                    } else {
                        e = Expr::Member(Box::new(e), w);
                    }
                }
                Tok::Var(v) => e = Expr::Member(Box::new(e), v),
                _ => return Err(self.error("Missing property name after the '.' operator.")),
            }
        }
        Ok(e)
    }

    fn hashtable(&mut self) -> Result<Expr, ParseError> {
        let mut pairs = Vec::new();
        loop {
            self.skip_separators();
            if self.is("}") {
                self.bump();
                return Ok(Expr::Hash(pairs));
            }
            let key = match self.bump().tok {
                Tok::Word(w) | Tok::Str(w) | Tok::Num(w) => w,
                Tok::Expandable(s) => s,
                _ => return Err(self.error("Missing key before '=' in hash literal.")),
            };
            if !self.is("=") {
                return Err(self.error("Missing '=' operator after key in hash literal."));
            }
            self.bump();
            while matches!(self.peek().tok, Tok::Newline) {
                self.bump();
            }
            pairs.push((key, self.value()?));
            if matches!(self.peek().tok, Tok::Eof) {
                return Err(
                    self.error("Missing closing '}' in statement block or type definition.")
                );
            }
        }
    }
}

fn number(n: &str) -> Option<Expr> {
    let lower = n.to_ascii_lowercase();
    // PowerShell's size suffixes: 1kb, 2mb, 1gb.
    for (suffix, mult) in [("kb", 1i64 << 10), ("mb", 1 << 20), ("gb", 1 << 30)] {
        if let Some(base) = lower.strip_suffix(suffix) {
            return base
                .parse::<i64>()
                .ok()
                .and_then(|b| b.checked_mul(mult))
                .map(Expr::Int);
        }
    }
    if let Ok(i) = lower.parse::<i64>() {
        return Some(Expr::Int(i));
    }
    lower
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Expr::Real)
}

/// The parts of a `"…"` string: `$name`, `${name}`, `$(…)` expand; `` `n ``, `` `t ``, `` `" ``,
/// `` `$ `` escape. `$name.Prop` expands only `$name`, as PowerShell does.
fn expand(s: &str, line: usize) -> Result<Vec<Piece>, ParseError> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '`' => {
                match chars.get(i + 1) {
                    Some('n') => text.push('\n'),
                    Some('t') => text.push('\t'),
                    Some('r') => text.push('\r'),
                    Some('0') => text.push('\0'),
                    Some(c) => text.push(*c),
                    None => {}
                }
                i += 2;
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                let mut depth = 0;
                let mut j = i + 1;
                while j < chars.len() {
                    match chars[j] {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(ParseError {
                        line,
                        message: "Missing closing ')' in subexpression.".into(),
                    });
                }
                let inner: String = chars[i + 2..j].iter().collect();
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(Piece::Sub(parse(&inner).map_err(|mut e| {
                    e.line = line;
                    e
                })?));
                i = j + 1;
            }
            '$' if chars.get(i + 1) == Some(&'{') => {
                let close = chars[i + 2..].iter().position(|c| *c == '}');
                let Some(n) = close else {
                    text.push('$');
                    i += 1;
                    continue;
                };
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(Piece::Var(chars[i + 2..i + 2 + n].iter().collect()));
                i += n + 3;
            }
            '$' if chars
                .get(i + 1)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_') =>
            {
                let mut j = i + 1;
                while j < chars.len()
                    && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == ':')
                {
                    j += 1;
                }
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(Piece::Var(chars[i + 1..j].iter().collect()));
                i = j;
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parameters_members_and_continuations() {
        let s = parse(
            "$c = Get-AzOperationalInsightsCluster -ResourceGroupName rg `\n  -ClusterName 'c1'\nSet-AzKeyVaultAccessPolicy -VaultName v -ObjectId $c.Identity.PrincipalId -PermissionsToKeys get,wrapKey,unwrapKey -BypassObjectIdValidation:$true",
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].assign.as_deref(), Some("c"));
        let Element::Command { name, args } = &s[1].pipeline[0] else {
            panic!()
        };
        assert_eq!(name, "Set-AzKeyVaultAccessPolicy");
        assert_eq!(
            args[3],
            Arg::Value(Expr::Member(
                Box::new(Expr::Member(
                    Box::new(Expr::Var("c".into())),
                    "Identity".into()
                )),
                "PrincipalId".into()
            ))
        );
        assert_eq!(
            args[5],
            Arg::Value(Expr::Array(vec![
                Expr::Bare("get".into()),
                Expr::Bare("wrapKey".into()),
                Expr::Bare("unwrapKey".into())
            ]))
        );
        assert_eq!(
            args[6],
            Arg::Param(
                "BypassObjectIdValidation".into(),
                Some(Expr::Var("true".into()))
            )
        );
    }

    #[test]
    fn strings_expand_variables_and_subexpressions() {
        let s = parse(r#"Write-Output "id: $id, uri: $($v.VaultUri)/keys, `$not, $a.b""#).unwrap();
        let Element::Command { args, .. } = &s[0].pipeline[0] else {
            panic!()
        };
        let Arg::Value(Expr::Expandable(p)) = &args[0] else {
            panic!()
        };
        assert_eq!(p[0], Piece::Text("id: ".into()));
        assert_eq!(p[1], Piece::Var("id".into()));
        assert!(matches!(p[3], Piece::Sub(_)));
        assert_eq!(p[4], Piece::Text("/keys, $not, ".into()));
        assert_eq!(p[5], Piece::Var("a".into()));
        assert_eq!(p[6], Piece::Text(".b".into()));
    }

    #[test]
    fn refusals_name_what_is_not_supported() {
        assert!(
            parse("if ($x) { Get-AzContext }")
                .unwrap_err()
                .message
                .contains("'if'")
        );
        assert!(
            parse("Get-X | Where-Object { $_.A }")
                .unwrap_err()
                .message
                .contains("script blocks")
        );
        assert!(parse("'open").unwrap_err().message.contains("terminator"));
        assert_eq!(parse("a\n\n'open").unwrap_err().line, 3);
        let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).is_err());
    }
}
