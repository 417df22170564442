//! Azure PowerShell for the cmdlets customer-managed-key documentation uses: the requests the
//! Az modules send (their api-versions, GET-then-PUT where they do that, long-running
//! operations polled at `Retry-After` on the virtual clock), their output objects as
//! PowerShell prints them, their error records (PowerShell 7's concise view: `Cmdlet: message`),
//! parameter binding as PowerShell does it (unique prefixes, switches, positions, mandatory
//! parameters, validate sets) and `-Debug`'s HTTP trace.
//!
//! Variables persist between runs as JSON in [`ConsoleRun::env`] (names prefixed `pwsh:`), so a
//! session's journal replays the console.

mod cmdlets;
pub mod examples;
pub mod syntax;
pub mod value;

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{ConsoleRun, Exchange, OutputChunk, PollError, Poller, Transport};
use crate::engine::Response;
use syntax::{Arg, Element, Expr, Piece, Statement};
use value::{Ps, PsObject};

/// Statements one run executes at most (a pasted script, not a program).
const MAX_STATEMENTS: usize = 500;

/// Runs a PowerShell script with the variables an earlier run left.
pub fn run(script: &str, env: &[(String, String)], t: &mut dyn Transport) -> ConsoleRun {
    let mut vars = BTreeMap::new();
    for (k, v) in env {
        if let Some(name) = k.strip_prefix("pwsh:")
            && let Ok(j) = serde_json::from_str::<Json>(v)
        {
            vars.insert(name.to_ascii_lowercase(), from_env(&j));
        }
    }
    let mut sh = Pwsh {
        t,
        vars,
        output: Vec::new(),
        exchanges: Vec::new(),
        failed: false,
        debug: false,
    };
    match syntax::parse(script) {
        Ok(statements) => {
            for s in statements.iter().take(MAX_STATEMENTS) {
                sh.statement(s);
            }
            if statements.len() > MAX_STATEMENTS {
                sh.error_line(&format!(
                    "The console runs at most {MAX_STATEMENTS} statements at once; the rest were not run."
                ));
            }
        }
        Err(e) => {
            sh.error_line(&format!("ParserError: line {}: {}", e.line, e.message));
        }
    }
    let env = sh
        .vars
        .iter()
        .map(|(k, v)| (format!("pwsh:{k}"), to_env(v).to_string()))
        .collect();
    ConsoleRun {
        output: sh.output,
        status: i32::from(sh.failed),
        exchanges: sh.exchanges,
        env,
    }
}

/// A variable as the journal keeps it: objects keep their type name and property order.
fn to_env(v: &Ps) -> Json {
    match v {
        Ps::Object(o) => serde_json::json!({
            "$type": o.type_name,
            "$props": o.props.iter().map(|(k, v)| serde_json::json!([k, to_env(v)])).collect::<Vec<_>>(),
        }),
        Ps::Array(a) => Json::Array(a.iter().map(to_env).collect()),
        v => v.body(),
    }
}

fn from_env(j: &Json) -> Ps {
    match j {
        Json::Object(m) if m.contains_key("$type") => {
            let props = m["$props"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| Some((p[0].as_str()?.to_string(), from_env(&p[1]))))
                .collect();
            Ps::Object(PsObject {
                type_name: m["$type"].as_str().unwrap_or_default().to_string(),
                props,
                view: cmdlets::view_of(m["$type"].as_str().unwrap_or_default()),
            })
        }
        Json::Array(a) => Ps::Array(a.iter().map(from_env).collect()),
        j => Ps::from_json(j),
    }
}

/// A cmdlet's failure: the message its error record carries.
pub type Failure = String;

pub(crate) struct Pwsh<'t> {
    t: &'t mut dyn Transport,
    vars: BTreeMap<String, Ps>,
    output: Vec<OutputChunk>,
    exchanges: Vec<Exchange>,
    failed: bool,
    /// `-Debug` on the running cmdlet: every HTTP request and response is traced.
    debug: bool,
}

impl Pwsh<'_> {
    fn emit(&mut self, stream: &str, text: &str) {
        match self.output.last_mut() {
            Some(c) if c.stream == stream => c.text.push_str(text),
            _ => self.output.push(OutputChunk {
                stream: stream.into(),
                text: text.into(),
            }),
        }
    }

    fn error_line(&mut self, text: &str) {
        self.failed = true;
        self.emit("stderr", &format!("{text}\n"));
    }

    /// A warning, as `WARNING:` lines.
    pub(crate) fn warn(&mut self, text: &str) {
        self.emit("stderr", &format!("WARNING: {text}\n"));
    }

    /// A note from the playground itself, not PowerShell (how long a poll took).
    pub(crate) fn note(&mut self, text: &str) {
        self.emit("stderr", &format!("(playground: {text})\n"));
    }

    fn statement(&mut self, s: &Statement) {
        match self.pipeline(&s.pipeline) {
            Ok(items) => match &s.assign {
                Some(name) => {
                    let v = match items.len() {
                        0 => Ps::Null,
                        1 => items.into_iter().next().unwrap_or(Ps::Null),
                        _ => Ps::Array(items),
                    };
                    self.vars.insert(name.to_ascii_lowercase(), v);
                }
                None => {
                    let text = value::out_default(&items);
                    self.emit("stdout", &text);
                }
            },
            Err((cmd, message)) => {
                self.error_line(&format!("{cmd}: {message}"));
            }
        }
    }

    /// Runs a pipeline; an error names the command (or expression) that raised it.
    fn pipeline(&mut self, elements: &[Element]) -> Result<Vec<Ps>, (String, Failure)> {
        let mut items: Vec<Ps> = Vec::new();
        for (k, e) in elements.iter().enumerate() {
            items = match e {
                Element::Expr(x) => match self.eval(x) {
                    Ok(Ps::Array(a)) => a,
                    Ok(Ps::Null) => Vec::new(),
                    Ok(v) => vec![v],
                    Err(m) => return Err((String::from("InvalidOperation"), m)),
                },
                Element::Command { name, args } => {
                    let input = (k > 0).then(|| std::mem::take(&mut items));
                    self.command(name, args, input)
                        .map_err(|m| (canonical(name), m))?
                }
            };
        }
        Ok(items)
    }

    fn command(
        &mut self,
        name: &str,
        args: &[Arg],
        input: Option<Vec<Ps>>,
    ) -> Result<Vec<Ps>, Failure> {
        let Some(c) = cmdlets::find(name) else {
            return Err(format!(
                "The term '{name}' is not recognized as a name of a cmdlet, function, script file, or executable program.\nCheck the spelling of the name, or if a path was included, verify that the path is correct and try again."
            ));
        };
        let bound = self.bind(c, args)?;
        self.debug = bound.switch("Debug");
        let r = (c.run)(self, &bound, input.unwrap_or_default());
        self.debug = false;
        r
    }

    /// PowerShell's parameter binding: names or unique prefixes (case-insensitive), switches,
    /// `-Name:value`, positions, validate sets, then the mandatory ones.
    fn bind(&mut self, c: &'static cmdlets::Cmdlet, args: &[Arg]) -> Result<Bound, Failure> {
        let mut bound = Bound::default();
        let mut positional = Vec::new();
        let mut i = 0;
        while i < args.len() {
            match &args[i] {
                Arg::Param(name, attached) => {
                    let p = resolve(c, name)?;
                    let v = match (p.kind, attached) {
                        (cmdlets::Kind::Switch, None) => Ps::Bool(true),
                        (_, Some(x)) => self.eval(x)?,
                        (_, None) => match args.get(i + 1) {
                            Some(Arg::Value(x)) => {
                                i += 1;
                                self.eval(x)?
                            }
                            _ => {
                                return Err(format!(
                                    "Missing an argument for parameter '{}'. Specify a parameter of type '{}' and try again.",
                                    p.name,
                                    p.kind.net_type()
                                ));
                            }
                        },
                    };
                    bound.set(p, convert(p, v)?);
                }
                Arg::Value(x) => positional.push(self.eval(x)?),
            }
            i += 1;
        }
        let mut slots: Vec<&cmdlets::Param> =
            c.params.iter().filter(|p| p.position.is_some()).collect();
        slots.sort_by_key(|p| p.position);
        let free: Vec<&cmdlets::Param> = slots.into_iter().filter(|p| !bound.has(p.name)).collect();
        let mut slots = free.into_iter();
        for v in positional {
            match slots.next() {
                Some(p) => bound.set(p, convert(p, v)?),
                None => {
                    return Err(format!(
                        "A positional parameter cannot be found that accepts argument '{}'.",
                        v.text()
                    ));
                }
            }
        }
        let missing: Vec<&str> = c
            .params
            .iter()
            .filter(|p| p.mandatory && !bound.has(p.name))
            .map(|p| p.name)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "Cannot process command because of one or more missing mandatory parameters: {}.",
                missing.join(" ")
            ));
        }
        Ok(bound)
    }

    fn eval(&mut self, e: &Expr) -> Result<Ps, Failure> {
        Ok(match e {
            Expr::Str(s) | Expr::Bare(s) => Ps::Str(s.clone()),
            Expr::Int(n) => Ps::Int(*n),
            Expr::Real(f) => Ps::Real(*f),
            Expr::Var(v) => self.var(v),
            Expr::Member(x, m) => self.eval(x)?.member(m),
            Expr::Array(items) => Ps::Array(
                items
                    .iter()
                    .map(|i| self.eval(i))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Hash(pairs) => {
                let mut o = PsObject::new(value::HASHTABLE);
                for (k, x) in pairs {
                    let v = self.eval(x)?;
                    o.props.retain(|(n, _)| !n.eq_ignore_ascii_case(k));
                    o.props.push((k.clone(), v));
                }
                Ps::Object(o)
            }
            Expr::Sub(statements, array) => {
                let mut all = Vec::new();
                for s in statements {
                    let items = self
                        .pipeline(&s.pipeline)
                        .map_err(|(c, m)| format!("{c}: {m}"))?;
                    match &s.assign {
                        Some(name) => {
                            let v = match items.len() {
                                0 => Ps::Null,
                                1 => items.into_iter().next().unwrap_or(Ps::Null),
                                _ => Ps::Array(items),
                            };
                            self.vars.insert(name.to_ascii_lowercase(), v);
                        }
                        None => all.extend(items),
                    }
                }
                match (all.len(), array) {
                    (_, true) => Ps::Array(all),
                    (0, false) => Ps::Null,
                    (1, false) => all.into_iter().next().unwrap_or(Ps::Null),
                    _ => Ps::Array(all),
                }
            }
            Expr::Expandable(pieces) => {
                let mut s = String::new();
                for p in pieces {
                    match p {
                        Piece::Text(t) => s.push_str(t),
                        Piece::Var(v) => s.push_str(&self.var(v).text()),
                        Piece::Sub(statements) => {
                            let v = self.eval(&Expr::Sub(statements.clone(), false))?;
                            s.push_str(&v.text());
                        }
                    }
                }
                Ps::Str(s)
            }
        })
    }

    fn var(&self, name: &str) -> Ps {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "true" => Ps::Bool(true),
            "false" => Ps::Bool(false),
            "null" => Ps::Null,
            _ => self.vars.get(&lower).cloned().unwrap_or(Ps::Null),
        }
    }

    // ---- HTTP, as the Az modules send it ----------------------------------------------------

    /// Sends one request; `-Debug` traces it the way Azure PowerShell's debug stream does.
    pub(crate) fn send(&mut self, method: &str, url: &str, body: Option<&Json>) -> Response {
        if self.exchanges.len() >= super::MAX_REQUESTS {
            // Not sent: the script has sent as many requests as one may.
            return Response::json(
                429,
                serde_json::json!({"error": {"code": "PlaygroundLimit", "message": format!(
                    "The playground stops a script after {} requests.",
                    super::MAX_REQUESTS
                )}}),
            );
        }
        let text = body.map(|b| b.to_string());
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        if text.is_some() {
            headers.push((
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            ));
        }
        let x = self.t.send(method, url, &headers, text.as_deref());
        if self.debug {
            let mut s = String::from(
                "DEBUG: ============================ HTTP REQUEST ============================\n\n",
            );
            s.push_str(&format!(
                "HTTP Method:\n{method}\n\nAbsolute Uri:\n{url}\n\nHeaders:\n"
            ));
            for (k, v) in x.headers.iter().chain(&x.credentials) {
                let v = if k.eq_ignore_ascii_case("authorization") {
                    "Bearer ***"
                } else {
                    v
                };
                s.push_str(&format!("{k:<30}: {v}\n"));
            }
            s.push_str(&format!("\nBody:\n{}\n\n", x.body.as_deref().unwrap_or("")));
            s.push_str("DEBUG: ============================ HTTP RESPONSE ============================\n\n");
            s.push_str(&format!(
                "Status Code:\n{}\n\nHeaders:\n",
                status_name(x.response.status)
            ));
            for (k, v) in &x.response.headers {
                s.push_str(&format!("{k:<30}: {v}\n"));
            }
            let body = if x.response.body.is_null() {
                String::new()
            } else {
                serde_json::to_string_pretty(&x.response.body).unwrap_or_default()
            };
            s.push_str(&format!("\nBody:\n{body}\n\n"));
            self.emit("stderr", &s);
        }
        let r = x.response.clone();
        self.exchanges.push(x);
        r
    }

    /// A long-running operation as Microsoft.Rest.Azure polls it: `Azure-AsyncOperation` (else
    /// `Location`) every `Retry-After` seconds of virtual time, then the resource read back for
    /// a PUT or PATCH. `Err` is the failed response, for the cmdlet's error.
    pub(crate) fn lro(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&Json>,
    ) -> Result<Json, Response> {
        let r = self.send(method, url, body);
        if r.status >= 400 {
            return Err(r);
        }
        let stuck = |m: String| {
            Response::json(
                408,
                serde_json::json!({"error": {"code": "Timeout", "message": m}}),
            )
        };
        let (polls, waited) = match super::poll(self, &r) {
            Ok(Some(done)) => done,
            Ok(None) => return Ok(r.body),
            Err(PollError::Status(p)) => return Err(p),
            Err(PollError::Failed(body)) => return Err(Response::json(200, body)),
            Err(PollError::Stuck(m)) => return Err(stuck(m)),
        };
        self.note(&format!(
            "polled {polls} times over {} of virtual time",
            crate::engine::clock::duration(waited)
        ));
        match method {
            "DELETE" | "POST" => Ok(Json::Null),
            _ => {
                let g = self.send("GET", url, None);
                if g.status >= 400 { Err(g) } else { Ok(g.body) }
            }
        }
    }

    pub(crate) fn subscription(&self) -> String {
        self.t
            .account()
            .subscriptions
            .first()
            .map(|(id, _)| id.clone())
            .unwrap_or_default()
    }

    pub(crate) fn account(&self) -> super::Account {
        self.t.account()
    }

    pub(crate) fn sleep(&mut self, seconds: u64) -> u64 {
        self.t.sleep(seconds)
    }

    /// Text written to the host (`Write-Host`, `Format-*`), not the pipeline.
    pub(crate) fn host(&mut self, text: &str, newline: bool) {
        self.emit("stdout", text);
        if newline {
            self.emit("stdout", "\n");
        }
    }

    /// The signed-in person's object id, read from Microsoft Graph as Az.KeyVault does for a
    /// new vault's first access policy; None for an application (Graph's `/me` is a person's).
    pub(crate) fn signed_in_object_id(&mut self) -> Option<String> {
        let r = self.send("GET", "https://graph.microsoft.com/v1.0/me", None);
        (r.status == 200)
            .then(|| r.body["id"].as_str().map(str::to_string))
            .flatten()
    }
}

impl Poller for Pwsh<'_> {
    fn sleep(&mut self, seconds: u64) -> u64 {
        self.t.sleep(seconds)
    }

    fn get(&mut self, url: &str) -> Result<Response, PollError> {
        if self.exchanges.len() >= super::MAX_REQUESTS {
            return Err(PollError::Stuck(format!(
                "The playground stops a script after {} requests.",
                super::MAX_REQUESTS
            )));
        }
        Ok(self.send("GET", url, None))
    }
}

/// The .NET name of a status code, as `Operation returned an invalid status code '…'` says it.
pub(crate) fn status_name(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "NoContent",
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        408 => "RequestTimeout",
        409 => "Conflict",
        412 => "PreconditionFailed",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "Unknown",
    }
}

/// The name a command's errors carry: the cmdlet's own spelling when it is one.
fn canonical(name: &str) -> String {
    cmdlets::find(name).map_or_else(|| name.to_string(), |c| c.name.to_string())
}

fn resolve(c: &cmdlets::Cmdlet, name: &str) -> Result<&'static cmdlets::Param, Failure> {
    let all = || c.params.iter().chain(cmdlets::COMMON);
    if let Some(p) = all().find(|p| {
        p.name.eq_ignore_ascii_case(name) || p.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }) {
        return Ok(p);
    }
    let lower = name.to_ascii_lowercase();
    let matches: Vec<&cmdlets::Param> = all()
        .filter(|p| p.name.to_ascii_lowercase().starts_with(&lower))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "A parameter cannot be found that matches parameter name '{name}'."
        )),
        many => Err(format!(
            "Parameter cannot be processed because the parameter name '{name}' is ambiguous. Possible matches include: {}.",
            many.iter()
                .map(|p| format!("-{}", p.name))
                .collect::<Vec<_>>()
                .join(" ")
        )),
    }
}

/// A bound value converted to the parameter's type, as PowerShell's argument transformation
/// and validation do.
fn convert(p: &cmdlets::Param, v: Ps) -> Result<Ps, Failure> {
    use cmdlets::Kind;
    let transform = |what: String| {
        format!(
            "Cannot process argument transformation on parameter '{}'. {what}",
            p.name
        )
    };
    let v = match p.kind {
        Kind::Switch | Kind::Bool => match v {
            Ps::Bool(b) => Ps::Bool(b),
            Ps::Int(n) => Ps::Bool(n != 0),
            other => {
                return Err(transform(format!(
                    "Cannot convert value \"{}\" to type \"System.Boolean\". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.",
                    other.text()
                )));
            }
        },
        Kind::Int => match &v {
            Ps::Int(_) => v,
            other => match other.text().trim().parse::<i64>() {
                Ok(n) => Ps::Int(n),
                Err(_) => {
                    return Err(transform(format!(
                        "Cannot convert value \"{}\" to type \"System.Int64\". Error: \"The input string '{}' was not in a correct format.\"",
                        other.text(),
                        other.text()
                    )));
                }
            },
        },
        Kind::Str => match v {
            Ps::Array(a) if a.len() != 1 => {
                return Err(transform(format!(
                    "Cannot convert value to type System.String: {} values were given.",
                    a.len()
                )));
            }
            Ps::Array(a) => Ps::Str(a.into_iter().next().map(|x| x.text()).unwrap_or_default()),
            Ps::Object(o) if o.is_hashtable() => {
                return Err(transform("Cannot convert the \"System.Collections.Hashtable\" value of type \"System.Collections.Hashtable\" to type \"System.String\".".into()));
            }
            other => Ps::Str(other.text()),
        },
        Kind::StrArray => match v {
            Ps::Array(a) => Ps::Array(a.into_iter().map(|x| Ps::Str(x.text())).collect()),
            Ps::Null => Ps::Array(Vec::new()),
            other => Ps::Array(vec![Ps::Str(other.text())]),
        },
        Kind::Hash => match v {
            Ps::Object(o) if o.is_hashtable() => Ps::Object(o),
            other => {
                return Err(transform(format!(
                    "Cannot convert the \"{}\" value of type \"{}\" to type \"System.Collections.Hashtable\".",
                    other.text(),
                    match other {
                        Ps::Str(_) => "System.String",
                        Ps::Int(_) => "System.Int32",
                        _ => "System.Object",
                    }
                )));
            }
        },
        Kind::Any => v,
    };
    if !p.set.is_empty() {
        let values: Vec<String> = match &v {
            Ps::Array(a) => a.iter().map(Ps::text).collect(),
            x => vec![x.text()],
        };
        for x in values {
            if !p.set.iter().any(|s| s.eq_ignore_ascii_case(&x)) {
                return Err(format!(
                    "Cannot validate argument on parameter '{}'. The argument \"{x}\" does not belong to the set \"{}\" specified by the ValidateSet attribute. Supply an argument that is in the set and then try the command again.",
                    p.name,
                    p.set.join(",")
                ));
            }
        }
    }
    Ok(v)
}

/// The parameters a cmdlet was called with, by their canonical names.
#[derive(Default)]
pub(crate) struct Bound {
    values: Vec<(&'static str, Ps)>,
}

impl Bound {
    fn set(&mut self, p: &cmdlets::Param, v: Ps) {
        self.values.retain(|(n, _)| *n != p.name);
        self.values.push((p.name, v));
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.values.iter().any(|(n, _)| *n == name)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Ps> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    pub(crate) fn str(&self, name: &str) -> Option<String> {
        self.get(name).map(Ps::text)
    }

    /// A mandatory parameter (binding checked it is there).
    pub(crate) fn must(&self, name: &str) -> String {
        self.str(name).unwrap_or_default()
    }

    pub(crate) fn switch(&self, name: &str) -> bool {
        self.get(name).is_some_and(Ps::truthy)
    }

    pub(crate) fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).map(Ps::truthy)
    }

    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            Some(Ps::Int(n)) => Some(*n),
            _ => None,
        }
    }

    pub(crate) fn strings(&self, name: &str) -> Option<Vec<String>> {
        match self.get(name) {
            Some(Ps::Array(a)) => Some(a.iter().map(Ps::text).collect()),
            Some(v) => Some(vec![v.text()]),
            None => None,
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::consoles::Account;
    use proptest::prelude::*;

    /// Answers every request 404, so any script runs every code path that reads a response.
    struct Nowhere;

    impl Transport for Nowhere {
        fn send(
            &mut self,
            method: &str,
            url: &str,
            headers: &[(String, String)],
            body: Option<&str>,
        ) -> Exchange {
            Exchange {
                method: method.into(),
                url: url.into(),
                headers: headers.to_vec(),
                body: body.map(str::to_string),
                credentials: Vec::new(),
                response: Response::json(
                    404,
                    serde_json::json!({"error": {"code": "NotFound", "message": "no"}}),
                ),
                at: 0,
            }
        }
        fn sleep(&mut self, seconds: u64) -> u64 {
            seconds
        }
        fn account(&self) -> Account {
            Account::default()
        }
    }

    const WORDS: &[&str] = &[
        "New-AzKeyVault",
        "Get-AzOperationalInsightsCluster",
        "Update-AzOperationalInsightsCluster",
        "Set-AzKeyVaultAccessPolicy",
        "Invoke-AzOperationalInsightsQuery",
        "ConvertTo-Json",
        "Select-Object",
        "Format-List",
        "Write-Output",
        "-Name",
        "-VaultName",
        "-Depth",
        "-Debug",
        "-ObjectId",
        "-PermissionsToKeys",
        "-SkuCapacity",
        "$x",
        "$x.Identity.PrincipalId",
        "=",
        "|",
        ",",
        ";",
        "\n",
        "`\n",
        "(",
        ")",
        "$(",
        "@(",
        "@{",
        "}",
        "'a'",
        "\"b $x $(1)\"",
        "1",
        "-1",
        "2.5",
        "1kb",
        "$true",
        "$null",
        ".",
        "#c",
        "<#",
        "#>",
        "-Name:",
        "get,wrapKey",
        "00000000-0000-0000-0000-000000000001",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn random_text_never_panics(text in "\\PC{0,120}") {
            let _ = run(&text, &[], &mut Nowhere);
        }

        #[test]
        fn token_soup_never_panics(toks in proptest::collection::vec(proptest::sample::select(WORDS), 0..30)) {
            let _ = run(&toks.join(" "), &[("pwsh:x".into(), "{\"$type\": \"T\", \"$props\": [[\"Identity\", 1]]}".into())], &mut Nowhere);
        }
    }
}
