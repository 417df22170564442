//! Log rows: typed values, table schemas, and a compact binary encoding for the bytes a block
//! seals.
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

/// Why decoding failed: the bytes are not an encoded row set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError;

/// Why encoding failed: a count or length is too large for its field in the layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodeError;

fn len_u16(n: usize) -> Result<[u8; 2], EncodeError> {
    u16::try_from(n)
        .map(u16::to_le_bytes)
        .map_err(|_| EncodeError)
}

fn len_u32(n: usize) -> Result<[u8; 4], EncodeError> {
    u32::try_from(n)
        .map(u32::to_le_bytes)
        .map_err(|_| EncodeError)
}

// ---- binary encoding --------------------------------------------------------------------------
// Layout: magic "CMKR", version 1, column count (u16), per column: name (u16 len + UTF-8) and
// type tag; row count (u32); then per row per column: a presence byte (0 = null) and the value
// (bool u8; datetime/long/timespan i64 LE; real f64 LE; strings u32 len + UTF-8).

const MAGIC: &[u8; 4] = b"CMKR";

impl RowSet {
    /// Fails, rather than truncating a length, when a count or length does not fit its field.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        // Rows without columns encode to no bytes, so their count could not be checked on the
        // way back; and every row has exactly the schema's width.
        if self.schema.columns.is_empty() && !self.rows.is_empty()
            || self
                .rows
                .iter()
                .any(|r| r.len() != self.schema.columns.len())
        {
            return Err(EncodeError);
        }
        let mut out = Vec::with_capacity(64 + self.rows.len() * self.schema.columns.len() * 12);
        out.extend_from_slice(MAGIC);
        out.push(1);
        out.extend_from_slice(&len_u16(self.schema.columns.len())?);
        for (name, ty) in &self.schema.columns {
            out.extend_from_slice(&len_u16(name.len())?);
            out.extend_from_slice(name.as_bytes());
            out.push(ty.tag());
        }
        out.extend_from_slice(&len_u32(self.rows.len())?);
        for row in &self.rows {
            for v in row {
                match v {
                    Value::Null => out.push(0),
                    Value::Bool(b) => out.extend_from_slice(&[1, *b as u8]),
                    Value::DateTime(n) | Value::Long(n) | Value::TimeSpan(n) => {
                        out.push(1);
                        out.extend_from_slice(&n.to_le_bytes());
                    }
                    Value::Real(f) => {
                        out.push(1);
                        out.extend_from_slice(&f.to_le_bytes());
                    }
                    Value::String(s) => {
                        out.push(1);
                        out.extend_from_slice(&len_u32(s.len())?);
                        out.extend_from_slice(s.as_bytes());
                    }
                }
            }
        }
        Ok(out)
    }

    pub fn decode(bytes: &[u8]) -> Result<RowSet, DecodeError> {
        let mut r = Reader { b: bytes, pos: 0 };
        if r.take(4)? != MAGIC || r.u8()? != 1 {
            return Err(DecodeError);
        }
        let ncols = r.u16()? as usize;
        // Each column takes at least 3 bytes (name length and type): a corrupt count cannot
        // reserve more than the input could describe.
        let mut columns = Vec::with_capacity(ncols.min(r.left() / 3));
        for _ in 0..ncols {
            let len = r.u16()? as usize;
            let name = std::str::from_utf8(r.take(len)?)
                .map_err(|_| DecodeError)?
                .to_string();
            let ty = ColumnType::from_tag(r.u8()?).ok_or(DecodeError)?;
            columns.push((name, ty));
        }
        let nrows = r.u32()? as usize;
        // Every cell takes at least one byte, so rows cannot outnumber the bytes left; rows
        // without columns would take none, so the layout has none (`encode` refuses them).
        if (ncols == 0 && nrows > 0) || nrows.saturating_mul(ncols) > r.left() {
            return Err(DecodeError);
        }
        let mut rows = Vec::with_capacity(nrows);
        for _ in 0..nrows {
            let mut row = Vec::with_capacity(ncols);
            for (_, ty) in &columns {
                if r.u8()? == 0 {
                    row.push(Value::Null);
                    continue;
                }
                row.push(match ty {
                    ColumnType::Bool => Value::Bool(r.u8()? != 0),
                    ColumnType::DateTime => Value::DateTime(r.i64()?),
                    ColumnType::Int | ColumnType::Long => Value::Long(r.i64()?),
                    ColumnType::TimeSpan => Value::TimeSpan(r.i64()?),
                    ColumnType::Real => Value::Real(f64::from_le_bytes(
                        r.take(8)?.try_into().map_err(|_| DecodeError)?,
                    )),
                    ColumnType::String | ColumnType::Guid | ColumnType::Dynamic => {
                        let len = r.u32()? as usize;
                        Value::String(
                            std::str::from_utf8(r.take(len)?)
                                .map_err(|_| DecodeError)?
                                .to_string(),
                        )
                    }
                });
            }
            rows.push(row);
        }
        if r.pos != bytes.len() {
            return Err(DecodeError);
        }
        Ok(RowSet {
            schema: Schema { columns },
            rows,
        })
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn left(&self) -> usize {
        self.b.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(DecodeError)?;
        let s = self.b.get(self.pos..end).ok_or(DecodeError)?;
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().map_err(|_| DecodeError)?,
        ))
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().map_err(|_| DecodeError)?,
        ))
    }
    fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_le_bytes(
            self.take(8)?.try_into().map_err(|_| DecodeError)?,
        ))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RowSet {
        RowSet {
            schema: Schema {
                columns: vec![
                    ("TimeGenerated".into(), ColumnType::DateTime),
                    ("Computer".into(), ColumnType::String),
                    ("EventID".into(), ColumnType::Int),
                    ("Latitude".into(), ColumnType::Real),
                    ("IsGatewayInstalled".into(), ColumnType::Bool),
                ],
            },
            rows: vec![
                vec![
                    Value::DateTime(1_772_438_400_123),
                    "vm-01".into(),
                    Value::Long(4625),
                    Value::Real(47.6),
                    Value::Bool(false),
                ],
                vec![
                    Value::DateTime(0),
                    Value::Null,
                    Value::Long(-1),
                    Value::Real(f64::NAN),
                    Value::Null,
                ],
            ],
        }
    }

    #[test]
    fn encoding_round_trips() {
        let s = sample();
        let back = RowSet::decode(&s.encode().unwrap()).unwrap();
        assert_eq!(back.schema, s.schema);
        assert_eq!(back.rows[0], s.rows[0]);
        assert!(matches!(back.rows[1][3], Value::Real(f) if f.is_nan()));
    }

    #[test]
    fn truncated_or_padded_input_is_refused() {
        let bytes = sample().encode().unwrap();
        for cut in 0..bytes.len() {
            assert_eq!(
                RowSet::decode(&bytes[..cut]),
                Err(DecodeError),
                "cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(RowSet::decode(&longer), Err(DecodeError));
    }

    #[test]
    fn encoding_refuses_lengths_its_fields_cannot_hold() {
        let mut wide = sample();
        wide.schema.columns = (0..=u16::MAX as usize)
            .map(|i| (format!("c{i}"), ColumnType::Bool))
            .collect();
        wide.rows.clear();
        assert_eq!(wide.encode(), Err(EncodeError));
        let mut long_name = sample();
        long_name.schema.columns[1].0 = "n".repeat(u16::MAX as usize + 1);
        assert_eq!(long_name.encode(), Err(EncodeError));
    }

    #[test]
    fn rows_without_columns_have_no_encoding() {
        // 11 bytes that once decoded to ten million empty rows (240 MB), and u32::MAX of them
        // (an abort on a 103 GB allocation).
        let ten_million = [0x43, 0x4d, 0x4b, 0x52, 1, 0, 0, 0x80, 0x96, 0x98, 0];
        assert_eq!(RowSet::decode(&ten_million), Err(DecodeError));
        let most = [0x43, 0x4d, 0x4b, 0x52, 1, 0, 0, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(RowSet::decode(&most), Err(DecodeError));
        let no_columns = RowSet {
            schema: Schema { columns: vec![] },
            rows: vec![vec![]],
        };
        assert_eq!(no_columns.encode(), Err(EncodeError));
        let empty = RowSet {
            schema: Schema { columns: vec![] },
            rows: vec![],
        };
        assert_eq!(RowSet::decode(&empty.encode().unwrap()), Ok(empty));
        let mut ragged = sample();
        ragged.rows[0].pop();
        assert_eq!(ragged.encode(), Err(EncodeError));
    }

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
