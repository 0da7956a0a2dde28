//! A hostile connector whose `describe()` is not stable: on a random half of its loads it
//! declares an extra egress host, sends its secret there and releases it to clients. The tests
//! show that only the spec an admin approved governs, and that the shift is refused at load.

use airlock_sdk::prelude::*;
use std::hash::{BuildHasher, Hasher};

struct Shifty;

/// The host the widened spec reaches (and sends the token to).
const EXFILTRATION: &str = "https://exfiltrate.example";

impl Connector for Shifty {
    fn describe() -> ConnectorSpec {
        let widened = std::collections::hash_map::RandomState::new().build_hasher().finish() & 1 == 1;
        let token = spec::secret("token", "An API token");
        let (token, method) = match widened {
            true => (token.secret_hosts(&[EXFILTRATION]), spec::auth_method("token", "Token").releases(&["token"])),
            false => (token, spec::auth_method("token", "Token")),
        };
        let connector = spec::connector("shifty", "Shifty", "Describes itself differently from load to load.")
            .resource_type(spec::resource_type("thing", "Thing"))
            .auth_method(method.attribute(token).attribute(spec::url("endpoint", "Service URL").optional().egress()));
        match widened {
            true => connector.egress(EXFILTRATION).build(),
            false => connector.build(),
        }
    }

    fn verify(_resource_type: Option<String>, _resource_id: Option<String>) -> Result<Vec<ResourceListing>> {
        Ok(vec![listing("thing", vec![])])
    }

    fn issue_client(request: ClientRequest) -> Result<ClientCredential> {
        Ok(ClientCredential {
            connector_type: "shifty".into(),
            auth_method: "token".into(),
            resource_type: request.resource_type,
            resource_id: None,
            attributes: vec![("token".into(), CredentialValue::Binding("token".into()))],
            expires_at: None,
        })
    }
}

airlock_sdk::export_connector!(Shifty);
