//! A session's recording: the engine's 32-byte seed and the commands it ran, in order, each with
//! what its reply showed. The engine is deterministic, so this is the whole session: the page
//! keeps it in localStorage (`ui::session`), shares it as a link or a file, and rewinds by
//! cutting it. Pure, so it is tested natively.
//!
//! Invariant: replaying `seed` then `entries` rebuilds the world; an entry's `check` is what its
//! reply showed, and a replay that shows something else (another build's engine) is refused.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::protocol::{Command, Reply};
use crate::walkthrough::Card;

/// One journalled command, with what the page needs to file its reply again and a check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub cmd: Command,
    pub source: String,
    pub card: Option<Card>,
    /// What the reply showed; None for a command a rewind made up (filled in when it runs).
    pub check: Option<Check>,
    /// Virtual time when the command started, and the timeline's length after it (so a timeline
    /// entry can be traced to the command that wrote it). Absent in journals of older builds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<usize>,
}

impl Entry {
    pub fn new(cmd: Command, source: String, card: Option<Card>, reply: &Reply) -> Entry {
        Entry {
            cmd,
            source,
            card,
            check: Some(Check::of(reply)),
            started: Some(reply.started),
            events: Some(reply.snapshot.timeline_len),
        }
    }

    /// Whether `reply` shows what this entry's did (always, for an entry without a check).
    pub fn matches(&self, reply: &Reply) -> bool {
        self.check.as_ref().is_none_or(|c| *c == Check::of(reply))
    }

    fn is_clock_move(&self) -> bool {
        matches!(self.cmd, Command::Advance { .. } | Command::RunToNextEvent)
    }
}

/// What a command's reply showed; replay must show the same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub status: Option<u16>,
    pub now: u64,
    pub refused: bool,
}

impl Check {
    pub fn of(reply: &Reply) -> Check {
        Check {
            status: reply.response.as_ref().map(|r| r.status),
            now: reply.snapshot.now,
            refused: reply.error.is_some(),
        }
    }
}

/// The seed and the commands. This is also the localStorage format (`seed` as 32 numbers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    pub seed: [u8; 32],
    pub entries: Vec<Entry>,
}

/// What a link or a file is: named, versioned, the seed in hex.
#[derive(Serialize, Deserialize)]
struct Wire {
    format: String,
    version: u32,
    seed: String,
    entries: Vec<Entry>,
}

const FORMAT: &str = "cmk-playground session";
const VERSION: u32 = 1;
/// A shared session may not inflate to more than this (a link is a few KB; localStorage holds
/// about 5 MB, so no real session comes near it).
pub const MAX_SESSION_BYTES: usize = 64 << 20;
/// Longer links are offered as a file: 8,000 characters is what mail clients, chat apps and the
/// common web servers and proxies keep intact (RFC 9110 recommends senders and recipients
/// support at least 8,000 octets in a request line).
pub const MAX_LINK_CHARS: usize = 8_000;
/// The fragment's name in a share link: `…/#session=<base64url of the deflated file>`.
pub const FRAGMENT: &str = "session=";

/// What a session holds, for the page to say before it is shared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contents {
    pub commands: usize,
    pub requests: usize,
    /// Log records posted through the HTTP Data Collector API, and their bytes.
    pub records: usize,
    pub record_bytes: usize,
    /// Virtual time the session covers, in seconds.
    pub span: u64,
}

impl Journal {
    pub fn new(seed: [u8; 32]) -> Journal {
        Journal {
            seed,
            entries: Vec::new(),
        }
    }

    /// The session as a file: readable JSON.
    pub fn to_file(&self) -> String {
        serde_json::to_string_pretty(&self.wire()).expect("a journal serializes")
    }

    fn wire(&self) -> Wire {
        Wire {
            format: FORMAT.into(),
            version: VERSION,
            seed: self.seed.iter().map(|b| format!("{b:02x}")).collect(),
            entries: self.entries.clone(),
        }
    }

    /// A file written by [`Journal::to_file`] (or the same JSON inflated from a link).
    pub fn from_file(text: &str) -> Result<Journal, String> {
        let w: Wire = serde_json::from_str(text)
            .map_err(|e| format!("This is not a CMK Playground session file ({e})."))?;
        if w.format != FORMAT {
            return Err(format!(
                "This is not a CMK Playground session file (its format is \"{}\").",
                w.format
            ));
        }
        if w.version != VERSION {
            return Err(format!(
                "This session was saved in format version {}, which this playground cannot read (it reads version {VERSION}).",
                w.version
            ));
        }
        let seed = hex32(&w.seed).ok_or("The session's seed is not 64 hexadecimal digits.")?;
        Ok(Journal {
            seed,
            entries: w.entries,
        })
    }

    /// The fragment of a share link: [`FRAGMENT`] then the file deflated, in base64url.
    pub fn to_fragment(&self) -> String {
        let json = serde_json::to_vec(&self.wire()).expect("a journal serializes");
        let packed = miniz_oxide::deflate::compress_to_vec(&json, 9);
        format!("{FRAGMENT}{}", URL_SAFE_NO_PAD.encode(packed))
    }

    /// The session in a link's fragment (with or without its `#`).
    pub fn from_fragment(fragment: &str) -> Result<Journal, String> {
        let data = fragment
            .trim_start_matches('#')
            .strip_prefix(FRAGMENT)
            .ok_or("The link has no session in it.")?;
        let packed = URL_SAFE_NO_PAD
            .decode(data.trim())
            .map_err(|_| "The link's session is damaged (it is not base64url); was it cut short when it was copied?")?;
        let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_SESSION_BYTES)
            .map_err(|_| "The link's session is damaged (it does not inflate); was it cut short when it was copied?")?;
        let text = std::str::from_utf8(&json).map_err(|_| "The link's session is not text.")?;
        Journal::from_file(text)
    }

    pub fn contents(&self) -> Contents {
        let mut c = Contents {
            commands: self.entries.len(),
            span: self
                .entries
                .last()
                .and_then(|e| e.check.as_ref())
                .map(|c| c.now)
                .zip(self.entries.first().and_then(|e| e.started))
                .map(|(end, start)| end.saturating_sub(start))
                .unwrap_or(0),
            ..Contents::default()
        };
        for e in &self.entries {
            if let Command::Request {
                method, url, body, ..
            } = &e.cmd
            {
                c.requests += 1;
                let logs = method.eq_ignore_ascii_case("POST")
                    && url
                        .to_ascii_lowercase()
                        .contains(".ods.opinsights.azure.com/api/logs");
                if let (true, Some(b)) = (logs, body) {
                    c.records += match serde_json::from_str::<serde_json::Value>(b) {
                        Ok(serde_json::Value::Array(a)) => a.len(),
                        Ok(_) => 1,
                        Err(_) => 0,
                    };
                    c.record_bytes += b.len();
                }
            }
        }
        c
    }

    /// The session as it was before its first `n` commands' successors: its first `n` entries.
    pub fn first(&self, n: usize) -> Journal {
        Journal {
            seed: self.seed,
            entries: self.entries[..n.min(self.entries.len())].to_vec(),
        }
    }

    /// The entry of the `h`-th request that got a response (the page's history counts these).
    pub fn request_entry(&self, h: usize) -> Option<usize> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                matches!(e.cmd, Command::Request { .. })
                    && e.check.as_ref().is_none_or(|c| c.status.is_some())
            })
            .nth(h)
            .map(|(i, _)| i)
    }

    /// The session just before timeline entry `index` (which happened at virtual time `time`):
    /// the commands before the one that wrote it, and if that one was a clock move, the clock
    /// moved to a second before the entry. None if no command wrote it (it is older than the
    /// session's recording of timeline lengths, or not in this session).
    pub fn before_event(&self, index: usize, time: u64) -> Option<Journal> {
        let k = self
            .entries
            .iter()
            .position(|e| e.events.is_some_and(|n| n > index))?;
        let mut cut = self.first(k);
        let e = &self.entries[k];
        if let (true, Some(start)) = (e.is_clock_move(), e.started) {
            let seconds = time.saturating_sub(start).saturating_sub(1);
            if seconds > 0 {
                cut.entries.push(Entry {
                    cmd: Command::Advance { seconds },
                    source: "Rewind".into(),
                    card: None,
                    check: None,
                    started: Some(start),
                    events: None,
                });
            }
        }
        Some(cut)
    }
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::protocol::execute;

    /// Runs `cmds` from `seed`, journalling them as the page does.
    fn record(seed: [u8; 32], cmds: &[Command]) -> (Journal, Engine) {
        let mut engine = Engine::with_seed(seed);
        let mut j = Journal::new(seed);
        for c in cmds {
            let reply = execute(&mut engine, c);
            j.entries
                .push(Entry::new(c.clone(), "Test".into(), None, &reply));
        }
        (j, engine)
    }

    fn replay(j: &Journal) -> Engine {
        let mut engine = Engine::with_seed(j.seed);
        for e in &j.entries {
            let reply = execute(&mut engine, &e.cmd);
            assert!(e.matches(&reply), "{:?} replayed differently", e.cmd);
        }
        engine
    }

    fn session() -> Vec<Command> {
        let logs = "https://00000000-0000-0000-0000-000000000000.ods.opinsights.azure.com/api/logs?api-version=2016-04-01";
        vec![
            Command::request(
                "PUT",
                "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg?api-version=2021-04-01",
                Some(r#"{"location":"eastus"}"#),
            ),
            Command::Advance { seconds: 3600 },
            Command::request("POST", logs, Some(r#"[{"a":1},{"a":2}]"#)),
            Command::RunToNextEvent,
        ]
    }

    #[test]
    fn links_and_files_round_trip_and_replay_to_the_same_world() {
        let (j, engine) = record([7; 32], &session());
        let link = j.to_fragment();
        assert!(link.starts_with(FRAGMENT));
        let back = Journal::from_fragment(&format!("#{link}")).unwrap();
        assert_eq!(back, j);
        assert_eq!(Journal::from_file(&j.to_file()).unwrap(), j);
        assert_eq!(replay(&back).checkpoint(), engine.checkpoint());
        let c = j.contents();
        assert_eq!((c.commands, c.requests, c.records), (4, 2, 2));
        assert_eq!(c.record_bytes, r#"[{"a":1},{"a":2}]"#.len());
        assert!(c.span >= 3600);
    }

    #[test]
    fn damaged_links_and_files_are_refused_with_a_reason() {
        let (j, _) = record([7; 32], &session());
        let link = j.to_fragment();
        let cut = &link[..link.len() / 2];
        assert!(
            Journal::from_fragment(cut)
                .unwrap_err()
                .contains("cut short")
        );
        assert!(
            Journal::from_fragment("session=!!")
                .unwrap_err()
                .contains("base64url")
        );
        assert!(
            Journal::from_fragment("other=1")
                .unwrap_err()
                .contains("no session")
        );
        assert!(
            Journal::from_file("{}")
                .unwrap_err()
                .contains("not a CMK Playground session")
        );
        let newer = j.to_file().replace("\"version\": 1", "\"version\": 9");
        assert!(
            Journal::from_file(&newer)
                .unwrap_err()
                .contains("version 9")
        );
        let bad_seed = j.to_file().replace(&"07".repeat(32), "zz");
        assert!(Journal::from_file(&bad_seed).unwrap_err().contains("seed"));
        // A bomb: a link that inflates past the bound is refused, not allocated.
        let big = vec![b' '; MAX_SESSION_BYTES + 1];
        let bomb = URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&big, 9));
        assert!(Journal::from_fragment(&format!("{FRAGMENT}{bomb}")).is_err());
    }

    #[test]
    fn the_local_storage_format_is_unchanged() {
        // Journals saved before `check` became optional and `started`/`events` existed.
        let old = r#"{"seed":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],"entries":[{"cmd":"RunToNextEvent","source":"Clock","card":null,"check":{"status":null,"now":5,"refused":false}}]}"#;
        let j: Journal = serde_json::from_str(old).unwrap();
        assert_eq!(j.entries[0].check.as_ref().unwrap().now, 5);
        assert_eq!(j.entries[0].events, None);
    }

    #[test]
    fn rewinding_to_a_timeline_entry_stops_just_before_it() {
        // Just before step 3: the cluster's creation ran on the clock and wrote the timeline.
        let preset = crate::presets::Preset::Step(crate::walkthrough::Guide::Monitor, 3);
        let mut engine = Engine::with_seed([9; 32]);
        let mut j = Journal::new([9; 32]);
        let mut snap = execute(&mut engine, &Command::Snapshot).snapshot;
        while let Some(c) = preset.next(&snap) {
            let reply = execute(&mut engine, &c);
            j.entries.push(Entry::new(c, "Test".into(), None, &reply));
            snap = reply.snapshot;
        }
        // The newest timeline entry was written by a clock move to the next event.
        let (index, at) = (snap.timeline_len - 1, snap.timeline.last().unwrap().time);
        let k = j
            .entries
            .iter()
            .position(|e| e.events > Some(index))
            .unwrap();
        assert!(j.entries[k].is_clock_move());
        let cut = j.before_event(index, at).unwrap();
        assert_eq!(
            cut.entries.len(),
            k + 1,
            "the commands before, then a shorter clock move"
        );
        assert!(matches!(cut.entries[k].cmd, Command::Advance { .. }));
        let mut rewound = replay(&cut);
        let s = execute(&mut rewound, &Command::Snapshot).snapshot;
        assert_eq!(s.now, at - 1);
        // Everything written before that second, nothing from it on.
        assert!(s.timeline_len <= index && s.timeline.iter().all(|e| e.time < at));
        assert!(s.timeline_len >= j.entries[k - 1].events.unwrap());
        // An entry written by a request: the cut ends before that request.
        let w = j.entries.iter().position(|e| e.events > Some(0)).unwrap();
        let first_event = j.before_event(0, 0).unwrap();
        assert_eq!(first_event.entries.len(), w);
        assert_eq!(j.request_entry(0), Some(0));
        assert_eq!(j.first(2).entries.len(), 2);
    }
}
