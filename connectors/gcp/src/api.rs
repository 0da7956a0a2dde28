//! The Google Cloud APIs the connector lists and checks resources with: Cloud Storage (JSON
//! API), GKE and Artifact Registry.

use crate::auth::{Access, google_result};
use crate::endpoints::Endpoints;
use crate::ids::{GCR_HOSTS, Registry};
use airlock_sdk::http::Request;
use airlock_sdk::{ConnectorError, Result, log};

/// Authenticated access to one project's APIs.
pub struct Gcp {
    pub project: String,
    pub endpoints: Endpoints,
    pub access: Access,
}

/// Follow `nextPageToken` through at most this many pages.
const MAX_PAGES: usize = 20;

impl Gcp {
    fn get(&self, url: String) -> Result<serde_json::Value> {
        google_result(self.access.authorize(Request::get(url)).send()?)
    }

    /// Every item under `field` across the pages of a list call.
    fn list(&self, url: &str, field: &str) -> Result<Vec<serde_json::Value>> {
        let mut items = Vec::new();
        let mut page: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let separator = if url.contains('?') { '&' } else { '?' };
            let paged = match &page {
                Some(token) => {
                    format!("{url}{separator}{}", airlock_sdk::http::form_urlencoded(&[("pageToken", token)]))
                }
                None => url.to_string(),
            };
            let answer = self.get(paged)?;
            items.extend(answer[field].as_array().into_iter().flatten().cloned());
            match answer["nextPageToken"].as_str().filter(|t| !t.is_empty()) {
                Some(token) => page = Some(token.to_string()),
                None => return Ok(items),
            }
        }
        Ok(items)
    }

    /// `gs://<bucket>` for every bucket of the project.
    pub fn buckets(&self) -> Result<Vec<String>> {
        let url = self.endpoints.storage(&format!("b?project={}", self.project));
        Ok(self.list(&url, "items")?.iter().filter_map(|b| b["name"].as_str().map(|n| format!("gs://{n}"))).collect())
    }

    /// Check that one bucket exists and is reachable.
    pub fn bucket(&self, name: &str) -> Result<()> {
        self.get(self.endpoints.storage(&format!("b/{name}"))).map(|_| ()).map_err(|e| match e {
            ConnectorError::NotFound(_) => ConnectorError::NotFound(format!("the GCS bucket `{name}` does not exist")),
            other => other,
        })
    }

    /// Every GKE cluster of the project, in all locations.
    pub fn clusters(&self) -> Result<Vec<serde_json::Value>> {
        let answer = self.get(self.endpoints.container(&format!("projects/{}/locations/-/clusters", self.project)))?;
        Ok(answer["clusters"].as_array().cloned().unwrap_or_default())
    }

    /// The one GKE cluster named `name` (an error when none or several locations have it).
    pub fn cluster(&self, name: &str) -> Result<serde_json::Value> {
        let mut matching: Vec<serde_json::Value> =
            self.clusters()?.into_iter().filter(|c| c["name"].as_str() == Some(name)).collect();
        match matching.len() {
            0 => Err(ConnectorError::NotFound(format!(
                "the GKE cluster `{name}` does not exist in project `{}` or is not reachable",
                self.project
            ))),
            1 => Ok(matching.remove(0)),
            _ => Err(ConnectorError::InvalidConfig(format!(
                "several locations of project `{}` have a GKE cluster named `{name}`",
                self.project
            ))),
        }
    }

    /// Check an Artifact Registry repository: it must exist and hold Docker images. Legacy
    /// Container Registry hosts are not checked (they are storage buckets behind the scenes).
    pub fn registry(&self, registry: &Registry) -> Result<()> {
        let Registry::Artifact { location, project, repository } = registry else { return Ok(()) };
        let path = format!("projects/{project}/locations/{location}/repositories/{repository}");
        let answer = self.get(self.endpoints.artifact_registry(&path)).map_err(|e| match e {
            ConnectorError::NotFound(_) => ConnectorError::NotFound(format!(
                "the Artifact Registry repository `{}` does not exist",
                registry.canonical()
            )),
            other => other,
        })?;
        match answer["format"].as_str() {
            Some("DOCKER") => Ok(()),
            other => Err(ConnectorError::NotFound(format!(
                "`{}` is a {} repository, not a Docker one",
                registry.canonical(),
                other.unwrap_or("non-Docker")
            ))),
        }
    }

    /// The four legacy Container Registry hosts and every Docker repository in Artifact
    /// Registry (a location that cannot be listed is logged and skipped, as ZenML does).
    pub fn registries(&self) -> Result<Vec<String>> {
        let mut ids: Vec<String> = GCR_HOSTS.iter().map(|h| format!("{h}/{}", self.project)).collect();
        let locations = match self
            .list(&self.endpoints.artifact_registry(&format!("projects/{}/locations", self.project)), "locations")
        {
            Ok(locations) => locations,
            Err(e) => {
                log::warn(format!("cannot list Artifact Registry locations: {}", e.message()));
                return Ok(ids);
            }
        };
        for location in locations.iter().filter_map(|l| l["locationId"].as_str()) {
            let path = format!("projects/{}/locations/{location}/repositories", self.project);
            match self.list(&self.endpoints.artifact_registry(&path), "repositories") {
                Ok(repositories) => ids.extend(
                    repositories
                        .iter()
                        .filter(|r| r["format"].as_str() == Some("DOCKER"))
                        .filter_map(|r| r["name"].as_str())
                        .filter_map(|name| crate::ids::registry(name, &self.project).ok())
                        .map(|r| r.canonical()),
                ),
                Err(e) => {
                    log::warn(format!("cannot list Artifact Registry repositories in `{location}`: {}", e.message()));
                }
            }
        }
        Ok(ids)
    }
}
