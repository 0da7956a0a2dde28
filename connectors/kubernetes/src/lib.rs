//! The `kubernetes` connector: one Kubernetes cluster's API server, with ZenML's `password` and
//! `token` methods.
//!
//! The credentials never enter this component: the host adds the basic or bearer credential,
//! trusts the cluster's own CA for this instance's requests only and presents the client
//! certificate whose key it holds. `verify` proves the credentials with a SelfSubjectReview.
//! When the config names a service account, clients receive a short-lived token minted with the
//! TokenRequest API instead of the long-lived credentials.

mod api;
mod autoconf;
mod cluster;

use airlock_sdk::prelude::*;
use airlock_sdk::{AttributeKind, AutoConfiguration, AutoConfigureInput};
use cluster::RESOURCE_TYPE;

/// TokenRequest lifetimes: the API refuses less than ten minutes.
const TOKEN_MIN_SECS: u64 = 600;
const TOKEN_DEFAULT_SECS: u64 = 3600;
const TOKEN_MAX_SECS: u64 = 86_400;

struct Kubernetes;

impl Connector for Kubernetes {
    fn describe() -> ConnectorSpec {
        let cluster = |m: spec::AuthMethodBuilder| {
            m.attribute(spec::url("server", "The API server URL (https://host[:port])").egress())
                .attribute(
                    spec::of_kind(
                        "insecure",
                        "Skip verifying the API server's certificate (refused together with certificate_authority)",
                        AttributeKind::Boolean,
                    )
                    .default_value("false"),
                )
                .attribute(
                    spec::text(
                        "certificate_authority",
                        "The cluster's CA certificate (PEM or base64 PEM, as kubeconfig's certificate-authority-data); trusted for this connector's requests only",
                    )
                    .optional(),
                )
                .attribute(spec::text("cluster_name", "The cluster's name (kubeconfig cluster and context name)"))
                .attribute(
                    spec::text(
                        "service_account",
                        "A service account to mint short-lived TokenRequest tokens for; clients then never receive the configured credentials",
                    )
                    .optional(),
                )
                .attribute(spec::text("namespace", "The service account's namespace").default_value("default"))
                .attribute(
                    spec::of_kind(
                        "token_audiences",
                        "Audiences of minted tokens (default: the API server's own)",
                        AttributeKind::TextList,
                    )
                    .optional(),
                )
                .expiration(TOKEN_MIN_SECS, TOKEN_DEFAULT_SECS, TOKEN_MAX_SECS)
        };
        spec::connector("kubernetes", "Kubernetes Service Connector", DESCRIPTION)
            .emoji("🌀")
            .docs_url("https://kubernetes.io/docs/reference/access-authn-authz/authentication/")
            .resource_type(
                spec::resource_type(RESOURCE_TYPE, "Kubernetes cluster")
                    .emoji("🌀")
                    .id_formats(&["{cluster_name}"])
                    .description(RESOURCE_DESCRIPTION),
            )
            .auth_method(
                cluster(spec::auth_method("password", "Kubernetes username and password"))
                    .attribute(spec::text("username", "The username (not secret: the API server reports it back)"))
                    .attribute(spec::secret("password", "The password"))
                    .description(PASSWORD_DOCS)
                    .releases(&["password"]),
            )
            .auth_method(
                cluster(spec::auth_method("token", "Kubernetes token and/or client certificate"))
                    .attribute(spec::secret("token", "A bearer token").optional())
                    .attribute(spec::text("client_certificate", "A client certificate (PEM or base64 PEM)").optional())
                    .attribute(
                        spec::secret(
                            "client_key",
                            "The client certificate's private key (PEM or base64 PEM); it stays on the Airlock host",
                        )
                        .optional(),
                    )
                    .description(TOKEN_DOCS)
                    .releases(&["token", "client_key"]),
            )
            .auto_configure(&["$KUBECONFIG", "~/.kube/config"], &["KUBECONFIG"])
            .build()
    }

    fn canonical_resource_id(resource_type: String, resource_id: String) -> Result<String> {
        cluster::check_resource_type(&resource_type)?;
        cluster::name(Some(&resource_id))
    }

    fn verify(resource_type: Option<String>, resource_id: Option<String>) -> Result<Vec<ResourceListing>> {
        if let Some(rt) = &resource_type {
            cluster::check_resource_type(rt)?;
        }
        let name = cluster::name(resource_id.as_deref())?;
        cluster::check_config()?;
        let user = api::who_am_i()?;
        log::info(format!("the credentials for `{name}` authenticate as {user}"));
        Ok(vec![listing(RESOURCE_TYPE, vec![name])])
    }

    fn issue_client(request: ClientRequest) -> Result<ClientCredential> {
        cluster::check_resource_type(&request.resource_type)?;
        let name = cluster::name(request.resource_id.as_deref())?;
        cluster::check_config()?;
        let mut attributes = cluster::client_attributes(&name);
        let mut auth_method = "token";
        let mut expires_at = None;
        match config::get("service_account").filter(|s| !s.is_empty()) {
            Some(account) => {
                let namespace = config::get("namespace").unwrap_or_else(|| "default".into());
                let seconds = request.expiration_seconds.unwrap_or(TOKEN_DEFAULT_SECS);
                let (token, expiry) = api::token_request(&namespace, &account, seconds)?;
                attributes.push(("token".into(), CredentialValue::Secret(token)));
                expires_at = Some(expiry);
            }
            None if request.expiration_seconds.is_some() => {
                return Err(ConnectorError::InvalidConfig(
                    "an expiration applies to minted tokens only: set `service_account` (and `namespace`) to mint them with the TokenRequest API".into(),
                ));
            }
            None => {
                log::warn(
                    "no service_account is configured: the client receives the connector's long-lived credentials (where admin policy releases them)",
                );
                auth_method = cluster::long_lived_credentials(&mut attributes)?;
            }
        }
        Ok(ClientCredential {
            connector_type: "kubernetes".into(),
            auth_method: auth_method.into(),
            resource_type: RESOURCE_TYPE.into(),
            resource_id: Some(name),
            attributes,
            expires_at,
        })
    }

    fn auto_configure(input: AutoConfigureInput) -> Result<AutoConfiguration> {
        autoconf::from_kubeconfig(input)
    }
}

const DESCRIPTION: &str = "Gives access to one Kubernetes cluster's API server with a username and password, a \
bearer token or a client certificate. The credentials stay on the Airlock host (the host presents the client \
certificate and trusts the cluster's own CA); with a service account configured, clients receive short-lived \
TokenRequest tokens instead.";

const RESOURCE_DESCRIPTION: &str = "One Kubernetes cluster, named as in its kubeconfig. Clients receive a \
kubeconfig-ready credential: the server, its CA and a token (minted with the TokenRequest API when the \
connector names a service account; RBAC must allow `create` on `serviceaccounts/token`), or the configured \
credentials where admin policy releases them. Verification needs only an authenticated user \
(SelfSubjectReview is allowed to every authenticated user).\n\
The client is a `kubernetes` credential with `cluster_name`, `server`, `certificate_authority` (base64 PEM) and \
`insecure` when set. A minted token lives 600 seconds to 1 day (1 hour by default; the API server may shorten it, \
and its `expirationTimestamp` is the expiry); without `service_account` no expiration can be requested and \
Airlock records no expiry for the configured credentials.\n\
Verification proves the credentials with a SelfSubjectReview (v1, then v1beta1, then a SelfSubjectRulesReview on \
older clusters) and refuses credentials the API server treats as anonymous; `GET /version` alone would prove \
nothing. TLS is handled by the Airlock host: it trusts `certificate_authority` for this connector's requests only, \
or skips verification with `insecure` (refused together with a CA, as kubectl refuses it).\n\
The id is the connector's `cluster_name` (1-253 printable characters without spaces, compared exactly): one \
connector is one cluster. `airlock connector login` writes a kubeconfig context whose user runs `airlock \
credential kubectl` to fetch fresh credentials.";

const PASSWORD_DOCS: &str = "HTTP basic authentication with `username` (not secret: the API server reports it \
back) and `password`, which the host sends to `server` only. Kubernetes removed static password files in 1.19, so \
this works only with API servers (or authenticating proxies in front of them) that still accept basic \
authentication; prefer `token`.\n\
Clients receive a minted service-account token when service_account is set; otherwise the username and password, \
only where admin policy releases them (a server started with `--release-secrets never` refuses them). With \
`service_account` (and `namespace`, which defaults to `default`) set, clients get TokenRequest tokens valid 600 \
seconds to 1 day (1 hour by default), and the user must be allowed `create` on `serviceaccounts/token` for that \
account; `token_audiences` sets their audiences. Without it no expiration can be requested.\n\
Recommended: set `service_account`, so the password never leaves the host.";

const TOKEN_DOCS: &str = "A bearer token, a client certificate, or both: `token`, and `client_certificate` with its \
`client_key` (PEM or base64 PEM). The host adds the token and presents the client certificate itself: the key \
never reaches connector code, and each use of it is audited.\n\
Clients receive a minted service-account token when service_account is set; otherwise these credentials, only \
where admin policy releases them (`token`, and the certificate with `client_key`; a server started with \
`--release-secrets never` refuses them). With `service_account` (and `namespace`, which defaults to `default`) set, \
clients get TokenRequest tokens valid 600 seconds to 1 day (1 hour by default); the configured identity must be \
allowed `create` on `serviceaccounts/token` for that account, and `token_audiences` sets the tokens' audiences. \
Without it no expiration can be requested.\n\
Recommended: set `service_account`, so the configured credentials stay on the host. Auto-configuration reads a \
kubeconfig context (`$KUBECONFIG` or `~/.kube/config`); users that authenticate through exec plugins or auth \
providers are refused.";

airlock_sdk::export_connector!(Kubernetes);
