//! Airlock: brokers access to cloud and infrastructure resources through service connectors
//! that run as sandboxed WebAssembly components.
//!
//! Data flow: the [`cli`] (or the server) prepares an [`instance::Instance`] from a user's
//! configuration, the [`runtime`] runs the connector's component in a fresh sandbox, and the
//! component's outbound requests go through [`runtime::outbound`], which applies the [`egress`] gate and
//! the host-held [`credentials`].

pub mod api;
pub mod autoconfigure;
pub mod builtin;
pub mod cli;
pub mod credentials;
pub mod egress;
pub mod human;
pub mod instance;
pub mod metrics;
pub mod runtime;
pub mod server;
pub mod service;
pub mod store;
pub mod ui;
pub mod vault;
