//! Sessions and presets, timed natively: how long each preset world takes to build, how many
//! commands it journals, how big its journal is as a file and as a share link, and how long a
//! replay of it takes (the ratio replay / build should be about 1: a replay is the same work).
//! Asserts nothing about speed; the figures go to BENCHMARKS.md. `cargo bench --bench sessions`.

use std::time::Instant;

use cmk_playground::engine::Engine;
use cmk_playground::presets::{self, Preset};
use cmk_playground::protocol::{Command, execute};
use cmk_playground::recording::{Entry, Journal};
use cmk_playground::walkthrough::Guide;

fn build(preset: Preset) -> (Journal, f64) {
    let t = Instant::now();
    let mut engine = Engine::with_seed(presets::SEED);
    let mut journal = Journal::new(presets::SEED);
    let mut snap = execute(&mut engine, &Command::Snapshot).snapshot;
    while let Some(cmd) = preset.next(&snap) {
        let reply = execute(&mut engine, &cmd);
        snap = reply.snapshot.clone();
        journal
            .entries
            .push(Entry::new(cmd, "Preset".into(), None, &reply));
    }
    (journal, t.elapsed().as_secs_f64() * 1e3)
}

fn replay(journal: &Journal) -> f64 {
    let t = Instant::now();
    let mut engine = Engine::with_seed(journal.seed);
    for e in &journal.entries {
        let reply = execute(&mut engine, &e.cmd);
        assert!(e.matches(&reply), "a replay differs");
    }
    t.elapsed().as_secs_f64() * 1e3
}

fn main() {
    println!(
        "{:<28} {:>8} {:>9} {:>10} {:>10} {:>10} {:>8}",
        "preset", "commands", "build ms", "file B", "link chars", "replay ms", "replay/build"
    );
    let mut all = vec![
        ("step 2 (Azure Monitor)", Preset::Step(Guide::Monitor, 2)),
        ("step 5 (Azure Monitor)", Preset::Step(Guide::Monitor, 5)),
        ("step 4 (Sentinel)", Preset::Step(Guide::Sentinel, 4)),
    ];
    all.extend(Preset::NAMED.iter().map(|p| (p.id(), *p)));
    for (name, preset) in all {
        let (journal, built) = build(preset);
        let file = journal.to_file().len();
        let link = journal.to_fragment().len();
        let replayed = replay(&journal);
        println!(
            "{name:<28} {:>8} {built:>9.0} {file:>10} {link:>10} {replayed:>10.0} {:>8.2}",
            journal.entries.len(),
            replayed / built
        );
    }
}
