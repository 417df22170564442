//! Requests and responses: URL parsing, header lookup, JSON bodies.
//!
//! The engine speaks HTTP shapes without doing any IO: a request is a method, a full Azure URL,
//! headers and an optional body; a response is a status, headers and a JSON body.

use serde_json::Value;

use super::errors::{self, ApiError};

/// What the engine answers to one request.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// `Value::Null` when the response has no body.
    pub body: Value,
}

impl Response {
    /// A header's value; the name is matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(status: u16, body: Value) -> Self {
        let headers = if body.is_null() {
            Vec::new()
        } else {
            vec![(
                "Content-Type".to_string(),
                "application/json; charset=utf-8".to_string(),
            )]
        };
        Response {
            status,
            headers,
            body,
        }
    }

    pub(crate) fn ok(body: Value) -> Self {
        Response::json(200, body)
    }

    pub(crate) fn empty(status: u16) -> Self {
        Response::json(status, Value::Null)
    }

    pub(crate) fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub(crate) fn from_error(err: &ApiError) -> Self {
        let r = Response::json(err.spec.status, err.body());
        // A 401 says how to authenticate, in its surface's own challenge.
        match (
            err.spec.status,
            super::entra::challenge(err.spec.surface, &err.message()),
        ) {
            (401, Some(c)) => r.with_header("WWW-Authenticate", c),
            _ => r,
        }
    }
}

/// The HTTP methods the simulated services answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
    Post,
    Patch,
    Delete,
    Head,
    Other,
}

impl Method {
    pub fn parse(s: &str) -> Method {
        match s.trim().to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "PUT" => Method::Put,
            "POST" => Method::Post,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "HEAD" => Method::Head,
            _ => Method::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Other => "OTHER",
        }
    }
}

/// A parsed request, borrowed from the caller's strings.
#[derive(Debug)]
pub struct Request<'a> {
    pub method: Method,
    pub method_text: &'a str,
    /// Lower-cased host name.
    pub host: String,
    /// Percent-decoded path segments, empty segments removed.
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: Option<&'a str>,
    pub url: &'a str,
}

impl<'a> Request<'a> {
    pub fn parse(
        method: &'a str,
        url: &'a str,
        headers: &'a [(&'a str, &'a str)],
        body: Option<&'a str>,
    ) -> Result<Self, ApiError> {
        let bad = || ApiError::new(&errors::INVALID_URL).arg("url", url);
        let rest = strip_scheme(url.trim()).ok_or_else(bad)?;
        let (authority, path_and_query) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let host = authority
            .rsplit('@')
            .next()
            .unwrap_or("")
            .split(':')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Err(bad());
        }
        let path_and_query = path_and_query.split('#').next().unwrap_or("");
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, q),
            None => (path_and_query, ""),
        };
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let query = query
            .split('&')
            .filter(|s| !s.is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) => (percent_decode(k), percent_decode(&v.replace('+', " "))),
                None => (percent_decode(pair), String::new()),
            })
            .collect();
        Ok(Request {
            method: Method::parse(method),
            method_text: method,
            host,
            segments,
            query,
            headers,
            body,
            url,
        })
    }

    /// A query parameter; the name is matched case-insensitively, as Azure front doors do.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn api_version(&self) -> Option<&str> {
        self.query("api-version")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The body as JSON: `Ok(None)` when absent or blank, `Err` with the parser's complaint.
    pub fn json(&self) -> Result<Option<Value>, String> {
        match self.body {
            None => Ok(None),
            Some(b) if b.trim().is_empty() => Ok(None),
            Some(b) => serde_json::from_str::<Value>(b)
                .map(Some)
                .map_err(|e| json_error_detail(b, &e)),
        }
    }

    /// The path as the client sent it (for error messages).
    pub fn path(&self) -> String {
        format!("/{}", self.segments.join("/"))
    }
}

/// A body serde_json cannot parse, said the way ARM's deserializer (Json.NET) says it: what it
/// met, the JSON path it was at, and the 1-based line and position, e.g. "Unexpected character
/// encountered while parsing value: }. Path 'properties.sku', line 4, position 5."
pub fn json_error_detail(text: &str, e: &serde_json::Error) -> String {
    let line = e.line();
    // serde_json counts the column in bytes; Json.NET's position counts characters.
    let start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>()
        .min(text.len());
    let mut offset = (start + e.column().saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let column = text[start..offset].chars().count() + 1;
    let at = text[offset..].chars().next();
    let what = e.to_string();
    let c = at.map(String::from).unwrap_or_default();
    let head = if e.is_eof() {
        "Unexpected end when deserializing object.".to_string()
    } else if what.starts_with("expected `,` or") {
        format!("After parsing a value an unexpected character was encountered: {c}.")
    } else if what.starts_with("key must be a string")
        || (what.starts_with("trailing comma") && at == Some('}'))
    {
        format!("Invalid property identifier character: {c}.")
    } else if what.starts_with("expected `:`") {
        format!("Invalid character after parsing property name. Expected ':' but got: {c}.")
    } else if what.starts_with("trailing characters") {
        format!("Additional text encountered after finished reading JSON content: {c}.")
    } else {
        format!("Unexpected character encountered while parsing value: {c}.")
    };
    format!(
        "{head} Path '{}', line {line}, position {column}.",
        json_path_at(&text[..offset])
    )
}

/// The JSON path (`properties.sku`, `tags[2]`) a reader is at after reading `text`: the last
/// property name read in each open object, the index of the current element in each array.
fn json_path_at(text: &str) -> String {
    enum Frame {
        Object {
            key: Option<String>,
            want_key: bool,
        },
        Array {
            index: Option<usize>,
            next: usize,
            want_value: bool,
        },
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut chars = text.chars();
    // An element starts in the innermost array: count it.
    let start_value = |stack: &mut Vec<Frame>| {
        if let Some(Frame::Array {
            index,
            next,
            want_value,
        }) = stack.last_mut()
        {
            if *want_value {
                *index = Some(*next);
                *next += 1;
                *want_value = false;
            }
        }
    };
    while let Some(ch) = chars.next() {
        match ch {
            '{' | '[' => {
                start_value(&mut stack);
                stack.push(if ch == '{' {
                    Frame::Object {
                        key: None,
                        want_key: true,
                    }
                } else {
                    Frame::Array {
                        index: None,
                        next: 0,
                        want_value: true,
                    }
                });
            }
            '}' | ']' => {
                stack.pop();
            }
            ',' => match stack.last_mut() {
                Some(Frame::Object { want_key, .. }) => *want_key = true,
                Some(Frame::Array { want_value, .. }) => *want_value = true,
                None => {}
            },
            '"' => {
                let mut s = String::new();
                let mut escaped = false;
                for c in chars.by_ref() {
                    match (escaped, c) {
                        (false, '\\') => escaped = true,
                        (false, '"') => break,
                        _ => {
                            escaped = false;
                            s.push(c);
                        }
                    }
                }
                match stack.last_mut() {
                    Some(Frame::Object { key, want_key }) if *want_key => {
                        *key = Some(s);
                        *want_key = false;
                    }
                    _ => start_value(&mut stack),
                }
            }
            c if c.is_whitespace() || c == ':' => {}
            _ => start_value(&mut stack),
        }
    }
    let mut path = String::new();
    for f in &stack {
        match f {
            Frame::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Array { index: Some(i), .. } => path.push_str(&format!("[{i}]")),
            _ => {}
        }
    }
    path
}

fn strip_scheme(url: &str) -> Option<&str> {
    let lower = url.get(..8).map(|s| s.to_ascii_lowercase());
    if lower.as_deref() == Some("https://") {
        return Some(&url[8..]);
    }
    let lower = url.get(..7).map(|s| s.to_ascii_lowercase());
    if lower.as_deref() == Some("http://") {
        return Some(&url[7..]);
    }
    None
}

/// Decodes `%XX` escapes; invalid escapes are kept literally, invalid UTF-8 is replaced.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Case-insensitive comparison of one path segment with a literal.
pub fn seg_is(seg: Option<&String>, literal: &str) -> bool {
    seg.is_some_and(|s| s.eq_ignore_ascii_case(literal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_arm_url() {
        let r = Request::parse(
            "get",
            "https://Management.Azure.com/subscriptions/abc/resourceGroups/rg%201?api-version=2021-04-01",
            &[],
            None,
        )
        .unwrap();
        assert_eq!(r.host, "management.azure.com");
        assert_eq!(
            r.segments,
            vec!["subscriptions", "abc", "resourceGroups", "rg 1"]
        );
        assert_eq!(r.api_version(), Some("2021-04-01"));
        assert_eq!(r.method, Method::Get);
    }

    #[test]
    fn rejects_relative_url() {
        assert!(Request::parse("GET", "/subscriptions", &[], None).is_err());
        assert!(Request::parse("GET", "https://", &[], None).is_err());
        assert!(Request::parse("GET", "https://bad host/", &[], None).is_err());
    }

    #[test]
    fn percent_decode_keeps_invalid_escapes() {
        assert_eq!(percent_decode("a%2Fb%zz%"), "a/b%zz%");
        assert_eq!(percent_decode("%e2%80%99"), "’");
    }

    fn detail(body: &str) -> String {
        let r = Request::parse("PUT", "https://management.azure.com/x", &[], Some(body)).unwrap();
        r.json().unwrap_err()
    }

    #[test]
    fn malformed_json_is_described_like_json_net() {
        assert_eq!(
            detail("{\n  \"properties\": {\n    \"sku\":\n    }\n}"),
            "Unexpected character encountered while parsing value: }. Path 'properties.sku', line 4, position 5."
        );
        assert_eq!(
            detail("{\"a\": 1 \"b\": 2}"),
            "After parsing a value an unexpected character was encountered: \". Path 'a', line 1, position 9."
        );
        assert_eq!(
            detail("{\"tags\": [1, 2, x]}"),
            "Unexpected character encountered while parsing value: x. Path 'tags[1]', line 1, position 17."
        );
        assert_eq!(
            detail("{\"location\": "),
            "Unexpected end when deserializing object. Path 'location', line 1, position 13."
        );
        assert_eq!(
            detail("{\"a\": 1,}"),
            "Invalid property identifier character: }. Path 'a', line 1, position 9."
        );
        assert!(
            detail("{\"a\": \"é\" \"b\"}").ends_with("line 1, position 11."),
            "{}",
            detail("{\"a\": \"é\" \"b\"}")
        );
    }

    #[test]
    fn header_lookup_is_case_insensitive() {
        let r = Response::ok(serde_json::json!({})).with_header("Azure-AsyncOperation", "x");
        assert_eq!(r.header("azure-asyncoperation"), Some("x"));
    }
}
