//! AWS Signature Version 4, computed on the host with secrets from bindings.

use super::BindingError;
use crate::egress::Origin;
use crate::runtime::bindings::airlock::connector::http::{AwsSigning, HttpError};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use std::time::{Duration, SystemTime};
use url::Url;

type SecretLookup<'a> = dyn Fn(&str) -> Result<&'a str, BindingError> + 'a;

/// The headers that sign this request (`authorization`, `x-amz-date`, ...).
pub(super) fn sign_headers<'a>(
    signing: &AwsSigning,
    method: &str,
    url: &Url,
    headers: &[(String, String)],
    body: &[u8],
    secret: &SecretLookup<'a>,
) -> Result<Vec<(String, String)>, HttpError> {
    let settings = settings_for(&signing.service, SignatureLocation::Headers, None);
    let signed = signature(signing, method, url, headers, SignableBody::Bytes(body), settings, secret)?;
    Ok(signed.headers().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

/// A presigned URL (query-string signature) valid for `expires`.
pub fn presign<'a>(
    signing: &AwsSigning,
    method: &str,
    url: &Url,
    headers: &[(String, String)],
    expires: Duration,
    secret: &SecretLookup<'a>,
) -> Result<Url, HttpError> {
    let settings = settings_for(&signing.service, SignatureLocation::QueryParams, Some(expires));
    let signed = signature(signing, method, url, headers, SignableBody::UnsignedPayload, settings, secret)?;
    let mut presigned = url.clone();
    presigned.query_pairs_mut().extend_pairs(signed.params().iter().map(|(k, v)| (*k, v.as_ref())));
    Ok(presigned)
}

fn settings_for(service: &str, location: SignatureLocation, expires_in: Option<Duration>) -> SigningSettings {
    let mut settings = SigningSettings::default();
    settings.signature_location = location;
    settings.expires_in = expires_in;
    if service == "s3" {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        if location == SignatureLocation::Headers {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
    }
    settings
}

fn signature<'a>(
    signing: &AwsSigning,
    method: &str,
    url: &Url,
    headers: &[(String, String)],
    body: SignableBody<'_>,
    settings: SigningSettings,
    secret: &SecretLookup<'a>,
) -> Result<aws_sigv4::http_request::SigningInstructions, HttpError> {
    let identity = match &signing.temporary {
        Some(t) => Credentials::new(
            &t.access_key_id,
            &t.secret_access_key,
            Some(t.session_token.clone()),
            None,
            "airlock-temporary",
        ),
        None => Credentials::new(
            secret(&signing.access_key_id)?,
            secret(&signing.secret_access_key)?,
            signing.session_token.as_deref().map(secret).transpose()?.map(str::to_string),
            None,
            "airlock-binding",
        ),
    }
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&signing.region)
        .name(&signing.service)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| HttpError::InvalidRequest(format!("cannot sign: {e}")))?
        .into();
    let request =
        SignableRequest::new(method, url.as_str(), headers.iter().map(|(k, v)| (k.as_str(), v.as_str())), body)
            .map_err(|e| HttpError::InvalidRequest(format!("cannot sign this request: {e}")))?;
    let (instructions, _) = sign(request, &params)
        .map_err(|e| HttpError::InvalidRequest(format!("cannot sign this request: {e}")))?
        .into_parts();
    Ok(instructions)
}

/// Whether `origin` is AWS's own HTTPS endpoint for `service` in `region`: the regional,
/// FIPS, dual-stack and global forms, `api.ecr.<region>` for ECR and virtual-hosted buckets for
/// S3, in the commercial, China and GovCloud partitions. Hosts under the same domains that
/// anyone can stand up (API gateways, load balancers, website buckets) do not qualify.
pub(crate) fn is_aws_endpoint(origin: &Origin, service: &str, region: &str) -> bool {
    if origin.scheme != "https" || origin.port != 443 || !is_region(region) || !is_service(service) {
        return false;
    }
    let Some(name) =
        origin.host.strip_suffix(".amazonaws.com").or_else(|| origin.host.strip_suffix(".amazonaws.com.cn"))
    else {
        return false;
    };
    let prefix = if service == "ecr" { "api.ecr".to_string() } else { service.to_string() };
    let regional =
        [format!("{prefix}.{region}"), format!("{prefix}-fips.{region}"), format!("{prefix}.dualstack.{region}")];
    if regional.iter().any(|h| h == name) || (name == prefix && GLOBAL_SERVICES.contains(&service)) {
        return true;
    }
    // S3 virtual-hosted style: `<bucket>.s3[.dualstack].<region>` or `<bucket>.s3` (global).
    service == "s3"
        && name.split_once('.').is_some_and(|(bucket, rest)| {
            !bucket.is_empty()
                && (rest == "s3" || rest == format!("s3.{region}") || rest == format!("s3.dualstack.{region}"))
        })
}

/// Services with a global (region-less) endpoint.
const GLOBAL_SERVICES: &[&str] = &["sts", "iam", "s3"];

/// `us-east-1`, `cn-north-1`, `us-gov-west-1`, `ap-southeast-4`...
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok()
}

fn is_service(service: &str) -> bool {
    !service.is_empty() && service.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(url: &str, service: &str, region: &str) -> bool {
        is_aws_endpoint(&Origin::of(&Url::parse(url).unwrap()).unwrap(), service, region)
    }

    #[test]
    fn only_aws_operated_endpoints_of_the_signing_service_and_region() {
        assert!(aws("https://sts.us-east-1.amazonaws.com", "sts", "us-east-1"));
        assert!(aws("https://sts.amazonaws.com", "sts", "us-east-1"));
        assert!(aws("https://api.ecr.eu-west-1.amazonaws.com", "ecr", "eu-west-1"));
        assert!(aws("https://eks.cn-north-1.amazonaws.com.cn", "eks", "cn-north-1"));
        assert!(aws("https://s3.us-gov-west-1.amazonaws.com", "s3", "us-gov-west-1"));
        assert!(aws("https://my-bucket.s3.us-east-2.amazonaws.com", "s3", "us-east-2"));
        assert!(aws("https://sts-fips.us-east-1.amazonaws.com", "sts", "us-east-1"));
        // Hosts anyone can stand up under amazonaws.com.
        assert!(!aws("https://abc123.execute-api.us-east-1.amazonaws.com", "execute-api", "us-east-1"));
        assert!(!aws("https://abc123.execute-api.us-east-1.amazonaws.com", "sts", "us-east-1"));
        assert!(!aws("https://my-lb-1.us-east-1.elb.amazonaws.com", "elb", "us-east-1"));
        assert!(!aws("https://bucket.s3-website-us-east-1.amazonaws.com", "s3", "us-east-1"));
        assert!(!aws("https://ec2-1-2-3-4.compute-1.amazonaws.com", "ec2-1-2-3-4", "compute-1"));
        // Another service, region, scheme or port.
        assert!(!aws("https://sts.us-east-1.amazonaws.com", "s3", "us-east-1"));
        assert!(!aws("https://sts.us-west-2.amazonaws.com", "sts", "us-east-1"));
        assert!(!aws("http://sts.us-east-1.amazonaws.com", "sts", "us-east-1"));
        assert!(!aws("https://sts.us-east-1.amazonaws.com:8443", "sts", "us-east-1"));
        assert!(!aws("https://eks.amazonaws.com", "eks", "us-east-1"));
        assert!(!aws("https://sts.us-east-1.amazonaws.com.evil.net", "sts", "us-east-1"));
    }
}
