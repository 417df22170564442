//! PowerShell values as the console holds them, and how PowerShell prints them: `Out-Default`'s
//! list and table views, `ConvertTo-Json`, and string conversion inside `"…"`.

use serde_json::{Map, Value as Json};

/// A value: scalars, arrays, and objects whose properties keep their declared order (a .NET
/// object's, or a hashtable's insertion order).
#[derive(Clone, Debug, PartialEq)]
pub enum Ps {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Str(String),
    Array(Vec<Ps>),
    Object(PsObject),
}

#[derive(Clone, Debug, PartialEq)]
pub struct PsObject {
    /// The .NET type PowerShell names when it prints a nested object
    /// (`Microsoft.Azure.Commands.OperationalInsights.Models.PSIdentity`), or
    /// `System.Collections.Hashtable`.
    pub type_name: String,
    pub props: Vec<(String, Ps)>,
    /// The default list view's labels, where the type's format file gives its own
    /// (`Vault Name` for `VaultName`); empty: the property names.
    pub view: Vec<(&'static str, &'static str)>,
}

pub const HASHTABLE: &str = "System.Collections.Hashtable";

impl PsObject {
    pub fn new(type_name: &str) -> PsObject {
        PsObject {
            type_name: type_name.into(),
            props: Vec::new(),
            view: Vec::new(),
        }
    }

    pub fn with(mut self, name: &str, v: Ps) -> PsObject {
        self.props.push((name.into(), v));
        self
    }

    /// A property by name, ignoring case, as PowerShell resolves members.
    pub fn get(&self, name: &str) -> Option<&Ps> {
        self.props
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    pub fn is_hashtable(&self) -> bool {
        self.type_name == HASHTABLE
    }
}

impl Ps {
    pub fn str(s: impl Into<String>) -> Ps {
        Ps::Str(s.into())
    }

    /// A JSON value from a service, as a PowerShell object (`ConvertFrom-Json`'s shape).
    pub fn from_json(v: &Json) -> Ps {
        match v {
            Json::Null => Ps::Null,
            Json::Bool(b) => Ps::Bool(*b),
            Json::Number(n) => n
                .as_i64()
                .map(Ps::Int)
                .unwrap_or_else(|| Ps::Real(n.as_f64().unwrap_or(0.0))),
            Json::String(s) => Ps::Str(s.clone()),
            Json::Array(a) => Ps::Array(a.iter().map(Ps::from_json).collect()),
            Json::Object(m) => Ps::Object(PsObject {
                type_name: "System.Management.Automation.PSCustomObject".into(),
                props: m
                    .iter()
                    .map(|(k, v)| (k.clone(), Ps::from_json(v)))
                    .collect(),
                view: Vec::new(),
            }),
        }
    }

    /// `$x.Name`: a property of an object; of an array, each element's (member enumeration).
    pub fn member(&self, name: &str) -> Ps {
        match self {
            Ps::Object(o) => match o.get(name) {
                Some(v) => v.clone(),
                None if name.eq_ignore_ascii_case("Count") && o.is_hashtable() => {
                    Ps::Int(o.props.len() as i64)
                }
                None => Ps::Null,
            },
            Ps::Array(items)
                if name.eq_ignore_ascii_case("Count") || name.eq_ignore_ascii_case("Length") =>
            {
                Ps::Int(items.len() as i64)
            }
            Ps::Array(items) => {
                let found: Vec<Ps> = items
                    .iter()
                    .map(|i| i.member(name))
                    .filter(|v| *v != Ps::Null)
                    .collect();
                match found.len() {
                    0 => Ps::Null,
                    1 => found.into_iter().next().unwrap_or(Ps::Null),
                    _ => Ps::Array(found),
                }
            }
            Ps::Str(s) if name.eq_ignore_ascii_case("Length") => Ps::Int(s.chars().count() as i64),
            _ => Ps::Null,
        }
    }

    /// The value as a string, as `"$x"` or a `[string]` parameter converts it.
    pub fn text(&self) -> String {
        match self {
            Ps::Null => String::new(),
            Ps::Bool(true) => "True".into(),
            Ps::Bool(false) => "False".into(),
            Ps::Int(n) => n.to_string(),
            Ps::Real(f) => format_real(*f),
            Ps::Str(s) => s.clone(),
            // An array joins with spaces ($OFS); an object is its type name.
            Ps::Array(items) => items.iter().map(Ps::text).collect::<Vec<_>>().join(" "),
            Ps::Object(o) => o.type_name.clone(),
        }
    }

    /// Truthiness, as `if` and `[bool]` parameters read it.
    pub fn truthy(&self) -> bool {
        match self {
            Ps::Null => false,
            Ps::Bool(b) => *b,
            Ps::Int(n) => *n != 0,
            Ps::Real(f) => *f != 0.0,
            Ps::Str(s) => !s.is_empty(),
            Ps::Array(a) => !a.is_empty(),
            Ps::Object(_) => true,
        }
    }

    /// JSON for `ConvertTo-Json` and for a body; nested deeper than `depth` become their
    /// string form, as PowerShell truncates (and says it did, through `truncated`).
    pub fn to_json(&self, depth: usize, truncated: &mut bool) -> Json {
        match self {
            Ps::Null => Json::Null,
            Ps::Bool(b) => Json::Bool(*b),
            Ps::Int(n) => Json::from(*n),
            Ps::Real(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Ps::Str(s) => Json::String(s.clone()),
            Ps::Array(items) if depth == 0 => {
                *truncated = true;
                Json::String(items.iter().map(Ps::text).collect::<Vec<_>>().join(" "))
            }
            Ps::Array(items) => Json::Array(
                items
                    .iter()
                    .map(|i| i.to_json(depth - 1, truncated))
                    .collect(),
            ),
            Ps::Object(o) if depth == 0 => {
                *truncated = true;
                Json::String(o.type_name.clone())
            }
            Ps::Object(o) => {
                let mut m = Map::new();
                for (k, v) in &o.props {
                    m.insert(k.clone(), v.to_json(depth - 1, truncated));
                }
                Json::Object(m)
            }
        }
    }

    /// The value as a request body: the whole tree (a hashtable becomes a JSON object).
    pub fn body(&self) -> Json {
        self.to_json(usize::MAX / 2, &mut false)
    }
}

/// A double as PowerShell prints it (`1.5`, `100`).
fn format_real(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}

/// How a nested value shows inside a list or table cell.
fn cell(v: &Ps) -> String {
    match v {
        Ps::Array(items) => {
            let parts: Vec<String> = items.iter().map(cell).collect();
            format!("{{{}}}", parts.join(", "))
        }
        Ps::Object(o) if o.is_hashtable() => {
            let parts: Vec<String> = o
                .props
                .iter()
                .map(|(k, v)| format!("[{k}, {}]", cell(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        // A PSCustomObject (a query row, a JSON object) shows its properties inline.
        Ps::Object(o) if o.type_name.ends_with("PSCustomObject") => {
            let parts: Vec<String> = o
                .props
                .iter()
                .map(|(k, v)| format!("{k}={}", cell(v)))
                .collect();
            format!("@{{{}}}", parts.join("; "))
        }
        v => v.text(),
    }
}

/// `Out-Default` for a statement's output objects: strings and numbers one per line; objects
/// in a list (more than four properties, or a type with a list view) or a table, the first
/// object's properties heading the table.
pub fn out_default(items: &[Ps]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < items.len() {
        match &items[i] {
            Ps::Object(o) if o.is_hashtable() => {
                out.push_str(&hashtable_table(o));
                i += 1;
            }
            Ps::Object(o) if o.props.len() > 4 || !o.view.is_empty() => {
                out.push_str(&format_list(std::slice::from_ref(&items[i]), None));
                i += 1;
            }
            Ps::Object(_) => {
                // Consecutive objects of one type share a table.
                let mut j = i + 1;
                let type_of = |v: &Ps| match v {
                    Ps::Object(o) => Some(o.type_name.clone()),
                    _ => None,
                };
                while j < items.len() && type_of(&items[j]) == type_of(&items[i]) {
                    j += 1;
                }
                out.push_str(&format_table(&items[i..j], None));
                i = j;
            }
            Ps::Array(a) => {
                out.push_str(&out_default(a));
                i += 1;
            }
            Ps::Null => i += 1,
            v => {
                out.push_str(&v.text());
                out.push('\n');
                i += 1;
            }
        }
    }
    out
}

/// `Format-List`: one block per object, names padded to the longest.
pub fn format_list(items: &[Ps], properties: Option<&[String]>) -> String {
    let mut out = String::from("\n");
    for item in items {
        let Ps::Object(o) = item else {
            out.push_str(&item.text());
            out.push('\n');
            continue;
        };
        let rows: Vec<(String, String)> = match properties {
            Some(ps) if !ps.iter().any(|p| p == "*") => ps
                .iter()
                .map(|p| (p.clone(), o.get(p).map(cell).unwrap_or_default()))
                .collect(),
            _ if !o.view.is_empty() && properties.is_none() => o
                .view
                .iter()
                .map(|(label, p)| (label.to_string(), o.get(p).map(cell).unwrap_or_default()))
                .collect(),
            _ => o.props.iter().map(|(k, v)| (k.clone(), cell(v))).collect(),
        };
        let width = rows
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (k, v) in rows {
            out.push_str(&format!("{k:<width$} : {v}\n"));
        }
        out.push('\n');
    }
    out
}

/// `Format-Table`: the first object's properties (or the named ones) as columns.
pub fn format_table(items: &[Ps], properties: Option<&[String]>) -> String {
    let Some(Ps::Object(first)) = items.first() else {
        return out_default(items);
    };
    let cols: Vec<String> = match properties {
        Some(ps) if !ps.iter().any(|p| p == "*") => ps.to_vec(),
        _ => first.props.iter().map(|(k, _)| k.clone()).collect(),
    };
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| match i {
            Ps::Object(o) => cols
                .iter()
                .map(|c| o.get(c).map(cell).unwrap_or_default())
                .collect(),
            v => vec![v.text()],
        })
        .collect();
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(k, c)| {
            rows.iter()
                .map(|r| r.get(k).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
                .max(c.chars().count())
        })
        .collect();
    let line = |cells: Vec<String>| {
        let mut s = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join(" ");
        s.truncate(s.trim_end().len());
        s.push('\n');
        s
    };
    let mut out = String::from("\n");
    out.push_str(&line(cols.clone()));
    out.push_str(&line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for r in rows {
        out.push_str(&line(r));
    }
    out.push('\n');
    out
}

/// A hashtable prints as a Name/Value table.
fn hashtable_table(o: &PsObject) -> String {
    let pairs: Vec<Ps> = o
        .props
        .iter()
        .map(|(k, v)| {
            Ps::Object(
                PsObject::new("System.Collections.DictionaryEntry")
                    .with("Name", Ps::str(k.clone()))
                    .with("Value", v.clone()),
            )
        })
        .collect();
    format_table(&pairs, None)
}

/// `ConvertTo-Json -Depth depth`: two-space indentation as PowerShell 7 writes it, properties
/// in their order, and whether it was truncated.
pub fn convert_to_json(items: &[Ps], depth: usize, compress: bool) -> (String, bool) {
    let mut truncated = false;
    let mut out = String::new();
    let all = Ps::Array(items.to_vec());
    let v = match items {
        [one] => one,
        _ => &all,
    };
    write_json(v, depth + 1, compress, 0, &mut out, &mut truncated);
    (out, truncated)
}

/// JSON text with the properties in their own order (serde_json's maps sort them).
fn write_json(
    v: &Ps,
    depth: usize,
    compress: bool,
    indent: usize,
    out: &mut String,
    truncated: &mut bool,
) {
    let newline = |out: &mut String, n: usize| {
        if !compress {
            out.push('\n');
            out.push_str(&"  ".repeat(n));
        }
    };
    match v {
        Ps::Array(items) if depth > 0 => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (k, i) in items.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                newline(out, indent + 1);
                write_json(i, depth - 1, compress, indent + 1, out, truncated);
            }
            newline(out, indent);
            out.push(']');
        }
        Ps::Object(o) if depth > 0 => {
            if o.props.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (k, (name, x)) in o.props.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                newline(out, indent + 1);
                out.push_str(&Json::String(name.clone()).to_string());
                out.push_str(if compress { ":" } else { ": " });
                write_json(x, depth - 1, compress, indent + 1, out, truncated);
            }
            newline(out, indent);
            out.push('}');
        }
        v => out.push_str(&v.to_json(depth, truncated).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj() -> Ps {
        Ps::Object(
            PsObject::new("T")
                .with("Name", Ps::str("c1"))
                .with("Tags", Ps::Object(PsObject::new(HASHTABLE)))
                .with("Ids", Ps::Array(vec![Ps::str("a"), Ps::str("b")]))
                .with(
                    "Nested",
                    Ps::Object(PsObject::new("My.Type").with("X", Ps::Int(1))),
                )
                .with("On", Ps::Bool(true)),
        )
    }

    #[test]
    fn lists_pad_names_and_show_nested_values_as_powershell_does() {
        assert_eq!(
            out_default(&[obj()]),
            "\nName   : c1\nTags   : {}\nIds    : {a, b}\nNested : My.Type\nOn     : True\n\n"
        );
    }

    #[test]
    fn small_objects_print_as_a_table() {
        let row = |n: &str| {
            Ps::Object(
                PsObject::new("R")
                    .with("Name", Ps::str(n))
                    .with("N", Ps::Int(1)),
            )
        };
        assert_eq!(
            out_default(&[row("a"), row("bb")]),
            "\nName N\n---- -\na    1\nbb   1\n\n"
        );
    }

    #[test]
    fn json_is_truncated_at_the_depth() {
        let (text, truncated) = convert_to_json(&[obj()], 1, true);
        assert_eq!(
            text,
            r#"{"Name":"c1","Tags":{},"Ids":["a","b"],"Nested":{"X":1},"On":true}"#
        );
        assert!(!truncated);
        let (text, truncated) = convert_to_json(&[obj()], 0, true);
        assert_eq!(
            text,
            r#"{"Name":"c1","Tags":"System.Collections.Hashtable","Ids":"a b","Nested":"My.Type","On":true}"#
        );
        assert!(truncated);
    }
}
