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
/// ECR authorization tokens are valid for 12 hours.
const ECR_TOKEN_SECS: u64 = 12 * 3600;

struct AwsConnector;

/// Where AWS's endpoints are, in each partition (`aws` and `aws-us-gov`, `aws-cn`, `aws-iso`,
/// `aws-iso-b`): the only hosts that see the keys.
const AWS_ORIGINS: &[&str] =
    &["https://*.amazonaws.com", "https://*.amazonaws.com.cn", "https://*.c2s.ic.gov", "https://*.sc2s.sgov.gov"];

impl Connector for AwsConnector {
    fn describe() -> ConnectorSpec {
        let keys = |m: spec::AuthMethodBuilder| {
            m.attribute(spec::secret("aws_access_key_id", "AWS access key ID").secret_hosts(AWS_ORIGINS))
                .attribute(spec::secret("aws_secret_access_key", "AWS secret access key").secret_hosts(AWS_ORIGINS))
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
        let connector = spec::connector("aws", "AWS Service Connector", DESCRIPTION)
            .emoji("🔶")
            .docs_url("https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp.html");
        AWS_ORIGINS
            .iter()
            .fold(connector, |connector, origin| connector.egress(origin))
            .auto_configure(
                &["$AWS_SHARED_CREDENTIALS_FILE", "$AWS_CONFIG_FILE", "~/.aws/credentials", "~/.aws/config"],
                &[
                    "AWS_ACCESS_KEY_ID",
                    "AWS_SECRET_ACCESS_KEY",
                    "AWS_SESSION_TOKEN",
                    "AWS_PROFILE",
                    "AWS_REGION",
                    "AWS_DEFAULT_REGION",
                    "AWS_ENDPOINT_URL",
                    "AWS_SHARED_CREDENTIALS_FILE",
                    "AWS_CONFIG_FILE",
                ],
            )
            .resource_type(
                spec::resource_type(GENERIC, "Generic AWS resource")
                    .emoji("🔶")
                    .id_formats(&["<region>"])
                    .description(GENERIC_DOCS),
            )
            .resource_type(
                spec::resource_type(S3, "AWS S3 bucket")
                    .emoji("📦")
                    .multi_instance()
                    .id_formats(&["s3://{bucket}", "arn:aws:s3:::{bucket}", "{bucket}"])
                    .description(S3_DOCS),
            )
            .resource_type(
                spec::resource_type(EKS, "AWS EKS Kubernetes cluster")
                    .emoji("🌀")
                    .multi_instance()
                    .id_formats(&["{cluster-name}", "arn:aws:eks:{region}:{account}:cluster/{cluster-name}"])
                    .description(EKS_DOCS),
            )
            .resource_type(
                spec::resource_type(ECR, "AWS ECR container registry")
                    .emoji("🐳")
                    .id_formats(&[
                        "[https://]{account}.dkr.ecr.{region}.amazonaws.com",
                        "arn:aws:ecr:{region}:{account}:repository[/{name}]",
                    ])
                    .description(ECR_DOCS),
            )
            .auth_method(
                policies(base(spec::auth_method("implicit", "Implicit authentication"))).description(IMPLICIT_DOCS),
            )
            .auth_method(
                keys(base(spec::auth_method("secret-key", "AWS secret key")))
                    .description(SECRET_KEY_DOCS)
                    .releases(&["aws_access_key_id", "aws_secret_access_key"]),
            )
            .auth_method(
                keys(base(spec::auth_method("sts-token", "AWS STS token")))
                    .attribute(spec::secret("aws_session_token", "AWS session token").secret_hosts(AWS_ORIGINS))
                    .description(STS_TOKEN_DOCS)
                    .releases(&["aws_access_key_id", "aws_secret_access_key", "aws_session_token"]),
            )
            .auth_method(
                policies(
                    keys(base(spec::auth_method("iam-role", "AWS IAM role")))
                        .attribute(spec::text("role_arn", "The IAM role to assume")),
                )
                .description(IAM_ROLE_DOCS)
                .expiration(ROLE_BOUNDS.0, ROLE_BOUNDS.1, ROLE_BOUNDS.2),
            )
            .auth_method(
                keys(base(spec::auth_method("session-token", "AWS session token")))
                    .description(SESSION_TOKEN_DOCS)
                    .expiration(SESSION_BOUNDS.0, SESSION_BOUNDS.1, SESSION_BOUNDS.2),
            )
            .auth_method(
                policies(keys(base(spec::auth_method("federation-token", "AWS federation token"))))
                    .description(FEDERATION_TOKEN_DOCS)
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
                // The session lasts as long as the user asked (or the method's default), and
                // the client never claims to outlive it.
                let (signer, session_ends) = match config::auth_method().as_str() {
                    "secret-key" | "sts-token" => (aws, None),
                    method => {
                        let minted = mint(&aws, method, rt, id.as_deref(), request.expiration_seconds)?;
                        (aws.with_temporary(&minted), Some(minted.expiration))
                    }
                };
                let mut credential = match rt {
                    EKS => kubernetes_credential(
                        &signer,
                        id.ok_or_else(|| ConnectorError::InvalidConfig("name the EKS cluster".into()))?,
                    ),
                    _ => docker_credential(&signer, id),
                }?;
                if let Some(ends) = session_ends {
                    credential.expires_at = Some(credential.expires_at.map_or(ends, |e| e.min(ends)));
                }
                Ok(credential)
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

// What `airlock connector describe-type aws -r <resource type>` / `-a <auth method>` prints.

const GENERIC_DOCS: &str = "The AWS account itself, in the connector's region: any AWS service, through the AWS \
CLI, boto3 or another SDK.\n\
Clients receive an `aws` credential: `region`, the optional `endpoint_url`, an access key ID and a secret access \
key, plus a session token for temporary credentials. `iam-role`, `session-token` and `federation-token` hand out \
temporary STS credentials (as an `sts-token` credential); `secret-key` and `sts-token` hand out the configured keys \
themselves, only where admin policy releases them.\n\
No session policy is generated for this type: an `iam-role` session has all of the role's permissions and a \
`session-token` session all of the IAM user's, while a `federation-token` session has NO permissions unless \
`policy` or `policy_arns` is set (for `iam-role` these narrow the session too).\n\
Permissions: whatever the identity's IAM policies allow (verification only calls sts:GetCallerIdentity).\n\
The id is the connector's `region`; one connector is one instance. `airlock connector login` writes an AWS CLI \
profile whose `credential_process` fetches fresh credentials through Airlock.";

const S3_DOCS: &str = "An S3 bucket (or a bucket of the S3-compatible store at `endpoint_url`).\n\
Clients receive an `aws` credential like `aws-generic`'s. For `iam-role` and `federation-token` it is down-scoped \
by a generated session policy to the named bucket (`arn:aws:s3:::<bucket>` and `arn:aws:s3:::<bucket>/*`; every \
bucket when the client names none) and the S3 actions below, unless `policy` or `policy_arns` is set. \
`session-token` credentials carry all of the IAM user's permissions, and `secret-key` / `sts-token` clients get \
the configured keys themselves (only where admin policy releases them), which reach every bucket the keys reach.\n\
Minimum IAM permissions: s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject, s3:ListAllMyBuckets, \
s3:GetBucketVersioning, s3:ListBucketVersions, s3:DeleteObjectVersion.\n\
Ids: `s3://<bucket>`, `arn:aws:s3:::<bucket>` (also in the aws-cn and aws-us-gov partitions) or `<bucket>`, all \
stored as `s3://<bucket>`. A bucket name is 3-63 lower-case letters, digits, `.` and `-`, starting and ending with \
a letter or digit. A path inside the bucket is refused: a credential covers the whole bucket.\n\
Multiple instances: one connector may serve every bucket its credentials reach (listed with s3:ListAllMyBuckets); \
each client names one.";

const EKS_DOCS: &str = "An EKS cluster in the connector's region.\n\
Clients receive a `kubernetes` credential (`token` method): the cluster's ARN as `cluster_name`, its API endpoint, \
its CA certificate and a `k8s-aws-v1.` bearer token (an STS GetCallerIdentity URL presigned on the Airlock host). \
The token is valid 15 minutes, never longer than the STS session it was made from.\n\
The token acts as the method's identity: that of the configured keys for `secret-key`, `sts-token` and \
`session-token`, the assumed role of `iam-role`, the federated user of `federation-token`. For `iam-role` and \
`federation-token` the session is down-scoped by a generated policy to eks:ListClusters and eks:DescribeCluster on \
that cluster, unless `policy` or `policy_arns` is set.\n\
Minimum IAM permissions: eks:ListClusters, eks:DescribeCluster. What the client may do inside the cluster is up to \
Kubernetes RBAC: the identity must be mapped in the cluster's `aws-auth` ConfigMap (IAM users and roles may \
instead get an EKS access entry), otherwise the API server answers Unauthorized.\n\
Ids: the cluster name (at most 100 letters, digits, `-` and `_`, starting with a letter or digit) or its ARN \
`arn:aws:eks:<region>:<account>:cluster/<name>`, whose region must be the connector's; stored as the name.\n\
Multiple instances: one connector may serve every cluster its credentials can describe.";

const ECR_DOCS: &str = "The ECR registry of the credentials' own account in the connector's region \
(`<account>.dkr.ecr.<region>.amazonaws.com`; `.amazonaws.com.cn` in China).\n\
Clients receive a `docker` credential (`password` method): user `AWS` and an ECR authorization token from \
ecr:GetAuthorizationToken as password, for `docker login`, skopeo, podman and the like. The token is valid 12 hours \
at most, never beyond the STS session Airlock minted for it, and acts as the method's identity. For `iam-role` and \
`federation-token` the session is down-scoped by a generated policy to the ECR actions below on the region's \
repositories, unless `policy` or `policy_arns` is set.\n\
Minimum IAM permissions: ecr:DescribeRegistry, ecr:DescribeRepositories, ecr:ListRepositories, ecr:BatchGetImage, \
ecr:DescribeImages, ecr:BatchCheckLayerAvailability, ecr:GetDownloadUrlForLayer, ecr:InitiateLayerUpload, \
ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage, ecr:GetAuthorizationToken. Verification fails when \
the credentials reach no repository at all.\n\
Ids: the registry URL (with or without `https://`; a repository path after the host is dropped) or a repository \
ARN `arn:aws:ecr:<region>:<account>:repository[/<name>]`, both stored as the registry host; the region must be the \
connector's and the account the credentials' own. One connector is one registry.";

const IMPLICIT_DOCS: &str = "Would authenticate as the Airlock server's own ambient AWS identity (its environment \
variables, `~/.aws` files, EC2 instance profile or EKS pod role), as ZenML's `implicit` method does.\n\
DISABLED on this server: Airlock never lends the server's own cloud identity to connector code, since every user \
who may register a connector would then act as the server. ZenML gates the method behind \
`ZENML_ENABLE_IMPLICIT_AUTH_METHODS`; Airlock has no setting to enable it, so verifying or using such a connector \
always fails, and auto-configuration refuses it.\n\
How an admin enables the same access instead: on the server's machine, \
`airlock connector register server-aws -t aws -a session-token --auto-configure` reads that machine's `AWS_*` \
variables and `~/.aws` files and registers its long-lived keys, stored encrypted and used only by the host to sign; \
`airlock connector share server-aws --team <team>` then lets that team use it (clients get temporary credentials). \
`-a iam-role` does the same for a role those keys may assume (`role_arn`).";

const SECRET_KEY_DOCS: &str = "Long-lived keys: an IAM user's access key ID and secret access key. The host signs \
every AWS request with them, so connector code never sees the secret key.\n\
`aws-generic` and `s3-bucket` clients receive the keys themselves (only where admin policy allows: a server \
started with `--release-secrets never` refuses these clients); they never expire and are not down-scoped. EKS and \
ECR clients receive a 15-minute cluster token or an ECR authorization token minted on the host, not the keys. No \
expiration can be requested.\n\
Permissions: whatever the IAM user's policies allow.\n\
Avoid it where you can: `iam-role`, `federation-token` and `session-token` take the same keys, keep them on the \
host and hand clients temporary credentials. Auto-configuration never picks this method unless asked to.";

const STS_TOKEN_DOCS: &str = "A temporary STS token the user obtained (access key ID, secret access key and session \
token, e.g. from `aws sts get-session-token`).\n\
Clients receive it as it is: `aws-generic` and `s3-bucket` clients get the three values (only where admin policy \
releases them); EKS and ECR clients get tokens minted with them on the host. Nothing is down-scoped and no \
expiration can be requested.\n\
The connector stops working when the token expires: record its expiry with `--expires-at` (then `connector list \
--expired` shows it) and register a new token in time. Auto-configuration picks this method for local temporary \
credentials and assumes they expire one hour later, since their true expiry is unknown locally.";

const IAM_ROLE_DOCS: &str = "Long-lived keys of an IAM user plus `role_arn`: the host signs STS AssumeRole with the \
keys. Clients receive temporary credentials of the assumed role, down-scoped to the requested resource, never the \
keys.\n\
Down-scoping uses a session policy generated for the resource (the bucket, the cluster, the region's ECR \
repositories; none for `aws-generic`), unless `policy` (an inline session policy, which wins) or `policy_arns` \
(managed policy ARNs) is set. A session policy can only narrow what the role may do.\n\
Lifetime: 900 to 43200 seconds, 3600 by default; more than one hour needs the role's maximum session duration \
raised (AWS's default is one hour). Verification and resource listing act as the assumed role.\n\
Permissions: the IAM user needs sts:AssumeRole on the role, and the role's trust policy must allow that user (or \
its account); the role needs the permissions of the resource types it is used for.\n\
Recommended: the keys stay on the host and every client gets short-lived, down-scoped credentials. \
Auto-configuration picks it for a profile with `role_arn` and `source_profile`.";

const SESSION_TOKEN_DOCS: &str = "Long-lived keys of an IAM user: the host signs STS GetSessionToken with them. \
Clients receive temporary credentials from STS GetSessionToken (same permissions as the keys), never the keys.\n\
Nothing is down-scoped (GetSessionToken takes no session policy; use `iam-role` or `federation-token` for that). \
AWS refuses IAM API calls made with these credentials (no MFA code is given) and every STS call but AssumeRole and \
GetCallerIdentity.\n\
Lifetime: 900 to 129600 seconds (36 hours), 43200 by default.\n\
Permissions: those the clients need (GetSessionToken itself needs none).\n\
The keys stay on the host; this is what auto-configuration picks for local long-lived keys, as ZenML does.";

const FEDERATION_TOKEN_DOCS: &str = "Long-lived keys of an IAM user: the host signs STS GetFederationToken with them \
(federated user `airlock-connector`). Clients receive temporary credentials from STS GetFederationToken, \
down-scoped to the requested resource, never the keys.\n\
Their permissions are the intersection of the IAM user's policies and the session policy: one generated for the \
requested resource (as for `iam-role`), or `policy` / `policy_arns` when set. `aws-generic` gets no generated \
policy, so its clients have NO permissions unless `policy` or `policy_arns` is set.\n\
Lifetime: 900 to 129600 seconds, 43200 by default. AWS refuses IAM API calls and STS calls other than \
GetCallerIdentity made with these credentials. EKS clients act as the federated user \
(`arn:aws:sts::<account>:federated-user/airlock-connector`), which the cluster's `aws-auth` ConfigMap must map.\n\
Permissions: the IAM user needs sts:GetFederationToken, plus everything its clients need.";

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
            let registry = ids::registry_host(account, &aws.region);
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
    // The registry is the account's in the connector's region, under the partition's suffix
    // (emulators answer with `amazonaws.com` everywhere).
    let account = endpoint.trim_start_matches("https://").split('.').next().unwrap_or_default();
    if !ids::is_account(account) {
        return Err(upstream(&format!("the proxy endpoint `{endpoint}`, which names no account")));
    }
    let registry = ids::registry_host(account, &aws.region);
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
        // ECR tokens last 12 hours; an expiry that is not in the future is not believed.
        expires_at: Some(
            data["expiresAt"]
                .as_f64()
                .map(|e| e as u64)
                .filter(|e| *e > time::now())
                .unwrap_or(time::now() + ECR_TOKEN_SECS),
        ),
    })
}

airlock_sdk::export_connector!(AwsConnector);
