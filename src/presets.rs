//! Worlds to start from. A documentation embed of a step (`?embed=1&step=4`, with
//! `guide=sentinel` for the Microsoft Sentinel walkthrough) or of a preset (`preset=provisioned`,
//! `data`, `revoked`, `sentinel`) opens a world in which that step's request succeeds.
//!
//! A preset is a goal, not a recording: its next command is computed from the world as it stands,
//! with the walkthroughs' own requests (the drills' set-up, [`crate::drills::setup_move`]), so it
//! cannot go stale when the engine changes. The page runs it from [`SEED`] through its session,
//! which journals each command like any other: what a preset built is a journal, replayed on a
//! reload, carried by share links and by "Open the full playground".

use crate::drills::{self, Lever, SetupMove};
use crate::engine::Snapshot;
use crate::engine::clock::MINUTE;
use crate::protocol::Command;
use crate::walkthrough::{Card, Context, Guide, Settings};

/// The seed every preset starts from, so every reader of a documentation page sees the same
/// identifiers (keys, principals, versions) as its writer.
pub const SEED: [u8; 32] = *b"cmk-playground documentation v1.";

/// The most commands a preset sends before it gives up (the longest, `sentinel`, sends ~20).
pub const MAX_COMMANDS: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// Just before step N of a walkthrough: every earlier step done, nothing of step N.
    Step(Guide, usize),
    /// The five provisioning steps done: a CMK cluster and a linked workspace, no data.
    Provisioned,
    /// Provisioned, with rows ingested under the key (the drills' set-up).
    Data,
    /// With data, then the key version in use disabled and storage revoked (an hour later).
    Revoked,
    /// With data, the workspace onboarded to Microsoft Sentinel with CMK, a watchlist and a rule.
    Sentinel,
}

impl Preset {
    pub const NAMED: [Preset; 4] = [
        Preset::Provisioned,
        Preset::Data,
        Preset::Revoked,
        Preset::Sentinel,
    ];

    /// The preset a page's options ask for: `preset=` wins over `step=`; `step=1` of the Azure
    /// Monitor walkthrough is the empty world, which needs no preset.
    pub fn from_options(preset: Option<&str>, guide: Guide, step: Option<usize>) -> Option<Preset> {
        if let Some(p) = preset {
            return Preset::NAMED.into_iter().find(|x| x.id() == p);
        }
        match (guide, step?) {
            (Guide::Monitor, 1) => None,
            (g, n) if (1..=g.steps().len()).contains(&n) => Some(Preset::Step(g, n)),
            _ => None,
        }
    }

    /// The name in a URL (`step` presets are written as `step=`).
    pub fn id(self) -> &'static str {
        match self {
            Preset::Step(..) => "step",
            Preset::Provisioned => "provisioned",
            Preset::Data => "data",
            Preset::Revoked => "revoked",
            Preset::Sentinel => "sentinel",
        }
    }

    /// What the page says while it builds the world.
    pub fn describe(self) -> String {
        match self {
            Preset::Step(Guide::Monitor, n) => {
                format!("the world just before step {n} of the Azure Monitor walkthrough")
            }
            Preset::Step(Guide::Sentinel, n) => {
                format!("the world just before step {n} of the Microsoft Sentinel walkthrough")
            }
            Preset::Step(Guide::Lockbox, n) => {
                format!("the world just before step {n} of the Customer Lockbox walkthrough")
            }
            Preset::Step(Guide::Byos, n) => {
                format!(
                    "the world just before step {n} of the saved queries and alerts walkthrough"
                )
            }
            Preset::Provisioned => "a provisioned CMK cluster with a linked workspace".into(),
            Preset::Data => "a provisioned CMK cluster with data in its workspace".into(),
            Preset::Revoked => {
                "a CMK cluster whose key version in use was disabled an hour ago".into()
            }
            Preset::Sentinel => "a workspace onboarded to Microsoft Sentinel with CMK".into(),
        }
    }

    /// The next command to send, given the world now; None once the world is ready.
    pub fn next(self, snap: &Snapshot) -> Option<Command> {
        let settings = Settings::default();
        let cx = Context {
            snap,
            settings: &settings,
        };
        let stop_at = |n: usize, guide: Guide, m: &SetupMove| match m {
            SetupMove::Card(c) => guide.step_of(*c).is_some_and(|s| s >= n),
            SetupMove::Settle | SetupMove::SignIn => false,
            // Rows and Sentinel content come after every step.
            SetupMove::Ingest | SetupMove::Content(_) => true,
        };
        let mv = |m: Option<SetupMove>| m.map(|m| m.command(&cx));
        match self {
            Preset::Step(Guide::Monitor, n) => {
                mv(drills::setup_move(&cx).filter(|m| !stop_at(n, Guide::Monitor, m)))
            }
            Preset::Step(Guide::Sentinel, n) => match drills::setup_move(&cx) {
                Some(m) if m != SetupMove::Ingest => mv(Some(m)),
                _ => mv(
                    drills::sentinel_setup_move(&cx).filter(|m| !stop_at(n, Guide::Sentinel, m))
                ),
            },
            Preset::Step(Guide::Lockbox, n) => mv(drills::setup_move(&cx)).or_else(|| {
                mv(drills::lockbox_setup_move(&cx).filter(|m| !stop_at(n, Guide::Lockbox, m)))
            }),
            Preset::Step(Guide::Byos, n) => match drills::setup_move(&cx) {
                Some(m) if m != SetupMove::Ingest => mv(Some(m)),
                _ => mv(drills::byos_setup_move(&cx).filter(|m| !stop_at(n, Guide::Byos, m))),
            },
            Preset::Provisioned => mv(drills::setup_move(&cx).filter(|m| *m != SetupMove::Ingest)),
            Preset::Data => mv(drills::setup_move(&cx)),
            Preset::Sentinel => {
                mv(drills::setup_move(&cx)).or_else(|| mv(drills::sentinel_setup_move(&cx)))
            }
            Preset::Revoked => mv(drills::setup_move(&cx)).or_else(|| revoke_next(&cx)),
        }
    }
}

/// Disable the key version in use, then let the clock run until storage says it is revoked.
fn revoke_next(cx: &Context) -> Option<Command> {
    let workspace = cx.snap.workspaces.first()?;
    if workspace.access.state == "revoked" {
        return None;
    }
    let in_use = cx.snap.clusters.first()?.key_version_in_use.clone()?;
    let enabled = cx
        .vault()
        .and_then(|v| v.keys.iter().find(|k| k.name == cx.settings.key))
        .and_then(|k| k.versions.iter().find(|v| v.version == in_use))
        .is_some_and(|v| v.enabled);
    if enabled {
        return Lever::DisableInUse.command(cx).ok();
    }
    Some(Command::Advance {
        seconds: 15 * MINUTE,
    })
}

/// The card whose request the embed of `preset` shows first (the step's own first card).
pub fn first_card(preset: Preset) -> Option<Card> {
    match preset {
        Preset::Step(g, n) => g.steps().get(n - 1).and_then(|s| s.cards.first().copied()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::protocol::execute;
    use crate::walkthrough::{self as wt};

    /// Runs `preset` from [`SEED`] the way the page does, returning the engine and the commands.
    fn build(preset: Preset) -> (Engine, usize) {
        let mut engine = Engine::with_seed(SEED);
        let mut snap = execute(&mut engine, &Command::Snapshot).snapshot;
        for n in 0..MAX_COMMANDS {
            let Some(cmd) = preset.next(&snap) else {
                return (engine, n);
            };
            let reply = execute(&mut engine, &cmd);
            assert!(
                reply.error.is_none(),
                "{preset:?}: {cmd:?} refused: {:?}",
                reply.error
            );
            if let Some(r) = &reply.response {
                assert!(
                    r.status < 400,
                    "{preset:?}: {cmd:?} answered {} {}",
                    r.status,
                    r.body
                );
            }
            snap = reply.snapshot;
        }
        panic!("{preset:?} did not finish in {MAX_COMMANDS} commands");
    }

    /// The promise of an embed of step N: every one of that step's requests succeeds.
    #[test]
    fn every_step_of_every_walkthrough_succeeds_in_its_preset() {
        for guide in Guide::all() {
            for step in guide.steps() {
                let Some(preset) = Preset::from_options(None, guide, Some(step.number)) else {
                    continue;
                };
                let (mut engine, n) = build(preset);
                let settings = Settings::default();
                for card in step.cards {
                    let snap = execute(&mut engine, &Command::Snapshot).snapshot;
                    let cx = Context {
                        snap: &snap,
                        settings: &settings,
                    };
                    // A REST request, or (Lockbox) the playground control the card stands for.
                    let reply = execute(&mut engine, &wt::command(*card, &cx));
                    assert!(reply.error.is_none(), "{card:?}: {:?}", reply.error);
                    let Some(r) = reply.response else {
                        assert!(card.is_control(), "{card:?}: no response");
                        continue;
                    };
                    assert!(
                        r.status < 300,
                        "{guide:?} step {} ({n} preset commands): {card:?} answered {} {}",
                        step.number,
                        r.status,
                        r.body
                    );
                    // Operations the step starts finish before its next request.
                    settle(&mut engine, guide, step.number);
                }
                let snap = execute(&mut engine, &Command::Snapshot).snapshot;
                let cx = Context {
                    snap: &snap,
                    settings: &settings,
                };
                let status = guide.status(step.number, &cx);
                assert!(
                    status.is_done(),
                    "{guide:?} step {} is not done after its requests: {}",
                    step.number,
                    status.text()
                );
            }
        }
    }

    /// Runs the clock while step `n` says it is in progress.
    fn settle(engine: &mut Engine, guide: Guide, n: usize) {
        let settings = Settings::default();
        for _ in 0..100 {
            let snap = execute(engine, &Command::Snapshot).snapshot;
            let cx = Context {
                snap: &snap,
                settings: &settings,
            };
            if !matches!(guide.status(n, &cx), wt::Status::Running(_)) {
                return;
            }
            execute(engine, &Command::RunToNextEvent);
        }
    }

    #[test]
    fn named_presets_reach_their_worlds() {
        let (mut e, _) = build(Preset::Provisioned);
        let s = execute(&mut e, &Command::Snapshot).snapshot;
        assert_eq!(s.workspaces[0].link_state, "Linked");
        assert!(
            s.workspaces[0].tables.is_empty(),
            "{:?}",
            s.workspaces[0].tables
        );
        let (mut e, _) = build(Preset::Data);
        let s = execute(&mut e, &Command::Snapshot).snapshot;
        assert!(!s.workspaces[0].tables.is_empty());
        let (mut e, _) = build(Preset::Revoked);
        let s = execute(&mut e, &Command::Snapshot).snapshot;
        assert_eq!(s.workspaces[0].access.state, "revoked");
        let (mut e, _) = build(Preset::Sentinel);
        let s = execute(&mut e, &Command::Snapshot).snapshot;
        let cx = Context {
            snap: &s,
            settings: &Settings::default(),
        };
        assert!(crate::sentinel_walkthrough::sentinel(&cx).is_some_and(|s| s.rules.len() == 1));
    }

    #[test]
    fn options_pick_presets() {
        assert_eq!(
            Preset::from_options(None, Guide::Monitor, Some(4)),
            Some(Preset::Step(Guide::Monitor, 4))
        );
        assert_eq!(Preset::from_options(None, Guide::Monitor, Some(1)), None);
        assert_eq!(Preset::from_options(None, Guide::Monitor, Some(9)), None);
        assert_eq!(
            Preset::from_options(Some("revoked"), Guide::Monitor, Some(4)),
            Some(Preset::Revoked)
        );
        assert_eq!(
            Preset::from_options(Some("nope"), Guide::Monitor, None),
            None
        );
    }
}
