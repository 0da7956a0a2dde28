//! Which request headers carry credentials or shape the connection: a guest may set neither,
//! and no credential may go into the latter.

/// Headers only the host may set: credentials and signing inputs.
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-amz-security-token",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-goog-iam-authorization-token",
    "x-api-key",
    "x-auth-token",
    "private-token",
];

/// Headers that shape the connection or the response's bytes. A guest may not set them (a
/// compressed or partial response would hide an echoed secret from the reflection check), and
/// no credential may go into them.
const TRANSPORT_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "upgrade",
    "te",
    "accept-encoding",
    "range",
    "if-range",
];

/// Whether a header name is one of [`TRANSPORT_HEADERS`].
pub fn is_transport_header(name: &str) -> bool {
    TRANSPORT_HEADERS.contains(&name.to_ascii_lowercase().as_str())
}

/// Whether only the host may set this header (credentials, signing inputs, transport).
pub fn reserved_for_host(name: &str) -> bool {
    is_transport_header(name) || CREDENTIAL_HEADERS.contains(&name.to_ascii_lowercase().as_str())
}
