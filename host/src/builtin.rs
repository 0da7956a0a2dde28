//! The built-in connector components, compiled by `build.rs` and embedded in the binary.

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));
