//! Virtual time: the scheduled-event queue and date formatting.
//!
//! Time is an input: it moves only when the caller calls `Engine::advance`, and every timestamp
//! the engine writes is derived from it. Times are Unix seconds (UTC).

pub const MINUTE: u64 = 60;
pub const HOUR: u64 = 3600;
pub const DAY: u64 = 86_400;

/// The latest instant the virtual clock reaches: 9999-12-31T23:59:59Z. Advancing further stops
/// here, so that adding documented durations to the current time can never overflow.
pub const LATEST: u64 = 253_402_300_799;

/// The instant every new engine starts at: Monday 2 March 2026, 08:00 UTC.
pub fn epoch() -> u64 {
    days_from_civil(2026, 3, 2) as u64 * DAY + 8 * HOUR
}

/// Something the engine will do at a given virtual time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// An asynchronous ARM operation reaches its end (by operation id).
    CompleteOperation(String),
    /// A soft-deleted Key Vault key reaches its scheduled purge date.
    PurgeDeletedKey { vault: String, key: String },
    /// A soft-deleted vault reaches its scheduled purge date.
    PurgeDeletedVault { vault: String },
    /// Daily storage upkeep: hot-cache aging and retention purges.
    StorageMaintenance,
    /// A workspace's simulated sources send their next batch (by lower-cased workspace id).
    SourceTick { workspace: String },
    /// A storage account goes back to Key Vault to unwrap its AEK (every 6-60 seconds).
    KeyVaultPoll { account: String },
    /// A key's rotation policy creates a new version (lower-cased vault and key names).
    KeyRotationDue { vault: String, key: String },
    /// A resource provider's registration (or unregistration) in a subscription completes
    /// (canonical subscription id and namespace).
    ProviderRegistration {
        subscription: String,
        namespace: String,
    },
    /// A Microsoft Sentinel scheduled analytics rule runs (lower-cased workspace id and rule id).
    SentinelRule { workspace: String, rule: String },
    /// A Lockbox request still pending four days after it was made expires (request id).
    LockboxExpiry { request: String },
    /// The eight hours of access an approved Lockbox request granted end.
    LockboxAccessEnds { request: String },
    /// The support engineer reads the workspace's data under an approved Lockbox request.
    LockboxRead { request: String },
    /// A log search alert rule is evaluated (lower-cased rule id).
    LogAlertRule { rule: String },
}

impl Event {
    /// Background housekeeping that runs every few seconds: "run to next event" skips over it.
    pub fn is_background(&self) -> bool {
        matches!(
            self,
            Event::KeyVaultPoll { .. }
                | Event::SourceTick { .. }
                | Event::SentinelRule { .. }
                | Event::LogAlertRule { .. }
        )
    }
}

/// Events ordered by due time, then by the order they were scheduled. A persistent map, so the
/// world's copy before a request costs nothing (see `World`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventQueue {
    items: imbl::OrdMap<(u64, u64), Event>,
    seq: u64,
}

impl EventQueue {
    pub fn schedule(&mut self, at: u64, event: Event) {
        self.seq += 1;
        self.items.insert((at, self.seq), event);
    }

    /// Removes and returns the earliest event due at or before `until`.
    pub fn pop_due(&mut self, until: u64) -> Option<(u64, Event)> {
        let &((at, seq), _) = self.items.get_min()?;
        if at > until {
            return None;
        }
        self.items.remove(&(at, seq)).map(|e| (at, e))
    }

    pub fn next_due(&self) -> Option<u64> {
        self.items.keys().next().map(|(at, _)| *at)
    }

    /// The earliest event that is not background housekeeping (see [`Event::is_background`]).
    pub fn next_foreground(&self) -> Option<(u64, &Event)> {
        self.iter().find(|(_, e)| !e.is_background())
    }

    pub fn iter(&self) -> impl Iterator<Item = (u64, &Event)> {
        self.items.iter().map(|((at, _), e)| (*at, e))
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&Event) -> bool) {
        let gone: Vec<(u64, u64)> = self
            .items
            .iter()
            .filter(|(_, e)| !keep(e))
            .map(|(k, _)| *k)
            .collect();
        for k in gone {
            self.items.remove(&k);
        }
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) for days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn split(t: u64) -> (i64, u32, u32, u64, u64, u64) {
    let (y, mo, d) = civil_from_days((t / DAY) as i64);
    let s = t % DAY;
    (y, mo, d, s / HOUR, s % HOUR / MINUTE, s % MINUTE)
}

/// ARM's timestamp form: `2026-03-02T08:00:00.0000000Z`.
pub fn iso(t: u64) -> String {
    let (y, mo, d, h, mi, s) = split(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.0000000Z")
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// HTTP's date form (RFC 7231 IMF-fixdate, `x-ms-date`): `Mon, 02 Mar 2026 08:00:00 GMT`.
pub fn rfc1123(t: u64) -> String {
    let (y, mo, d, h, mi, s) = split(t);
    let weekday = WEEKDAYS[((t / DAY) % 7) as usize];
    let month = MONTHS[(mo - 1) as usize];
    format!("{weekday}, {d:02} {month} {y:04} {h:02}:{mi:02}:{s:02} GMT")
}

/// Parses an IMF-fixdate (the weekday is not checked); `None` if malformed.
pub fn parse_rfc1123(s: &str) -> Option<u64> {
    let rest = s.trim().split_once(", ")?.1;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [d, mon, y, time, zone] = parts.as_slice() else {
        return None;
    };
    if !zone.eq_ignore_ascii_case("GMT") && !zone.eq_ignore_ascii_case("UTC") {
        return None;
    }
    let mo = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(mon))? as u32 + 1;
    let (d, y): (u32, i64) = (d.parse().ok()?, y.parse().ok()?);
    let hms: Vec<u64> = time
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let [h, mi, sec] = hms.as_slice() else {
        return None;
    };
    if !(1970..=9999).contains(&y) || !(1..=31).contains(&d) || *h > 23 || *mi > 59 || *sec > 59 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(days as u64 * DAY + h * HOUR + mi * MINUTE + sec)
}

/// .NET's invariant-culture form ARM writes in token errors: `3/2/2026 8:00:00 AM`.
pub fn dotnet(t: u64) -> String {
    let (y, mo, d, h, mi, s) = split(t);
    let (h12, ampm) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    format!("{mo}/{d}/{y} {h12}:{mi:02}:{s:02} {ampm}")
}

/// Short form for people: `2026-03-02 08:00:00 UTC`.
pub fn human(t: u64) -> String {
    let (y, mo, d, h, mi, s) = split(t);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC")
}

/// Date only: `2026-03-02`.
pub fn date(t: u64) -> String {
    let (y, mo, d, ..) = split(t);
    format!("{y:04}-{mo:02}-{d:02}")
}

/// Parses an ISO-8601 duration (`P90D`, `P1Y6M`, `P2W`, `PT12H`) into seconds, counting a year
/// as 365 days and a month as 30; `None` if malformed, empty, fractional or out of range.
pub fn parse_duration(s: &str) -> Option<u64> {
    if s.contains(['.', ',']) {
        return None;
    }
    parse_duration_ms(s).map(|ms| ms / 1000)
}

/// [`parse_duration`] in milliseconds, where any component may have a decimal fraction
/// (`PT0.5S`, `P1.5D`); digits past the millisecond are dropped.
pub fn parse_duration_ms(s: &str) -> Option<u64> {
    let upper = s.trim().to_ascii_uppercase();
    let rest = upper.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (rest, None),
    };
    // `n` units of `unit` ms, `n` being `digits[.digits]`; None on overflow.
    fn amount(n: &str, unit: u64) -> Option<u64> {
        let (whole, frac) = n.split_once(['.', ',']).unwrap_or((n, ""));
        if whole.is_empty() || !frac.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let frac = &frac[..frac.len().min(12)];
        let part = match frac.parse::<u128>() {
            Ok(f) => f * unit as u128 / 10u128.pow(frac.len() as u32),
            Err(_) => 0,
        };
        whole
            .parse::<u64>()
            .ok()?
            .checked_mul(unit)?
            .checked_add(u64::try_from(part).ok()?)
    }
    fn parts(text: &str, units: &[(char, u64)]) -> Option<(u64, bool)> {
        let (mut total, mut any, mut num, mut next) = (0u64, false, String::new(), 0);
        for c in text.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                num.push(c);
                continue;
            }
            let i = units[next..].iter().position(|(u, _)| *u == c)? + next;
            total = total.checked_add(amount(&num, units[i].1)?)?;
            (any, next) = (true, i + 1);
            num.clear();
        }
        num.is_empty().then_some((total, any))
    }
    const S: u64 = 1000;
    let (d, any_d) = parts(
        date,
        &[
            ('Y', 365 * DAY * S),
            ('M', 30 * DAY * S),
            ('W', 7 * DAY * S),
            ('D', DAY * S),
        ],
    )?;
    let (t, any_t) = match time {
        Some(t) => parts(t, &[('H', HOUR * S), ('M', MINUTE * S), ('S', S)])?,
        None => (0, false),
    };
    (any_d || any_t).then_some(d.checked_add(t)?)
}

/// `1h 30m`-style durations for people.
pub fn duration(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / DAY,
        secs % DAY / HOUR,
        secs % HOUR / MINUTE,
        secs % MINUTE,
    );
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "m"), (s, "s")]
        .iter()
        .filter(|(v, _)| *v > 0)
        .map(|(v, u)| format!("{v}{u}"))
        .collect();
    if parts.is_empty() {
        "0s".into()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-1000i64, 0, 1, 19_000, 20_514, 60_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
    }

    #[test]
    fn latest_is_the_last_second_of_9999() {
        assert_eq!(iso(LATEST), "9999-12-31T23:59:59.0000000Z");
    }

    #[test]
    fn formats_epoch() {
        assert_eq!(iso(epoch()), "2026-03-02T08:00:00.0000000Z");
        assert_eq!(human(epoch() + DAY + 61), "2026-03-03 08:01:01 UTC");
    }

    #[test]
    fn queue_orders_by_time_then_schedule_order() {
        let mut q = EventQueue::default();
        q.schedule(10, Event::CompleteOperation("b".into()));
        q.schedule(5, Event::CompleteOperation("a".into()));
        q.schedule(10, Event::CompleteOperation("c".into()));
        assert_eq!(q.next_due(), Some(5));
        assert_eq!(q.pop_due(4), None);
        let order: Vec<_> = std::iter::from_fn(|| q.pop_due(100))
            .map(|(_, e)| e)
            .collect();
        assert_eq!(
            order,
            ["a", "b", "c"]
                .map(|s| Event::CompleteOperation(s.into()))
                .to_vec()
        );
    }

    #[test]
    fn duration_reads_well() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(5400), "1h 30m");
        assert_eq!(duration(DAY + 1), "1d 1s");
    }
}
