//! Collects every text written with `prose!("…")` in `src/` into `$OUT_DIR/prose_literals.rs`, so
//! the engine can hand the page all its texts (`src/texts.rs`) without referring to the statics
//! they sit in: the drills' stages hold their checks' code, which the engine module would
//! otherwise carry for nothing.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=src");
    let mut texts = Vec::new();
    let mut dirs = vec![PathBuf::from("src")];
    let mut files = Vec::new();
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("src is readable") {
            let p = e.expect("src is readable").path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") && !p.ends_with("texts.rs") {
                files.push(p);
            }
        }
    }
    files.sort();
    for p in &files {
        collect(p, &mut texts);
    }
    let body: String = texts.iter().map(|t| format!("    {t:?},\n")).collect();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(
        out.join("prose_literals.rs"),
        format!("/// Every `prose!` literal in `src/`, unescaped (build.rs).\npub static LITERALS: &[&str] = &[\n{body}];\n"),
    )
    .expect("OUT_DIR is writable");
}

fn collect(path: &Path, texts: &mut Vec<String>) {
    let src = std::fs::read_to_string(path).expect("a source file is readable");
    for (at, _) in src.match_indices("prose!(") {
        // `cargo fmt` may put the literal on the next line.
        let rest = src[at + "prose!(".len()..].trim_start();
        let Some(body) = rest.strip_prefix('"') else {
            continue;
        };
        match unescape(body) {
            Some(t) => texts.push(t),
            None => panic!(
                "{}: a prose! literal this script cannot read",
                path.display()
            ),
        }
    }
}

/// A Rust string literal's body up to its closing quote, unescaped: `\"`, `\\`, `\n`, `\t`,
/// `\u{…}` and a line continuation (the escapes these texts use).
fn unescape(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '\n' => {
                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                }
                'u' => {
                    let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                e @ ('"' | '\\' | '\'') => out.push(e),
                _ => return None,
            },
            c => out.push(c),
        }
    }
    None
}
