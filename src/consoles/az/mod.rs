//! The Azure CLI (`az`) for the commands a customer-managed-key runbook uses, sending the
//! requests the real CLI sends (next-features.md §3): its flags, defaults and client-side
//! checks, GET-then-PUT where it does that, long-running operations polled at `Retry-After`
//! on the virtual clock, its output formats, `--query`, `--debug`, and its error wording
//! (`ERROR: …`, exit status 1, 2 for usage, 3 for a resource not found).

mod args;
mod commands;
pub mod examples;
mod output;

use serde_json::Value;

use super::shell::{Program, Shell, Transcript};
use super::{Account, Exchange, PollError, Poller, Transport};
use crate::engine::Response;

pub use commands::COMMANDS;

/// The api-version each command group sends (the CLI's SDK profiles and aaz definitions,
/// next-features.md §3; `api_versions::SURFACES` lists them as the Azure CLI's defaults).
pub mod api {
    pub const RESOURCES: &str = "2024-11-01";
    pub const KEYVAULT: &str = "2024-11-01";
    pub const KEYVAULT_DATA: &str = "7.6";
    pub const AUTHORIZATION: &str = "2022-04-01";
    pub const IDENTITY: &str = "2023-01-31";
    /// `cluster create|update|show|wait`, `workspace create|show|delete`.
    pub const OI: &str = "2025-02-01";
    /// `cluster list|delete` (their aaz definitions pin the older version).
    pub const OI_CLUSTER_LIST_DELETE: &str = "2021-06-01";
    /// `linked-service`, `linked-storage`, `saved-search`.
    pub const OI_LINKS: &str = "2020-08-01";
    pub const SENTINEL: &str = "2022-06-01-preview";
}

pub const ARM: &str = "https://management.azure.com";
pub const QUERY_API: &str = "https://api.loganalytics.io";

use super::MAX_POLL_TIME;

/// The most requests one script sends (`wait --interval 1 --timeout 99999999` must end).
pub use super::MAX_REQUESTS;

/// How a command failed, and so how the CLI prints it and which status it exits with.
#[derive(Clone, Debug, PartialEq)]
pub enum AzError {
    /// The parser's refusal (exit 2).
    Usage(String),
    /// A client-side check (exit 1).
    Cli(String),
    /// The service answered an error (exit 1; 3 when it was a 404, `ResourceNotFoundError`).
    Service { status: u16, text: String },
}

impl AzError {
    fn status(&self) -> i32 {
        match self {
            AzError::Usage(_) => 2,
            AzError::Cli(_) => 1,
            AzError::Service { status: 404, .. } => 3,
            AzError::Service { .. } => 1,
        }
    }

    fn text(&self) -> &str {
        match self {
            AzError::Usage(t) | AzError::Cli(t) | AzError::Service { text: t, .. } => t,
        }
    }

    /// azure-core's `HttpResponseError` over an ARM/OData error body:
    /// `(Code) Message`, then `Code:` and `Message:` lines (and `Target:` when there is one).
    pub fn from_response(r: &Response) -> AzError {
        let e = &r.body["error"];
        let code = e["code"].as_str().unwrap_or("");
        let message = e["message"].as_str().unwrap_or("");
        let text = if code.is_empty() && message.is_empty() {
            format!(
                "Operation returned an invalid status '{}'",
                reason(r.status)
            )
        } else {
            let mut t = format!("({code}) {message}\nCode: {code}\nMessage: {message}");
            if let Some(target) = e["target"].as_str() {
                t.push_str(&format!("\nTarget: {target}"));
            }
            t
        };
        AzError::Service {
            status: r.status,
            text,
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// What a command has to work with: the transport, the options every command takes, and
/// where its messages go.
pub struct Ctx<'a> {
    t: &'a mut dyn Transport,
    exchanges: &'a mut Vec<Exchange>,
    err: &'a mut String,
    debug: bool,
    quiet: bool,
    pub account: Account,
    /// The subscription commands act in (`--subscription`, else the default).
    pub sub: String,
}

impl Ctx<'_> {
    pub fn arm_url(&self, path: &str, api: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{ARM}{path}{sep}api-version={api}")
    }

    pub fn rg_path(&self, rg: &str) -> String {
        format!("/subscriptions/{}/resourceGroups/{rg}", self.sub)
    }

    pub fn warn(&mut self, msg: &str) {
        if !self.quiet {
            self.err.push_str(&format!("WARNING: {msg}\n"));
        }
    }

    /// A line on stderr the CLI prints whatever `--only-show-errors` says (a plain `print`).
    pub fn notice(&mut self, msg: &str) {
        self.err.push_str(msg);
        self.err.push('\n');
    }

    /// Sends one request and logs it as `--debug` does; any status comes back. A script that
    /// has sent [`MAX_REQUESTS`] is stopped (a wait with a huge timeout, a runaway poll).
    pub fn send(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Response, AzError> {
        if self.exchanges.len() >= MAX_REQUESTS {
            return Err(AzError::Cli(format!(
                "The playground stops a script after {MAX_REQUESTS} requests."
            )));
        }
        let text = body.map(|b| b.to_string());
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        if text.is_some() {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        let x = self.t.send(method, url, &headers, text.as_deref());
        if self.debug {
            self.debug_log(&x);
        }
        let r = x.response.clone();
        self.exchanges.push(x);
        Ok(r)
    }

    /// The CLI's SDK logging policy (`SafeNetworkTraceLoggingPolicy`) at `--debug`: the token
    /// is redacted.
    fn debug_log(&mut self, x: &Exchange) {
        let p = "DEBUG: cli.azure.cli.core.sdk.policies: ";
        let mut s = String::new();
        s.push_str(&format!("{p}Request URL: '{}'\n", x.url));
        s.push_str(&format!("{p}Request method: '{}'\n", x.method));
        s.push_str(&format!("{p}Request headers:\n"));
        for (k, v) in x.headers.iter().chain(&x.credentials) {
            let v = if k.eq_ignore_ascii_case("authorization") {
                "*****"
            } else {
                v
            };
            s.push_str(&format!("{p}    '{k}': '{v}'\n"));
        }
        s.push_str(&format!("{p}Request body:\n"));
        match &x.body {
            Some(b) => s.push_str(&format!("{p}{b}\n")),
            None => s.push_str(&format!("{p}This request has no body\n")),
        }
        s.push_str(&format!("{p}Response status: {}\n", x.response.status));
        s.push_str(&format!("{p}Response headers:\n"));
        for (k, v) in &x.response.headers {
            s.push_str(&format!("{p}    '{k}': '{v}'\n"));
        }
        s.push_str(&format!("{p}Response content:\n"));
        if !x.response.body.is_null() {
            s.push_str(&format!("{p}{}\n", x.response.body));
        }
        self.err.push_str(&s);
    }

    /// A request whose error statuses are the command's error.
    pub fn call(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Value, AzError> {
        let r = self.send(method, url, body)?;
        if r.status >= 400 {
            return Err(AzError::from_response(&r));
        }
        Ok(r.body)
    }

    /// A long-running operation: the request, then (without `--no-wait`) its
    /// `Azure-AsyncOperation` (else `Location`) polled every `Retry-After` seconds of virtual
    /// time until it ends, then the resource read back (PUT/PATCH) as the CLI prints it.
    pub fn lro(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&Value>,
        no_wait: bool,
    ) -> Result<Value, AzError> {
        let r = self.send(method, url, body)?;
        if r.status >= 400 {
            return Err(AzError::from_response(&r));
        }
        if !super::is_long_running(&r) {
            return Ok(r.body);
        }
        if no_wait {
            return Ok(Value::Null);
        }
        if !self.quiet {
            self.err.push_str("- Running ..\n");
        }
        let (polls, waited) = match super::poll(self, &r) {
            Ok(Some(done)) => done,
            Ok(None) => (0, 0),
            Err(PollError::Status(p)) => return Err(AzError::from_response(&p)),
            Err(PollError::Failed(body)) => {
                let e = &body["error"];
                let (code, message) = (
                    e["code"].as_str().unwrap_or(""),
                    e["message"].as_str().unwrap_or(""),
                );
                return Err(AzError::Service {
                    status: 200,
                    text: format!("({code}) {message}\nCode: {code}\nMessage: {message}"),
                });
            }
            Err(PollError::Stuck(m)) => return Err(AzError::Cli(m)),
        };
        if !self.quiet {
            self.err.push_str(&format!(
                "(playground: polled {polls} times over {} of virtual time)\n",
                crate::engine::clock::duration(waited)
            ));
        }
        match method {
            "DELETE" => Ok(Value::Null),
            _ => self.call("GET", url, None),
        }
    }

    /// `sleep`: virtual time passes.
    pub fn sleep(&mut self, seconds: u64) -> u64 {
        self.t.sleep(seconds)
    }
}

impl Poller for Ctx<'_> {
    fn sleep(&mut self, seconds: u64) -> u64 {
        self.t.sleep(seconds)
    }

    fn get(&mut self, url: &str) -> Result<Response, PollError> {
        self.send("GET", url, None)
            .map_err(|e| PollError::Stuck(e.text().to_string()))
    }
}

/// Runs a script of `az` commands (and the shell around them) against a transport.
pub fn run_script(
    shell: &mut Shell,
    script: &str,
    t: &mut dyn Transport,
) -> (Transcript, Vec<Exchange>) {
    let mut exchanges = Vec::new();
    let mut prog = Az {
        t,
        exchanges: &mut exchanges,
    };
    let transcript = shell.run(script, &mut prog);
    (transcript, exchanges)
}

/// The programs this console has: `az`, and `sleep` (virtual seconds).
struct Az<'a> {
    t: &'a mut dyn Transport,
    exchanges: &'a mut Vec<Exchange>,
}

impl Program for Az<'_> {
    fn run(&mut self, argv: &[String], out: &mut String, err: &mut String) -> Option<i32> {
        match argv[0].as_str() {
            "az" => Some(self.az(&argv[1..], out, err)),
            "sleep" => Some(match argv.get(1).and_then(|s| s.parse::<u64>().ok()) {
                Some(n) if argv.len() == 2 => {
                    if self.t.sleep(n) < n {
                        err.push_str("sleep: the virtual clock cannot move that far (it stops at the end of year 9999, and a script sleeps at most 12 years)\n");
                        1
                    } else {
                        0
                    }
                }
                _ => {
                    err.push_str("sleep: this console takes whole seconds: sleep N\n");
                    1
                }
            }),
            _ => None,
        }
    }
}

/// Options every command takes (knack's global arguments and the CLI's `--subscription`).
struct Globals {
    output: String,
    query: Option<String>,
    debug: bool,
    quiet: bool,
    help: bool,
    subscription: Option<String>,
}

fn take_globals(argv: &[String]) -> Result<(Globals, Vec<String>), AzError> {
    let mut g = Globals {
        output: "json".into(),
        query: None,
        debug: false,
        quiet: false,
        help: false,
        subscription: None,
    };
    let mut rest = Vec::new();
    let mut i = 0;
    while i < argv.len() {
        let a = argv[i].as_str();
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (a, None),
        };
        let mut value = |shown: &str| -> Result<String, AzError> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            i += 1;
            argv.get(i)
                .cloned()
                .ok_or_else(|| AzError::Usage(format!("argument {shown}: expected one argument")))
        };
        match name {
            "-o" | "--output" => {
                let v = value("--output/-o")?;
                let Some(f) = output::FORMATS.iter().find(|f| f.eq_ignore_ascii_case(&v)) else {
                    let mut msg = format!("az: '{v}' is not a valid value for '--output'.");
                    if let Some(best) = args::closest(&v, output::FORMATS) {
                        msg.push_str(&format!("\nDid you mean '{best}' ?"));
                    }
                    return Err(AzError::Usage(msg));
                };
                g.output = f.to_string();
            }
            "--query" => g.query = Some(value("--query")?),
            "--subscription" => g.subscription = Some(value("--subscription")?),
            "--debug" => g.debug = true,
            "--verbose" => {}
            "--only-show-errors" => g.quiet = true,
            "-h" | "--help" => g.help = true,
            _ => rest.push(argv[i].clone()),
        }
        i += 1;
    }
    Ok((g, rest))
}

impl Az<'_> {
    fn az(&mut self, argv: &[String], out: &mut String, err: &mut String) -> i32 {
        match self.az_inner(argv, out, err) {
            Ok(()) => 0,
            Err(e) => {
                err.push_str(&format!("ERROR: {}\n", e.text()));
                e.status()
            }
        }
    }

    fn az_inner(
        &mut self,
        argv: &[String],
        out: &mut String,
        err: &mut String,
    ) -> Result<(), AzError> {
        let (g, rest) = take_globals(argv)?;
        // The command is the longest run of leading words that names one.
        let words: Vec<&str> = rest
            .iter()
            .take_while(|w| !w.starts_with('-'))
            .map(String::as_str)
            .collect();
        let found = (1..=words.len()).rev().find_map(|n| {
            COMMANDS
                .iter()
                .find(|c| c.name == words[..n].join(" "))
                .map(|c| (c, n))
        });
        let Some((cmd, n)) = found else {
            return no_command(&words, out);
        };
        let prog = format!("az {}", cmd.name);
        if g.help {
            out.push_str(&commands::help(cmd));
            return Ok(());
        }
        let parsed = args::parse(&prog, cmd.opts, &rest[n..]).map_err(AzError::Usage)?;
        if g.output.starts_with("yaml") {
            return Err(AzError::Cli(format!(
                "The playground's az console prints json, jsonc, table, tsv and none, not {}.",
                g.output
            )));
        }
        let account = self.t.account();
        let sub = match &g.subscription {
            None => account
                .subscriptions
                .first()
                .map(|s| s.0.clone())
                .unwrap_or_default(),
            Some(s) => account
                .subscriptions
                .iter()
                .find(|(id, name)| id.eq_ignore_ascii_case(s) || name == s)
                .map(|(id, _)| id.clone())
                .ok_or_else(|| {
                    AzError::Cli(format!(
                        "Subscription '{s}' not found. Check the spelling and casing and try again."
                    ))
                })?,
        };
        let mut cx = Ctx {
            t: &mut *self.t,
            exchanges: &mut *self.exchanges,
            err,
            debug: g.debug,
            quiet: g.quiet,
            account,
            sub,
        };
        if g.debug {
            // Python's repr of the argument list.
            let args: Vec<String> = argv.iter().map(|a| format!("'{a}'")).collect();
            cx.err.push_str(&format!(
                "DEBUG: cli.knack.cli: Command arguments: [{}]\n",
                args.join(", ")
            ));
        }
        let result = (cmd.run)(&mut cx, &parsed)?;
        let result = match &g.query {
            Some(q) => output::query(q, &result).map_err(AzError::Usage)?,
            None => result,
        };
        out.push_str(&output::format(&result, &g.output));
        Ok(())
    }
}

/// No command named: a group's help, or the parser's "misspelled" refusal.
fn no_command(words: &[&str], out: &mut String) -> Result<(), AzError> {
    // The deepest group the words name.
    let mut depth = 0;
    while depth < words.len() && commands::is_group(&words[..=depth].join(" ")) {
        depth += 1;
    }
    let group = words[..depth].join(" ");
    if depth == words.len() {
        out.push_str(&commands::group_help(&group));
        return Ok(());
    }
    let bad = words[depth];
    let mut msg = format!("'{bad}' is misspelled or not recognized by the system.");
    let choices = commands::children(&group);
    let refs: Vec<&str> = choices.iter().map(String::as_str).collect();
    if let Some(best) = args::closest(bad, &refs) {
        msg.push_str(&format!("\nDid you mean '{best}' ?"));
    }
    Err(AzError::Usage(msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_version_the_console_sends_is_accepted() {
        use crate::engine::api_versions as v;
        for (sent, accepted) in [
            (api::RESOURCES, v::RESOURCES_API),
            (api::KEYVAULT, v::KEYVAULT_API),
            (api::KEYVAULT_DATA, v::DATA_PLANE_API),
            (api::AUTHORIZATION, v::AUTHORIZATION_API),
            (api::IDENTITY, v::MANAGED_IDENTITY_API),
            (api::OI, v::OPERATIONAL_INSIGHTS_API),
            (api::OI_CLUSTER_LIST_DELETE, v::OPERATIONAL_INSIGHTS_API),
            (api::OI_LINKS, v::OPERATIONAL_INSIGHTS_API),
            (api::SENTINEL, v::SECURITY_INSIGHTS_API),
        ] {
            assert!(accepted.contains(&sent), "{sent}");
        }
        // And they are the versions the api-version table says the Azure CLI sends.
        let cli: Vec<&str> = v::SURFACES
            .iter()
            .flat_map(|s| s.defaults.iter())
            .filter(|(client, _)| client.contains("Azure CLI"))
            .map(|(_, v)| *v)
            .collect();
        for sent in [
            api::RESOURCES,
            api::KEYVAULT,
            api::KEYVAULT_DATA,
            api::AUTHORIZATION,
            api::IDENTITY,
            api::OI,
            api::OI_LINKS,
            api::SENTINEL,
        ] {
            assert!(
                cli.contains(&sent),
                "{sent} is not listed as the Azure CLI's"
            );
        }
    }
}
