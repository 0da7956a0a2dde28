//! The `docker` connector: one Docker/OCI registry reached with a username and a password or token.
//!
//! The password never enters this component: the host adds it to requests as HTTP basic auth
//! (only towards the configured registry) and fills it into issued client credentials when admin
//! policy allows releasing it.

use airlock_sdk::prelude::*;

const RESOURCE_TYPE: &str = "docker-registry";
const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_API: &str = "https://registry-1.docker.io";
const DOCKER_HUB_AUTH: &str = "https://auth.docker.io";

struct Docker;

impl Connector for Docker {
    fn describe() -> ConnectorSpec {
        spec::connector("docker", "Docker Service Connector", DESCRIPTION)
            .emoji("🐳")
            .docs_url("https://docs.docker.com/registry/spec/api/")
            .egress(DOCKER_HUB_API)
            .egress(DOCKER_HUB_AUTH)
            .resource_type(
                spec::resource_type(RESOURCE_TYPE, "Docker/OCI container registry")
                    .emoji("🐳")
                    .description(REGISTRY_DOCS)
                    .id_formats(&[
                        "docker.io",
                        "[https://]index.docker.io/v1/[...]",
                        "http[s]://host[:port][/path]",
                        "host[:port]",
                        "host[:port]/repository[:tag|@digest] (host with `.` or `:`, or localhost)",
                        "namespace/repository[:tag] (a Docker Hub repository, as Docker reads it)",
                    ]),
            )
            .auth_method(
                spec::auth_method("password", "Docker username and password/token")
                    .description(PASSWORD_DOCS)
                    .attribute(spec::text("username", "The username"))
                    .attribute(
                        spec::secret("password", "The password or access token")
                            .secret_hosts(&[DOCKER_HUB_API, DOCKER_HUB_AUTH]),
                    )
                    .attribute(
                        spec::url("registry", "The registry URL or host[:port]; omit for Docker Hub")
                            .optional()
                            .egress(),
                    )
                    .releases(&["password"]),
            )
            .build()
    }

    fn canonical_resource_id(resource_type: String, resource_id: String) -> Result<String> {
        check_resource_type(&resource_type)?;
        canonical(&resource_id)
    }

    fn verify(resource_type: Option<String>, resource_id: Option<String>) -> Result<Vec<ResourceListing>> {
        if let Some(rt) = &resource_type {
            check_resource_type(rt)?;
        }
        let registry = Registry::from_config()?;
        registry.check_id(resource_id.as_deref())?;
        registry.login()?;
        Ok(vec![listing(RESOURCE_TYPE, vec![registry.id.clone()])])
    }

    fn issue_client(request: ClientRequest) -> Result<ClientCredential> {
        check_resource_type(&request.resource_type)?;
        if request.expiration_seconds.is_some() {
            return Err(ConnectorError::InvalidConfig(
                "the password auth method issues no temporary credentials, so an expiration cannot be set".into(),
            ));
        }
        let registry = Registry::from_config()?;
        registry.check_id(request.resource_id.as_deref())?;
        Ok(ClientCredential {
            connector_type: "docker".into(),
            auth_method: "password".into(),
            resource_type: RESOURCE_TYPE.into(),
            resource_id: Some(registry.id.clone()),
            attributes: vec![
                ("username".into(), CredentialValue::Plain(config::require("username")?)),
                ("password".into(), CredentialValue::Binding("password".into())),
                ("registry".into(), CredentialValue::Plain(registry.id)),
            ],
            expires_at: None,
        })
    }
}

const DESCRIPTION: &str = "Gives access to one Docker/OCI registry with a username and a password \
or token. Verification logs in to the registry's `/v2/` endpoint; clients receive the username \
and password for `docker login`, `skopeo` and similar tools.";

// What `airlock connector describe-type docker -r docker-registry` / `-a password` prints.

const REGISTRY_DOCS: &str = "One container registry: Docker Hub or a private registry (any registry serving the \
Docker Registry HTTP API V2 / OCI distribution API).\n\
Clients receive a `docker` credential (`password` method): `username`, the configured `password` (only where admin \
policy releases it: a server started with `--release-secrets never` refuses these clients) and `registry`, with no \
expiry, for `docker login`, skopeo, podman and the like.\n\
Permissions: whatever the account may do on the registry. Airlock cannot narrow it, so prefer an access token \
limited to what clients need (e.g. a read-only Docker Hub access token for pulling).\n\
Ids are read as Docker reads an image reference and stored as `host[:port]`: Docker Hub's aliases \
(index.docker.io, registry-1.docker.io, registry.hub.docker.com) and plain `namespace/repository` names become \
`docker.io`, and a repository, tag or digest after the host is dropped. Each DNS label of the host is 1-63 letters, \
digits and inner `-`.\n\
One connector is one registry: an id must name the connector's `registry` (Docker Hub when it is omitted).";

const PASSWORD_DOCS: &str = "A username with a password or access token, and the optional `registry` (a URL or \
`host[:port]`; Docker Hub when omitted). The host sends the password only to the registry (for Docker Hub to \
registry-1.docker.io and auth.docker.io) as HTTP basic auth; connector code never sees it. Verification logs in as \
`docker login` does: basic auth on `/v2/`, or the token service the registry's bearer challenge names.\n\
Clients receive both as they are: the password only where admin policy releases it. It does not expire and is not \
down-scoped, so prefer a registry access token with the narrowest scope over an account password, and rotate it. \
No expiration can be requested.";

fn check_resource_type(resource_type: &str) -> Result<()> {
    if resource_type == RESOURCE_TYPE {
        Ok(())
    } else {
        Err(ConnectorError::InvalidConfig(format!(
            "the docker connector has no resource type `{resource_type}` (only `{RESOURCE_TYPE}`)"
        )))
    }
}

/// `host[:port]`, read as Docker reads a reference: the first component of `a/b` names a
/// registry only if it has a `.` or `:` or is `localhost` (else the repository is on Docker
/// Hub); Docker Hub's aliases fold into `docker.io`; every DNS label is 1–63 letters, digits
/// and inner `-`.
fn canonical(id: &str) -> Result<String> {
    let trimmed = id.trim();
    if !trimmed.contains("://")
        && let Some((first, _)) = trimmed.split_once('/')
        && !first.contains(['.', ':'])
        && first != "localhost"
    {
        return Ok(DOCKER_HUB.into());
    }
    let host = resource_id::host_port(id)?;
    check_host(id, &host)?;
    Ok(match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => DOCKER_HUB.into(),
        _ => host,
    })
}

/// A registry host as Docker's reference grammar accepts it (an IPv6 literal in brackets, or
/// dot-separated DNS labels) with an optional port.
fn check_host(id: &str, host_port: &str) -> Result<()> {
    if host_port.starts_with('[') {
        return Ok(());
    }
    let host = host_port.rsplit_once(':').map_or(host_port, |(host, _)| host);
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if host.len() > 253 || !host.split('.').all(label_ok) {
        return Err(ConnectorError::InvalidConfig(format!(
            "invalid registry `{id}`: a host name is dot-separated labels of 1 to 63 letters, digits and inner `-`"
        )));
    }
    Ok(())
}

/// The configured registry.
struct Registry {
    /// Canonical resource id.
    id: String,
    /// Base URL of the registry API.
    api: String,
}

impl Registry {
    fn from_config() -> Result<Self> {
        let configured = config::get("registry").filter(|r| !r.trim().is_empty());
        let id = canonical(configured.as_deref().unwrap_or(DOCKER_HUB))?;
        let api = match (&configured, id.as_str()) {
            (_, DOCKER_HUB) | (None, _) => DOCKER_HUB_API.to_string(),
            (Some(url), host) => format!("{}://{host}", resource_id::scheme(url)),
        };
        Ok(Registry { id, api })
    }

    fn check_id(&self, requested: Option<&str>) -> Result<()> {
        match requested.map(canonical).transpose()? {
            Some(id) if id != self.id => {
                Err(ConnectorError::NotFound(format!("this connector reaches the registry `{}`, not `{id}`", self.id)))
            }
            _ => Ok(()),
        }
    }

    /// Log in the way `docker login` does: basic auth on `/v2/`, or the token endpoint the
    /// registry names in its bearer challenge.
    fn login(&self) -> Result<()> {
        let username = config::require("username")?;
        let response = http::Request::get(format!("{}/v2/", self.api)).basic("username", "password").send()?;
        if response.status() == 200 {
            return Ok(());
        }
        let challenge = response.header("www-authenticate").unwrap_or_default().to_string();
        if response.status() == 401 && challenge.to_ascii_lowercase().starts_with("bearer ") {
            let realm = challenge_param(&challenge, "realm")
                .ok_or_else(|| ConnectorError::Upstream("the registry's bearer challenge names no realm".into()))?;
            let service = challenge_param(&challenge, "service").unwrap_or_default();
            let url = format!("{realm}?service={service}&account={username}");
            let token = http::Request::get(url).basic("username", "password").send()?;
            return token.ok().map(|_| ()).map_err(|e| self.rejected(e));
        }
        response.ok().map(|_| ()).map_err(|e| self.rejected(e))
    }

    /// Name the registry in an authentication failure.
    fn rejected(&self, error: ConnectorError) -> ConnectorError {
        match error {
            ConnectorError::Unauthorized(m) => {
                ConnectorError::Unauthorized(format!("the registry `{}` rejected the credentials ({m})", self.id))
            }
            other => other,
        }
    }
}

/// A parameter of a `WWW-Authenticate: Bearer realm="...",service="..."` challenge.
fn challenge_param(challenge: &str, name: &str) -> Option<String> {
    let params = challenge.split_once(' ')?.1;
    params.split(',').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k.eq_ignore_ascii_case(name)).then(|| v.trim_matches('"').to_string())
    })
}

airlock_sdk::export_connector!(Docker);
