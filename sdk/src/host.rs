//! The host imports the SDK calls: the real host's in a component, the test kit's mock host
//! ([`crate::testing`]) in a native build, so connector crates unit-test with `cargo test`.

#[cfg(target_arch = "wasm32")]
pub(crate) use crate::bindings::airlock::connector::{config, http, log, ssh};

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use crate::testing::imports::{config, http, log, ssh};
