//! Microsoft Graph, just enough to answer "who am I?" and look up service principals the way the
//! documentation tells a person to find one: `GET /v1.0/me`, `GET /v1.0/servicePrincipals/{id}`,
//! `GET /v1.0/servicePrincipals(appId='{appId}')` and
//! `GET /v1.0/servicePrincipals?$filter=appId eq '{appId}'` (also `id`, `displayName`,
//! `servicePrincipalType`, `startswith(displayName,'…')` and the Azure CLI's
//! `servicePrincipalNames/any(c:c eq '…')`).
//!
//! Errors use Graph's envelope, `{"error":{"code","message","innerError":{"date","request-id",
//! "client-request-id"}}}`.

use serde_json::{Value, json};

use super::Ctx;
use super::clock;
use super::errors::{self, ApiError};
use super::http::{Method, Request, Response, seg_is};
use super::world::{Principal, PrincipalKind, USER_OBJECT_ID};

const CONTEXT: &str = "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals";

pub fn route(cx: &mut Ctx, req: &Request) -> Result<Response, ApiError> {
    let now = cx.w.now;
    handle(cx, req).map_err(|e| {
        // Graph's innerError: the date without fraction or zone, and the client's request id.
        let mut inner = json!({ "date": clock::iso(now).get(..19).unwrap_or_default() });
        if let Some(id) = req.header("client-request-id") {
            inner["client-request-id"] = json!(id);
        }
        e.detail(inner)
    })
}

fn handle(cx: &mut Ctx, req: &Request) -> Result<Response, ApiError> {
    let s = &req.segments;
    let not_found = || ApiError::new(&errors::GRAPH_NOT_FOUND).arg("path", req.path());
    if req.method != Method::Get || !seg_is(s.first(), "v1.0") {
        return Err(not_found());
    }
    match s.len() {
        2 if seg_is(s.get(1), "me") => {
            // /me is a person's: an application's token has no user to answer with.
            let u = cx.caller();
            let Some(upn) = super::entra::upn(&u.object_id) else {
                return Err(not_found());
            };
            Ok(Response::ok(json!({
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
                "id": u.object_id,
                "displayName": u.display_name,
                "userPrincipalName": upn,
                "mail": upn,
                "jobTitle": if u.object_id == USER_OBJECT_ID { "Cloud Platform Engineer" } else { "Operations Engineer" },
            })))
        }
        2 if seg_is(s.get(1), "servicePrincipals") => {
            let filter = match req.query("$filter") {
                Some(f) => Some(parse_filter(f)?),
                None => None,
            };
            let value: Vec<Value> = service_principals(cx)
                .filter(|p| filter.as_ref().is_none_or(|f| f.matches(p)))
                .map(entity)
                .collect();
            Ok(Response::ok(json!({
                "@odata.context": CONTEXT,
                "value": value,
            })))
        }
        2 => {
            // Alternate keys as function calls: `servicePrincipals(appId='…')`, and the plain
            // key `servicePrincipals('…')`.
            let key = function_key(&s[1]).ok_or_else(not_found)?;
            let p = service_principals(cx)
                .find(|p| match &key {
                    Key::AppId(v) => p.app_id.eq_ignore_ascii_case(v),
                    Key::Id(v) => p.object_id.eq_ignore_ascii_case(v),
                })
                .ok_or_else(not_found)?;
            Ok(Response::ok(with_context(entity(p))))
        }
        3 if seg_is(s.get(1), "servicePrincipals") => {
            let p =
                cx.w.directory
                    .get(&s[2])
                    .filter(|p| p.kind != PrincipalKind::User)
                    .ok_or_else(not_found)?;
            Ok(Response::ok(with_context(entity(p))))
        }
        _ => Err(not_found()),
    }
}

fn service_principals<'a>(cx: &'a Ctx) -> impl Iterator<Item = &'a Principal> {
    cx.w.directory
        .principals
        .values()
        .filter(|p| p.kind != PrincipalKind::User)
}

fn principal_type(p: &Principal) -> &'static str {
    match p.kind {
        PrincipalKind::ManagedIdentity(_) => "ManagedIdentity",
        _ => "Application",
    }
}

fn entity(p: &Principal) -> Value {
    json!({
        "id": p.object_id,
        "accountEnabled": true,
        "appDisplayName": p.display_name,
        "appId": p.app_id,
        "displayName": p.display_name,
        "servicePrincipalNames": [p.app_id],
        "servicePrincipalType": principal_type(p),
    })
}

fn with_context(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        let mut out = serde_json::Map::new();
        out.insert("@odata.context".into(), json!(format!("{CONTEXT}/$entity")));
        out.append(m);
        return Value::Object(out);
    }
    v
}

enum Key {
    AppId(String),
    Id(String),
}

/// `servicePrincipals(appId='…')` or `servicePrincipals('…')`.
fn function_key(seg: &str) -> Option<Key> {
    let open = seg.find('(')?;
    if !seg[..open].eq_ignore_ascii_case("servicePrincipals") {
        return None;
    }
    let args = seg[open + 1..].strip_suffix(')')?;
    let tokens = tokenize(args)?;
    match tokens.as_slice() {
        [Tok::Str(v)] => Some(Key::Id(v.clone())),
        [Tok::Word(k), Tok::Punct('='), Tok::Str(v)] if k.eq_ignore_ascii_case("appId") => {
            Some(Key::AppId(v.clone()))
        }
        _ => None,
    }
}

/// A `$filter` the simulated directory can answer.
enum Filter {
    /// `{property} eq '{value}'`
    Equals(&'static str, String),
    /// `startswith(displayName,'{prefix}')`
    StartsWith(String),
    /// `servicePrincipalNames/any(c:c eq '{value}')`
    NameAny(String),
}

impl Filter {
    fn matches(&self, p: &Principal) -> bool {
        match self {
            Filter::Equals(prop, v) => match *prop {
                "appId" => p.app_id.eq_ignore_ascii_case(v),
                "id" => p.object_id.eq_ignore_ascii_case(v),
                "displayName" => p.display_name.eq_ignore_ascii_case(v),
                _ => principal_type(p).eq_ignore_ascii_case(v),
            },
            Filter::StartsWith(prefix) => p
                .display_name
                .to_lowercase()
                .starts_with(&prefix.to_lowercase()),
            Filter::NameAny(v) => p.app_id.eq_ignore_ascii_case(v),
        }
    }
}

/// Properties the simulation filters on with `eq`.
const EQ_PROPERTIES: [&str; 4] = ["appId", "id", "displayName", "servicePrincipalType"];
const OPERATORS: [&str; 6] = ["eq", "ne", "gt", "ge", "lt", "le"];

/// Parses a `$filter`: Graph's `BadRequest` "Invalid filter clause" when it is not OData, and
/// `Request_UnsupportedQuery` for a well-formed clause on a property or operator it cannot use.
fn parse_filter(text: &str) -> Result<Filter, ApiError> {
    let invalid = || ApiError::new(&errors::GRAPH_INVALID_FILTER);
    let unsupported =
        |prop: &str| ApiError::new(&errors::GRAPH_UNSUPPORTED_FILTER).arg("property", prop);
    let tokens = tokenize(text).ok_or_else(invalid)?;
    let word = |t: &Tok, w: &str| matches!(t, Tok::Word(x) if x.eq_ignore_ascii_case(w));
    match tokens.as_slice() {
        [Tok::Word(prop), Tok::Word(op), literal] => {
            if !OPERATORS.iter().any(|o| o.eq_ignore_ascii_case(op))
                || matches!(literal, Tok::Punct(_))
            {
                return Err(invalid());
            }
            let known = EQ_PROPERTIES.iter().find(|p| p.eq_ignore_ascii_case(prop));
            match (known, op.eq_ignore_ascii_case("eq"), literal) {
                (Some(p), true, Tok::Str(v)) => Ok(Filter::Equals(p, v.clone())),
                (Some(_), true, _) => Err(invalid()),
                _ => Err(unsupported(prop)),
            }
        }
        [
            f,
            Tok::Punct('('),
            Tok::Word(prop),
            Tok::Punct(','),
            Tok::Str(v),
            Tok::Punct(')'),
        ] if word(f, "startswith") => {
            if prop.eq_ignore_ascii_case("displayName") {
                Ok(Filter::StartsWith(v.clone()))
            } else {
                Err(unsupported(prop))
            }
        }
        [
            Tok::Word(prop),
            Tok::Punct('/'),
            any,
            Tok::Punct('('),
            Tok::Word(a),
            Tok::Punct(':'),
            Tok::Word(b),
            eq,
            Tok::Str(v),
            Tok::Punct(')'),
        ] if word(any, "any") && word(eq, "eq") && a == b => {
            if prop.eq_ignore_ascii_case("servicePrincipalNames") {
                Ok(Filter::NameAny(v.clone()))
            } else {
                Err(unsupported(prop))
            }
        }
        _ => Err(invalid()),
    }
}

#[derive(Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Punct(char),
}

/// OData tokens: words (names, operators, numbers, GUIDs), `'…'` strings with `''` for a quote,
/// and punctuation. `None` for anything else (an unterminated string, a stray character).
fn tokenize(text: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '\'' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next()? {
                    '\'' if chars.peek() == Some(&'\'') => {
                        chars.next();
                        s.push('\'');
                    }
                    '\'' => break,
                    other => s.push(other),
                }
            }
            out.push(Tok::Str(s));
        } else if "(),:/=".contains(c) {
            chars.next();
            out.push(Tok::Punct(c));
        } else if c.is_alphanumeric() || "_-.".contains(c) {
            let mut w = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_alphanumeric() || "_-.".contains(d) {
                    w.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Tok::Word(w));
        } else {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_odata() {
        assert_eq!(
            tokenize("appId eq 'a''b'").unwrap(),
            vec![
                Tok::Word("appId".into()),
                Tok::Word("eq".into()),
                Tok::Str("a'b".into())
            ]
        );
        assert!(tokenize("appId eq 'open").is_none());
        assert!(tokenize("appId eq \"x\"").is_none());
        assert!(tokenize("   ").is_none());
    }

    #[test]
    fn parses_the_forms_graph_answers() {
        assert!(matches!(
            parse_filter("appId eq 'x'"),
            Ok(Filter::Equals("appId", _))
        ));
        assert!(matches!(
            parse_filter("APPID EQ 'x'"),
            Ok(Filter::Equals("appId", _))
        ));
        assert!(matches!(
            parse_filter("startswith(displayName,'Azure')"),
            Ok(Filter::StartsWith(_))
        ));
        assert!(matches!(
            parse_filter("servicePrincipalNames/any(c:c eq 'x')"),
            Ok(Filter::NameAny(_))
        ));
        let code = |f: &str| parse_filter(f).err().map(|e| e.spec.code);
        assert_eq!(code("appId eq"), Some("BadRequest"));
        assert_eq!(code("appId equals 'x'"), Some("BadRequest"));
        assert_eq!(code("appId eq x"), Some("BadRequest"));
        assert_eq!(
            code("appRoleAssignmentRequired eq true"),
            Some("Request_UnsupportedQuery")
        );
        assert_eq!(code("appId ne 'x'"), Some("Request_UnsupportedQuery"));
    }

    #[test]
    fn function_keys() {
        assert!(matches!(
            function_key("servicePrincipals(appId='abc')"),
            Some(Key::AppId(v)) if v == "abc"
        ));
        assert!(matches!(
            function_key("servicePrincipals('abc')"),
            Some(Key::Id(v)) if v == "abc"
        ));
        assert!(function_key("servicePrincipals(appId=abc)").is_none());
        assert!(function_key("users(appId='abc')").is_none());
        assert!(function_key("servicePrincipals(appId='abc'").is_none());
    }
}
