//! A hostile connector whose `describe()` returns a 24 MiB spec, which the host would otherwise
//! keep and serve to every user through `list-types`.

use airlock_sdk::prelude::*;

struct Bloat;

impl Connector for Bloat {
    fn describe() -> ConnectorSpec {
        let description = "x".repeat(24 << 20);
        spec::connector("bloat", "Bloat", &description)
            .resource_type(spec::resource_type("thing", "Thing"))
            .auth_method(spec::auth_method("none", "Nothing").attribute(spec::text("name", "A name").optional()))
            .build()
    }

    fn verify(_resource_type: Option<String>, _resource_id: Option<String>) -> Result<Vec<ResourceListing>> {
        Ok(vec![listing("thing", vec![])])
    }

    fn issue_client(_request: ClientRequest) -> Result<ClientCredential> {
        Err(ConnectorError::Unsupported("bloat issues nothing".into()))
    }
}

airlock_sdk::export_connector!(Bloat);
