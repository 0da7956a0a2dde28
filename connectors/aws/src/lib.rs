//! The `aws` connector: STS, S3, EKS and ECR, with ZenML's six auth methods.
//!
//! Every AWS request is signed by the host (SigV4) with the instance's credential bindings, so
//! the long-lived secret access key never enters this component. Temporary credentials minted by
//! STS are down-scoped to the requested resource with a generated session policy unless the user
//! configured their own.

mod api;
mod autoconf;
mod ids;
mod policy;

use airlock_sdk::prelude::*;
use airlock_sdk::{AutoConfiguration, AutoConfigureInput};
use api::{Aws, TempCredentials};
use ids::{ECR, EKS, GENERIC, S3};

/// Temporary-credential bounds (seconds): (min, default, max).
const SESSION_BOUNDS: (u64, u64, u64) = (900, 43200, 129600);
const ROLE_BOUNDS: (u64, u64, u64) = (900, 3600, 43200);
/// EKS bearer tokens are accepted for 15 minutes.
const EKS_TOKEN_SECS: u64 = 15 * 60;

struct AwsConnector;

impl Connector for AwsConnector {
    fn describe() -> ConnectorSpec {
        let keys = |m: spec::AuthMethodBuilder| {
            m.attribute(
                spec::secret("aws_access_key_id", "AWS access key ID").secret_hosts(&["https://*.amazonaws.com"]),
            )
            .attribute(
                spec::secret("aws_secret_access_key", "AWS secret access key")
                    .secret_hosts(&["https://*.amazonaws.com"]),
            )
        };
        let base = |m: spec::AuthMethodBuilder| {
            m.attribute(spec::text("region", "AWS region")).attribute(
                spec::url("endpoint_url", "Custom endpoint (S3-compatible stores, on-prem, emulators)")
                    .optional()
                    .egress(),
            )
        };
        let policies = |m: spec::AuthMethodBuilder| {
            m.attribute(
                spec::of_kind(
                    "policy_arns",
                    "IAM policy ARNs to attach to the session",
                    airlock_sdk::AttributeKind::TextList,
                )
                .optional(),
            )
            .attribute(
                spec::of_kind("policy", "Inline IAM session policy (JSON)", airlock_sdk::AttributeKind::Json)
                    .optional(),
            )
        };
        spec::connector("aws", "AWS Service Connector", DESCRIPTION)
            .emoji("🔶")
            .docs_url("https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp.html")
            .egress("https://*.amazonaws.com")
            .auto_configure(
                &["$AWS_SHARED_CREDENTIALS_FILE", "$AWS_CONFIG_FILE", "~/.aws/credentials", "~/.aws/config"],
                &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"],
            )
            .resource_type(spec::resource_type(GENERIC, "Generic AWS resource").emoji("🔶").id_formats(&["<region>"]).description("Any AWS service, through the AWS CLI or an SDK."))
            .resource_type(
                spec::resource_type(S3, "AWS S3 bucket").emoji("📦").multi_instance().id_formats(&["s3://{bucket}", "arn:aws:s3:::{bucket}", "{bucket}"]),
            )
            .resource_type(
                spec::resource_type(EKS, "AWS EKS Kubernetes cluster").emoji("🌀").multi_instance().id_formats(&["{cluster-name}", "arn:aws:eks:{region}:{account}:cluster/{cluster-name}"]),
            )
            .resource_type(
                spec::resource_type(ECR, "AWS ECR container registry").emoji("🐳").id_formats(&["[https://]{account}.dkr.ecr.{region}.amazonaws.com", "arn:aws:ecr:{region}:{account}:repository[/{name}]"]),
            )
            .auth_method(
                policies(base(spec::auth_method("implicit", "Implicit authentication")))
                    .description("The server's own AWS credentials. Disabled: Airlock does not hand its ambient credentials to connectors."),
            )
            .auth_method(
                keys(base(spec::auth_method("secret-key", "AWS secret key")))
                    .description("Long-lived keys. Clients receive the keys themselves (only where admin policy allows).")
                    .releases(&["aws_access_key_id", "aws_secret_access_key"]),
            )
            .auth_method(
                keys(base(spec::auth_method("sts-token", "AWS STS token")))
                    .attribute(spec::secret("aws_session_token", "AWS session token").secret_hosts(&["https://*.amazonaws.com"]))
                    .description("A temporary STS token the user obtained. Clients receive it as it is.")
                    .releases(&["aws_access_key_id", "aws_secret_access_key", "aws_session_token"]),
            )
            .auth_method(
                policies(keys(base(spec::auth_method("iam-role", "AWS IAM role"))).attribute(spec::text("role_arn", "The IAM role to assume")))
                    .description("Clients receive temporary credentials of the assumed role, down-scoped to the requested resource.")
                    .expiration(ROLE_BOUNDS.0, ROLE_BOUNDS.1, ROLE_BOUNDS.2),
            )
            .auth_method(
                keys(base(spec::auth_method("session-token", "AWS session token")))
                    .description("Clients receive temporary credentials from STS GetSessionToken (same permissions as the keys).")
                    .expiration(SESSION_BOUNDS.0, SESSION_BOUNDS.1, SESSION_BOUNDS.2),
            )
            .auth_method(
                policies(keys(base(spec::auth_method("federation-token", "AWS federation token"))))
                    .description("Clients receive temporary credentials from STS GetFederationToken, down-scoped to the requested resource.")
                    .expiration(SESSION_BOUNDS.0, SESSION_BOUNDS.1, SESSION_BOUNDS.2),
            )
            .build()
    }

    fn canonical_resource_id(resource_type: String, resource_id: String) -> Result<String> {
        ids::canonical(&resource_type, &resource_id, &config::get("region").unwrap_or_default())
    }

    fn verify(resource_type: Option<String>, resource_id: Option<String>) -> Result<Vec<ResourceListing>> {
        let configured = authenticated()?;
        // An IAM role connector reaches what the role reaches: list with the assumed role.
        let aws = match config::auth_method().as_str() {
            "iam-role" => configured.with_temporary(&configured.assume_role(
                &config::require("role_arn")?,
                "airlock-verify",
                ROLE_BOUNDS.0,
                None,
                &[],
            )?),
            _ => configured,
        };
        let identity = aws.caller_identity()?;
        match resource_type {
            Some(rt) => {
                let id = resource_id.map(|id| ids::canonical(&rt, &id, &aws.region)).transpose()?;
                Ok(vec![listing(&rt, resources(&aws, &identity.account, &rt, id.as_deref())?)])
            }
            None => Ok([GENERIC, S3, EKS, ECR]
                .into_iter()
                .map(|rt| match resources(&aws, &identity.account, rt, None) {
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
        let aws = authenticated()?;
        let rt = request.resource_type.as_str();
        let id = request.resource_id.as_deref().map(|id| ids::canonical(rt, id, &aws.region)).transpose()?;
        match rt {
            GENERIC | S3 => aws_credential(&aws, rt, id, request.expiration_seconds),
            EKS | ECR => {
                // Kubernetes and Docker clients act as the identity the method yields (the assumed
                // role, the federated user), through credentials down-scoped to the resource.
                let signer = match config::auth_method().as_str() {
                    "secret-key" | "sts-token" => aws,
                    method => {
                        aws.with_temporary(&mint(&aws, method, rt, id.as_deref(), Some(temporary_lifetime(method)))?)
                    }
                };
                match rt {
                    EKS => kubernetes_credential(
                        &signer,
                        id.ok_or_else(|| ConnectorError::InvalidConfig("name the EKS cluster".into()))?,
                    ),
                    _ => docker_credential(&signer, id),
                }
            }
            other => Err(ConnectorError::InvalidConfig(format!("the aws connector has no resource type `{other}`"))),
        }
    }

    fn auto_configure(input: AutoConfigureInput) -> Result<AutoConfiguration> {
        autoconf::from_local(input)
    }
}

const DESCRIPTION: &str = "Gives access to AWS: generic AWS sessions, S3 buckets, EKS clusters (as Kubernetes \
clients) and ECR registries (as Docker clients). Temporary credentials are issued through STS and \
down-scoped to the requested resource; requests are signed by the Airlock host, so the secret \
access key never reaches connector code.";

/// The account access, unless the method is disabled.
fn authenticated() -> Result<Aws> {
    if config::auth_method() == "implicit" {
        return Err(ConnectorError::Unsupported(
            "implicit authentication would use the server's own AWS credentials; it is disabled on this server".into(),
        ));
    }
    Aws::from_config()
}

/// The ids of one resource type the credentials reach (checking `id` when given).
fn resources(aws: &Aws, account: &str, rt: &str, id: Option<&str>) -> Result<Vec<String>> {
    match (rt, id) {
        (GENERIC, _) => Ok(vec![aws.region.clone()]),
        (S3, Some(id)) => aws.head_bucket(&ids::bucket(id)?).map(|_| vec![id.to_string()]),
        (S3, None) => aws.list_buckets(),
        (EKS, Some(name)) => aws.eks(&format!("/clusters/{name}")).map(|_| vec![name.to_string()]),
        (EKS, None) => Ok(aws.eks("/clusters")?["clusters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect()),
        (ECR, id) => {
            let registry = format!("{account}.dkr.ecr.{}.amazonaws.com", aws.region);
            if id.is_some_and(|id| id != registry) {
                return Err(ConnectorError::NotFound(format!(
                    "these credentials reach the registry `{registry}`, not `{}`",
                    id.unwrap_or_default()
                )));
            }
            let repositories = aws.ecr("DescribeRepositories", serde_json::json!({}))?;
            if repositories["repositories"].as_array().is_none_or(|r| r.is_empty()) {
                return Err(ConnectorError::NotFound("the credentials do not reach any ECR repository".into()));
            }
            Ok(vec![registry])
        }
        (other, _) => Err(ConnectorError::InvalidConfig(format!("the aws connector has no resource type `{other}`"))),
    }
}

/// The shortest lifetime the method allows: enough to mint a Kubernetes or Docker client.
fn temporary_lifetime(method: &str) -> u64 {
    match method {
        "iam-role" => ROLE_BOUNDS.0,
        _ => SESSION_BOUNDS.0,
    }
}

/// The requested lifetime within the method's bounds.
fn lifetime(requested: Option<u64>, (min, default, max): (u64, u64, u64)) -> Result<u64> {
    let seconds = requested.unwrap_or(default);
    if seconds < min || seconds > max {
        return Err(ConnectorError::InvalidConfig(format!(
            "an expiration of {seconds}s is outside {min} to {max} seconds"
        )));
    }
    Ok(seconds)
}

/// The session policy: the user's own, their policy ARNs, or one generated for the resource.
fn session_policy(aws: &Aws, rt: &str, id: Option<&str>) -> (Option<String>, Vec<String>) {
    if let Some(policy) = config::get("policy").filter(|p| !p.trim().is_empty()) {
        return (Some(policy), Vec::new());
    }
    let arns = policy_arns();
    if !arns.is_empty() {
        return (None, arns);
    }
    (policy::for_resource(rt, id, &aws.region), Vec::new())
}

fn policy_arns() -> Vec<String> {
    let Some(value) = config::get("policy_arns") else { return Vec::new() };
    match serde_json::from_str::<Vec<String>>(&value) {
        Ok(list) => list,
        Err(_) => value.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
    }
}

/// An `aws` client credential (generic session or S3).
fn aws_credential(aws: &Aws, rt: &str, id: Option<String>, expiration: Option<u64>) -> Result<ClientCredential> {
    let method = config::auth_method();
    let mut attributes = vec![("region".to_string(), CredentialValue::Plain(aws.region.clone()))];
    if let Some(endpoint) = config::get("endpoint_url") {
        attributes.push(("endpoint_url".into(), CredentialValue::Plain(endpoint)));
    }
    let binding = |name: &str| (name.to_string(), CredentialValue::Binding(name.into()));
    let (auth_method, expires_at) = match method.as_str() {
        "secret-key" | "sts-token" => {
            if expiration.is_some() {
                return Err(ConnectorError::InvalidConfig(format!(
                    "`{method}` issues no temporary credentials, so an expiration cannot be set"
                )));
            }
            attributes.push(binding("aws_access_key_id"));
            attributes.push(binding("aws_secret_access_key"));
            if method == "sts-token" {
                attributes.push(binding("aws_session_token"));
            }
            (method.clone(), None)
        }
        temporary => {
            let minted = mint(aws, temporary, rt, id.as_deref(), expiration)?;
            let expires_at = minted.expiration;
            attributes.push(("aws_access_key_id".into(), CredentialValue::Secret(minted.access_key_id)));
            attributes.push(("aws_secret_access_key".into(), CredentialValue::Secret(minted.secret_access_key)));
            attributes.push(("aws_session_token".into(), CredentialValue::Secret(minted.session_token)));
            ("sts-token".to_string(), Some(expires_at))
        }
    };
    Ok(ClientCredential {
        connector_type: "aws".into(),
        auth_method,
        resource_type: rt.into(),
        resource_id: id,
        attributes,
        expires_at,
    })
}

/// Temporary credentials for the method, down-scoped where STS allows it.
fn mint(aws: &Aws, method: &str, rt: &str, id: Option<&str>, expiration: Option<u64>) -> Result<TempCredentials> {
    match method {
        "session-token" => aws.session_token(lifetime(expiration, SESSION_BOUNDS)?),
        "federation-token" => {
            let (policy, arns) = session_policy(aws, rt, id);
            aws.federation_token("airlock-connector", lifetime(expiration, SESSION_BOUNDS)?, policy.as_deref(), &arns)
        }
        "iam-role" => {
            let (policy, arns) = session_policy(aws, rt, id);
            aws.assume_role(
                &config::require("role_arn")?,
                "airlock-connector",
                lifetime(expiration, ROLE_BOUNDS)?,
                policy.as_deref(),
                &arns,
            )
        }
        other => Err(ConnectorError::Unsupported(format!("auth method `{other}` cannot issue credentials"))),
    }
}

/// A `kubernetes` client credential for an EKS cluster: endpoint, CA and a `k8s-aws-v1.` token.
fn kubernetes_credential(aws: &Aws, name: String) -> Result<ClientCredential> {
    let described = aws.eks(&format!("/clusters/{name}"))?;
    let cluster = &described["cluster"];
    let field = |v: &serde_json::Value, what: &str| {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| ConnectorError::Upstream(format!("EKS did not return the cluster's {what}")))
    };
    let now = time::now();
    Ok(ClientCredential {
        connector_type: "kubernetes".into(),
        auth_method: "token".into(),
        resource_type: EKS.into(),
        resource_id: Some(name.clone()),
        attributes: vec![
            ("cluster_name".into(), CredentialValue::Plain(field(&cluster["arn"], "ARN")?)),
            ("server".into(), CredentialValue::Plain(field(&cluster["endpoint"], "endpoint")?)),
            (
                "certificate_authority".into(),
                CredentialValue::Plain(field(&cluster["certificateAuthority"]["data"], "CA")?),
            ),
            ("token".into(), CredentialValue::Secret(aws.eks_token(&name)?)),
        ],
        expires_at: Some(now + EKS_TOKEN_SECS),
    })
}

/// A `docker` client credential for ECR from GetAuthorizationToken (one call: the registry's
/// name comes from the token's proxy endpoint).
fn docker_credential(aws: &Aws, id: Option<String>) -> Result<ClientCredential> {
    use base64::Engine as _;
    let answer = aws.ecr("GetAuthorizationToken", serde_json::json!({}))?;
    let data = &answer["authorizationData"][0];
    let upstream = |what: &str| ConnectorError::Upstream(format!("ECR returned {what}"));
    let endpoint = data["proxyEndpoint"].as_str().ok_or_else(|| upstream("no proxy endpoint"))?;
    let registry = ids::registry(endpoint, &aws.region)?;
    if id.as_ref().is_some_and(|id| *id != registry) {
        return Err(ConnectorError::NotFound(format!(
            "these credentials reach the registry `{registry}`, not `{}`",
            id.unwrap_or_default()
        )));
    }
    let token = data["authorizationToken"].as_str().ok_or_else(|| upstream("no authorization token"))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| upstream("an unreadable authorization token"))?;
    let (username, password) = decoded.split_once(':').ok_or_else(|| upstream("a token that is not user:password"))?;
    Ok(ClientCredential {
        connector_type: "docker".into(),
        auth_method: "password".into(),
        resource_type: ECR.into(),
        resource_id: Some(registry.clone()),
        attributes: vec![
            ("username".into(), CredentialValue::Plain(username.into())),
            ("password".into(), CredentialValue::Secret(password.into())),
            ("registry".into(), CredentialValue::Plain(registry)),
        ],
        expires_at: data["expiresAt"].as_f64().map(|e| e as u64),
    })
}

airlock_sdk::export_connector!(AwsConnector);
