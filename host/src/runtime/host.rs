//! The host side of the imports a connector may use: config, log and HTTP.

use super::bindings::airlock::connector::http::{self, HttpError, PresignRequest, Request, Response, TlsSettings};
use super::bindings::airlock::connector::ssh::{self, CommandOutput, SshError, SshTarget, UserCertificate};
use super::bindings::airlock::connector::{config, log, types};
use super::outbound::Extras;
use super::state::{CallState, truncate};
use crate::credentials;
use crate::egress::Origin;
use crate::instance::BindingUse;
use std::time::Duration;

/// Bytes kept of one log line.
const MAX_LOG_LINE: usize = 2048;
/// Longest presigned-URL lifetime a connector may ask for (an EKS token needs 60 s).
const MAX_PRESIGN_SECS: u32 = 900;

impl types::Host for CallState {}

impl config::Host for CallState {
    fn auth_method(&mut self) -> String {
        self.instance.auth_method.clone()
    }

    fn get(&mut self, name: String) -> Option<String> {
        match name.split_once('#') {
            Some((binding, field)) => self.instance.bindings.public_field(binding, field),
            None => self.instance.config.get(&name).cloned(),
        }
    }

    fn entries(&mut self) -> Vec<(String, String)> {
        self.instance.config.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    fn bindings(&mut self) -> Vec<String> {
        self.instance.bindings.names()
    }
}

impl log::Host for CallState {
    fn log(&mut self, level: log::Level, message: String) {
        // Redact before cutting, so a cut cannot leave half a secret behind.
        let message = truncate(&redact(message, self.instance.bindings.values()), MAX_LOG_LINE);
        if !self.log.take(message.len()) {
            return;
        }
        let connector = self.instance.connector_type.as_str();
        match level {
            log::Level::Trace => tracing::trace!(target: "airlock::connector", connector, "{message}"),
            log::Level::Debug => tracing::debug!(target: "airlock::connector", connector, "{message}"),
            log::Level::Info => tracing::info!(target: "airlock::connector", connector, "{message}"),
            log::Level::Warn => tracing::warn!(target: "airlock::connector", connector, "{message}"),
            log::Level::Error => tracing::error!(target: "airlock::connector", connector, "{message}"),
        }
    }
}

impl http::Host for CallState {
    async fn send(&mut self, request: Request) -> Result<Response, HttpError> {
        self.send_with(request, Extras::default()).await
    }

    async fn send_with_token(&mut self, request: Request, token: String) -> Result<Response, HttpError> {
        self.send_with(request, Extras { token: Some(token), ..Default::default() }).await
    }

    async fn send_tls(&mut self, request: Request, tls: TlsSettings) -> Result<Response, HttpError> {
        self.send_with(request, Extras { tls: Some(tls), ..Default::default() }).await
    }

    fn presign(&mut self, request: PresignRequest) -> Result<String, HttpError> {
        let url = super::outbound::parse_url(&request.url)?;
        if let Err(reason) = self.instance.egress.check(&url) {
            self.budget.denied(&reason);
            return Err(HttpError::Denied(reason));
        }
        if request.expires_seconds == 0 || request.expires_seconds > MAX_PRESIGN_SECS {
            return Err(HttpError::InvalidRequest(format!("a presigned URL lives 1 to {MAX_PRESIGN_SECS} seconds")));
        }
        let origin = Origin::of(&url).map_err(HttpError::InvalidRequest)?;
        let bindings = &self.instance.bindings;
        let (service, region) = (&request.signing.service, &request.signing.region);
        let secret = |name: &str| bindings.for_aws_signing(name, &origin, service, region);
        let presigned = credentials::presign(
            &request.signing,
            super::outbound::method_name(request.method),
            &url,
            &request.headers,
            Duration::from_secs(request.expires_seconds.into()),
            &secret,
        )?;
        Ok(presigned.to_string())
    }

    fn sign_hmac_sha256(&mut self, binding: String, message: String, origin: String) -> Result<String, HttpError> {
        self.budget.take_request().map_err(|e| HttpError::LimitExceeded(e.to_string()))?;
        let url = super::outbound::parse_url(&origin)?;
        if let Err(reason) = self.instance.egress.check(&url) {
            self.budget.denied(&reason);
            return Err(HttpError::Denied(reason));
        }
        let origin = Origin::of(&url).map_err(HttpError::InvalidRequest)?;
        let key = self.instance.bindings.for_signing(&binding, &origin)?;
        let signature = credentials::hmac_sha256(key, &message)
            .ok_or_else(|| HttpError::InvalidRequest(format!("the `{binding}` binding does not hold a base64 key")))?;
        self.instance.binding_uses.lock().unwrap_or_else(|e| e.into_inner()).push(BindingUse {
            bindings: vec![binding],
            method: "HMAC",
            origin: origin.to_string(),
            status: None,
        });
        Ok(signature)
    }
}

impl ssh::Host for CallState {
    async fn run(&mut self, target: SshTarget, command: Option<String>) -> Result<CommandOutput, SshError> {
        let outbound = self.outbound.clone();
        let started = std::time::Instant::now();
        let result = super::ssh::run(&outbound, &self.instance, &mut self.budget, target, command).await;
        self.guest_clock.host_waited_since(started);
        if let Err(SshError::Denied(reason)) = &result {
            self.budget.denied(reason);
        }
        result
    }

    fn issue_user_certificate(
        &mut self,
        ca_key: String,
        principals: Vec<String>,
        valid_seconds: u64,
        key_id: String,
    ) -> Result<UserCertificate, SshError> {
        let instance = self.instance.clone();
        super::ssh::issue_user_certificate(&instance, &mut self.budget, &ca_key, &principals, valid_seconds, &key_id)
    }
}

impl CallState {
    /// Send through the gate, with a minted bearer token or TLS settings when given.
    async fn send_with(&mut self, request: Request, extras: Extras) -> Result<Response, HttpError> {
        let outbound = self.outbound.clone();
        let started = std::time::Instant::now();
        let result = outbound.send(&self.instance, &mut self.budget, request, extras).await;
        self.guest_clock.host_waited_since(started);
        if let Err(HttpError::Denied(reason)) = &result {
            self.budget.denied(reason);
        }
        result
    }
}

/// Replace any secret value in `text` with `[REDACTED]`.
pub(crate) fn redact<'a>(mut text: String, secrets: impl Iterator<Item = &'a str>) -> String {
    let mut secrets: Vec<&str> = secrets.filter(|s| !s.is_empty()).collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in secrets {
        if text.contains(secret) {
            text = text.replace(secret, "[REDACTED]");
        }
    }
    text
}
