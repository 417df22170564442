//! Prose the page displays and the engine owns (issue 14): the walkthroughs' "why" and "watch"
//! texts, the drills' promises and explanations, and the error catalogue's messages and sources.
//!
//! Each is written once, with [`prose!`], where it belongs. A build with the engine (feature
//! `worker`: the Worker's module, native builds, the browser tests) holds the texts. The page's
//! own module (feature `page` alone) holds only each text's key, a hash of its words computed at
//! compile time, so the words are not compiled into both modules: the engine hands the page the
//! whole table once ([`table_json`], sent with the Worker's `ready`), and the page installs it
//! ([`install`]) before its first reply arrives.

/// One text: its key, and in builds with the engine, its words.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Prose {
    key: u64,
    #[cfg(feature = "worker")]
    text: &'static str,
}

/// FNV-1a, 64 bits: a text's key. Runs at compile time (the words never reach the page's module).
pub const fn key_of(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

impl Prose {
    /// Use [`prose!`], which keeps the words out of the page's module.
    #[cfg(feature = "worker")]
    pub const fn new(key: u64, text: &'static str) -> Prose {
        Prose { key, text }
    }

    #[cfg(not(feature = "worker"))]
    pub const fn keyed(key: u64) -> Prose {
        Prose { key }
    }

    /// The words.
    #[cfg(feature = "worker")]
    pub fn get(&self) -> &'static str {
        self.text
    }

    /// The words, from the table the engine sent ([`install`]); empty until it has arrived.
    #[cfg(not(feature = "worker"))]
    pub fn get(&self) -> &'static str {
        INSTALLED.with(|t| t.borrow().get(&self.key).copied().unwrap_or(""))
    }
}

impl std::fmt::Debug for Prose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.get(), f)
    }
}

impl std::fmt::Display for Prose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.get())
    }
}

impl serde::Serialize for Prose {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.get())
    }
}

/// A [`Prose`] from a string literal: its key is computed at compile time, and its words are
/// kept only in builds with the engine.
#[cfg(feature = "worker")]
#[macro_export]
macro_rules! prose {
    ($text:expr) => {{
        const P: $crate::texts::Prose =
            $crate::texts::Prose::new($crate::texts::key_of($text), $text);
        P
    }};
}

#[cfg(not(feature = "worker"))]
#[macro_export]
macro_rules! prose {
    ($text:expr) => {{
        const P: $crate::texts::Prose = $crate::texts::Prose::keyed($crate::texts::key_of($text));
        P
    }};
}

/// Every text the page may ask for: each `prose!` literal in the sources (collected by
/// `build.rs`, so this does not refer to the statics that hold them) and each catalogue entry's
/// message and source (which the engine carries anyway).
#[cfg(feature = "worker")]
pub fn all() -> Vec<Prose> {
    use crate::engine::errors::{CATALOGUE, Source};
    let mut out: Vec<Prose> = LITERALS.iter().map(|t| Prose::new(key_of(t), t)).collect();
    for spec in CATALOGUE {
        out.push(spec.message);
        match spec.source {
            Source::Docs(p) | Source::Service(p) | Source::Playground(p) => out.push(p),
            Source::AzureMonitorSeed | Source::SentinelSeed => {}
        }
    }
    out
}

#[cfg(feature = "worker")]
include!(concat!(env!("OUT_DIR"), "/prose_literals.rs"));

/// [`all`] as the JSON the page installs: `[[key as a decimal string, words], ...]` (a string,
/// since a 64-bit key does not fit a JSON number), each key once.
#[cfg(feature = "worker")]
pub fn table_json() -> String {
    let mut seen = std::collections::BTreeMap::new();
    for p in all() {
        seen.entry(p.key).or_insert(p.text);
    }
    let rows: Vec<(String, &str)> = seen.into_iter().map(|(k, t)| (k.to_string(), t)).collect();
    serde_json::to_string(&rows).expect("strings serialise")
}

#[cfg(not(feature = "worker"))]
thread_local! {
    static INSTALLED: std::cell::RefCell<std::collections::HashMap<u64, &'static str>> =
        Default::default();
}

/// Puts the engine's table ([`table_json`]) where [`Prose::get`] finds it. The words live as long
/// as the page (the table arrives once per engine; a second one replaces entries with the same
/// words, so what is leaked is bounded by one table per engine start).
#[cfg(not(feature = "worker"))]
pub fn install(json: &str) -> Result<usize, String> {
    let rows: Vec<(String, String)> = serde_json::from_str(json)
        .map_err(|e| format!("the engine's texts are not readable: {e}"))?;
    INSTALLED.with(|t| {
        let mut t = t.borrow_mut();
        for (key, text) in &rows {
            let key: u64 = key
                .parse()
                .map_err(|_| format!("the engine's texts have a bad key '{key}'"))?;
            if t.get(&key).is_none_or(|old| *old != text) {
                t.insert(key, Box::leak(text.clone().into_boxed_str()));
            }
        }
        Ok(rows.len())
    })
}

#[cfg(all(test, feature = "worker"))]
mod tests {
    use super::*;

    /// What the page displays, walked through the statics that hold it.
    fn displayed() -> Vec<Prose> {
        let mut out = Vec::new();
        for guide in crate::walkthrough::Guide::all() {
            for step in guide.steps() {
                out.extend([step.why, step.watch]);
            }
        }
        for drill in &crate::drills::DRILLS {
            out.extend([drill.summary, drill.promise, drill.source]);
            out.extend(drill.stages.iter().map(|s| s.explain));
        }
        out
    }

    #[test]
    fn every_text_the_page_displays_is_in_the_table_it_gets() {
        let rows: Vec<(String, String)> = serde_json::from_str(&table_json()).unwrap();
        let table: std::collections::HashMap<u64, String> = rows
            .into_iter()
            .map(|(k, t)| (k.parse().unwrap(), t))
            .collect();
        let shown = displayed();
        assert!(shown.len() > 100, "only {} texts", shown.len());
        for p in shown.into_iter().chain(all()) {
            assert_eq!(table.get(&p.key).map(String::as_str), Some(p.get()));
        }
    }

    #[test]
    fn no_two_texts_share_a_key() {
        let mut seen = std::collections::HashMap::new();
        for p in all().into_iter().chain(displayed()) {
            assert_eq!(*seen.entry(p.key).or_insert(p.text), p.text);
        }
    }
}
