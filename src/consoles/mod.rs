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
