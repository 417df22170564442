//! Query text to tokens, each with the line and position Log Analytics reports in errors.
//!
//! The lexer never fails: text it cannot read becomes a [`Tok::Bad`] token followed by the end.
//! The parser reports it only if it gets that far, so an earlier syntax error wins, as it does in
//! the service (the service parses left to right, it does not lex the whole text first).
//! `datetime(…)` and `timespan(…)` are literals whose insides are not tokens (`2026-03-02` is not
//! arithmetic), so the lexer reads them whole.

use super::Pos;
use crate::engine::clock::days_from_civil;

/// One token kind. Keywords are identifiers: KQL keywords are contextual.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// `name`, also the compound words `project-away`, `project-rename` (and the hyphenated
    /// operators the subset refuses by name, such as `mv-expand`) and `in~`.
    Ident(String),
    /// `['name with spaces']` or `["name"]`.
    Quoted(String),
    Str(String),
    Long(i64),
    Real(f64),
    /// `1d`, `30m`, `timespan(…)`; `None` is `timespan(null)`. Milliseconds.
    TimeSpan(Option<i64>),
    /// `datetime(…)`; `None` is `datetime(null)`. Milliseconds since the Unix epoch.
    DateTime(Option<i64>),
    /// `dynamic(…)` as canonical JSON text; `None` is `dynamic(null)`.
    Dynamic(Option<String>),
    /// `!contains`, `!has`, `!in`, `!in~`, …: `!` glued to a word.
    Bang(String),
    /// Punctuation and operators: `| , ( ) = == != < <= > >= =~ !~ + - * / %`.
    Sym(&'static str),
    /// Text the lexer cannot read; the parser reports it as the offending token.
    Bad,
    Eof,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub at: Pos,
    /// The token's source text, as quoted in syntax errors.
    pub text: String,
}

/// Splits `src` into tokens; the last one is always [`Tok::Eof`].
pub fn lex(src: &str) -> Vec<Token> {
    let mut lx = Lexer {
        src,
        i: 0,
        line: 1,
        col: 0,
    };
    let mut out = Vec::new();
    loop {
        lx.skip_trivia();
        let at = lx.pos();
        let start = lx.i;
        let Some(c) = lx.peek(0) else {
            out.push(Token {
                tok: Tok::Eof,
                at,
                text: String::new(),
            });
            return out;
        };
        let tok = lx.token(c);
        let bad = tok == Tok::Bad;
        out.push(Token {
            tok,
            at,
            text: src[start..lx.i].to_string(),
        });
        if bad {
            out.push(Token {
                tok: Tok::Eof,
                at: lx.pos(),
                text: String::new(),
            });
            return out;
        }
    }
}

struct Lexer<'a> {
    src: &'a str,
    /// Byte offset of the next character.
    i: usize,
    line: usize,
    /// Characters since the start of the line.
    col: usize,
}

impl<'a> Lexer<'a> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            pos: self.col,
        }
    }

    fn peek(&self, n: usize) -> Option<char> {
        self.src[self.i..].chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.src[self.i..].chars().next()?;
        self.i += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.col = 0;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek(0) == Some(c) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn skip_trivia(&mut self) {
        loop {
            match self.peek(0) {
                Some(c) if c.is_whitespace() => {
                    self.bump();
                }
                Some('/') if self.peek(1) == Some('/') => {
                    while !matches!(self.peek(0), None | Some('\n')) {
                        self.bump();
                    }
                }
                _ => return,
            }
        }
    }

    fn word(&mut self) -> &'a str {
        let start = self.i;
        while matches!(self.peek(0), Some(c) if c.is_ascii_alphanumeric() || c == '_') {
            self.bump();
        }
        &self.src[start..self.i]
    }

    fn token(&mut self, c: char) -> Tok {
        match c {
            'a'..='z' | 'A'..='Z' | '_' => self.ident(),
            '0'..='9' => self.number(),
            '"' | '\'' => match self.string() {
                Some(s) => Tok::Str(s),
                None => Tok::Bad,
            },
            '@' if matches!(self.peek(1), Some('"' | '\'')) => {
                self.bump();
                match self.verbatim() {
                    Some(s) => Tok::Str(s),
                    None => Tok::Bad,
                }
            }
            '[' => self.bracketed(),
            // `$left.key` / `$right.key` in join conditions.
            '$' if matches!(self.peek(1), Some(c) if c.is_ascii_alphabetic()) => {
                self.bump();
                Tok::Ident(format!("${}", self.word()))
            }
            '!' => {
                self.bump();
                match self.peek(0) {
                    Some('=') => {
                        self.bump();
                        Tok::Sym("!=")
                    }
                    Some('~') => {
                        self.bump();
                        Tok::Sym("!~")
                    }
                    Some(c) if c.is_ascii_alphabetic() => {
                        let mut w = self.word().to_string();
                        if w == "in" && self.eat('~') {
                            w.push('~');
                        }
                        Tok::Bang(w)
                    }
                    _ => Tok::Bad,
                }
            }
            '=' => {
                self.bump();
                if self.eat('=') {
                    Tok::Sym("==")
                } else if self.eat('~') {
                    Tok::Sym("=~")
                } else {
                    Tok::Sym("=")
                }
            }
            '<' => {
                self.bump();
                if self.eat('=') {
                    Tok::Sym("<=")
                } else {
                    Tok::Sym("<")
                }
            }
            '>' => {
                self.bump();
                if self.eat('=') {
                    Tok::Sym(">=")
                } else {
                    Tok::Sym(">")
                }
            }
            _ => {
                self.bump();
                match c {
                    '|' => Tok::Sym("|"),
                    ',' => Tok::Sym(","),
                    '(' => Tok::Sym("("),
                    ')' => Tok::Sym(")"),
                    '+' => Tok::Sym("+"),
                    '-' => Tok::Sym("-"),
                    '*' => Tok::Sym("*"),
                    '/' => Tok::Sym("/"),
                    '%' => Tok::Sym("%"),
                    // `between (a .. b)`'s range.
                    '.' if self.eat('.') => Tok::Sym(".."),
                    // Dynamic member access (`d.name`).
                    '.' => Tok::Sym("."),
                    ']' => Tok::Sym("]"),
                    ':' => Tok::Sym(":"),
                    ';' => Tok::Sym(";"),
                    _ => Tok::Bad,
                }
            }
        }
    }

    fn ident(&mut self) -> Tok {
        let w = self.word().to_string();
        match w.as_str() {
            "datetime" | "timespan" | "time" if self.next_non_space() == Some('(') => {
                self.typed_literal(w == "datetime")
            }
            "dynamic" if self.next_non_space() == Some('(') => self.dynamic_literal(),
            "in" if self.peek(0) == Some('~') => {
                self.bump();
                Tok::Ident("in~".into())
            }
            // Hyphenated operator names are single words in KQL: `project-away` and
            // `project-rename` (which the subset runs), and the ones it refuses by name.
            "project" | "mv" | "make" | "parse" | "top" | "sample" if self.peek(0) == Some('-') => {
                let rest = &self.src[self.i + 1..];
                let suffixes: &[&str] = match w.as_str() {
                    "project" => &["away", "rename", "keep", "reorder"],
                    "mv" => &["expand", "apply"],
                    "make" => &["series"],
                    "parse" => &["where", "kv"],
                    "top" => &["nested", "hitters"],
                    _ => &["distinct"],
                };
                let suffix = suffixes.iter().find(|s| {
                    rest.starts_with(*s)
                        && !rest[s.len()..]
                            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                });
                match suffix {
                    Some(s) => {
                        for _ in 0..=s.len() {
                            self.bump();
                        }
                        Tok::Ident(format!("{w}-{s}"))
                    }
                    None => Tok::Ident(w),
                }
            }
            _ => Tok::Ident(w),
        }
    }

    fn next_non_space(&self) -> Option<char> {
        self.src[self.i..].chars().find(|c| !c.is_whitespace())
    }

    /// `datetime(…)` / `timespan(…)` after the keyword: the contents are read raw (or as one
    /// quoted string) up to the closing parenthesis.
    fn typed_literal(&mut self, datetime: bool) -> Tok {
        self.skip_trivia();
        self.bump(); // '('
        self.skip_trivia();
        let content = match self.peek(0) {
            Some('"' | '\'') => match self.string() {
                Some(s) => s,
                None => return Tok::Bad,
            },
            _ => {
                let start = self.i;
                while !matches!(self.peek(0), None | Some(')' | '\n')) {
                    self.bump();
                }
                self.src[start..self.i].trim().to_string()
            }
        };
        self.skip_trivia();
        if !self.eat(')') {
            return Tok::Bad;
        }
        let content = content.trim();
        if content == "null" {
            return if datetime {
                Tok::DateTime(None)
            } else {
                Tok::TimeSpan(None)
            };
        }
        let value = if datetime {
            parse_datetime(content)
        } else {
            parse_timespan(content)
        };
        match value {
            Some(ms) if datetime => Tok::DateTime(Some(ms)),
            Some(ms) => Tok::TimeSpan(Some(ms)),
            None => Tok::Bad,
        }
    }

    /// `dynamic(…)`: JSON (or `null`) up to the matching parenthesis, kept as canonical JSON text.
    fn dynamic_literal(&mut self) -> Tok {
        self.skip_trivia();
        self.bump(); // '('
        let start = self.i;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        loop {
            match (self.peek(0), quote) {
                (None, _) => return Tok::Bad,
                (Some('\\'), Some(_)) => {
                    self.bump();
                }
                (Some(c), Some(q)) if c == q => quote = None,
                (Some(_), Some(_)) => {}
                (Some(c @ ('"' | '\'')), None) => quote = Some(c),
                (Some('(' | '[' | '{'), None) => depth += 1,
                (Some(')'), None) if depth == 0 => break,
                (Some(')' | ']' | '}'), None) => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.bump();
        }
        let content = self.src[start..self.i].trim().to_string();
        self.bump(); // ')'
        match serde_json::from_str::<serde_json::Value>(&double_quoted(&content)) {
            Ok(serde_json::Value::Null) => Tok::Dynamic(None),
            Ok(v) => Tok::Dynamic(Some(v.to_string())),
            Err(_) => Tok::Bad,
        }
    }

    fn number(&mut self) -> Tok {
        let start = self.i;
        if self.peek(0) == Some('0') && matches!(self.peek(1), Some('x' | 'X')) {
            if !matches!(self.peek(2), Some(c) if c.is_ascii_hexdigit()) {
                self.word();
                return Tok::Bad;
            }
            self.bump();
            self.bump();
            let digits = self.word();
            return match i64::from_str_radix(digits, 16) {
                Ok(n) => Tok::Long(n),
                Err(_) => Tok::Bad,
            };
        }
        let digits = |lx: &mut Self| {
            while matches!(lx.peek(0), Some(c) if c.is_ascii_digit()) {
                lx.bump();
            }
        };
        digits(self);
        let mut real = false;
        if self.peek(0) == Some('.') && matches!(self.peek(1), Some(c) if c.is_ascii_digit()) {
            self.bump();
            digits(self);
            real = true;
        }
        if matches!(self.peek(0), Some('e' | 'E')) {
            let exp = match self.peek(1) {
                Some(c) if c.is_ascii_digit() => true,
                Some('+' | '-') => matches!(self.peek(2), Some(c) if c.is_ascii_digit()),
                _ => false,
            };
            if exp {
                self.bump();
                if matches!(self.peek(0), Some('+' | '-')) {
                    self.bump();
                }
                digits(self);
                real = true;
            }
        }
        let number = &self.src[start..self.i];
        if matches!(self.peek(0), Some(c) if c.is_ascii_alphabetic() || c == '_') {
            let number = number.to_string();
            let unit = self.word().to_string();
            return match timespan_ms(&number, &unit) {
                Some(ms) => Tok::TimeSpan(Some(ms)),
                None => Tok::Bad,
            };
        }
        if real {
            match number.parse::<f64>() {
                Ok(f) if f.is_finite() => Tok::Real(f),
                _ => Tok::Bad,
            }
        } else {
            match number.parse::<i64>() {
                Ok(n) => Tok::Long(n),
                Err(_) => Tok::Bad,
            }
        }
    }

    /// A quoted string with backslash escapes; `None` if it is unterminated or has a bad escape.
    fn string(&mut self) -> Option<String> {
        let quote = self.bump()?;
        let mut out = String::new();
        loop {
            // A string ends on its line: the newline is not part of the bad token.
            if self.peek(0) == Some('\n') {
                return None;
            }
            match self.bump()? {
                c if c == quote => return Some(out),
                '\\' => out.push(match self.bump()? {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '0' => '\0',
                    c @ ('\\' | '\'' | '"') => c,
                    'u' => {
                        let mut code = 0u32;
                        for _ in 0..4 {
                            code = code * 16 + self.bump()?.to_digit(16)?;
                        }
                        char::from_u32(code)?
                    }
                    _ => return None,
                }),
                c => out.push(c),
            }
        }
    }

    /// `@"…"`: no escapes; a doubled quote stands for one quote.
    fn verbatim(&mut self) -> Option<String> {
        let quote = self.bump()?;
        let mut out = String::new();
        loop {
            if self.peek(0) == Some('\n') {
                return None;
            }
            match self.bump()? {
                c if c == quote => {
                    if self.peek(0) == Some(quote) {
                        self.bump();
                        out.push(quote);
                    } else {
                        return Some(out);
                    }
                }
                c => out.push(c),
            }
        }
    }

    /// `['name']`; anything else after `[` is not part of the subset.
    fn bracketed(&mut self) -> Tok {
        let saved = (self.i, self.line, self.col);
        self.bump();
        self.skip_trivia();
        let name = match self.peek(0) {
            Some('"' | '\'') => self.string(),
            Some('@') if matches!(self.peek(1), Some('"' | '\'')) => {
                self.bump();
                self.verbatim()
            }
            _ => None,
        };
        self.skip_trivia();
        match name {
            Some(name) if self.eat(']') => Tok::Quoted(name),
            _ => {
                // Not `['name']`: a plain bracket (`dynamic[0]`, `datatable(...) [ ... ]`).
                (self.i, self.line, self.col) = saved;
                self.bump();
                Tok::Sym("[")
            }
        }
    }
}

/// KQL's dynamic literals may quote strings with `'`: the same text with `"` quotes (JSON).
fn double_quoted(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut quote: Option<char> = None;
    let mut chars = src.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push('"');
            }
            (Some(q), '\\') => match chars.next() {
                Some('\'') if q == '\'' => out.push('\''),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            (Some(q), c) if c == q => {
                quote = None;
                out.push('"');
            }
            (Some('\''), '"') => out.push_str("\\\""),
            (_, c) => out.push(c),
        }
    }
    out
}

/// Milliseconds in one `unit` of a timespan literal (`1d`, `2h`, `30m`, `10s`, `100ms`, …).
fn unit_ms(unit: &str) -> Option<f64> {
    Some(match unit {
        "d" | "day" | "days" => 86_400_000.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600_000.0,
        "m" | "min" | "minute" | "minutes" => 60_000.0,
        "s" | "sec" | "second" | "seconds" => 1000.0,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1.0,
        "microsecond" | "microseconds" => 0.001,
        "tick" | "ticks" => 0.0001,
        _ => return None,
    })
}

/// `number` `unit` as milliseconds (rounded: the engine keeps millisecond precision).
fn timespan_ms(number: &str, unit: &str) -> Option<i64> {
    let per = unit_ms(unit)?;
    if let (Ok(n), true) = (number.parse::<i64>(), per >= 1.0) {
        return n.checked_mul(per as i64);
    }
    let ms = (number.parse::<f64>().ok()? * per).round();
    // Within i64 range with room to spare; 2^62 ms is far beyond any real timespan.
    (ms.is_finite() && ms.abs() < 4.6e18).then_some(ms as i64)
}

/// Parses the inside of `timespan(…)`: `1d`/`1.5h` forms or `[-][d.]hh:mm[:ss[.fffffff]]`.
pub fn parse_timespan(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, s),
    };
    let ms = unit_or_clock(body)?;
    Some(if neg { -ms } else { ms })
}

fn unit_or_clock(body: &str) -> Option<i64> {
    let split = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    if split > 0 && split < body.len() && body[split..].bytes().all(|b| b.is_ascii_alphabetic()) {
        return timespan_ms(&body[..split], &body[split..]);
    }
    let parts: Vec<&str> = body.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let num = |t: &str| -> Option<i64> {
        if t.is_empty() || t.len() > 9 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (days, hours) = match parts[0].split_once('.') {
        Some((d, h)) => (num(d)?, num(h)?),
        None => (0, num(parts[0])?),
    };
    let minutes = num(parts[1])?;
    let (secs, frac_ms) = match parts.get(2) {
        None => (0, 0),
        Some(p) => match p.split_once('.') {
            Some((sec, frac)) => (num(sec)?, fraction_ms(frac)?),
            None => (num(p)?, 0),
        },
    };
    if hours > 23 || minutes > 59 || secs > 59 {
        return None;
    }
    let ms = days
        .checked_mul(86_400_000)?
        .checked_add(hours * 3_600_000 + minutes * 60_000 + secs * 1000 + frac_ms)?;
    Some(ms)
}

/// Digits after the decimal point of a seconds field, as milliseconds (truncated).
fn fraction_ms(frac: &str) -> Option<i64> {
    if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut ms = 0;
    for (i, b) in frac.bytes().take(3).enumerate() {
        ms += i64::from(b - b'0') * [100, 10, 1][i];
    }
    Some(ms)
}

/// Parses `YYYY-MM-DD[(T| )HH:MM[:SS[.fffffff]]][Z|±HH:MM]` to milliseconds since the epoch.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    let mut ms = 0i64;
    let mut rest = &s[10..];
    if let Some(r) = rest.strip_prefix(['T', 't', ' ']) {
        let rb = r.as_bytes();
        let field = |r2: std::ops::Range<usize>| -> Option<i64> {
            let part = r.get(r2)?;
            if part.len() != 2 || !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let h = field(0..2)?;
        if rb.get(2) != Some(&b':') {
            return None;
        }
        let mi = field(3..5)?;
        let mut used = 5;
        let mut sec = 0;
        let mut frac = 0;
        if rb.get(5) == Some(&b':') {
            sec = field(6..8)?;
            used = 8;
            if rb.get(8) == Some(&b'.') {
                let n = r[9..].bytes().take_while(|c| c.is_ascii_digit()).count();
                frac = fraction_ms(&r[9..9 + n])?;
                used = 9 + n;
            }
        }
        if h > 23 || mi > 59 || sec > 59 {
            return None;
        }
        ms = (h * 3600 + mi * 60 + sec) * 1000 + frac;
        rest = &r[used..];
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        o if (o.starts_with('+') || o.starts_with('-'))
            && o.len() == 6
            && o.as_bytes()[3] == b':' =>
        {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let oh = num_str(o.get(1..3)?)?;
            let om = num_str(o.get(4..6)?)?;
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60) * 1000
        }
        _ => return None,
    };
    Some(days_from_civil(y, mo as u32, d as u32) * 86_400_000 + ms - offset)
}

fn num_str(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}
