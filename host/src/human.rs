//! Times as people read them, for the CLI's tables and the dashboard's pages.

/// An optional time, `-` when absent.
pub fn when(t: Option<i64>) -> String {
    t.map(time).unwrap_or_else(|| "-".into())
}

/// The last second either format prints: the end of year 9999.
const LAST_SECOND: u64 = 253_402_300_799;

/// A time for people: `2026-11-29 14:03 UTC (in 59m)`, `(5m ago)`; beyond year 9999 the Unix
/// seconds as they are. Machine-readable output writes [`rfc3339`] instead.
pub fn time(unix: i64) -> String {
    let Some(at) = u64::try_from(unix).ok().filter(|s| *s <= LAST_SECOND) else { return unix.to_string() };
    let stamp = format!("{} UTC", rfc3339(at)[..16].replace('T', " "));
    let now = crate::store::now();
    let relative = |secs: i64| match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h{}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d", secs / 86_400),
    };
    match unix - now {
        d if d >= 0 => format!("{stamp} (in {})", relative(d)),
        d => format!("{stamp} ({} ago)", relative(-d)),
    }
}

/// A time for machines: `2026-11-29T15:04:05Z` (times past year 9999 print as its end).
pub fn rfc3339(unix: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix.min(LAST_SECOND));
    humantime::format_rfc3339_seconds(at).to_string()
}
