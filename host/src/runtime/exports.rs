//! The connector world's exports as owned calls, so one generic path runs them all on the
//! guest pool.

use super::bindings::{
    AutoConfiguration, AutoConfigureInput, ClientCredential, ClientRequest, Connector, ConnectorError, ConnectorSpec,
    ResourceListing,
};
use super::state::CallState;
use serde::Serialize;
use std::future::Future;
use wasmtime::Store;

/// One export of the `connector` world with its arguments.
pub(super) trait Export: Send + 'static {
    /// What the export returns on success.
    type Output: Serialize + Send + 'static;
    /// The export's WIT name (a metrics label).
    const NAME: &'static str;

    /// Call the export on a fresh instance.
    fn invoke<'a>(
        self,
        connector: &'a Connector,
        store: &'a mut Store<CallState>,
    ) -> impl Future<Output = wasmtime::Result<Result<Self::Output, ConnectorError>>> + Send + 'a;
}

/// `describe`.
pub(super) struct Describe;

impl Export for Describe {
    type Output = ConnectorSpec;
    const NAME: &'static str = "describe";

    async fn invoke(
        self,
        connector: &Connector,
        store: &mut Store<CallState>,
    ) -> wasmtime::Result<Result<ConnectorSpec, ConnectorError>> {
        connector.call_describe(store).await.map(Ok)
    }
}

/// `canonical-resource-id`.
pub(super) struct CanonicalResourceId {
    pub resource_type: String,
    pub resource_id: String,
}

impl Export for CanonicalResourceId {
    type Output = String;
    const NAME: &'static str = "canonical-resource-id";

    async fn invoke(
        self,
        connector: &Connector,
        store: &mut Store<CallState>,
    ) -> wasmtime::Result<Result<String, ConnectorError>> {
        connector.call_canonical_resource_id(store, &self.resource_type, &self.resource_id).await
    }
}

/// `verify`.
pub(super) struct Verify {
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
}

impl Export for Verify {
    type Output = Vec<ResourceListing>;
    const NAME: &'static str = "verify";

    async fn invoke(
        self,
        connector: &Connector,
        store: &mut Store<CallState>,
    ) -> wasmtime::Result<Result<Vec<ResourceListing>, ConnectorError>> {
        connector.call_verify(store, self.resource_type.as_deref(), self.resource_id.as_deref()).await
    }
}

/// `issue-client`.
pub(super) struct IssueClient(pub ClientRequest);

impl Export for IssueClient {
    type Output = ClientCredential;
    const NAME: &'static str = "issue-client";

    async fn invoke(
        self,
        connector: &Connector,
        store: &mut Store<CallState>,
    ) -> wasmtime::Result<Result<ClientCredential, ConnectorError>> {
        connector.call_issue_client(store, &self.0).await
    }
}

/// `auto-configure`.
pub(super) struct AutoConfigure(pub AutoConfigureInput);

impl Export for AutoConfigure {
    type Output = AutoConfiguration;
    const NAME: &'static str = "auto-configure";

    async fn invoke(
        self,
        connector: &Connector,
        store: &mut Store<CallState>,
    ) -> wasmtime::Result<Result<AutoConfiguration, ConnectorError>> {
        connector.call_auto_configure(store, &self.0).await
    }
}
