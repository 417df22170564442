//! The CLI's output formats (knack's `output.py`): `json` and `jsonc` (2-space indent, keys
//! sorted), `tsv`, `table` (tabulate's "simple" layout over the scalar fields), `yaml` is not
//! offered, `none`; and `--query` (JMESPath, the `jmespath` crate, the language's reference
//! implementation in Rust).

use serde_json::Value;

/// The CLI's `--output` choices; the playground prints all but the YAML ones.
pub const FORMATS: &[&str] = &["json", "jsonc", "none", "table", "tsv", "yaml", "yamlc"];

/// `--query`: `Err` is the parser's wording for a query that does not compile.
pub fn query(expr: &str, v: &Value) -> Result<Value, String> {
    let invalid = || format!("argument --query: invalid jmespath_type value: '{expr}'");
    let compiled = jmespath::compile(expr).map_err(|_| invalid())?;
    let data = jmespath::Variable::from_json(&v.to_string()).map_err(|_| invalid())?;
    let found = compiled.search(data).map_err(|e| format!("{e}"))?;
    serde_json::to_value(&*found).map_err(|e| e.to_string())
}

/// The result printed in a format; `None` output prints nothing (nor does a null result).
pub fn format(v: &Value, fmt: &str) -> String {
    if v.is_null() {
        return String::new();
    }
    match fmt {
        "none" => String::new(),
        "tsv" => tsv(v),
        "table" => table(v),
        _ => json(v),
    }
}

/// `json.dumps(indent=2, sort_keys=True, ensure_ascii=False)` plus a newline.
pub fn json(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// Python's `str()` of a scalar, as tsv and table print them.
fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        // knack writes a list's length and nothing for an object, so columns stay aligned.
        Value::Array(a) => a.len().to_string(),
        Value::Object(_) => String::new(),
    }
}

/// One line per item of a list (or the one result): an object's values in key order, tabs
/// between.
fn tsv(v: &Value) -> String {
    let rows: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        _ => vec![v],
    };
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = match row {
            Value::Object(o) => o.values().map(scalar).collect(),
            Value::Array(a) => a.iter().map(scalar).collect(),
            other => vec![scalar(other)],
        };
        out.push_str(&cells.join("\t"));
        out.push('\n');
    }
    out
}

/// tabulate's "simple" table over each item's scalar fields, headers with their first letter
/// capitalised; numbers right-aligned; a column is at least its header and tabulate's
/// `MIN_PADDING` of 2 wide. tabulate pads a header by 2 (`MIN_PADDING`).
fn table(v: &Value) -> String {
    let rows: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        _ => vec![v],
    };
    if rows.is_empty() {
        return String::new();
    }
    let mut headers: Vec<String> = Vec::new();
    for r in &rows {
        match r {
            Value::Object(o) => {
                for (k, v) in o {
                    if !v.is_object() && !v.is_array() && !headers.contains(k) {
                        headers.push(k.clone());
                    }
                }
            }
            _ => {
                if !headers.iter().any(|h| h == "Result") {
                    headers.push("Result".into());
                }
            }
        }
    }
    if headers.is_empty() {
        return String::new();
    }
    let cell = |r: &Value, h: &str| -> (String, bool) {
        let v = match r {
            Value::Object(o) => o.get(h).cloned().unwrap_or(Value::Null),
            other if h == "Result" => other.clone(),
            _ => Value::Null,
        };
        (scalar(&v), v.is_number())
    };
    let cap = |h: &str| {
        let mut c = h.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    };
    let cells: Vec<Vec<(String, bool)>> = rows
        .iter()
        .map(|r| headers.iter().map(|h| cell(r, h)).collect())
        .collect();
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            cells
                .iter()
                .map(|row| row[i].0.chars().count())
                .chain([cap(h).chars().count() + 2])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let numeric: Vec<bool> = (0..headers.len())
        .map(|i| cells.iter().all(|row| row[i].1 || row[i].0.is_empty()))
        .collect();
    let line = |items: Vec<String>| -> String {
        let padded: Vec<String> = items
            .iter()
            .enumerate()
            .map(|(i, s)| {
                if numeric[i] {
                    format!("{s:>w$}", w = widths[i])
                } else {
                    format!("{s:<w$}", w = widths[i])
                }
            })
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(headers.iter().map(|h| cap(h)).collect());
    out.push_str(&line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for row in cells {
        out.push_str(&line(row.into_iter().map(|(s, _)| s).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_as_the_cli_prints_them() {
        let v =
            json!([{ "name": "kv", "location": "eastus", "n": 7, "enabled": true, "tags": {} }]);
        assert_eq!(format(&v, "tsv"), "True\teastus\t7\tkv\t\n");
        assert_eq!(
            format(&v, "table"),
            "Enabled    Location      N  Name\n---------  ----------  ---  ------\nTrue       eastus        7  kv\n"
        );
        assert_eq!(
            format(&json!({"a": [1]}), "json"),
            "{\n  \"a\": [\n    1\n  ]\n}\n"
        );
        assert_eq!(format(&v, "none"), "");
        assert_eq!(format(&json!("id"), "tsv"), "id\n");
    }

    #[test]
    fn queries_use_jmespath() {
        let v = json!({ "value": [{ "name": "a", "p": { "s": "Succeeded" } }, { "name": "b", "p": { "s": "Failed" } }] });
        assert_eq!(
            query("value[?p.s=='Failed'].name | [0]", &v).unwrap(),
            json!("b")
        );
        assert_eq!(
            query("value[].{n:name}", &v).unwrap(),
            json!([{ "n": "a" }, { "n": "b" }])
        );
        assert_eq!(
            query("value[", &v).unwrap_err(),
            "argument --query: invalid jmespath_type value: 'value['"
        );
    }
}
