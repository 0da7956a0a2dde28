//! The AWS calls the connector makes. Every request is signed by the host with the instance's
//! credential bindings (SigV4); the long-lived secret key never enters this component.

use airlock_sdk::http::{self, AwsSigning, Method, Request, TemporaryAwsCredentials};
use airlock_sdk::{ConnectorError, Result, config};

/// The configured account access: region, optional endpoint, and what signs: the instance's
/// credential bindings, or temporary credentials minted through STS.
pub struct Aws {
    pub region: String,
    endpoint: Option<String>,
    session_token: bool,
    temporary: Option<TemporaryAwsCredentials>,
}

/// Who the credentials belong to.
pub struct Identity {
    pub account: String,
}

/// Temporary credentials minted by STS.
pub struct TempCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Unix seconds.
    pub expiration: u64,
}

impl Aws {
    pub fn from_config() -> Result<Aws> {
        Ok(Aws {
            region: config::require("region")?,
            endpoint: config::get("endpoint_url")
                .map(|e| e.trim_end_matches('/').to_string())
                .filter(|e| !e.is_empty()),
            session_token: config::has_binding("aws_session_token"),
            temporary: None,
        })
    }

    /// The same account access, signing with minted temporary credentials.
    pub fn with_temporary(&self, minted: &TempCredentials) -> Aws {
        Aws {
            region: self.region.clone(),
            endpoint: self.endpoint.clone(),
            session_token: false,
            temporary: Some(TemporaryAwsCredentials {
                access_key_id: minted.access_key_id.clone(),
                secret_access_key: minted.secret_access_key.clone(),
                session_token: minted.session_token.clone(),
            }),
        }
    }

    fn signing(&self, service: &str) -> AwsSigning {
        AwsSigning {
            access_key_id: "aws_access_key_id".into(),
            secret_access_key: "aws_secret_access_key".into(),
            session_token: self.session_token.then(|| "aws_session_token".into()),
            temporary: self.temporary.clone(),
            region: self.region.clone(),
            service: service.into(),
        }
    }

    /// The service's base URL: the configured endpoint, or the regional AWS endpoint.
    pub fn url(&self, service: &str) -> String {
        if let Some(endpoint) = &self.endpoint {
            return endpoint.clone();
        }
        let (region, suffix) = (&self.region, crate::ids::dns_suffix(&self.region));
        match service {
            "ecr" => format!("https://api.ecr.{region}.{suffix}"),
            other => format!("https://{other}.{region}.{suffix}"),
        }
    }

    /// An STS query API call; the response XML.
    fn sts(&self, params: &[(&str, &str)]) -> Result<String> {
        let mut form: Vec<(&str, &str)> = vec![("Version", "2011-06-15")];
        form.extend_from_slice(params);
        let response =
            Request::post(format!("{}/", self.url("sts"))).form(&form).aws_sigv4(self.signing("sts")).send()?;
        xml_result(response)
    }

    pub fn caller_identity(&self) -> Result<Identity> {
        let xml = self.sts(&[("Action", "GetCallerIdentity")])?;
        Ok(Identity { account: xml_text(&xml, "Account")? })
    }

    pub fn session_token(&self, seconds: u64) -> Result<TempCredentials> {
        let seconds = seconds.to_string();
        temp_credentials(&self.sts(&[("Action", "GetSessionToken"), ("DurationSeconds", &seconds)])?)
    }

    pub fn federation_token(
        &self,
        name: &str,
        seconds: u64,
        policy: Option<&str>,
        policy_arns: &[String],
    ) -> Result<TempCredentials> {
        let seconds = seconds.to_string();
        let mut params = vec![("Action", "GetFederationToken"), ("Name", name), ("DurationSeconds", seconds.as_str())];
        let arn_params = policy_arn_params(policy_arns);
        add_policy(&mut params, policy, &arn_params);
        temp_credentials(&self.sts(&params)?)
    }

    pub fn assume_role(
        &self,
        role_arn: &str,
        session: &str,
        seconds: u64,
        policy: Option<&str>,
        policy_arns: &[String],
    ) -> Result<TempCredentials> {
        let seconds = seconds.to_string();
        let mut params = vec![
            ("Action", "AssumeRole"),
            ("RoleArn", role_arn),
            ("RoleSessionName", session),
            ("DurationSeconds", seconds.as_str()),
        ];
        let arn_params = policy_arn_params(policy_arns);
        add_policy(&mut params, policy, &arn_params);
        temp_credentials(&self.sts(&params)?)
    }

    pub fn list_buckets(&self) -> Result<Vec<String>> {
        let response = Request::get(format!("{}/", self.url("s3"))).aws_sigv4(self.signing("s3")).send()?;
        let xml = xml_result(response)?;
        let doc = parse(&xml)?;
        Ok(doc
            .descendants()
            .filter(|n| n.has_tag_name("Bucket"))
            .filter_map(|b| {
                b.children().find(|c| c.has_tag_name("Name")).and_then(|n| n.text()).map(|n| format!("s3://{n}"))
            })
            .collect())
    }

    pub fn head_bucket(&self, bucket: &str) -> Result<()> {
        let response =
            Request::new(Method::Head, format!("{}/{bucket}", self.url("s3"))).aws_sigv4(self.signing("s3")).send()?;
        match response.status() {
            200 => Ok(()),
            404 => Err(ConnectorError::NotFound(format!("the S3 bucket `{bucket}` does not exist"))),
            403 => Err(ConnectorError::Unauthorized(format!("access to the S3 bucket `{bucket}` is denied"))),
            status => Err(ConnectorError::Upstream(format!("HEAD bucket `{bucket}` answered HTTP {status}"))),
        }
    }

    /// An ECR JSON API call.
    pub fn ecr(&self, operation: &str, body: serde_json::Value) -> Result<serde_json::Value> {
        let response = Request::post(format!("{}/", self.url("ecr")))
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", format!("AmazonEC2ContainerRegistry_V20150921.{operation}"))
            .body(body.to_string())
            .aws_sigv4(self.signing("ecr"))
            .send()?;
        json_result(response)
    }

    /// An EKS REST call.
    pub fn eks(&self, path: &str) -> Result<serde_json::Value> {
        let response = Request::get(format!("{}{path}", self.url("eks"))).aws_sigv4(self.signing("eks")).send()?;
        json_result(response)
    }

    /// An EKS bearer token: a presigned STS GetCallerIdentity URL bound to the cluster name.
    pub fn eks_token(&self, cluster: &str) -> Result<String> {
        use base64::Engine as _;
        let url = format!("{}/?Action=GetCallerIdentity&Version=2011-06-15", self.url("sts"));
        let presigned =
            http::presign(Method::Get, &url, vec![("x-k8s-aws-id".into(), cluster.into())], 60, self.signing("sts"))?;
        Ok(format!("k8s-aws-v1.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(presigned)))
    }
}

fn policy_arn_params(arns: &[String]) -> Vec<(String, String)> {
    arns.iter().enumerate().map(|(i, arn)| (format!("PolicyArns.member.{}.arn", i + 1), arn.clone())).collect()
}

fn add_policy<'a>(params: &mut Vec<(&'a str, &'a str)>, policy: Option<&'a str>, arn_params: &'a [(String, String)]) {
    match policy {
        Some(policy) => params.push(("Policy", policy)),
        None => params.extend(arn_params.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
    }
}

fn parse(xml: &str) -> Result<roxmltree::Document<'_>> {
    roxmltree::Document::parse(xml).map_err(|e| ConnectorError::Upstream(format!("AWS answered malformed XML: {e}")))
}

/// The text of the first element named `tag`.
pub fn xml_text(xml: &str, tag: &str) -> Result<String> {
    element_text(&parse(xml)?, tag)
}

/// The text of the first element named `tag` in a parsed document.
fn element_text(doc: &roxmltree::Document<'_>, tag: &str) -> Result<String> {
    doc.descendants()
        .find(|n| n.has_tag_name(tag))
        .and_then(|n| n.text())
        .map(str::to_string)
        .ok_or_else(|| ConnectorError::Upstream(format!("AWS's answer has no <{tag}>")))
}

/// The credentials of an STS answer, read from one parse of it.
fn temp_credentials(xml: &str) -> Result<TempCredentials> {
    let doc = parse(xml)?;
    Ok(TempCredentials {
        access_key_id: element_text(&doc, "AccessKeyId")?,
        secret_access_key: element_text(&doc, "SecretAccessKey")?,
        session_token: element_text(&doc, "SessionToken")?,
        expiration: airlock_sdk::time::unix_seconds(&element_text(&doc, "Expiration")?)?,
    })
}

/// The body of a successful XML response, or the AWS error it carries.
fn xml_result(response: http::Response) -> Result<String> {
    let text = response.text();
    if (200..300).contains(&response.status()) {
        return Ok(text);
    }
    let code = xml_text(&text, "Code").unwrap_or_else(|_| format!("HTTP {}", response.status()));
    let message = xml_text(&text, "Message").unwrap_or_default();
    Err(aws_error(response.status(), &code, &message))
}

fn json_result(response: http::Response) -> Result<serde_json::Value> {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(response.body()) else {
        // Some failures (signature checks in front of the service) answer in XML.
        return xml_result(response)
            .and_then(|_| Err(ConnectorError::Upstream("AWS answered something other than JSON".into())));
    };
    if (200..300).contains(&response.status()) {
        return Ok(body);
    }
    let code = body["__type"]
        .as_str()
        .or(body["code"].as_str())
        .unwrap_or("error")
        .rsplit('#')
        .next()
        .unwrap_or_default()
        .to_string();
    let message = body["message"].as_str().or(body["Message"].as_str()).unwrap_or_default();
    Err(aws_error(response.status(), &code, message))
}

fn aws_error(status: u16, code: &str, message: &str) -> ConnectorError {
    let text = format!("{code}: {message}");
    match code {
        "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "AccessDenied"
        | "AccessDeniedException"
        | "ExpiredToken"
        | "InvalidToken"
        | "UnrecognizedClientException"
        | "InvalidAccessKeyId" => ConnectorError::Unauthorized(format!("AWS rejected the credentials ({text})")),
        "NoSuchBucket" | "ResourceNotFoundException" | "RepositoryNotFoundException" | "NoSuchEntity" => {
            ConnectorError::NotFound(text)
        }
        _ if status == 404 => ConnectorError::NotFound(text),
        _ => ConnectorError::Upstream(format!("AWS answered HTTP {status} ({text})")),
    }
}
