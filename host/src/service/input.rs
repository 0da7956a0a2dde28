//! Rules for the text users give: names, labels, descriptions, resource ids and configuration
//! values. Checked once, before anything is written, with the same answer on every store.

use super::ServiceError;
use std::collections::BTreeMap;

/// Longest description.
const MAX_DESCRIPTION: usize = 4096;
/// Longest resource id.
const MAX_RESOURCE_ID: usize = 1024;
/// Longest label key and value.
const MAX_LABEL_KEY: usize = 63;
const MAX_LABEL_VALUE: usize = 256;
/// Most labels on one connector.
const MAX_LABELS: usize = 64;
/// Longest configuration value (a service-account key or a kubeconfig fits).
const MAX_CONFIG_VALUE: usize = 32 << 10;

/// A name of something users address by name (connector, user, token): 1 to `max` letters,
/// digits, `-`, `_`, `.` or `@`, not `.` or `..`, and never in the form of an id, so a name can
/// never shadow another object's id.
pub fn check_name(kind: &str, name: &str, max: usize) -> Result<(), ServiceError> {
    let shown = printable(name);
    let chars_ok = name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c));
    if name.is_empty() || name.len() > max || !chars_ok || name == "." || name == ".." {
        return Err(ServiceError::Invalid(format!(
            "`{shown}` is not a valid {kind} name (1-{max} letters, digits, `-`, `_`, `.`, `@`; not `.` or `..`)"
        )));
    }
    if crate::store::is_id(name) {
        return Err(ServiceError::Invalid(format!("`{shown}` has the form of an id; a {kind} name cannot")));
    }
    Ok(())
}

/// A description: at most 4096 bytes, no control characters but newlines and tabs.
pub fn check_description(text: &str) -> Result<(), ServiceError> {
    if text.len() > MAX_DESCRIPTION {
        return Err(ServiceError::Invalid(format!("the description is longer than {MAX_DESCRIPTION} bytes")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ServiceError::Invalid("the description contains control characters".into()));
    }
    Ok(())
}

/// Labels: keys of letters, digits, `-`, `_`, `.`, `/`; values without control characters.
pub fn check_labels(labels: &BTreeMap<String, String>) -> Result<(), ServiceError> {
    if labels.len() > MAX_LABELS {
        return Err(ServiceError::Invalid(format!("at most {MAX_LABELS} labels")));
    }
    labels.iter().try_for_each(|(key, value)| check_label(key, value))
}

/// One label (an empty value is allowed: in an update it removes the label).
pub fn check_label(key: &str, value: &str) -> Result<(), ServiceError> {
    let key_ok = key.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if key.is_empty() || key.len() > MAX_LABEL_KEY || !key_ok {
        return Err(ServiceError::Invalid(format!(
            "`{}` is not a valid label key (1-{MAX_LABEL_KEY} letters, digits, `-`, `_`, `.`, `/`)",
            printable(key)
        )));
    }
    if value.len() > MAX_LABEL_VALUE || value.chars().any(char::is_control) {
        return Err(ServiceError::Invalid(format!(
            "the value of label `{key}` is longer than {MAX_LABEL_VALUE} bytes or has control characters"
        )));
    }
    Ok(())
}

/// A resource id as given: no control characters, no surrounding white space, bounded length.
/// (Each connector then applies its cloud's own naming rules.)
pub fn check_resource_id(id: &str) -> Result<(), ServiceError> {
    if id.is_empty() || id.len() > MAX_RESOURCE_ID || id.chars().any(char::is_control) || id.trim() != id {
        return Err(ServiceError::Invalid(format!(
            "`{}` is not a valid resource id (1-{MAX_RESOURCE_ID} bytes, no control characters or surrounding spaces)",
            printable(id)
        )));
    }
    Ok(())
}

/// A short identifier such as a connector or resource type, or an auth method.
pub fn check_identifier(kind: &str, text: &str) -> Result<(), ServiceError> {
    let ok = !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    match ok {
        true => Ok(()),
        false => Err(ServiceError::Invalid(format!("`{}` is not a valid {kind}", printable(text)))),
    }
}

/// Configuration values may be multi-line (keys, certificates) but never hold NUL, and are
/// bounded. Messages name the attribute, never the value.
pub fn check_configuration(configuration: &BTreeMap<String, String>) -> Result<(), ServiceError> {
    for (name, value) in configuration {
        check_identifier_like_attribute(name)?;
        if value.contains('\0') || value.len() > MAX_CONFIG_VALUE {
            return Err(ServiceError::Invalid(format!(
                "the value of `{name}` contains NUL or is longer than {MAX_CONFIG_VALUE} bytes"
            )));
        }
    }
    Ok(())
}

fn check_identifier_like_attribute(name: &str) -> Result<(), ServiceError> {
    let ok =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
    match ok {
        true => Ok(()),
        false => Err(ServiceError::Invalid(format!("`{}` is not a valid attribute name", printable(name)))),
    }
}

/// Text safe to quote in a message: control characters escaped, cut at 80 characters.
pub(crate) fn printable(text: &str) -> String {
    let escaped: String = text.chars().flat_map(char::escape_default).collect();
    match escaped.char_indices().nth(80) {
        Some((at, _)) => format!("{}...", &escaped[..at]),
        None => escaped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_be_ids_dots_or_control_text() {
        assert!(check_name("connector", "ci-registry.prod_1", 128).is_ok());
        for bad in ["", ".", "..", "a b", "nul\0x", "tab\t", "0190f5a0-1234-7abc-8def-0123456789ab", "ünïcode"] {
            assert!(check_name("connector", bad, 128).is_err(), "{bad:?}");
        }
        let long = "a".repeat(129);
        assert!(check_name("connector", &long, 128).is_err());
        let message = check_name("connector", "x\0y", 128).unwrap_err().to_string();
        assert!(message.contains("x\\u{0}y"), "{message}");
    }

    #[test]
    fn text_fields_refuse_control_characters() {
        assert!(check_description("two\nlines\tand a tab").is_ok());
        assert!(check_description("nul\0").is_err());
        assert!(check_resource_id("s3://bucket").is_ok());
        assert!(check_resource_id("bucket\n").is_err());
        assert!(check_resource_id(" bucket").is_err());
        assert!(check_labels(&BTreeMap::from([("team/area".into(), "infra".into())])).is_ok());
        assert!(check_labels(&BTreeMap::from([("k".into(), "v\0".into())])).is_err());
        assert!(check_configuration(&BTreeMap::from([("key".into(), "-----BEGIN\nKEY-----".into())])).is_ok());
        assert!(check_configuration(&BTreeMap::from([("key".into(), "a\0b".into())])).is_err());
        assert!(check_identifier("connector type", "aws").is_ok());
        assert!(check_identifier("connector type", "aws\0").is_err());
    }
}
