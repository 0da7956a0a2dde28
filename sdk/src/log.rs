//! Logging into the host's log.

use crate::host::log::{self as raw, Level};

/// Log at debug level.
pub fn debug(message: impl AsRef<str>) {
    raw::log(Level::Debug, message.as_ref());
}

/// Log at info level.
pub fn info(message: impl AsRef<str>) {
    raw::log(Level::Info, message.as_ref());
}

/// Log at warn level.
pub fn warn(message: impl AsRef<str>) {
    raw::log(Level::Warn, message.as_ref());
}
