//! The connector world's exports as owned calls, so one generic path runs them all on the
//! guest pool. A call looks up and type-checks only the export it calls: the bindings' loader
//! would type-check all five on every instance, and each call has an instance of its own.

use super::bindings::{
    AutoConfiguration, AutoConfigureInput, ClientCredential, ClientRequest, ConnectorError, ConnectorSpec,
    ResourceListing,
};
use super::state::CallState;
use serde::Serialize;
use std::future::Future;
use wasmtime::Store;
use wasmtime::component::{ComponentNamedList, Instance, Lift, Lower};

/// One export of the `connector` world with its arguments.
pub(super) trait Export: Send + 'static {
    /// What the export returns on success.
    type Output: Serialize + Send + 'static;
    /// The export's WIT name (a metrics label).
    const NAME: &'static str;

    /// Call the export on a fresh instance.
    fn invoke<'a>(
        self,
        instance: &'a Instance,
        store: &'a mut Store<CallState>,
    ) -> impl Future<Output = wasmtime::Result<Result<Self::Output, ConnectorError>>> + Send + 'a;
}

/// Call the export `name` of `instance` with `params`, after checking its type against the
/// signature asked for.
async fn call<P, R>(instance: &Instance, store: &mut Store<CallState>, name: &str, params: P) -> wasmtime::Result<R>
where
    P: ComponentNamedList + Lower + Send + Sync,
    R: ComponentNamedList + Lift + Send + Sync + 'static,
{
    let func = instance.get_typed_func::<P, R>(&mut *store, name)?;
    func.call_async(&mut *store, params).await
}

/// `describe`.
pub(super) struct Describe;

impl Export for Describe {
    type Output = ConnectorSpec;
    const NAME: &'static str = "describe";

    async fn invoke(
        self,
        instance: &Instance,
        store: &mut Store<CallState>,
    ) -> wasmtime::Result<Result<ConnectorSpec, ConnectorError>> {
        let (spec,) = call::<(), (ConnectorSpec,)>(instance, store, Self::NAME, ()).await?;
        Ok(Ok(spec))
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
        instance: &Instance,
        store: &mut Store<CallState>,
    ) -> wasmtime::Result<Result<String, ConnectorError>> {
        let params = (self.resource_type.as_str(), self.resource_id.as_str());
        let (result,) = call::<_, (Result<String, ConnectorError>,)>(instance, store, Self::NAME, params).await?;
        Ok(result)
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
        instance: &Instance,
        store: &mut Store<CallState>,
    ) -> wasmtime::Result<Result<Vec<ResourceListing>, ConnectorError>> {
        let params = (self.resource_type.as_deref(), self.resource_id.as_deref());
        let (result,) =
            call::<_, (Result<Vec<ResourceListing>, ConnectorError>,)>(instance, store, Self::NAME, params).await?;
        Ok(result)
    }
}

/// `issue-client`.
pub(super) struct IssueClient(pub ClientRequest);

impl Export for IssueClient {
    type Output = ClientCredential;
    const NAME: &'static str = "issue-client";

    async fn invoke(
        self,
        instance: &Instance,
        store: &mut Store<CallState>,
    ) -> wasmtime::Result<Result<ClientCredential, ConnectorError>> {
        let (result,) =
            call::<_, (Result<ClientCredential, ConnectorError>,)>(instance, store, Self::NAME, (&self.0,)).await?;
        Ok(result)
    }
}

/// `auto-configure`.
pub(super) struct AutoConfigure(pub AutoConfigureInput);

impl Export for AutoConfigure {
    type Output = AutoConfiguration;
    const NAME: &'static str = "auto-configure";

    async fn invoke(
        self,
        instance: &Instance,
        store: &mut Store<CallState>,
    ) -> wasmtime::Result<Result<AutoConfiguration, ConnectorError>> {
        let (result,) =
            call::<_, (Result<AutoConfiguration, ConnectorError>,)>(instance, store, Self::NAME, (&self.0,)).await?;
        Ok(result)
    }
}
