//! AWS Signature Version 4, computed on the host with secrets from bindings.

use super::BindingError;
use crate::runtime::bindings::airlock::connector::http::{AwsSigning, HttpError};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode,
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
        Some(t) => Credentials::new(&t.access_key_id, &t.secret_access_key, Some(t.session_token.clone()), None, "airlock-temporary"),
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
    let request = SignableRequest::new(method, url.as_str(), headers.iter().map(|(k, v)| (k.as_str(), v.as_str())), body)
        .map_err(|e| HttpError::InvalidRequest(format!("cannot sign this request: {e}")))?;
    let (instructions, _) = sign(request, &params)
        .map_err(|e| HttpError::InvalidRequest(format!("cannot sign this request: {e}")))?
        .into_parts();
    Ok(instructions)
}
