//! The messages between the page and the engine host (a Web Worker, or the page itself).
//!
//! Pure data plus one function, [`execute`], so the protocol is the same whether the engine runs
//! in a Worker (messages cross `postMessage` as structured clones) or in the page.

use serde::{Deserialize, Serialize};

use crate::engine::sources::SourceConfig;
use crate::engine::storage::access::Outage;
use crate::engine::storage::{BlockInspection, TamperTarget};
use crate::engine::{Engine, Response, Snapshot};

/// Clock runs longer than this go in slices of it, in both hosts (the Worker reports progress
/// between slices; `SLICE` in worker.js must stay equal).
pub const ADVANCE_SLICE: u64 = 3600;

/// One instruction for the engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// A REST request, exactly as the console or the walkthrough would send it.
    Request {
        method: String,
        url: String,
        headers: Vec<(String, String)>,
        body: Option<String>,
    },
    /// Move the virtual clock forward.
    Advance { seconds: u64 },
    /// Move the virtual clock to the next scheduled event and run it.
    RunToNextEvent,
    /// Just report the current state.
    Snapshot,
    /// Turn a workspace's simulated machines on (with rates) or off.
    ConfigureSources {
        customer_id: String,
        config: Option<SourceConfig>,
    },
    /// Header, ciphertext, key path and a live decrypt check of one block.
    InspectBlock { id: u64 },
    /// Flip one byte (again to undo), then inspect the block.
    Tamper {
        id: u64,
        target: TamperTarget,
        offset: usize,
    },
    /// Simulated transient trouble reaching a vault (`None` ends it).
    KeyVaultOutage {
        vault: String,
        outage: Option<Outage>,
    },
    /// Start over with an empty world (a fresh seed from the platform's CSPRNG, or the given one).
    Reset { seed: Option<[u8; 32]> },
}

impl Command {
    pub fn request(method: &str, url: &str, body: Option<&str>) -> Command {
        Command::Request {
            method: method.trim().to_string(),
            // URLs never contain raw whitespace; a wrapped or pasted URL may.
            url: url.split_whitespace().collect(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.filter(|b| !b.trim().is_empty()).map(str::to_string),
        }
    }

    /// What the page shows while the command runs; RSA key generation gets a warning that it
    /// takes a while (seconds for 4096 bits in a browser).
    pub fn label(&self) -> String {
        match self {
            Command::Request {
                method, url, body, ..
            } => {
                let path = url.split('?').next().unwrap_or(url);
                let lower = path.to_ascii_lowercase();
                if lower.ends_with("/create") || lower.ends_with("/rotate") {
                    let size = body
                        .as_deref()
                        .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
                        .and_then(|v| v["key_size"].as_u64())
                        .unwrap_or(2048);
                    return format!(
                        "Generating an RSA-{size} key from the seeded CSPRNG (real key generation: up to a few seconds, longer for 4096 bits)"
                    );
                }
                format!("{} {}", method.to_ascii_uppercase(), path)
            }
            Command::Advance { seconds } => format!(
                "Advancing the clock by {}",
                crate::engine::clock::duration(*seconds)
            ),
            Command::RunToNextEvent => "Running to the next event".into(),
            Command::Snapshot => "Loading".into(),
            Command::ConfigureSources {
                config: Some(_), ..
            } => "Configuring simulated sources".into(),
            Command::ConfigureSources { config: None, .. } => {
                "Switching simulated sources off".into()
            }
            Command::InspectBlock { id } => format!("Decrypting block {id} through the key chain"),
            Command::Tamper { id, .. } => format!("Tampering with block {id}"),
            Command::KeyVaultOutage {
                vault,
                outage: Some(o),
            } => format!("Key Vault {vault}: {}", o.describe()),
            Command::KeyVaultOutage {
                vault,
                outage: None,
            } => format!("Key Vault {vault} healthy again"),
            Command::Reset { .. } => "Starting over with an empty world".into(),
        }
    }
}

/// The engine's answer: the response (for requests) and the state afterwards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub response: Option<Response>,
    /// Virtual time when the command started.
    pub started: u64,
    pub snapshot: Snapshot,
    /// For block inspection and tampering.
    pub inspection: Option<BlockInspection>,
    /// Why a non-REST command was refused.
    pub error: Option<String>,
}

pub fn execute(engine: &mut Engine, cmd: &Command) -> Reply {
    let started = engine.now();
    let (mut inspection, mut error) = (None, None);
    let response = match cmd {
        Command::Request {
            method,
            url,
            headers,
            body,
        } => {
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            Some(engine.handle(method, url, &headers, body.as_deref()))
        }
        Command::Advance { seconds } => {
            // In the same slices as the Worker (`SLICE` in worker.js): how storage folds its polls
            // depends on where each advance ends, and a saved session must replay to the same
            // world in either host.
            let mut left = *seconds;
            while left > 0 {
                let step = left.min(ADVANCE_SLICE);
                engine.advance(step);
                left -= step;
            }
            None
        }
        Command::RunToNextEvent => {
            engine.run_to_next_event();
            None
        }
        Command::Snapshot => None,
        Command::ConfigureSources {
            customer_id,
            config,
        } => {
            error = engine.configure_sources(customer_id, config.clone()).err();
            None
        }
        Command::InspectBlock { id } => {
            match engine.inspect_block(*id) {
                Ok(i) => inspection = Some(i),
                Err(e) => error = Some(e),
            }
            None
        }
        Command::KeyVaultOutage { vault, outage } => {
            error = engine.set_key_vault_outage(vault, *outage).err();
            None
        }
        Command::Reset { seed } => {
            engine.reset(*seed);
            None
        }
        Command::Tamper { id, target, offset } => {
            match engine
                .tamper(*id, *target, *offset)
                .and_then(|_| engine.inspect_block(*id))
            {
                Ok(i) => inspection = Some(i),
                Err(e) => error = Some(e),
            }
            None
        }
    };
    Reply {
        response,
        started,
        snapshot: engine.snapshot(),
        inspection,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_clock_moves_round_trip_through_serde() {
        let mut e = Engine::with_seed([1; 32]);
        let cmd = Command::request("GET", "https://graph.microsoft.com/v1.0/me", None);
        let text = serde_json::to_string(&cmd).unwrap();
        let reply = execute(&mut e, &serde_json::from_str(&text).unwrap());
        assert_eq!(reply.response.unwrap().status, 200);
        let reply = execute(&mut e, &Command::Advance { seconds: 60 });
        assert_eq!(reply.snapshot.now, reply.started + 60);
        let back: Reply = serde_json::from_str(&serde_json::to_string(&reply).unwrap()).unwrap();
        assert_eq!(back, reply);
    }

    #[test]
    fn key_generation_is_labelled_as_slow() {
        let c = Command::request(
            "POST",
            "https://kv.vault.azure.net/keys/k/create?api-version=7.4",
            Some(r#"{"kty":"RSA","key_size":4096}"#),
        );
        assert!(c.label().contains("RSA-4096"));
    }
}
