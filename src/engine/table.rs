//! Log rows: typed values and table schemas (`columnar` lays them out in blocks).
//!
//! Types follow Kusto's scalar types (`bool`, `datetime`, `dynamic`, `guid`, `int`, `long`,
//! `real`, `string`, `timespan`). Datetimes and timespans are milliseconds (since the Unix epoch
//! and as a duration).

use serde_json::{Value as Json, json};

/// A Kusto scalar type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ColumnType {
    Bool,
    DateTime,
    Dynamic,
    Guid,
    Int,
    Long,
    Real,
    String,
    TimeSpan,
}

impl ColumnType {
    /// The name the query API reports in `columns[].type`.
    pub fn kql_name(self) -> &'static str {
        match self {
            ColumnType::Bool => "bool",
            ColumnType::DateTime => "datetime",
            ColumnType::Dynamic => "dynamic",
            ColumnType::Guid => "guid",
            ColumnType::Int => "int",
            ColumnType::Long => "long",
            ColumnType::Real => "real",
            ColumnType::String => "string",
            ColumnType::TimeSpan => "timespan",
        }
    }

    pub(crate) fn tag(self) -> u8 {
        match self {
            ColumnType::Bool => 1,
            ColumnType::DateTime => 2,
            ColumnType::Dynamic => 3,
            ColumnType::Guid => 4,
            ColumnType::Int => 5,
            ColumnType::Long => 6,
            ColumnType::Real => 7,
            ColumnType::String => 8,
            ColumnType::TimeSpan => 9,
        }
    }

    pub(crate) fn from_tag(t: u8) -> Option<ColumnType> {
        Some(match t {
            1 => ColumnType::Bool,
            2 => ColumnType::DateTime,
            3 => ColumnType::Dynamic,
            4 => ColumnType::Guid,
            5 => ColumnType::Int,
            6 => ColumnType::Long,
            7 => ColumnType::Real,
            8 => ColumnType::String,
            9 => ColumnType::TimeSpan,
            _ => return None,
        })
    }
}

/// One cell.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    Null,
    Bool(bool),
    /// Milliseconds since the Unix epoch (UTC).
    DateTime(i64),
    /// `int` and `long`.
    Long(i64),
    Real(f64),
    /// `string`, `guid` and `dynamic` (as JSON text).
    String(String),
    /// Milliseconds.
    TimeSpan(i64),
}

impl Value {
    /// The cell as the query API writes it in `rows`.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Bool(b) => json!(b),
            Value::DateTime(ms) => json!(format_datetime(*ms)),
            Value::Long(n) => json!(n),
            Value::Real(f) if f.is_finite() => json!(f),
            // JSON has no infinities or NaN: Kusto writes them as strings.
            Value::Real(f) => json!(format_real(*f)),
            Value::String(s) => json!(s),
            Value::TimeSpan(ms) => json!(format_timespan(*ms)),
        }
    }
}

/// `2026-03-02T08:00:00.123Z` (Log Analytics writes 7 fractional digits; we keep milliseconds).
pub fn format_datetime(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let frac = ms.rem_euclid(1000);
    let (y, mo, d) = super::clock::civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{frac:03}0000Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// Kusto's text for a real (.NET's shortest round-trip form): `Infinity`, `-Infinity`, `NaN`,
/// and an exponent (`1E+300`, `1.5E-07`) when the decimal exponent is at least 15 or below -4.
pub fn format_real(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // Rust's `{:e}` gives the same shortest digits, as `1.5e-7`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if f != 0.0 && !(-4..15).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}E{sign}{:02}", exp.unsigned_abs())
    } else {
        f.to_string()
    }
}

/// Kusto's timespan form: `[-][d.]hh:mm:ss[.fffffff]`.
pub fn format_timespan(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    let (d, rem) = (ms / 86_400_000, ms % 86_400_000);
    let (h, m, s, f) = (
        rem / 3_600_000,
        rem % 3_600_000 / 60_000,
        rem % 60_000 / 1000,
        rem % 1000,
    );
    let days = if d > 0 {
        format!("{d}.")
    } else {
        String::new()
    };
    let frac = if f > 0 {
        format!(".{f:03}0000")
    } else {
        String::new()
    };
    format!("{sign}{days}{h:02}:{m:02}:{s:02}{frac}")
}

/// A table's columns, in order.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Schema {
    pub columns: Vec<(String, ColumnType)>,
}

impl Schema {
    pub fn index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|(n, _)| n == name)
    }
}

/// Rows of one table under one schema (a block's contents, or a query result).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowSet {
    pub schema: Schema,
    pub rows: Vec<Vec<Value>>,
}

/// Why decoding failed: the bytes are not an encoded column chunk (`columnar`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError;

/// Why encoding failed: a count or length is too large for its field in the layout, or a cell
/// is not of its column's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodeError;

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_log_analytics() {
        assert_eq!(
            format_datetime(1_772_438_400_123),
            "2026-03-02T08:00:00.1230000Z"
        );
        assert_eq!(format_timespan(90_061_001), "1.01:01:01.0010000");
        assert_eq!(format_timespan(-60_000), "-00:01:00");
    }

    #[test]
    fn reals_are_written_as_kusto_writes_them() {
        for (f, text) in [
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
            (1e300, "1E+300"),
            (-1.5e300, "-1.5E+300"),
            (1e15, "1E+15"),
            (123_456_789_012_345.0, "123456789012345"),
            (1.5e-7, "1.5E-07"),
            (0.0001, "0.0001"),
            (0.00001, "1E-05"),
            (2.5, "2.5"),
            (0.0, "0"),
        ] {
            assert_eq!(format_real(f), text);
        }
        assert_eq!(Value::Real(f64::NEG_INFINITY).to_json(), json!("-Infinity"));
    }
}
