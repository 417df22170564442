//! Arguments as the CLI's parser (argparse, through knack) takes them: long and short options,
//! `--opt=value`, three-state booleans, lists, choices; and its error wording.

use std::collections::BTreeMap;

/// How an option takes its value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// One value.
    Value,
    /// No value (`--no-wait`, `--yes`).
    Flag,
    /// The CLI's three-state flag: bare means true, or `true`/`false` (and yes/no, 1/0...).
    Bool,
    /// One or more values up to the next option (`nargs='+'`).
    Many,
    /// One value from a list (compared case-insensitively, as the CLI's enum types do).
    Choice(&'static [&'static str]),
}

/// One option of a command.
#[derive(Clone, Copy, Debug)]
pub struct Opt {
    /// Option strings, long first (`--name`, `-n`): the first names it in errors.
    pub names: &'static [&'static str],
    pub kind: Kind,
    pub required: bool,
}

pub const fn opt(names: &'static [&'static str], kind: Kind) -> Opt {
    Opt {
        names,
        kind,
        required: false,
    }
}

pub const fn req(names: &'static [&'static str], kind: Kind) -> Opt {
    Opt {
        names,
        kind,
        required: true,
    }
}

/// The values given, by the option's first name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Args {
    values: BTreeMap<&'static str, Vec<String>>,
}

impl Args {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    pub fn many(&self, name: &str) -> Option<&[String]> {
        self.values.get(name).map(Vec::as_slice)
    }

    /// A flag or three-state boolean's value (absent: `None`).
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).map(|v| v == "true")
    }

    /// A required option's value (the parser already refused a command without it).
    pub fn must(&self, name: &str) -> &str {
        self.get(name).unwrap_or_default()
    }
}

/// The value a three-state flag takes (knack's `three_state_flag`).
fn three_state(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" | "t" | "y" | "enable" | "enabled" => Some(true),
        "false" | "no" | "off" | "0" | "f" | "n" | "disable" | "disabled" => Some(false),
        _ => None,
    }
}

fn is_option(s: &str) -> bool {
    // A negative number is a value, as argparse decides when no option looks like one.
    s.starts_with('-') && s.len() > 1 && !s[1..].starts_with(|c: char| c.is_ascii_digit())
}

/// Parses a command's arguments; `Err` is argparse's message (`prog` is `az keyvault create`).
pub fn parse(prog: &str, opts: &[Opt], argv: &[String]) -> Result<Args, String> {
    let mut args = Args::default();
    let mut unknown: Vec<String> = Vec::new();
    let mut i = 0;
    let find = |name: &str| {
        opts.iter().find(|o| o.names.contains(&name)).or_else(|| {
            // argparse accepts an unambiguous prefix of a long option.
            let hits: Vec<&Opt> = opts
                .iter()
                .filter(|o| name.starts_with("--") && o.names.iter().any(|n| n.starts_with(name)))
                .collect();
            (hits.len() == 1).then(|| hits[0])
        })
    };
    while i < argv.len() {
        let a = &argv[i];
        i += 1;
        if !is_option(a) {
            unknown.push(a.clone());
            continue;
        }
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let Some(o) = find(name) else {
            unknown.push(a.clone());
            // Its values are unknown too.
            while i < argv.len() && !is_option(&argv[i]) {
                unknown.push(argv[i].clone());
                i += 1;
            }
            continue;
        };
        let key = o.names[0];
        let shown = o.names.join("/");
        let mut next = || -> Option<String> {
            if let Some(v) = inline.clone() {
                return Some(v);
            }
            let v = argv.get(i).filter(|v| !is_option(v))?.clone();
            i += 1;
            Some(v)
        };
        let values = match o.kind {
            Kind::Flag => {
                if inline.is_some() {
                    return Err(format!(
                        "argument {shown}: ignored explicit argument '{}'",
                        inline.unwrap_or_default()
                    ));
                }
                vec!["true".to_string()]
            }
            Kind::Bool => match inline.clone().or_else(|| {
                argv.get(i)
                    .filter(|v| three_state(v).is_some())
                    .inspect(|_| i += 1)
                    .cloned()
            }) {
                None => vec!["true".into()],
                Some(v) => match three_state(&v) {
                    Some(b) => vec![b.to_string()],
                    None => {
                        return Err(not_valid(prog, &v, o.names[0], &["false", "true"]));
                    }
                },
            },
            Kind::Value => match next() {
                Some(v) => vec![v],
                None => return Err(format!("argument {shown}: expected one argument")),
            },
            Kind::Choice(choices) => match next() {
                Some(v) => match choices.iter().find(|c| c.eq_ignore_ascii_case(&v)) {
                    Some(c) => vec![c.to_string()],
                    None => {
                        return Err(not_valid(prog, &v, o.names[0], choices));
                    }
                },
                None => return Err(format!("argument {shown}: expected one argument")),
            },
            Kind::Many => {
                let mut vs = Vec::new();
                if let Some(v) = inline.clone() {
                    vs.push(v);
                } else {
                    while let Some(v) = argv.get(i).filter(|v| !is_option(v)) {
                        vs.push(v.clone());
                        i += 1;
                    }
                }
                if vs.is_empty() {
                    return Err(format!("argument {shown}: expected at least one argument"));
                }
                vs
            }
        };
        // A repeated option: argparse keeps the last (lists too).
        args.values.insert(key, values);
    }
    let missing: Vec<String> = opts
        .iter()
        .filter(|o| o.required && !args.has(o.names[0]))
        .map(|o| o.names.join("/"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the following arguments are required: {}",
            missing.join(", ")
        ));
    }
    if !unknown.is_empty() {
        return Err(format!("unrecognized arguments: {}", unknown.join(" ")));
    }
    Ok(args)
}

/// The parser's refusal of a value outside an option's choices, with its suggestion of the
/// closest one (parser.py `_check_value`).
fn not_valid(prog: &str, value: &str, option: &str, choices: &[&str]) -> String {
    let mut msg = format!("{prog}: '{value}' is not a valid value for '{option}'.");
    if let Some(best) = closest(value, choices) {
        msg.push_str(&format!("\nDid you mean '{best}' ?"));
    }
    msg
}

/// The closest candidate at difflib's cutoff 0.7, as `difflib.get_close_matches` picks it.
pub fn closest<'a>(value: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (similarity(value, c), *c))
        .filter(|(r, _)| *r >= 0.7)
        .fold(None, |best: Option<(f64, &str)>, (r, c)| match best {
            Some((b, _)) if b >= r => best,
            _ => Some((r, c)),
        })
        .map(|(_, c)| c)
}

/// difflib's ratio (2·matches / total length, matches by longest common blocks), which the
/// CLI uses (cutoff 0.7) to suggest a command for a misspelt one.
pub fn similarity(a: &str, b: &str) -> f64 {
    fn matches(a: &[char], b: &[char]) -> usize {
        let (mut best, mut at) = (0, (0, 0));
        for i in 0..a.len() {
            for j in 0..b.len() {
                let mut k = 0;
                while i + k < a.len() && j + k < b.len() && a[i + k] == b[j + k] {
                    k += 1;
                }
                if k > best {
                    best = k;
                    at = (i, j);
                }
            }
        }
        if best == 0 {
            return 0;
        }
        let (i, j) = at;
        best + matches(&a[..i], &b[..j]) + matches(&a[i + best..], &b[j + best..])
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    2.0 * matches(&a, &b) as f64 / (a.len() + b.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTS: &[Opt] = &[
        req(&["--name", "-n"], Kind::Value),
        req(&["--resource-group", "-g"], Kind::Value),
        opt(&["--enable-rbac-authorization"], Kind::Bool),
        opt(&["--key-permissions"], Kind::Many),
        opt(&["--sku"], Kind::Choice(&["standard", "premium"])),
        opt(&["--no-wait"], Kind::Flag),
    ];

    fn p(args: &[&str]) -> Result<Args, String> {
        let argv: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse("az keyvault create", OPTS, &argv)
    }

    #[test]
    fn options_as_argparse_reads_them() {
        let a = p(&[
            "-n",
            "kv",
            "--resource-group=rg",
            "--enable-rbac-authorization",
            "false",
            "--key-permissions",
            "get",
            "wrapKey",
            "--sku",
            "Premium",
            "--no-wait",
        ])
        .unwrap();
        assert_eq!(
            (a.get("--name"), a.get("--resource-group")),
            (Some("kv"), Some("rg"))
        );
        assert_eq!(a.bool("--enable-rbac-authorization"), Some(false));
        assert_eq!(a.many("--key-permissions").unwrap(), ["get", "wrapKey"]);
        assert_eq!(
            (a.get("--sku"), a.bool("--no-wait")),
            (Some("premium"), Some(true))
        );
        let a = p(&["-n", "kv", "-g", "rg", "--enable-rbac-authorization"]).unwrap();
        assert_eq!(a.bool("--enable-rbac-authorization"), Some(true));
        assert_eq!(
            p(&["--na", "kv", "-g", "rg"]).unwrap().get("--name"),
            Some("kv")
        );
    }

    #[test]
    fn errors_in_the_parsers_words() {
        assert_eq!(
            p(&[]).unwrap_err(),
            "the following arguments are required: --name/-n, --resource-group/-g"
        );
        assert_eq!(
            p(&["-n", "kv", "-g", "rg", "--bogus", "x", "y"]).unwrap_err(),
            "unrecognized arguments: --bogus x y"
        );
        assert_eq!(
            p(&["-n"]).unwrap_err(),
            "argument --name/-n: expected one argument"
        );
        assert_eq!(
            p(&["-n", "kv", "-g", "rg", "--sku", "gold"]).unwrap_err(),
            "az keyvault create: 'gold' is not a valid value for '--sku'."
        );
        assert_eq!(
            p(&["-n", "kv", "-g", "rg", "--sku", "standart"]).unwrap_err(),
            "az keyvault create: 'standart' is not a valid value for '--sku'.\nDid you mean 'standard' ?"
        );
    }

    #[test]
    fn similarity_is_difflibs_ratio() {
        assert_eq!(similarity("abcd", "bcde"), 0.75);
        assert!(similarity("keyvalt", "keyvault") > 0.7);
        assert!(similarity("monitor", "keyvault") < 0.7);
    }
}
