//! Rows offered to each workspace over virtual time, per hour: how many were stored, how many
//! dropped and why, and what ingestion met (the key unusable, Key Vault unreachable). Bounded
//! ([`MAX_BUCKETS`] hours per workspace), written once per ingestion call (no per-row work), and
//! outside the rollback like the drop counters it sits beside.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

/// One bucket per virtual hour.
pub const BUCKET_SECS: u64 = 3600;
/// Hours kept per workspace (three days): enough for a revocation and its recovery, or a
/// Customer Lockbox approval's eight hours, with room either side.
pub const MAX_BUCKETS: usize = 72;
/// Distinct drop reasons kept per bucket; more are counted under the last.
pub const MAX_REASONS: usize = 3;
/// A reason's text is cut here (they are one sentence).
const MAX_REASON_CHARS: usize = 240;

/// One hour of one workspace's ingestion.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Start of the hour (virtual seconds since the Unix epoch).
    pub start: u64,
    /// Rows the workspace was sent: stored + dropped.
    pub ingested: u64,
    pub stored: u64,
    pub dropped: u64,
    /// Why rows were dropped, with how many each.
    pub reasons: Vec<(String, u64)>,
    /// Some ingestion in this hour found the workspace's account key unusable (revoked, or
    /// recovering), or Key Vault unreachable (storage carrying on with its cached key).
    pub key_unusable: bool,
    pub vault_unreachable: bool,
}

/// What one ingestion call met, besides its counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Conditions {
    pub key_unusable: bool,
    pub vault_unreachable: bool,
}

/// Every workspace's buckets, by customer id, oldest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    by_workspace: BTreeMap<String, VecDeque<Bucket>>,
}

impl Series {
    /// Counts one ingestion call at `now`: `stored` rows kept, `dropped` rows lost for `reason`.
    pub fn record(
        &mut self,
        customer_id: &str,
        now: u64,
        stored: u64,
        dropped: u64,
        reason: Option<&str>,
        met: Conditions,
    ) {
        let start = now - now % BUCKET_SECS;
        let buckets = match self.by_workspace.get_mut(customer_id) {
            Some(b) => b,
            None => self
                .by_workspace
                .entry(customer_id.to_string())
                .or_default(),
        };
        // Time never moves backwards, so only the newest bucket can be this hour's.
        if buckets.back().is_none_or(|b| b.start < start) {
            if buckets.len() == MAX_BUCKETS {
                buckets.pop_front();
            }
            buckets.push_back(Bucket {
                start,
                ..Bucket::default()
            });
        }
        let Some(b) = buckets.back_mut() else {
            return;
        };
        b.ingested = b.ingested.saturating_add(stored).saturating_add(dropped);
        b.stored = b.stored.saturating_add(stored);
        b.dropped = b.dropped.saturating_add(dropped);
        b.key_unusable |= met.key_unusable;
        b.vault_unreachable |= met.vault_unreachable;
        if let (Some(reason), true) = (reason, dropped > 0) {
            // Cut without allocating: a repeated reason (the common case) costs a comparison.
            let cut = reason
                .char_indices()
                .nth(MAX_REASON_CHARS)
                .map_or(reason, |(i, _)| &reason[..i]);
            let full = b.reasons.len() >= MAX_REASONS;
            match b.reasons.iter().position(|(r, _)| r == cut) {
                Some(i) => b.reasons[i].1 = b.reasons[i].1.saturating_add(dropped),
                None if !full => b.reasons.push((cut.to_string(), dropped)),
                None => {
                    if let Some((_, n)) = b.reasons.last_mut() {
                        *n = n.saturating_add(dropped);
                    }
                }
            }
        }
    }

    /// One workspace's newest `hours` buckets, oldest first (hours with nothing sent have none).
    pub fn buckets(&self, customer_id: &str, hours: usize) -> Vec<Bucket> {
        self.by_workspace
            .get(customer_id)
            .map(|b| {
                b.iter()
                    .skip(b.len().saturating_sub(hours))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u64 = BUCKET_SECS;
    const T0: u64 = 1_772_438_400; // 2026-03-02T08:00:00Z

    #[test]
    fn calls_in_one_hour_share_a_bucket_and_counts_add_up() {
        let mut s = Series::default();
        let ok = Conditions::default();
        s.record("w", T0 + 10, 5, 0, None, ok);
        s.record("w", T0 + H - 1, 3, 0, None, ok);
        let revoked = Conditions {
            key_unusable: true,
            vault_unreachable: false,
        };
        s.record(
            "w",
            T0 + H,
            0,
            4,
            Some("storage is unavailable: access revoked"),
            revoked,
        );
        s.record(
            "w",
            T0 + H + 60,
            0,
            2,
            Some("storage is unavailable: access revoked"),
            revoked,
        );
        s.record("other", T0, 1, 0, None, ok);
        let b = s.buckets("w", MAX_BUCKETS);
        assert_eq!(b.len(), 2);
        assert_eq!(
            (b[0].start, b[0].ingested, b[0].stored, b[0].dropped),
            (T0, 8, 8, 0)
        );
        assert!(!b[0].key_unusable && b[0].reasons.is_empty());
        assert_eq!(
            (b[1].start, b[1].ingested, b[1].stored, b[1].dropped),
            (T0 + H, 6, 0, 6)
        );
        assert!(b[1].key_unusable && !b[1].vault_unreachable);
        assert_eq!(
            b[1].reasons,
            [("storage is unavailable: access revoked".to_string(), 6)]
        );
        assert_eq!(s.buckets("other", MAX_BUCKETS).len(), 1);
        assert!(s.buckets("none", MAX_BUCKETS).is_empty());
    }

    #[test]
    fn it_keeps_the_newest_hours_and_a_few_reasons() {
        let mut s = Series::default();
        for h in 0..(MAX_BUCKETS as u64 + 10) {
            s.record("w", T0 + h * H, 1, 0, None, Conditions::default());
        }
        let b = s.buckets("w", MAX_BUCKETS);
        assert_eq!(b.len(), MAX_BUCKETS);
        assert_eq!(b[0].start, T0 + 10 * H);
        let newest = s.buckets("w", 2);
        assert_eq!(newest, b[MAX_BUCKETS - 2..]);
        for (i, r) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            s.record(
                "w",
                T0 + 100 * H,
                0,
                i as u64 + 1,
                Some(r),
                Conditions::default(),
            );
        }
        let last = s.buckets("w", MAX_BUCKETS).pop().unwrap();
        assert_eq!(last.reasons.len(), MAX_REASONS);
        // d (4) and e (5) are counted under the last kept reason.
        assert_eq!(last.reasons[2], ("c".to_string(), 3 + 4 + 5));
        assert_eq!(last.dropped, 15);
        let long = "x".repeat(1000);
        s.record("w", T0 + 200 * H, 0, 1, Some(&long), Conditions::default());
        assert_eq!(
            s.buckets("w", MAX_BUCKETS).pop().unwrap().reasons[0]
                .0
                .len(),
            MAX_REASON_CHARS
        );
    }

    /// What one ingestion call adds: a thousand workspaces, a year of hours each (so the caps
    /// are reached), timed per call and per snapshot's worth of reading. Prints; run with
    /// `cargo test --lib ingestion::tests::cost -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn cost() {
        let ids: Vec<String> = (0..1000)
            .map(|i| format!("{i:08x}-0000-4000-8000-000000000000"))
            .collect();
        let mut s = Series::default();
        let calls = 2_000_000u64;
        let t = std::time::Instant::now();
        for i in 0..calls {
            let id = &ids[(i % 1000) as usize];
            let dropped = i % 7;
            s.record(
                id,
                T0 + i * 4,
                100,
                dropped,
                Some("storage is unavailable"),
                Conditions::default(),
            );
        }
        let per_call = t.elapsed().as_nanos() as f64 / calls as f64;
        let t = std::time::Instant::now();
        let mut n = 0;
        for _ in 0..100 {
            n += ids
                .iter()
                .map(|id| s.buckets(id, 48).len())
                .take(8)
                .sum::<usize>();
        }
        let per_snapshot = t.elapsed().as_micros() as f64 / 100.0;
        println!(
            "record: {per_call:.0} ns per ingestion call; snapshot's series: {per_snapshot:.1} µs ({} buckets)",
            n / 100
        );
        assert_eq!(s.buckets(&ids[0], MAX_BUCKETS).len(), MAX_BUCKETS);
    }
}
