//! Wall-clock helpers for expiry times (WASI clocks, provided by the host).

use crate::{ConnectorError, Result};

/// Now, in Unix seconds.
pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// Unix seconds of an RFC 3339 / ISO 8601 UTC timestamp such as `2026-11-23T20:00:00Z` or
/// `2026-11-23T20:00:00.123456Z` (fractions are dropped; a numeric offset is applied).
pub fn unix_seconds(text: &str) -> Result<u64> {
    let bad = || ConnectorError::Upstream(format!("the upstream answered an unreadable time `{text}`"));
    let number = |s: &str| s.parse::<i64>().map_err(|_| bad());
    let (date, time) = text.trim().split_once(['T', 't', ' ']).ok_or_else(bad)?;
    let [y, m, day] = date.split('-').collect::<Vec<_>>()[..] else { return Err(bad()) };
    let (y, m, day) = (number(y)?, number(m)?, number(day)?);
    // Split off the zone: `Z`, `+hh:mm` or `-hh:mm`.
    let (clock, offset) = match time.find(['Z', 'z', '+', '-']) {
        Some(i) => (&time[..i], &time[i..]),
        None => (time, ""),
    };
    let offset_secs = match offset.as_bytes().first() {
        Some(sign @ (b'+' | b'-')) => {
            let (h, min) = offset[1..].split_once(':').unwrap_or((&offset[1..], "0"));
            let secs = number(h)? * 3600 + number(min)? * 60;
            if *sign == b'+' { secs } else { -secs }
        }
        _ => 0,
    };
    let clock = clock.split('.').next().unwrap_or_default();
    let (h, min, s) = match clock.split(':').collect::<Vec<_>>()[..] {
        [h, min] => (number(h)?, number(min)?, 0),
        [h, min, s] => (number(h)?, number(min)?, number(s)?),
        _ => return Err(bad()),
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || min > 59 || s > 60 {
        return Err(bad());
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    u64::try_from(days * 86400 + h * 3600 + min * 60 + s - offset_secs).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::unix_seconds;

    #[test]
    fn reads_utc_fractional_and_offset_timestamps() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(unix_seconds("2030-01-01T00:00:00Z").unwrap(), 1_893_456_000);
        assert_eq!(unix_seconds("2030-01-01T00:00:00.999999Z").unwrap(), 1_893_456_000);
        assert_eq!(unix_seconds("2030-01-01T01:00:00+01:00").unwrap(), 1_893_456_000);
        assert_eq!(unix_seconds("2029-12-31T23:00:00-01:00").unwrap(), 1_893_456_000);
        assert!(unix_seconds("yesterday").is_err());
        assert!(unix_seconds("2030-13-01T00:00:00Z").is_err());
    }
}
