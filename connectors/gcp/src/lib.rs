//! The `gcp` connector: Cloud Storage, GKE and Artifact Registry, with ZenML's six auth methods.
//!
//! The long-lived secrets never enter this component: the host signs the service account's JWT
//! assertion, fills the refresh grant from the user's credential file and adds a configured
//! token to requests. Clients receive OAuth2 access tokens; a bucket's client gets one
//! down-scoped to that bucket with a Credential Access Boundary.

mod api;
mod auth;
mod autoconf;
mod endpoints;
mod ids;

use airlock_sdk::prelude::*;
use airlock_sdk::{AttributeKind, AutoConfiguration, AutoConfigureInput};
use api::Gcp;
use auth::Access;
use endpoints::Endpoints;
use ids::{GCS, GENERIC, GKE, REGISTRY};

struct GcpConnector;

impl Connector for GcpConnector {
    fn describe() -> ConnectorSpec {
        let api_hosts = [
            endpoints::OAUTH2,
            endpoints::STS,
            endpoints::IAM_CREDENTIALS,
            endpoints::STORAGE,
            endpoints::CONTAINER,
            endpoints::ARTIFACT_REGISTRY,
        ];
        let common = |m: spec::AuthMethodBuilder| {
            m.attribute(
                spec::url(
                    "endpoint_url",
                    "Base URL that replaces every Google API host (OAuth2, STS, IAM Credentials, GKE, Artifact Registry): a Private Service Connect endpoint or an emulator",
                )
                .optional()
                .egress(),
            )
            .attribute(
                spec::url("storage_endpoint_url", "Cloud Storage JSON API base URL (a private endpoint or an emulator)")
                    .optional()
                    .egress(),
            )
        };
        let project = |required: bool| {
            let attribute = spec::text("project_id", "The GCP project ID");
            if required { attribute } else { attribute.optional() }
        };
        let temporary = || {
            spec::of_kind(
                "generate_temporary_tokens",
                "Hand clients short-lived OAuth2 tokens (true) or the long-lived credential file itself (false, only where admin policy releases it)",
                AttributeKind::Boolean,
            )
            .default_value("true")
        };
        let json_secret = |name: &str, description: &str, hosts: &[&str]| {
            spec::secret(name, description).kind(AttributeKind::Json).secret_hosts(hosts)
        };
        let service_account = || {
            json_secret(
                "service_account_json",
                "The service account's JSON key file (a JSON object, a JSON string or base64); the host signs with its private key",
                &[endpoints::OAUTH2],
            )
        };
        spec::connector("gcp", "GCP Service Connector", DESCRIPTION)
            .emoji("🔵")
            .docs_url("https://cloud.google.com/docs/authentication")
            .egress(endpoints::OAUTH2)
            .egress(endpoints::STS)
            .egress(endpoints::IAM_CREDENTIALS)
            .egress(endpoints::STORAGE)
            .egress(endpoints::CONTAINER)
            .egress(endpoints::ARTIFACT_REGISTRY)
            .auto_configure(
                &[
                    "$GOOGLE_APPLICATION_CREDENTIALS",
                    "~/.config/gcloud/application_default_credentials.json",
                    "~/.config/gcloud/configurations/config_default",
                ],
                &["GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_PROJECT"],
            )
            .resource_type(
                spec::resource_type(GENERIC, "Generic GCP resource")
                    .emoji("🔵")
                    .id_formats(&["{project_id}"])
                    .description(GENERIC_DOCS),
            )
            .resource_type(
                spec::resource_type(GCS, "GCP GCS bucket")
                    .emoji("📦")
                    .multi_instance()
                    .id_formats(&["gs://{bucket}", "{bucket}"])
                    .description(GCS_DOCS),
            )
            .resource_type(
                spec::resource_type(GKE, "GCP GKE Kubernetes cluster")
                    .emoji("🌀")
                    .multi_instance()
                    .id_formats(&["{cluster_name}"])
                    .description(GKE_DOCS),
            )
            .resource_type(
                spec::resource_type(REGISTRY, "GCP container registry")
                    .emoji("🐳")
                    .multi_instance()
                    .id_formats(&[
                        "[https://]{location}-docker.pkg.dev/{project}/{repository}[/{image}]",
                        "projects/{project}/locations/{location}/repositories/{repository}",
                        "[https://][us.|eu.|asia.]gcr.io/{project}[/{image}]",
                    ])
                    .description(REGISTRY_DOCS),
            )
            .auth_method(
                common(spec::auth_method("implicit", "GCP implicit authentication").attribute(project(true)))
                    .description(IMPLICIT_DOCS),
            )
            .auth_method(
                common(
                    spec::auth_method("user-account", "GCP user account")
                        .attribute(project(true))
                        .attribute(json_secret(
                            "user_account_json",
                            "The user's authorized_user credential file (client_id, client_secret, refresh_token); the host fills the refresh grant",
                            &[endpoints::OAUTH2],
                        ))
                        .attribute(temporary()),
                )
                .description(USER_ACCOUNT_DOCS)
                .releases(&["user_account_json"]),
            )
            .auth_method(
                common(
                    spec::auth_method("service-account", "GCP service account")
                        .attribute(service_account())
                        .attribute(project(false))
                        .attribute(temporary()),
                )
                .description(SERVICE_ACCOUNT_DOCS)
                .releases(&["service_account_json"]),
            )
            .auth_method(
                common(
                    spec::auth_method("external-account", "GCP external account (workload identity federation)")
                        .attribute(project(true))
                        .attribute(json_secret(
                            "external_account_json",
                            "The external_account credential configuration",
                            &[endpoints::STS],
                        ))
                        .attribute(temporary()),
                )
                .description(EXTERNAL_ACCOUNT_DOCS)
                .releases(&["external_account_json"]),
            )
            .auth_method(
                common(
                    spec::auth_method("oauth2-token", "GCP OAuth 2.0 token")
                        .attribute(project(true))
                        .attribute(spec::secret("token", "An OAuth2 access token").secret_hosts(&api_hosts))
                        .attribute(spec::text("service_account_email", "The service account the token belongs to (absent: a user token)").optional()),
                )
                .description(OAUTH2_TOKEN_DOCS)
                .releases(&["token"]),
            )
            .auth_method(
                common(
                    spec::auth_method("impersonation", "GCP service account impersonation")
                        .attribute(service_account())
                        .attribute(project(false))
                        .attribute(spec::text("target_principal", "The email of the service account to impersonate")),
                )
                .description(IMPERSONATION_DOCS)
                .expiration(0, auth::IMPERSONATION_MAX_SECS, auth::IMPERSONATION_MAX_SECS),
            )
            .build()
    }

    fn canonical_resource_id(resource_type: String, resource_id: String) -> Result<String> {
        ids::canonical(&resource_type, &resource_id, &project()?)
    }

    fn verify(resource_type: Option<String>, resource_id: Option<String>) -> Result<Vec<ResourceListing>> {
        let gcp = connect(None)?;
        match resource_type {
            Some(rt) => {
                let id = resource_id.map(|id| ids::canonical(&rt, &id, &gcp.project)).transpose()?;
                Ok(vec![listing(&rt, resources(&gcp, &rt, id.as_deref())?)])
            }
            None => Ok([GENERIC, GCS, GKE, REGISTRY]
                .into_iter()
                .map(|rt| match resources(&gcp, rt, None) {
                    Ok(ids) => listing(rt, ids),
                    Err(e) => ResourceListing {
                        resource_type: rt.into(),
                        resource_ids: Vec::new(),
                        error: Some(e.message().to_string()),
                    },
                })
                .collect()),
        }
    }

    fn issue_client(request: ClientRequest) -> Result<ClientCredential> {
        let method = config::auth_method();
        if request.expiration_seconds.is_some() && method != "impersonation" {
            return Err(ConnectorError::InvalidConfig(format!(
                "`{method}` issues tokens whose lifetime Google sets (about an hour), so an expiration cannot be set"
            )));
        }
        let rt = request.resource_type.as_str();
        let project = project()?;
        let id = request.resource_id.as_deref().map(|id| ids::canonical(rt, id, &project)).transpose()?;
        let long_lived = config::get("generate_temporary_tokens").is_some_and(|v| is_false(&v))
            && matches!(method.as_str(), "user-account" | "service-account");
        if long_lived && matches!(rt, GENERIC | GCS) {
            return credential_file(&method, rt, id);
        }
        let gcp = connect(request.expiration_seconds)?;
        match (rt, id) {
            (GENERIC, id) => token_client(&gcp, GENERIC, Some(id.unwrap_or(gcp.project.clone())), &gcp.access),
            (GCS, Some(id)) => {
                let bucket = ids::bucket(&id)?;
                gcp.bucket(&bucket)?;
                let scoped = Access::Minted(auth::downscope(&gcp.endpoints, &gcp.access, &bucket)?);
                token_client(&gcp, GCS, Some(id), &scoped)
            }
            (GCS, None) => token_client(&gcp, GCS, None, &gcp.access),
            (GKE, Some(name)) => kubernetes_client(&gcp, &name),
            (REGISTRY, Some(id)) => docker_client(&gcp, &id),
            (GKE | REGISTRY, None) => {
                Err(ConnectorError::InvalidConfig(format!("name the {rt} to issue a client for (a resource id)")))
            }
            (other, _) => {
                Err(ConnectorError::InvalidConfig(format!("the gcp connector has no resource type `{other}`")))
            }
        }
    }

    fn auto_configure(input: AutoConfigureInput) -> Result<AutoConfiguration> {
        autoconf::from_local(input)
    }
}

const DESCRIPTION: &str = "Gives access to Google Cloud: generic GCP sessions, GCS buckets, GKE clusters (as \
Kubernetes clients) and Artifact/Container Registry repositories (as Docker clients). Clients receive \
OAuth2 access tokens; bucket clients receive tokens down-scoped to that bucket. The Airlock host signs \
service-account assertions and fills refresh grants, so private keys and refresh tokens never reach \
connector code.";

// What `airlock connector describe-type gcp -r <resource type>` / `-a <auth method>` prints.

const GENERIC_DOCS: &str = "The GCP project (`project_id`) itself: any Google Cloud service of the project, \
through gcloud or a Google client library.\n\
Clients receive a `gcp` credential (`oauth2-token` method: `project_id`, `token`, and `service_account_email` when \
the identity is a service account). The token is an OAuth2 access token for the cloud-platform scope with the \
expiry Google gives it (about an hour). It is not down-scoped: it can do whatever the identity's IAM roles allow. \
With `oauth2-token` clients receive the configured token itself, and with `generate_temporary_tokens=false` \
(`user-account`, `service-account`) the credential file itself, both only where admin policy releases them.\n\
Permissions: the IAM roles the work needs.\n\
The id is the connector's project; one connector is one instance. `airlock connector login` writes the token (or \
the credential file) to a 0600 file for gcloud and the client libraries.";

const GCS_DOCS: &str = "A Cloud Storage bucket (or a bucket of the emulator at `storage_endpoint_url`).\n\
A client for a named bucket receives a `gcp` credential (`oauth2-token` method) whose token is down-scoped to that \
one bucket: the connector's token is exchanged at Google STS for a Credential Access Boundary token that allows \
only object read/write and bucket metadata (`roles/storage.objectAdmin`, `roles/storage.legacyBucketReader`) on \
that bucket, and never outlives the token it came from. This holds for every method, `oauth2-token` included.\n\
A client asked for without a bucket gets the connector's full token. With `generate_temporary_tokens=false` \
(`user-account`, `service-account`) clients receive the credential file itself, not down-scoped, only where admin \
policy releases it.\n\
Permissions: storage.buckets.list, storage.buckets.get, storage.objects.create, storage.objects.delete, \
storage.objects.get, storage.objects.list, storage.objects.update (a boundary can only narrow them).\n\
Ids: `gs://<bucket>` or `<bucket>`, stored as `gs://<bucket>`, by Cloud Storage's naming rules: 3-63 characters \
(up to 222 with dots, at most 63 between dots) of lower-case letters, digits, `-`, `_` and `.`, starting and \
ending with a letter or digit, not an IP address, not starting with `goog` and not containing `google`. A path \
inside the bucket is refused: a credential covers the whole bucket.\n\
Multiple instances: one connector may serve every bucket its credentials reach (listing shows the project's); \
each client names one.";

const GKE_DOCS: &str = "A GKE cluster in any location of the project.\n\
Clients receive a `kubernetes` credential (`token` method): `cluster_name` `gke_<project>_<cluster>`, the API \
server `https://<endpoint>`, its CA certificate and the connector's OAuth2 access token as bearer token, expiring \
with it (about an hour; as requested with `impersonation`). The token is not down-scoped to the cluster: it \
carries the identity's whole cloud-platform access. With `oauth2-token` the configured token itself is handed out, \
only where admin policy releases it; `generate_temporary_tokens=false` does not apply to clusters.\n\
Permissions: container.clusters.list and container.clusters.get to find the cluster; what the client may do \
inside it is up to IAM (e.g. `roles/container.developer`) and Kubernetes RBAC.\n\
Ids: the cluster name, 1-40 lower-case letters, digits and `-`, starting with a letter and ending with a letter or \
digit. Every location is searched; a name used in several locations is refused as ambiguous.\n\
Multiple instances: one connector may serve every cluster of the project.";

const REGISTRY_DOCS: &str = "An Artifact Registry Docker repository or a legacy Container Registry of the \
connector's project.\n\
Clients receive a `docker` credential (`password` method): user `oauth2accesstoken`, the connector's OAuth2 access \
token as password and the host to log in to (`<location>-docker.pkg.dev` or `[us.|eu.|asia.]gcr.io`), expiring \
with the token. The token is not down-scoped to the repository. With `oauth2-token` the configured token itself is \
handed out, only where admin policy releases it.\n\
Permissions: artifactregistry.repositories.get, .list, .downloadArtifacts, .uploadArtifacts, .createOnPush and \
.readViaVirtualRepository, and artifactregistry.locations.list; a legacy Container Registry needs the Cloud \
Storage permissions of the bucket behind it.\n\
Ids: a repository URL (an image path after the repository is dropped), a repository resource name, or a legacy \
gcr.io host with the project; the project must be the connector's, and a repository name is 1-63 lower-case \
letters, digits and `-`, starting with a letter. Stored as `<location>-docker.pkg.dev/<project>/<repository>` or \
`<host>/<project>`. A repository is checked (it must exist and hold Docker images); legacy hosts are not checked, \
and all four are always listed.\n\
Multiple instances: one connector may serve every registry of the project.";

const IMPLICIT_DOCS: &str = "Would authenticate as the Airlock server's own Google identity: its Application \
Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's ADC file) or the metadata server (a Compute Engine \
service account, GKE Workload Identity), as ZenML's `implicit` method does.\n\
DISABLED on this server: Airlock never lends the server's own cloud identity to connector code, since every user \
who may register a connector would then act as the server. ZenML gates the method behind \
`ZENML_ENABLE_IMPLICIT_AUTH_METHODS`; Airlock has no setting to enable it, so verifying or using such a connector \
always fails, and auto-configuration refuses it.\n\
How an admin enables the same access instead: on the server's machine, \
`airlock connector register server-gcp -t gcp -a service-account --auto-configure` reads the service account key \
that `GOOGLE_APPLICATION_CREDENTIALS` names and registers it, stored encrypted and used only by the host to sign; \
`airlock connector share server-gcp --team <team>` then lets that team use it (clients get access tokens). \
`impersonation` does the same for a service account reached through another one (`target_principal`).";

const USER_ACCOUNT_DOCS: &str = "A gcloud user account: the user's `authorized_user` credential file (`client_id`, \
`client_secret`, `refresh_token`, as `gcloud auth application-default login` writes it) and `project_id`. The host \
fills the refresh grant from the file, so the refresh token and client secret never reach connector code.\n\
Clients receive OAuth2 access tokens from the refresh-token grant (cloud-platform scope, about an hour; Google sets \
the lifetime, so no expiration can be requested); bucket clients get them down-scoped to the bucket.\n\
With `generate_temporary_tokens=false`, `gcp-generic` and `gcs-bucket` clients receive the credential file itself, \
only where admin policy releases it: avoid that, the refresh token works until it is revoked.\n\
The identity is a person with all of their permissions: for shared or automated use prefer `impersonation` or \
`service-account`. Auto-configuration picks this method for gcloud's application-default credentials and keeps \
only the three fields the grant needs.";

const SERVICE_ACCOUNT_DOCS: &str = "A service account key: the JSON key file (`\"type\": \"service_account\"`). \
The host signs the RS256 JWT assertion, so the private key never reaches connector code. project_id defaults to \
the key's project.\n\
Clients receive OAuth2 access tokens of the service account (cloud-platform scope, about an hour; Google sets the \
lifetime, so no expiration can be requested); bucket clients get them down-scoped to the bucket.\n\
With `generate_temporary_tokens=false`, `gcp-generic` and `gcs-bucket` clients receive the key file itself, only \
where admin policy releases it: avoid that, a key stays valid until it is deleted.\n\
Permissions: the service account's IAM roles. Auto-configuration picks this method for the key file \
`GOOGLE_APPLICATION_CREDENTIALS` names. Consider `impersonation` to hand clients tokens of a narrower account, with \
a lifetime you choose.";

const EXTERNAL_ACCOUNT_DOCS: &str = "Workload identity federation: an `external_account` credential configuration, \
whose subject token from an external identity provider Google STS exchanges for an access token.\n\
DISABLED on this server: its subject token comes from the server's own ambient identity (AWS, Azure, OIDC: its \
AWS role, Azure managed identity, or an OIDC token file or URL on the server), which Airlock does not hand to \
connectors, since every user who may register a connector would then act as the server. ZenML treats it as \
implicit and gates it behind `ZENML_ENABLE_IMPLICIT_AUTH_METHODS`; Airlock has no setting to enable it, so \
verification and token minting always fail.\n\
Instead, an admin registers the service account the federation maps to with a method that keeps the secret on the \
host: `service-account` (a JSON key of it) or `impersonation`.";

const OAUTH2_TOKEN_DOCS: &str = "A temporary access token the user obtained (e.g. gcloud auth print-access-token), \
with `project_id` and, when the token belongs to a service account, `service_account_email`. The host adds the \
token to Google API requests; connector code never sees it.\n\
Bucket clients receive a down-scoped token (exchanged at Google STS); other clients receive the token itself (only \
where admin policy allows: a server started with `--release-secrets never` refuses them), for `gcp-generic`, GKE \
clusters and registries alike.\n\
Google access tokens expire after about an hour, and the connector with them. Airlock does not know the expiry: \
record it with `--expires-at`. It cannot be auto-configured. Fine for a short experiment; for lasting use prefer \
`impersonation` or `service-account`.";

const IMPERSONATION_DOCS: &str = "A source service account's JSON key and `target_principal`, the email of the \
service account to act as. The key's service account mints tokens of the target service account through IAM \
Credentials generateAccessToken, with the requested lifetime: the host signs the source account's JWT assertion, \
and the key never reaches connector code or clients.\n\
Clients receive access tokens of the target account (cloud-platform scope) valid 1 to 3600 seconds, 3600 by \
default; bucket clients get them down-scoped to the bucket.\n\
Permissions: the source account needs iam.serviceAccounts.getAccessToken on the target (e.g. \
`roles/iam.serviceAccountTokenCreator`) and nothing else; the target needs the roles of the work. `project_id` \
defaults to the key's project.\n\
Recommended: the key stays on the host and clients get short-lived tokens of an account scoped to the work. It \
cannot be auto-configured.";

fn is_false(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "false" | "0" | "no")
}

/// The configured project, or the service account key's own.
fn project() -> Result<String> {
    let project = config::get("project_id")
        .filter(|p| !p.trim().is_empty())
        .or_else(|| config::get("service_account_json#project_id"))
        .ok_or_else(|| ConnectorError::InvalidConfig("the `project_id` attribute is required".into()))?;
    let project = project.trim().to_string();
    if !ids::is_project_id(&project) {
        return Err(ConnectorError::InvalidConfig(format!(
            "`{project}` is not a GCP project ID (6-30 lower-case letters, digits and `-`, starting with a letter)"
        )));
    }
    Ok(project)
}

/// Authenticate (the global check every call starts with).
fn connect(lifetime: Option<u64>) -> Result<Gcp> {
    let endpoints = Endpoints::from_config();
    let access = auth::authenticate(&endpoints, lifetime)?;
    Ok(Gcp { project: project()?, endpoints, access })
}

/// The ids of one resource type the credentials reach (checking `id` when given).
fn resources(gcp: &Gcp, rt: &str, id: Option<&str>) -> Result<Vec<String>> {
    match (rt, id) {
        (GENERIC, _) => Ok(vec![gcp.project.clone()]),
        (GCS, Some(id)) => gcp.bucket(&ids::bucket(id)?).map(|_| vec![id.to_string()]),
        (GCS, None) => gcp.buckets(),
        (GKE, Some(name)) => gcp.cluster(name).map(|_| vec![name.to_string()]),
        (GKE, None) => Ok(gcp.clusters()?.iter().filter_map(|c| c["name"].as_str().map(str::to_string)).collect()),
        (REGISTRY, Some(id)) => {
            let registry = ids::registry(id, &gcp.project)?;
            gcp.registry(&registry).map(|_| vec![registry.canonical()])
        }
        (REGISTRY, None) => gcp.registries(),
        (other, _) => Err(ConnectorError::InvalidConfig(format!("the gcp connector has no resource type `{other}`"))),
    }
}

/// A `gcp` client holding an access token (auth method `oauth2-token`).
fn token_client(gcp: &Gcp, rt: &str, id: Option<String>, access: &Access) -> Result<ClientCredential> {
    let mut attributes = vec![
        ("project_id".to_string(), CredentialValue::Plain(gcp.project.clone())),
        ("token".to_string(), token_value(access)),
    ];
    if let Some(email) = auth::service_account_email() {
        attributes.push(("service_account_email".into(), CredentialValue::Plain(email)));
    }
    Ok(ClientCredential {
        connector_type: "gcp".into(),
        auth_method: "oauth2-token".into(),
        resource_type: rt.into(),
        resource_id: id,
        attributes,
        expires_at: access.expires_at(),
    })
}

/// The token a client receives: a minted one, or the configured token (released by the host
/// only where admin policy allows).
fn token_value(access: &Access) -> CredentialValue {
    match access {
        Access::Minted(token) => CredentialValue::Secret(token.access_token.clone()),
        Access::Configured => CredentialValue::Binding("token".into()),
    }
}

/// The long-lived configuration itself (`generate_temporary_tokens=false`), released by the
/// host only where admin policy allows.
fn credential_file(method: &str, rt: &str, id: Option<String>) -> Result<ClientCredential> {
    let binding = match method {
        "user-account" => "user_account_json",
        "service-account" => "service_account_json",
        _ => "external_account_json",
    };
    Ok(ClientCredential {
        connector_type: "gcp".into(),
        auth_method: method.into(),
        resource_type: rt.into(),
        resource_id: id,
        attributes: vec![
            ("project_id".into(), CredentialValue::Plain(project()?)),
            (binding.into(), CredentialValue::Binding(binding.into())),
        ],
        expires_at: None,
    })
}

/// A `kubernetes` client for a GKE cluster: endpoint, CA and the access token.
fn kubernetes_client(gcp: &Gcp, name: &str) -> Result<ClientCredential> {
    let cluster = gcp.cluster(name)?;
    let field = |v: &serde_json::Value, what: &str| {
        v.as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| ConnectorError::Upstream(format!("GKE did not return the cluster's {what}")))
    };
    let endpoint = field(&cluster["endpoint"], "endpoint")?;
    Ok(ClientCredential {
        connector_type: "kubernetes".into(),
        auth_method: "token".into(),
        resource_type: GKE.into(),
        resource_id: Some(name.into()),
        attributes: vec![
            ("cluster_name".into(), CredentialValue::Plain(format!("gke_{}_{name}", gcp.project))),
            ("server".into(), CredentialValue::Plain(format!("https://{endpoint}"))),
            (
                "certificate_authority".into(),
                CredentialValue::Plain(field(&cluster["masterAuth"]["clusterCaCertificate"], "CA certificate")?),
            ),
            ("token".into(), token_value(&gcp.access)),
        ],
        expires_at: gcp.access.expires_at(),
    })
}

/// A `docker` client for a registry of the project: `oauth2accesstoken` and the access token.
fn docker_client(gcp: &Gcp, id: &str) -> Result<ClientCredential> {
    let registry = ids::registry(id, &gcp.project)?;
    gcp.registry(&registry)?;
    Ok(ClientCredential {
        connector_type: "docker".into(),
        auth_method: "password".into(),
        resource_type: REGISTRY.into(),
        resource_id: Some(registry.canonical()),
        attributes: vec![
            ("username".into(), CredentialValue::Plain("oauth2accesstoken".into())),
            ("password".into(), token_value(&gcp.access)),
            ("registry".into(), CredentialValue::Plain(registry.host())),
        ],
        expires_at: gcp.access.expires_at(),
    })
}

airlock_sdk::export_connector!(GcpConnector);
