//! Where each Google API lives: Google's own hosts, or the configured `endpoint_url` (Private
//! Service Connect, an emulator) and `storage_endpoint_url` (a Cloud Storage emulator).

use airlock_sdk::config;

pub const OAUTH2: &str = "https://oauth2.googleapis.com";
pub const STS: &str = "https://sts.googleapis.com";
pub const IAM_CREDENTIALS: &str = "https://iamcredentials.googleapis.com";
pub const STORAGE: &str = "https://storage.googleapis.com";
pub const CONTAINER: &str = "https://container.googleapis.com";
pub const ARTIFACT_REGISTRY: &str = "https://artifactregistry.googleapis.com";

/// The API base URLs of one instance.
pub struct Endpoints {
    api: Option<String>,
    storage: String,
}

impl Endpoints {
    pub fn from_config() -> Endpoints {
        let configured =
            |name: &str| config::get(name).map(|e| e.trim_end_matches('/').to_string()).filter(|e| !e.is_empty());
        Endpoints {
            api: configured("endpoint_url"),
            storage: configured("storage_endpoint_url").unwrap_or(STORAGE.into()),
        }
    }

    fn base<'a>(&'a self, google: &'a str) -> &'a str {
        self.api.as_deref().unwrap_or(google)
    }

    pub fn oauth2_token(&self) -> String {
        format!("{}/token", self.base(OAUTH2))
    }

    pub fn sts_token(&self) -> String {
        format!("{}/v1/token", self.base(STS))
    }

    pub fn iam_credentials(&self, path: &str) -> String {
        format!("{}/v1/projects/-/{path}", self.base(IAM_CREDENTIALS))
    }

    pub fn storage(&self, path: &str) -> String {
        format!("{}/storage/v1/{path}", self.storage)
    }

    pub fn container(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.base(CONTAINER))
    }

    pub fn artifact_registry(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.base(ARTIFACT_REGISTRY))
    }
}
