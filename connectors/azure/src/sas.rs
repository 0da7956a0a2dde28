//! Shared Access Signatures for Blob storage, signed by the host with the account key binding
//! (HMAC-SHA256): the key never enters this component. String-to-sign layouts are those of
//! service version 2022-11-02.

use airlock_sdk::http::{self, form_urlencoded};
use airlock_sdk::{Result, time};

pub const VERSION: &str = "2022-11-02";
/// Clients may use the SAS over HTTPS only, unless the endpoint is plain HTTP (an emulator).
fn protocols(endpoint: &str) -> &'static str {
    if endpoint.starts_with("http://") { "https,http" } else { "https" }
}

/// An account SAS for listing containers (`ss=b`, `srt=sco`, `sp=rl`), valid for `seconds`.
pub fn account_list(endpoint: &str, origin: &str, account: &str, seconds: u64) -> Result<String> {
    let expiry = rfc3339(time::now() + seconds);
    let spr = protocols(endpoint);
    let string_to_sign = format!("{account}\nrl\nb\nsco\n\n{expiry}\n\n{spr}\n{VERSION}\n\n");
    let sig = http::hmac_sha256("account_key", &string_to_sign, origin)?;
    Ok(form_urlencoded(&[
        ("sv", VERSION),
        ("ss", "b"),
        ("srt", "sco"),
        ("sp", "rl"),
        ("se", &expiry),
        ("spr", spr),
        ("sig", &sig),
    ]))
}

/// A service SAS for one container (`sr=c`) with `permissions`, expiring at `expires_at`.
pub fn container(
    endpoint: &str,
    origin: &str,
    account: &str,
    container: &str,
    permissions: &str,
    expires_at: u64,
) -> Result<String> {
    let expiry = rfc3339(expires_at);
    let spr = protocols(endpoint);
    let resource = format!("/blob/{account}/{container}");
    let string_to_sign = format!("{permissions}\n\n{expiry}\n{resource}\n\n\n{spr}\n{VERSION}\nc\n\n\n\n\n\n\n");
    let sig = http::hmac_sha256("account_key", &string_to_sign, origin)?;
    Ok(form_urlencoded(&[
        ("sv", VERSION),
        ("sr", "c"),
        ("sp", permissions),
        ("se", &expiry),
        ("spr", spr),
        ("sig", &sig),
    ]))
}

/// `2026-11-29T14:03:00Z` for Unix seconds.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    // Civil date from days (Howard Hinnant's algorithm).
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}
