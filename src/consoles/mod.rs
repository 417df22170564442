//! Command-line consoles in the page: a script in, what it printed and every REST exchange it
//! made out. Sans-IO: a console reaches the services only through [`Transport`] (one request,
//! a clock move, who is signed in), never through the engine, so it is tested natively with the
//! engine behind `protocol`'s transport and could run against anything that speaks REST.
//!
//! * [`shell`]: the POSIX-shell subset consoles share (quotes, variables, `$(…)`).
//! * [`az`]: the Azure CLI commands a customer-managed-key runbook uses.
//! * [`pwsh`]: the Azure PowerShell cmdlets CMK documentation uses (its own parser: PowerShell
//!   is not a POSIX shell).

pub mod az;
pub mod pwsh;
pub mod shell;

use serde::{Deserialize, Serialize};

use crate::engine::Response;

/// One REST request a console sent and what came back, as the page's history shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    /// The headers the console set.
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// The credentials the host added (`Authorization`): what was really sent besides `headers`.
    pub credentials: Vec<(String, String)>,
    pub response: Response,
    /// Virtual time when it was sent.
    pub at: u64,
}

/// What a console run printed, its exit status, every request it sent, and the shell's
/// variables afterwards (the page sends them with the next script, so a session's journal
/// holds everything a replay needs).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsoleRun {
    pub output: Vec<OutputChunk>,
    pub status: i32,
    pub exchanges: Vec<Exchange>,
    pub env: Vec<(String, String)>,
}

/// A piece of output: `stream` is `stdout` or `stderr`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputChunk {
    pub stream: String,
    pub text: String,
}

impl ConsoleRun {
    /// Both streams as a terminal shows them.
    pub fn text(&self) -> String {
        self.output.iter().map(|c| c.text.as_str()).collect()
    }
}

/// Runs an `az` script with the given shell variables.
pub fn run_az(script: &str, env: &[(String, String)], t: &mut dyn Transport) -> ConsoleRun {
    let mut sh = shell::Shell::with_vars(env.iter().cloned());
    let mut t = Budget {
        t,
        left: crate::protocol::MAX_ADVANCE,
    };
    let (transcript, exchanges) = az::run_script(&mut sh, script, &mut t);
    ConsoleRun {
        output: transcript
            .chunks
            .into_iter()
            .map(|(s, text)| OutputChunk {
                stream: match s {
                    shell::Stream::Out => "stdout".into(),
                    shell::Stream::Err => "stderr".into(),
                },
                text,
            })
            .collect(),
        status: transcript.status,
        exchanges,
        env: sh.vars.into_iter().collect(),
    }
}

/// The most requests one script sends: each is kept for the page's history, and a loop a client
/// would run for days must end.
pub const MAX_REQUESTS: usize = 5_000;

/// Seconds between polls when a service gives no `Retry-After` (azure-core's ARM poller and
/// Microsoft.Rest.Azure alike).
pub const DEFAULT_POLL: u64 = 30;
/// A long-running operation still running after this much virtual time is given up on (the
/// services here finish within hours; this bounds a poll loop, it is not a client's number).
pub const MAX_POLL_TIME: u64 = 14 * 86_400;

/// What a console's poll loop needs from the console: its sleep and its GET (which logs the
/// exchange, and traces it when the console is debugging).
pub trait Poller {
    fn sleep(&mut self, seconds: u64) -> u64;
    /// A GET, or why the console stops sending (its request bound).
    fn get(&mut self, url: &str) -> Result<Response, PollError>;
}

/// Whether `first` started a long-running operation a client polls.
pub fn is_long_running(first: &Response) -> bool {
    (first.status == 201 || first.status == 202)
        && (first.header("Azure-AsyncOperation").is_some() || first.header("Location").is_some())
}

/// How a long-running operation ended, when it did not succeed.
#[derive(Clone, Debug, PartialEq)]
pub enum PollError {
    /// A poll answered an error status.
    Status(Response),
    /// The operation reported `Failed` or `Canceled`: its status body.
    Failed(serde_json::Value),
    /// Still running after [`MAX_POLL_TIME`], or the clock could not move.
    Stuck(String),
}

/// Polls the long-running operation `first` started, as the Azure SDKs do: its
/// `Azure-AsyncOperation` (else `Location`) every `Retry-After` seconds (else
/// [`DEFAULT_POLL`]) of virtual time until it ends. `Ok(None)`: `first` was not a long-running
/// operation (no 201/202 with a status URL); `Ok(Some((polls, seconds waited)))`: it succeeded.
pub fn poll(p: &mut dyn Poller, first: &Response) -> Result<Option<(u32, u64)>, PollError> {
    let by_header = first.header("Azure-AsyncOperation").is_some();
    let status_url = first
        .header("Azure-AsyncOperation")
        .or_else(|| first.header("Location"))
        .map(str::to_string);
    let Some(status_url) = status_url.filter(|_| first.status == 201 || first.status == 202) else {
        return Ok(None);
    };
    let mut wait = retry_after(first);
    let (mut waited, mut polls) = (0u64, 0u32);
    loop {
        if waited >= MAX_POLL_TIME {
            return Err(PollError::Stuck(format!(
                "The operation did not finish within {} of virtual time.",
                crate::engine::clock::duration(MAX_POLL_TIME)
            )));
        }
        let slept = p.sleep(wait);
        if slept == 0 {
            return Err(PollError::Stuck(
                "The virtual clock cannot move further (it is at its end, or this script already slept 12 years); the operation cannot finish.".into(),
            ));
        }
        waited += slept;
        polls += 1;
        let r = p.get(&status_url)?;
        if r.status >= 400 {
            return Err(PollError::Status(r));
        }
        wait = retry_after(&r);
        let done = if by_header {
            match r.body["status"].as_str().unwrap_or("") {
                "Succeeded" => true,
                "Failed" | "Canceled" | "Cancelled" => return Err(PollError::Failed(r.body)),
                _ => false,
            }
        } else {
            r.status != 202
        };
        if done {
            return Ok(Some((polls, waited)));
        }
    }
}

fn retry_after(r: &Response) -> u64 {
    r.header("Retry-After")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_POLL)
}

/// Runs an Azure PowerShell script with the variables an earlier run left.
pub fn run_pwsh(script: &str, env: &[(String, String)], t: &mut dyn Transport) -> ConsoleRun {
    let mut t = Budget {
        t,
        left: crate::protocol::MAX_ADVANCE,
    };
    pwsh::run(script, env, &mut t)
}

/// A script sleeps at most [`crate::protocol::MAX_ADVANCE`] in all, the longest one clock move
/// may be: many sleeps in one script must not cost more than one `Advance` may.
struct Budget<'a> {
    t: &'a mut dyn Transport,
    left: u64,
}

impl Transport for Budget<'_> {
    fn send(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<&str>,
    ) -> Exchange {
        self.t.send(method, url, headers, body)
    }

    fn sleep(&mut self, seconds: u64) -> u64 {
        let moved = self.t.sleep(seconds.min(self.left));
        self.left -= moved;
        moved
    }

    fn account(&self) -> Account {
        self.t.account()
    }
}

/// The signed-in account, as `az account show` reports it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Account {
    /// A person's user principal name, or an application's id.
    pub user: String,
    /// `user` or `servicePrincipal`.
    pub user_type: String,
    pub tenant_id: String,
    /// `(id, name)`; the first is the default subscription.
    pub subscriptions: Vec<(String, String)>,
}

/// What a console may do to the world: the same things a CLI on a laptop can.
pub trait Transport {
    /// Sends one request (the host adds the signed-in principal's credentials).
    fn send(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<&str>,
    ) -> Exchange;
    /// Lets `seconds` of virtual time pass (a CLI's sleep between polls); returns how many did
    /// (fewer only at the end of the clock).
    fn sleep(&mut self, seconds: u64) -> u64;
    /// Who is signed in, and to which subscriptions.
    fn account(&self) -> Account;
}
