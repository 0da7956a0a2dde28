//! Times as people read them, for the CLI's tables and the dashboard's pages.

/// An optional time, `-` when absent.
pub fn when(t: Option<i64>) -> String {
    t.map(time).unwrap_or_else(|| "-".into())
}

/// A time for people: `2026-11-29 14:03 UTC (in 59m)`, `(5m ago)`; beyond year 9999 the Unix
/// seconds as they are. JSON output keeps Unix seconds.
pub fn time(unix: i64) -> String {
    let Some(at) = u64::try_from(unix).ok().filter(|s| *s <= 253_402_300_799) else { return unix.to_string() };
    let stamp =
        humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(at)).to_string();
    let stamp = format!("{} UTC", stamp[..16].replace('T', " "));
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
