//! Resource ids: the accepted formats of each resource type, their canonical form, and the
//! errors a user sees for malformed ones. Names follow Google Cloud's documented rules, which
//! are stricter or looser than ZenML's in places (bucket names may contain dots; GKE names are
//! at most 40 characters and start with a letter).

use airlock_sdk::{ConnectorError, Result};

pub const GENERIC: &str = "gcp-generic";
pub const GCS: &str = "gcs-bucket";
pub const GKE: &str = "kubernetes-cluster";
pub const REGISTRY: &str = "docker-registry";

/// The legacy Container Registry hosts, listed for every project.
pub const GCR_HOSTS: [&str; 4] = ["gcr.io", "us.gcr.io", "eu.gcr.io", "asia.gcr.io"];

fn invalid(message: String) -> ConnectorError {
    ConnectorError::InvalidConfig(message)
}

/// The canonical id of `id` for `resource_type` in `project`.
pub fn canonical(resource_type: &str, id: &str, project: &str) -> Result<String> {
    match resource_type {
        GENERIC => match id == project {
            true => Ok(id.to_string()),
            false => Err(invalid(format!(
                "`{id}` is not this connector's project: a gcp-generic resource is the configured project `{project}`"
            ))),
        },
        GCS => bucket(id).map(|b| format!("gs://{b}")),
        GKE => cluster(id),
        REGISTRY => registry(id, project).map(|r| r.canonical()),
        other => Err(invalid(format!(
            "the gcp connector has no resource type `{other}` (gcp-generic, gcs-bucket, kubernetes-cluster, docker-registry)"
        ))),
    }
}

/// Whether `s` is a project id: 6–30 lower-case letters, digits and `-`, starting with a letter
/// and not ending with `-`.
pub fn is_project_id(s: &str) -> bool {
    (6..=30).contains(&s.len())
        && s.as_bytes()[0].is_ascii_lowercase()
        && !s.ends_with('-')
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The bucket name of `gs://<bucket>` or `<bucket>`, checked against Cloud Storage's naming
/// rules. A path after the bucket is refused: a credential covers a whole bucket, and silently
/// dropping the path would suggest a narrower scope than the one issued.
pub fn bucket(id: &str) -> Result<String> {
    let rest = id.strip_prefix("gs://").unwrap_or(id);
    let (name, path) = rest.split_once('/').unwrap_or((rest, ""));
    if !path.is_empty() {
        return Err(invalid(format!(
            "invalid GCS bucket id `{id}`: credentials are scoped to a whole bucket, so name it without a path (gs://{name})"
        )));
    }
    let rule = "a bucket name is 3-63 characters (up to 222 with dots, 63 per dot-separated part) of lower-case letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit, not an IP address, not starting with `goog` and not containing `google`";
    let parts_ok = name.split('.').all(|p| !p.is_empty() && p.len() <= 63);
    let max = if name.contains('.') { 222 } else { 63 };
    let valid = (3..=max).contains(&name.len())
        && parts_ok
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'))
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
        && name.parse::<std::net::Ipv4Addr>().is_err()
        && !name.starts_with("goog")
        && !name.contains("google")
        && !name.contains("g00gle");
    if !valid {
        return Err(invalid(format!("invalid GCS bucket id `{id}`: expected gs://<bucket> or <bucket>, where {rule}")));
    }
    Ok(name.to_string())
}

/// A GKE cluster name: 1-40 lower-case letters, digits and `-`, starting with a letter and
/// ending with a letter or digit.
pub fn cluster(id: &str) -> Result<String> {
    let valid = (1..=40).contains(&id.len())
        && id.as_bytes()[0].is_ascii_lowercase()
        && id.as_bytes()[id.len() - 1].is_ascii_alphanumeric()
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return Err(invalid(format!(
            "invalid GKE cluster id `{id}`: a cluster name is 1-40 lower-case letters, digits and `-`, starting with a letter and ending with a letter or digit"
        )));
    }
    Ok(id.to_string())
}

/// A container registry of the project: an Artifact Registry Docker repository or a legacy
/// Container Registry host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registry {
    Artifact { location: String, project: String, repository: String },
    Legacy { host: String, project: String },
}

impl Registry {
    /// `<location>-docker.pkg.dev/<project>/<repository>` or `[xx.]gcr.io/<project>`.
    pub fn canonical(&self) -> String {
        match self {
            Registry::Artifact { location, project, repository } => {
                format!("{location}-docker.pkg.dev/{project}/{repository}")
            }
            Registry::Legacy { host, project } => format!("{host}/{project}"),
        }
    }

    /// The host Docker logs in to.
    pub fn host(&self) -> String {
        match self {
            Registry::Artifact { location, .. } => format!("{location}-docker.pkg.dev"),
            Registry::Legacy { host, .. } => host.clone(),
        }
    }
}

/// Parse `[https://]<loc>-docker.pkg.dev/<project>/<repo>[/<image>…]`,
/// `projects/<project>/locations/<loc>/repositories/<repo>` or
/// `[https://][us.|eu.|asia.]gcr.io/<project>[/…]`; the project must be the connector's.
pub fn registry(id: &str, project: &str) -> Result<Registry> {
    let formats = "expected [https://]<location>-docker.pkg.dev/<project>/<repository>, projects/<project>/locations/<location>/repositories/<repository> or [https://][us.|eu.|asia.]gcr.io/<project>";
    let bad = |why: &str| invalid(format!("invalid docker-registry id `{id}`: {why} ({formats})"));
    let rest = id.strip_prefix("https://").unwrap_or(id).trim_end_matches('/');
    let parts: Vec<&str> = rest.split('/').collect();
    let registry = match parts.as_slice() {
        ["projects", p, "locations", l, "repositories", r] => {
            Registry::Artifact { location: l.to_string(), project: p.to_string(), repository: r.to_string() }
        }
        [host, p, r, ..] if host.ends_with("-docker.pkg.dev") => Registry::Artifact {
            location: host.trim_end_matches("-docker.pkg.dev").to_string(),
            project: p.to_string(),
            repository: r.to_string(),
        },
        [host, p, ..] if GCR_HOSTS.contains(host) => {
            Registry::Legacy { host: host.to_string(), project: p.to_string() }
        }
        [host, ..] if host.ends_with("-docker.pkg.dev") => return Err(bad("the repository is missing")),
        _ => return Err(bad("not an Artifact Registry or Container Registry address")),
    };
    let found = match &registry {
        Registry::Artifact { location, project, repository } => {
            let location_ok = !location.is_empty()
                && location.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !location_ok {
                return Err(bad(&format!("`{location}` is not a location")));
            }
            let repository_ok = (1..=63).contains(&repository.len())
                && repository.as_bytes()[0].is_ascii_lowercase()
                && repository.as_bytes()[repository.len() - 1].is_ascii_alphanumeric()
                && repository.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !repository_ok {
                return Err(bad(&format!(
                    "`{repository}` is not a repository name (1-63 lower-case letters, digits and `-`, starting with a letter)"
                )));
            }
            project
        }
        Registry::Legacy { project, .. } => project,
    };
    if !is_project_id(found) {
        return Err(bad(&format!("`{found}` is not a project id")));
    }
    if found != project {
        return Err(invalid(format!(
            "`{id}` belongs to project `{found}`, but this connector is configured for project `{project}`"
        )));
    }
    Ok(registry)
}
