//! The shell part of the in-page consoles: a small, honest subset of a POSIX shell (bash's
//! wording in its errors), shared by any console whose programs it runs (`az` today).
//!
//! What it understands: several commands (newlines, `;`, `&&`, `||`), `\` line continuations,
//! `#` comments, single and double quotes, backslash escapes, `NAME=value` and `export NAME=…`,
//! `$NAME`, `${NAME}` and `$?` in double quotes and bare words, `$(…)` command substitution
//! (stdout captured, trailing newlines trimmed), field splitting of unquoted expansions, and the
//! builtins `echo`, `export`, `unset`, `set -e`/`set +e`, `true`, `false`, `exit`. Anything
//! else a shell would do (pipes, redirections, globs, backticks, loops) is refused by name
//! before anything runs, never approximated. The whole script is parsed first, so a syntax
//! error runs nothing.

use std::collections::BTreeMap;

/// Which stream a piece of output went to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

/// Everything a script printed, in order, and its exit status.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Transcript {
    pub chunks: Vec<(Stream, String)>,
    pub status: i32,
}

impl Transcript {
    fn push(&mut self, stream: Stream, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.chunks.last_mut() {
            Some((s, t)) if *s == stream => t.push_str(text),
            _ => self.chunks.push((stream, text.to_string())),
        }
    }

    /// Both streams, interleaved as a terminal shows them.
    pub fn text(&self) -> String {
        self.chunks.iter().map(|(_, t)| t.as_str()).collect()
    }

    /// What went to one stream.
    pub fn of(&self, stream: Stream) -> String {
        self.chunks
            .iter()
            .filter(|(s, _)| *s == stream)
            .map(|(_, t)| t.as_str())
            .collect()
    }
}

/// A program the shell runs by name (`az`): argv in, its two streams and exit status out.
pub trait Program {
    /// `None` when the program does not know `argv[0]` (the shell says `command not found`).
    fn run(&mut self, argv: &[String], out: &mut String, err: &mut String) -> Option<i32>;
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    /// Literal text; `quoted` text is never split into fields.
    Lit(String, bool),
    Var(String, bool),
    Subst(List, bool),
}

type Word = Vec<Part>;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Then {
    /// `;` or a newline: run the next command whatever happened.
    Always,
    And,
    Or,
}

#[derive(Clone, Debug, PartialEq)]
struct List(Vec<(Vec<Word>, Then)>);

/// A syntax error, worded as bash words it.
fn syntax(msg: impl Into<String>) -> String {
    msg.into()
}

struct Parser<'a> {
    s: &'a [char],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn peek2(&self) -> Option<char> {
        self.s.get(self.i + 1).copied()
    }

    /// A list of commands, up to the end or (inside `$(`) the closing `)`.
    fn list(&mut self, nested: bool) -> Result<List, String> {
        let mut cmds: Vec<(Vec<Word>, Then)> = Vec::new();
        let mut words: Vec<Word> = Vec::new();
        let end_command = |cmds: &mut Vec<(Vec<Word>, Then)>, words: &mut Vec<Word>, then: Then| {
            if !words.is_empty() {
                cmds.push((std::mem::take(words), then));
                Ok(())
            } else if then != Then::Always {
                Err(syntax(format!(
                    "syntax error near unexpected token `{}'",
                    if then == Then::And { "&&" } else { "||" }
                )))
            } else {
                Ok(())
            }
        };
        loop {
            match self.peek() {
                None => {
                    if nested {
                        return Err(syntax("unexpected EOF while looking for matching `)'"));
                    }
                    end_command(&mut cmds, &mut words, Then::Always)?;
                    return Ok(List(cmds));
                }
                Some(')') if nested => {
                    self.i += 1;
                    end_command(&mut cmds, &mut words, Then::Always)?;
                    return Ok(List(cmds));
                }
                Some(' ' | '\t' | '\r') => self.i += 1,
                Some('\\') if self.peek2() == Some('\n') => self.i += 2,
                Some('\n' | ';') => {
                    self.i += 1;
                    end_command(&mut cmds, &mut words, Then::Always)?;
                }
                Some('#') => {
                    while !matches!(self.peek(), None | Some('\n')) {
                        self.i += 1;
                    }
                }
                Some('&') if self.peek2() == Some('&') => {
                    self.i += 2;
                    end_command(&mut cmds, &mut words, Then::And)?;
                }
                Some('|') if self.peek2() == Some('|') => {
                    self.i += 2;
                    end_command(&mut cmds, &mut words, Then::Or)?;
                }
                Some(c @ ('|' | '&' | '<' | '>' | '(' | ')' | '`')) => {
                    return Err(syntax(format!(
                        "`{c}' ({}) is not supported by this console",
                        match c {
                            '|' => "pipes",
                            '&' => "background jobs",
                            '<' | '>' => "redirections",
                            '`' => "backtick substitution; use $(…)",
                            _ => "subshells",
                        }
                    )));
                }
                Some(_) => words.push(self.word()?),
            }
        }
        // A dangling `&&`/`||` at the end is an error too (checked when the next command ends).
    }

    fn word(&mut self) -> Result<Word, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let flush = |lit: &mut String, parts: &mut Vec<Part>| {
            if !lit.is_empty() {
                parts.push(Part::Lit(std::mem::take(lit), false));
            }
        };
        loop {
            match self.peek() {
                None
                | Some(' ' | '\t' | '\r' | '\n' | ';' | '|' | '&' | '<' | '>' | '(' | ')' | '`') => {
                    break;
                }
                Some('\\') => match self.peek2() {
                    Some('\n') => self.i += 2,
                    Some(c) => {
                        lit.push(c);
                        self.i += 2;
                    }
                    None => self.i += 1,
                },
                Some('\'') => {
                    flush(&mut lit, &mut parts);
                    self.i += 1;
                    let start = self.i;
                    while self.peek() != Some('\'') {
                        if self.peek().is_none() {
                            return Err(syntax("unexpected EOF while looking for matching `''"));
                        }
                        self.i += 1;
                    }
                    parts.push(Part::Lit(self.s[start..self.i].iter().collect(), true));
                    self.i += 1;
                }
                Some('"') => {
                    flush(&mut lit, &mut parts);
                    self.i += 1;
                    self.double_quoted(&mut parts)?;
                }
                Some('$') => {
                    flush(&mut lit, &mut parts);
                    match self.dollar(false)? {
                        Some(p) => parts.push(p),
                        None => lit.push('$'),
                    }
                }
                Some('#') if lit.is_empty() && parts.is_empty() => break,
                Some(c) => {
                    lit.push(c);
                    self.i += 1;
                }
            }
        }
        flush(&mut lit, &mut parts);
        if parts.is_empty() {
            // Only a continuation: no word at all.
            parts.push(Part::Lit(String::new(), false));
        }
        Ok(parts)
    }

    fn double_quoted(&mut self, parts: &mut Vec<Part>) -> Result<(), String> {
        let mut lit = String::new();
        // `""` is an empty field, not nothing.
        parts.push(Part::Lit(String::new(), true));
        loop {
            match self.peek() {
                None => {
                    return Err(syntax("unexpected EOF while looking for matching `\"'"));
                }
                Some('"') => {
                    self.i += 1;
                    break;
                }
                Some('\\') => match self.peek2() {
                    Some(c @ ('"' | '\\' | '$' | '`')) => {
                        lit.push(c);
                        self.i += 2;
                    }
                    Some('\n') => self.i += 2,
                    _ => {
                        lit.push('\\');
                        self.i += 1;
                    }
                },
                Some('`') => {
                    return Err(syntax(
                        "``' (backtick substitution; use $(…)) is not supported by this console",
                    ));
                }
                Some('$') => {
                    let before = self.i;
                    match self.dollar(true)? {
                        Some(p) => {
                            if !lit.is_empty() {
                                parts.push(Part::Lit(std::mem::take(&mut lit), true));
                            }
                            parts.push(p);
                        }
                        None => {
                            debug_assert_eq!(self.i, before + 1);
                            lit.push('$');
                        }
                    }
                }
                Some(c) => {
                    lit.push(c);
                    self.i += 1;
                }
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit, true));
        }
        Ok(())
    }

    /// At a `$`: a variable, `$?`, `${NAME}` or `$(…)`; `None` for a literal `$`.
    fn dollar(&mut self, quoted: bool) -> Result<Option<Part>, String> {
        self.i += 1;
        match self.peek() {
            Some('(') => {
                self.i += 1;
                if self.peek() == Some('(') {
                    return Err(syntax(
                        "`$((' (arithmetic) is not supported by this console",
                    ));
                }
                Ok(Some(Part::Subst(self.list(true)?, quoted)))
            }
            Some('{') => {
                self.i += 1;
                let start = self.i;
                while !matches!(self.peek(), None | Some('}')) {
                    self.i += 1;
                }
                if self.peek().is_none() {
                    return Err(syntax("unexpected EOF while looking for matching `}'"));
                }
                let name: String = self.s[start..self.i].iter().collect();
                self.i += 1;
                if !is_name(&name) && name != "?" {
                    return Err(format!("${{{name}}}: bad substitution"));
                }
                Ok(Some(Part::Var(name, quoted)))
            }
            Some('?') => {
                self.i += 1;
                Ok(Some(Part::Var("?".into(), quoted)))
            }
            Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                let start = self.i;
                while self
                    .peek()
                    .is_some_and(|c| c == '_' || c.is_ascii_alphanumeric())
                {
                    self.i += 1;
                }
                Ok(Some(Part::Var(
                    self.s[start..self.i].iter().collect(),
                    quoted,
                )))
            }
            _ => Ok(None),
        }
    }
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// How deep `$(…)` may nest: a script is typed by a person, and each level is a recursion.
const MAX_DEPTH: usize = 16;

/// The shell's state between scripts: its variables (the page keeps one per tab).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shell {
    pub vars: BTreeMap<String, String>,
    status: i32,
    errexit: bool,
}

/// Stop the script: `exit`, or a failure under `set -e`.
struct Exit;

impl Shell {
    /// A shell with these variables set.
    pub fn with_vars(vars: impl IntoIterator<Item = (String, String)>) -> Shell {
        Shell {
            vars: vars.into_iter().collect(),
            ..Default::default()
        }
    }

    /// Runs a script, printing into a transcript.
    pub fn run(&mut self, script: &str, prog: &mut dyn Program) -> Transcript {
        let chars: Vec<char> = script.chars().collect();
        let mut t = Transcript::default();
        match (Parser { s: &chars, i: 0 }).list(false) {
            Err(e) => {
                t.push(Stream::Err, &format!("bash: {e}\n"));
                self.status = 2;
            }
            Ok(list) => {
                let mut sink = Sink {
                    t: &mut t,
                    capture: None,
                };
                let _ = self.list(&list, prog, &mut sink, 0);
            }
        }
        t.status = self.status;
        t
    }

    fn list(
        &mut self,
        list: &List,
        prog: &mut dyn Program,
        sink: &mut Sink,
        depth: usize,
    ) -> Result<(), Exit> {
        let mut skip = false;
        for (words, then) in &list.0 {
            if !skip {
                self.command(words, prog, sink, depth)?;
                if self.errexit && self.status != 0 && *then == Then::Always {
                    return Err(Exit);
                }
            }
            skip = match then {
                Then::Always => false,
                Then::And => self.status != 0,
                Then::Or => self.status == 0,
            };
        }
        Ok(())
    }

    fn command(
        &mut self,
        words: &[Word],
        prog: &mut dyn Program,
        sink: &mut Sink,
        depth: usize,
    ) -> Result<(), Exit> {
        // Leading NAME=value words are assignments.
        let mut i = 0;
        let mut assigned = false;
        while let Some((name, value)) = words.get(i).and_then(assignment) {
            let v = self.expand_joined(&value, prog, sink, depth)?;
            self.vars.insert(name, v);
            assigned = true;
            i += 1;
        }
        if i == words.len() {
            if assigned && !matches!(words.last(), Some(w) if has_subst(w)) {
                self.status = 0;
            }
            return Ok(());
        }
        if let Some(Part::Lit(first, false)) = words[i].first() {
            if first == "export" && words[i].len() == 1 {
                for w in &words[i + 1..] {
                    if let Some((name, value)) = assignment(w) {
                        let v = self.expand_joined(&value, prog, sink, depth)?;
                        self.vars.insert(name, v);
                    } else {
                        let name = self.expand_joined(w, prog, sink, depth)?;
                        if !is_name(&name) {
                            sink.err(&format!("bash: export: `{name}': not a valid identifier\n"));
                            self.status = 1;
                            return Ok(());
                        }
                        self.vars.entry(name).or_default();
                    }
                }
                self.status = 0;
                return Ok(());
            }
        }
        let mut argv = Vec::new();
        for w in &words[i..] {
            argv.extend(self.expand(w, prog, sink, depth)?);
        }
        let Some(name) = argv.first().cloned() else {
            return Ok(());
        };
        let (mut out, mut err) = (String::new(), String::new());
        let status = match name.as_str() {
            "echo" => {
                let (newline, args) = match argv.get(1).map(String::as_str) {
                    Some("-n") => (false, &argv[2..]),
                    _ => (true, &argv[1..]),
                };
                out.push_str(&args.join(" "));
                if newline {
                    out.push('\n');
                }
                0
            }
            "true" => 0,
            "false" => 1,
            "unset" => {
                for n in &argv[1..] {
                    self.vars.remove(n);
                }
                0
            }
            "set" => match argv.get(1).map(String::as_str) {
                Some("-e") => {
                    self.errexit = true;
                    0
                }
                Some("+e") => {
                    self.errexit = false;
                    0
                }
                _ => {
                    err.push_str(
                        "bash: set: only `set -e' and `set +e' are supported by this console\n",
                    );
                    2
                }
            },
            "exit" => {
                let code = match argv.get(1) {
                    None => self.status,
                    Some(n) => n.parse::<i64>().map_or(2, |n| n.rem_euclid(256) as i32),
                };
                self.status = code;
                return Err(Exit);
            }
            _ => match prog.run(&argv, &mut out, &mut err) {
                Some(s) => s,
                None => {
                    err.push_str(&format!("bash: {name}: command not found\n"));
                    127
                }
            },
        };
        sink.out(&out);
        sink.err(&err);
        self.status = status;
        Ok(())
    }

    /// A word's fields: quoted parts stay whole, unquoted expansions split on whitespace.
    fn expand(
        &mut self,
        w: &Word,
        prog: &mut dyn Program,
        sink: &mut Sink,
        depth: usize,
    ) -> Result<Vec<String>, Exit> {
        let (mut fields, mut cur, mut have) = (Vec::new(), String::new(), false);
        for p in w {
            let (text, quoted, split) = match p {
                Part::Lit(s, q) => (s.clone(), *q, false),
                Part::Var(n, q) => (self.var(n), *q, !*q),
                Part::Subst(l, q) => (self.substitute(l, prog, sink, depth)?, *q, !*q),
            };
            if !split {
                cur.push_str(&text);
                have |= quoted || !text.is_empty();
                continue;
            }
            for c in text.chars() {
                if matches!(c, ' ' | '\t' | '\n') {
                    if have {
                        fields.push(std::mem::take(&mut cur));
                        have = false;
                    }
                } else {
                    cur.push(c);
                    have = true;
                }
            }
        }
        if have {
            fields.push(cur);
        }
        Ok(fields)
    }

    /// A word as one string (assignments: no field splitting).
    fn expand_joined(
        &mut self,
        w: &Word,
        prog: &mut dyn Program,
        sink: &mut Sink,
        depth: usize,
    ) -> Result<String, Exit> {
        let mut s = String::new();
        for p in w {
            match p {
                Part::Lit(t, _) => s.push_str(t),
                Part::Var(n, _) => s.push_str(&self.var(n)),
                Part::Subst(l, _) => s.push_str(&self.substitute(l, prog, sink, depth)?),
            }
        }
        Ok(s)
    }

    fn var(&self, name: &str) -> String {
        if name == "?" {
            return self.status.to_string();
        }
        self.vars.get(name).cloned().unwrap_or_default()
    }

    /// `$(…)`: runs the list, capturing stdout (trailing newlines trimmed); stderr still shows.
    fn substitute(
        &mut self,
        l: &List,
        prog: &mut dyn Program,
        sink: &mut Sink,
        depth: usize,
    ) -> Result<String, Exit> {
        if depth >= MAX_DEPTH {
            sink.err(&format!(
                "bash: command substitution nested more than {MAX_DEPTH} deep\n"
            ));
            self.status = 1;
            return Ok(String::new());
        }
        let mut captured = String::new();
        let mut inner = Sink {
            t: sink.t,
            capture: Some(&mut captured),
        };
        // `exit` inside `$(…)` leaves only the substitution, as in a subshell.
        let errexit = self.errexit;
        let _ = self.list(l, prog, &mut inner, depth + 1);
        self.errexit = errexit;
        while captured.ends_with('\n') {
            captured.pop();
        }
        Ok(captured)
    }
}

fn has_subst(w: &Word) -> bool {
    w.iter().any(|p| matches!(p, Part::Subst(..)))
}

/// `NAME=rest` when the word starts with an unquoted `NAME=`.
fn assignment(w: &Word) -> Option<(String, Word)> {
    let Some(Part::Lit(first, false)) = w.first() else {
        return None;
    };
    let (name, rest) = first.split_once('=')?;
    if !is_name(name) {
        return None;
    }
    let mut value = vec![Part::Lit(rest.to_string(), true)];
    value.extend(w[1..].iter().cloned());
    Some((name.to_string(), value))
}

/// Where output goes: the transcript, or (stdout inside `$(…)`) a capture buffer.
struct Sink<'a> {
    t: &'a mut Transcript,
    capture: Option<&'a mut String>,
}

impl Sink<'_> {
    fn out(&mut self, s: &str) {
        match self.capture.as_deref_mut() {
            Some(c) => c.push_str(s),
            None => self.t.push(Stream::Out, s),
        }
    }

    fn err(&mut self, s: &str) {
        self.t.push(Stream::Err, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prints its arguments one per line as `<arg>`, so the tests see field boundaries.
    struct Args;
    impl Program for Args {
        fn run(&mut self, argv: &[String], out: &mut String, err: &mut String) -> Option<i32> {
            match argv[0].as_str() {
                "args" => {
                    for a in &argv[1..] {
                        out.push_str(&format!("<{a}>\n"));
                    }
                    Some(0)
                }
                "fail" => {
                    err.push_str("failed\n");
                    Some(3)
                }
                _ => None,
            }
        }
    }

    fn run(script: &str) -> Transcript {
        Shell::default().run(script, &mut Args)
    }

    #[test]
    fn quotes_continuations_comments_and_variables() {
        let t = run("X='a b'  # a comment\nargs \"$X\" $X '$X' \\\n  \"${X}c\" x\\ y \"\" # end");
        assert_eq!(t.text(), "<a b>\n<a>\n<b>\n<$X>\n<a bc>\n<x y>\n<>\n");
        assert_eq!(t.status, 0);
    }

    #[test]
    fn command_substitution_captures_stdout_and_trims_newlines() {
        let t = run("export ID=$(args one)\nargs \"$ID\" $(fail) \"$(echo -n x; echo y)\"");
        assert_eq!(t.of(Stream::Out), "<<one>>\n<xy>\n");
        assert_eq!(t.of(Stream::Err), "failed\n");
    }

    #[test]
    fn status_and_lists() {
        let t = run("fail && args no || args yes; echo $?; nothing");
        assert_eq!(t.of(Stream::Out), "<yes>\n0\n");
        assert!(
            t.of(Stream::Err)
                .ends_with("bash: nothing: command not found\n")
        );
        assert_eq!(t.status, 127);
        let t = run("set -e\nfail\nargs never");
        assert_eq!((t.of(Stream::Out).as_str(), t.status), ("", 3));
        assert_eq!(run("exit 4; args never").status, 4);
    }

    #[test]
    fn unsupported_syntax_runs_nothing() {
        for (script, says) in [
            ("args a | args b", "pipes"),
            ("args a > f", "redirections"),
            ("args 'open", "matching `''"),
            ("args \"open", "matching `\"'"),
            ("args $(args a", "matching `)'"),
            ("args ${X:-y}", "bad substitution"),
            ("&& args a", "unexpected token `&&'"),
        ] {
            let t = run(script);
            assert_eq!(t.status, 2, "{script}");
            assert!(t.of(Stream::Err).contains(says), "{script}: {:?}", t.text());
            assert_eq!(t.of(Stream::Out), "", "{script}");
        }
    }

    #[test]
    fn no_input_panics() {
        for s in [
            "\\", "$", "${", "$(", "\"\\", "'", "#", "a=", "=a", "$((1))", ")", "\\\n",
        ] {
            let _ = run(s);
        }
    }
}
