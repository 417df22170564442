//! Columns: how a block lays out its rows (one chunk per column, each sealed as its own AEAD
//! message by storage), and the column batches a query reads.
//!
//! A chunk is one column of one block: a typed vector (bools, datetimes, longs, reals and
//! timespans as 8-byte cells with a presence byte each), a dictionary-coded string column (the
//! distinct strings once, then a 2-byte code per row), or free text (one buffer and the end
//! offsets). Strings with few distinct values (levels, computers, categories) take the dictionary;
//! a query's filter or group-by on such a column runs once per distinct value, not once per row.

use super::table::{ColumnType, DecodeError, EncodeError, RowSet, Schema, Value};

/// A row whose cell is null in a dictionary-coded column.
pub const NULL_CODE: u16 = u16::MAX;

/// How a chunk lays out its column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Fixed-width cells (8 bytes) with a presence byte each.
    Plain,
    /// Distinct strings once, then a code per row.
    Dictionary,
    /// One buffer and each row's end offset.
    Text,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Plain => "plain",
            Encoding::Dictionary => "dictionary",
            Encoding::Text => "text",
        }
    }

    fn tag(self) -> u8 {
        match self {
            Encoding::Plain => 1,
            Encoding::Dictionary => 2,
            Encoding::Text => 3,
        }
    }
}

/// One column's cells, decoded.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// `bool` (0/1), `datetime`, `int`, `long` and `timespan` as i64; `real` as its bits.
    Fixed {
        ty: ColumnType,
        present: Vec<bool>,
        cells: Vec<i64>,
    },
    /// `dict[codes[i]]`, or null where the code is [`NULL_CODE`].
    Dictionary {
        ty: ColumnType,
        dict: Vec<String>,
        codes: Vec<u16>,
    },
    /// Row `i` is `buf[ends[i-1]..ends[i]]` when present.
    Text {
        ty: ColumnType,
        present: Vec<bool>,
        ends: Vec<u32>,
        buf: String,
    },
    /// Cells as values (a source that hands rows rather than blocks).
    Values(Vec<Value>),
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::Fixed { cells, .. } => cells.len(),
            Column::Dictionary { codes, .. } => codes.len(),
            Column::Text { ends, .. } => ends.len(),
            Column::Values(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The chunk's type (None for value columns, which carry none).
    pub fn ty(&self) -> Option<ColumnType> {
        match self {
            Column::Fixed { ty, .. } | Column::Dictionary { ty, .. } | Column::Text { ty, .. } => {
                Some(*ty)
            }
            Column::Values(_) => None,
        }
    }

    pub fn encoding(&self) -> Option<Encoding> {
        match self {
            Column::Fixed { .. } => Some(Encoding::Plain),
            Column::Dictionary { .. } => Some(Encoding::Dictionary),
            Column::Text { .. } => Some(Encoding::Text),
            Column::Values(_) => None,
        }
    }

    /// The text of row `i` of a string column (None when null, out of range or not text).
    pub fn text(&self, i: usize) -> Option<&str> {
        match self {
            Column::Dictionary { dict, codes, .. } => codes
                .get(i)
                .and_then(|&c| dict.get(c as usize))
                .map(|s| s.as_str()),
            Column::Text {
                present, ends, buf, ..
            } => {
                if !*present.get(i)? {
                    return None;
                }
                let start = if i == 0 { 0 } else { ends[i - 1] as usize };
                buf.get(start..*ends.get(i)? as usize)
            }
            Column::Values(v) => match v.get(i) {
                Some(Value::String(s)) => Some(s),
                _ => None,
            },
            Column::Fixed { .. } => None,
        }
    }

    /// Row `i`'s cell (null out of range).
    pub fn value(&self, i: usize) -> Value {
        match self {
            Column::Fixed { ty, present, cells } => match (present.get(i), cells.get(i)) {
                (Some(true), Some(&n)) => fixed_value(*ty, n),
                _ => Value::Null,
            },
            Column::Values(v) => v.get(i).cloned().unwrap_or(Value::Null),
            _ => self
                .text(i)
                .map_or(Value::Null, |s| Value::String(s.to_string())),
        }
    }

    /// Writes row `i`'s cell into `slot`, reusing its string buffer when both are strings (a
    /// filter over free text then copies bytes, never allocates per row).
    pub fn write(&self, i: usize, slot: &mut Value) {
        if let (Some(s), Value::String(buf)) = (self.text(i), &mut *slot) {
            buf.clear();
            buf.push_str(s);
            return;
        }
        *slot = self.value(i);
    }

    /// Encodes the column `index` of `rows` as a chunk of type `ty`.
    pub fn encode(
        rows: &[Vec<Value>],
        index: usize,
        ty: ColumnType,
    ) -> Result<(Encoding, Vec<u8>), EncodeError> {
        let n = rows.len();
        fn cell(r: &[Value], index: usize) -> &Value {
            r.get(index).unwrap_or(&Value::Null)
        }
        let mut out = Vec::with_capacity(6 + n * 9);
        let head = |out: &mut Vec<u8>, e: Encoding| -> Result<(), EncodeError> {
            out.push(e.tag());
            out.push(ty.tag());
            out.extend_from_slice(&u32::try_from(n).map_err(|_| EncodeError)?.to_le_bytes());
            Ok(())
        };
        if !is_text(ty) {
            head(&mut out, Encoding::Plain)?;
            let mut cells = Vec::with_capacity(n * 8);
            for r in rows {
                let bits = match (cell(r, index), ty) {
                    (Value::Null, _) => None,
                    (Value::Bool(b), ColumnType::Bool) => Some(*b as i64),
                    (Value::Real(f), ColumnType::Real) => Some(f.to_bits() as i64),
                    (
                        Value::DateTime(x) | Value::Long(x) | Value::TimeSpan(x),
                        ColumnType::DateTime
                        | ColumnType::Int
                        | ColumnType::Long
                        | ColumnType::TimeSpan,
                    ) => Some(*x),
                    _ => return Err(EncodeError),
                };
                out.push(bits.is_some() as u8);
                cells.extend_from_slice(&bits.unwrap_or(0).to_le_bytes());
            }
            out.extend_from_slice(&cells);
            return Ok((Encoding::Plain, out));
        }
        let mut texts: Vec<Option<&str>> = Vec::with_capacity(n);
        for r in rows {
            texts.push(match cell(r, index) {
                Value::Null => None,
                Value::String(s) => Some(s),
                _ => return Err(EncodeError),
            });
        }
        // A dictionary pays when values repeat: at most half as many distinct values as rows.
        let mut dict: Vec<&str> = Vec::new();
        let mut index: std::collections::HashMap<&str, u16> = Default::default();
        let mut codes = Vec::with_capacity(n);
        let mut fits = true;
        for t in &texts {
            let Some(t) = t else {
                codes.push(NULL_CODE);
                continue;
            };
            let code = match index.get(t) {
                Some(&c) => c,
                None => {
                    if dict.len() * 2 >= n.max(2) || dict.len() >= (NULL_CODE - 1) as usize {
                        fits = false;
                        break;
                    }
                    dict.push(t);
                    index.insert(t, (dict.len() - 1) as u16);
                    (dict.len() - 1) as u16
                }
            };
            codes.push(code);
        }
        if fits {
            head(&mut out, Encoding::Dictionary)?;
            out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
            for d in &dict {
                out.extend_from_slice(
                    &u32::try_from(d.len())
                        .map_err(|_| EncodeError)?
                        .to_le_bytes(),
                );
                out.extend_from_slice(d.as_bytes());
            }
            for c in codes {
                out.extend_from_slice(&c.to_le_bytes());
            }
            return Ok((Encoding::Dictionary, out));
        }
        head(&mut out, Encoding::Text)?;
        let mut buf = Vec::new();
        let mut ends = Vec::with_capacity(n * 4);
        for t in &texts {
            out.push(t.is_some() as u8);
            buf.extend_from_slice(t.unwrap_or("").as_bytes());
            ends.extend_from_slice(
                &u32::try_from(buf.len())
                    .map_err(|_| EncodeError)?
                    .to_le_bytes(),
            );
        }
        out.extend_from_slice(&ends);
        out.extend_from_slice(
            &u32::try_from(buf.len())
                .map_err(|_| EncodeError)?
                .to_le_bytes(),
        );
        out.extend_from_slice(&buf);
        Ok((Encoding::Text, out))
    }

    /// Decodes a chunk; never panics, and reserves no more than its input could describe.
    pub fn decode(bytes: &[u8]) -> Result<Column, DecodeError> {
        let mut r = Reader { b: bytes, pos: 0 };
        let enc = r.u8()?;
        let ty = ColumnType::from_tag(r.u8()?).ok_or(DecodeError)?;
        let n = r.u32()? as usize;
        let col = match enc {
            1 if !is_text(ty) => {
                if n.saturating_mul(9) != r.left() {
                    return Err(DecodeError);
                }
                let present = r.take(n)?.iter().map(|&p| p != 0).collect();
                let cells = r
                    .take(n * 8)?
                    .chunks_exact(8)
                    .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
                    .collect();
                Column::Fixed { ty, present, cells }
            }
            2 if is_text(ty) => {
                let d = r.u16()? as usize;
                // Each entry takes at least its 4-byte length.
                if d.saturating_mul(4) > r.left() {
                    return Err(DecodeError);
                }
                let mut dict = Vec::with_capacity(d);
                for _ in 0..d {
                    let len = r.u32()? as usize;
                    dict.push(
                        std::str::from_utf8(r.take(len)?)
                            .map_err(|_| DecodeError)?
                            .to_string(),
                    );
                }
                if n.saturating_mul(2) != r.left() {
                    return Err(DecodeError);
                }
                let codes: Vec<u16> = r
                    .take(n * 2)?
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                if codes.iter().any(|&c| c != NULL_CODE && c as usize >= d) {
                    return Err(DecodeError);
                }
                Column::Dictionary { ty, dict, codes }
            }
            3 if is_text(ty) => {
                if n.saturating_mul(5) > r.left() {
                    return Err(DecodeError);
                }
                let present = r.take(n)?.iter().map(|&p| p != 0).collect();
                let ends: Vec<u32> = r
                    .take(n * 4)?
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
                    .collect();
                let len = r.u32()? as usize;
                let buf = std::str::from_utf8(r.take(len)?)
                    .map_err(|_| DecodeError)?
                    .to_string();
                // Ends never go back, stay inside the buffer and cut it between characters.
                let mut last = 0;
                for &e in &ends {
                    let e = e as usize;
                    if e < last || !buf.is_char_boundary(e) {
                        return Err(DecodeError);
                    }
                    last = e;
                }
                if r.left() != 0 {
                    return Err(DecodeError);
                }
                Column::Text {
                    ty,
                    present,
                    ends,
                    buf,
                }
            }
            _ => return Err(DecodeError),
        };
        Ok(col)
    }
}

fn is_text(ty: ColumnType) -> bool {
    matches!(
        ty,
        ColumnType::String | ColumnType::Guid | ColumnType::Dynamic
    )
}

fn fixed_value(ty: ColumnType, n: i64) -> Value {
    match ty {
        ColumnType::Bool => Value::Bool(n != 0),
        ColumnType::DateTime => Value::DateTime(n),
        ColumnType::TimeSpan => Value::TimeSpan(n),
        ColumnType::Real => Value::Real(f64::from_bits(n as u64)),
        _ => Value::Long(n),
    }
}

/// A table's columns as storage read them: one part per block, each with the columns the reader
/// asked for (None where not read, or where the block has no such column).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    pub schema: Schema,
    pub parts: Vec<Part>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Part {
    pub rows: usize,
    /// Aligned with the batch's schema.
    pub columns: Vec<Option<Column>>,
    /// The rows that count, in order (a query's `timespan`), or every row.
    pub selection: Option<Vec<u32>>,
}

impl Batch {
    /// Rows as one part of value columns.
    pub fn from_rows(rows: RowSet) -> Batch {
        let width = rows.schema.columns.len();
        let n = rows.rows.len();
        let mut columns: Vec<Vec<Value>> = (0..width).map(|_| Vec::with_capacity(n)).collect();
        for row in rows.rows {
            let mut cells = row.into_iter();
            for c in &mut columns {
                c.push(cells.next().unwrap_or(Value::Null));
            }
        }
        Batch {
            schema: rows.schema,
            parts: vec![Part {
                rows: n,
                columns: columns
                    .into_iter()
                    .map(|c| Some(Column::Values(c)))
                    .collect(),
                selection: None,
            }],
        }
    }

    /// Every selected row with every column read, under the batch's schema.
    pub fn into_rows(self) -> RowSet {
        let width = self.schema.columns.len();
        let mut rows = Vec::new();
        for p in &self.parts {
            p.for_each_selected(|i| {
                rows.push(
                    (0..width)
                        .map(|c| p.column(c).map_or(Value::Null, |col| col.value(i)))
                        .collect(),
                )
            });
        }
        RowSet {
            schema: self.schema,
            rows,
        }
    }

    pub fn selected(&self) -> usize {
        self.parts.iter().map(Part::selected).sum()
    }
}

impl Part {
    pub fn column(&self, c: usize) -> Option<&Column> {
        self.columns.get(c).and_then(Option::as_ref)
    }

    pub fn selected(&self) -> usize {
        self.selection.as_ref().map_or(self.rows, Vec::len)
    }

    pub fn for_each_selected(&self, mut f: impl FnMut(usize)) {
        match &self.selection {
            Some(s) => s.iter().for_each(|&i| f(i as usize)),
            None => (0..self.rows).for_each(f),
        }
    }

    /// Keeps the selected rows for which `keep` holds.
    pub fn retain(&mut self, mut keep: impl FnMut(usize) -> bool) {
        let kept: Vec<u32> = match self.selection.take() {
            Some(s) => s.into_iter().filter(|&i| keep(i as usize)).collect(),
            None => (0..self.rows as u32)
                .filter(|&i| keep(i as usize))
                .collect(),
        };
        self.selection = Some(kept);
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
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().map_err(|_| DecodeError)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Vec<Value>> {
        (0..40)
            .map(|i| {
                vec![
                    if i % 7 == 0 {
                        Value::Null
                    } else {
                        Value::DateTime(1_772_438_400_000 + i)
                    },
                    Value::String(["err", "warn", "info"][i as usize % 3].into()),
                    Value::String(format!("message {i} über")),
                    Value::Real(i as f64 / 3.0),
                    if i % 5 == 0 {
                        Value::Null
                    } else {
                        Value::String("x".into())
                    },
                    Value::Bool(i % 2 == 0),
                ]
            })
            .collect()
    }

    const TYPES: [ColumnType; 6] = [
        ColumnType::DateTime,
        ColumnType::String,
        ColumnType::String,
        ColumnType::Real,
        ColumnType::Guid,
        ColumnType::Bool,
    ];

    #[test]
    fn chunks_round_trip_with_the_right_encoding() {
        let rows = rows();
        let expect = [
            Encoding::Plain,
            Encoding::Dictionary,
            Encoding::Text,
            Encoding::Plain,
            Encoding::Dictionary,
            Encoding::Plain,
        ];
        for (c, ty) in TYPES.iter().enumerate() {
            let (enc, bytes) = Column::encode(&rows, c, *ty).unwrap();
            let col = Column::decode(&bytes).unwrap();
            assert_eq!(enc, expect[c], "column {c}");
            assert_eq!(col.encoding(), Some(expect[c]), "column {c}");
            for (i, r) in rows.iter().enumerate() {
                assert_eq!(col.value(i), r[c], "column {c} row {i}");
            }
        }
    }

    #[test]
    fn a_value_of_another_type_is_refused_not_mangled() {
        let rows = vec![vec![Value::String("x".into())]];
        assert_eq!(
            Column::encode(&rows, 0, ColumnType::Long).map(|_| ()),
            Err(EncodeError)
        );
    }

    #[test]
    fn every_truncation_and_bit_flip_of_a_chunk_is_an_error_or_a_column() {
        let rows = rows();
        for (c, ty) in TYPES.iter().enumerate() {
            let (_, bytes) = Column::encode(&rows, c, *ty).unwrap();
            for cut in 0..bytes.len() {
                assert!(
                    Column::decode(&bytes[..cut]).is_err(),
                    "column {c} cut {cut}"
                );
            }
            for i in 0..bytes.len() {
                let mut b = bytes.clone();
                b[i] ^= 0x80;
                let _ = Column::decode(&b);
            }
        }
    }
}
