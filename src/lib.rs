//! cmk-playground: a browser playground for Azure Monitor customer-managed keys.
//!
//! * [`engine`]: the deterministic, sans-IO simulation (native and wasm).
//! * [`protocol`]: the messages between the page and the engine host.
//! * [`walkthrough`]: the guided provisioning steps, as data.
//! * [`sentinel_walkthrough`]: the Microsoft Sentinel CMK steps on top of them, as data.
//! * [`presets`]: worlds a page or an embed starts from (just before step N, provisioned, ...).
//! * [`recording`]: a session as seed + commands: its localStorage, link and file forms, rewinds.
//! * [`drills`]: guided drills (revoke, rotate, outage, identity None, and Microsoft Sentinel's
//!   revoke, rotate and refused changes) and their checks, as data.
//! * [`texts`]: the prose the page displays and the engine owns (the page gets it from the engine).
//! * [`consoles`]: the in-page command lines (`az`), sans-IO over a narrow transport.
//! * `ui` (wasm, feature `page`): the Yew page. `wasm` (wasm only): the entry point and the JS
//!   API (`WasmEngine`, feature `worker`).

pub mod byos_walkthrough;
pub mod chart;
pub mod consoles;
pub mod copy_as;
pub mod drills;
pub mod engine;
pub mod fleet;
pub mod fuzzing;
pub mod lockbox_walkthrough;
pub mod presets;
pub mod protocol;
pub mod recording;
pub mod sentinel_walkthrough;
pub mod texts;
pub mod walkthrough;

#[cfg(all(target_arch = "wasm32", feature = "page"))]
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
