//! A hostile connector for the sandbox tests. `verify(scenario, target)` runs one escape
//! attempt and reports what it saw; the tests assert on both the report and the host's verdict.

use airlock_sdk::bindings::airlock::connector::http as raw;
use airlock_sdk::prelude::*;

struct Probe;

/// Every AWS host, as the AWS connector declares it: secrets may sign there, never travel.
const AWS: &str = "https://*.amazonaws.com";

impl Connector for Probe {
    fn describe() -> ConnectorSpec {
        spec::connector("probe", "Sandbox probe", "Tries every escape the sandbox must stop.")
            .resource_type(spec::resource_type("probe", "Probe scenario"))
            .auth_method(
                spec::auth_method("token", "Token")
                    .attribute(
                        spec::secret("token", "A secret the probe must never see").optional().secret_hosts(&[AWS]),
                    )
                    .attribute(spec::secret("key_id", "An access key id for SigV4").optional().secret_hosts(&[AWS]))
                    .attribute(spec::text("canary", "A non-secret value the probe may see").optional())
                    .attribute(spec::url("endpoint", "First origin").optional().egress())
                    .attribute(spec::url("second_endpoint", "Second origin").optional().egress()),
            )
            // The same attribute name as plain configuration: switching a connector to this
            // method must not turn its stored secret into readable config.
            .auth_method(
                spec::auth_method("plain", "Plain")
                    .attribute(spec::text("token", "Not a secret in this method").optional())
                    .attribute(spec::url("endpoint", "First origin").optional().egress()),
            )
            .egress(AWS)
            .build()
    }

    fn verify(scenario: Option<String>, target: Option<String>) -> Result<Vec<ResourceListing>> {
        let (scenario, target) = (scenario.unwrap_or_default(), target.unwrap_or_default());
        // Through the server a connector serves its one resource type, `probe`; the resource id
        // then names the scenario and its target: `<scenario> <target>`.
        let (scenario, target) = match scenario.as_str() {
            "probe" => match target.split_once(' ') {
                Some((scenario, target)) => (scenario.to_string(), target.to_string()),
                None => (target, String::new()),
            },
            _ => (scenario, target),
        };
        let report = match scenario.as_str() {
            // Reaches the resource it is asked about (so a credential can be issued for it).
            "mislabel" => return Ok(vec![listing("probe", vec![format!("mislabel {target}")])]),
            "fetch" => fetch(&target, None)?,
            "fetch-bearer" => fetch(&target, Some("token"))?,
            "fetch-basic" => send(http::Request::get(&target).basic("canary", "token"))?,
            "fetch-header" => send(
                http::Request::get(&target)
                    .credential(http::CredentialUse::Header(("x-api-key".into(), "token".into()))),
            )?,
            "post-placeholder" => send(
                http::Request::post(&target)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("grant_type=client_credentials&client_secret={{token}}")
                    .credential(http::CredentialUse::BodyPlaceholder(vec!["token".into()])),
            )?,
            "post-jwt" => send(
                http::Request::post(&target)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={{assertion}}")
                    .credential(http::CredentialUse::Jwt(http::JwtAssertion {
                        key: "token".into(),
                        claims: format!(r#"{{"iss":"probe@example.iam","aud":"{target}","exp":99999999999}}"#),
                        algorithm: "RS256".into(),
                        key_id: Some("k1".into()),
                    })),
            )?,
            "fetch-minted" => send(http::Request::get(&target).minted_bearer(MINTED_TOKEN))?,
            "minted-with-binding" => {
                let request = raw::Request {
                    method: raw::Method::Get,
                    url: target.clone(),
                    headers: Vec::new(),
                    body: Vec::new(),
                    credential: Some(raw::CredentialUse::Bearer("token".into())),
                };
                vec![format!("{:?}", raw::send_with_token(&request, MINTED_TOKEN))]
            }
            "fetch-raw" => vec![format!("{:?}", raw_send(&target, vec![], None))],
            "set-authorization" => {
                vec![format!("{:?}", raw_send(&target, vec![("Authorization".into(), "Bearer stolen".into())], None))]
            }
            "other-binding" => vec![format!("{:?}", raw_send(&target, vec![], Some("other_connectors_token")))],
            "many-requests" => loop {
                fetch(&target, None)?;
            },
            "swallow-limit" => {
                // Run the request budget dry, ignore every error and claim success.
                for _ in 0..1000 {
                    let _ = fetch(&target, None);
                }
                vec!["swallowed".into()]
            }
            "deny-flood" => {
                // Many denied requests with long host names, then success.
                let count: usize = target.parse().unwrap_or(1000);
                let label = "h".repeat(60);
                for i in 0..count {
                    let _ = raw_send(&format!("https://{label}.{label}.{label}.n{i}.denied.example/"), vec![], None);
                }
                vec![format!("made {count} denied requests")]
            }
            "log-flood" => {
                let line = "l".repeat(10 << 10);
                for _ in 0..10_000 {
                    log::info(&line);
                }
                vec!["logged".into()]
            }
            "huge-result" => (0..100_000).map(|i| format!("resource-{i:024}")).collect(),
            "huge-error" => return Err(ConnectorError::Upstream("e".repeat(10 << 20))),
            "stderr-then-panic" => {
                for _ in 0..1024 {
                    eprintln!("{}", "noise ".repeat(170));
                }
                panic!("the real panic message comes last")
            }
            "presign" => vec![format!(
                "{:?}",
                raw::presign(&raw::PresignRequest {
                    method: raw::Method::Get,
                    url: target.clone(),
                    headers: vec![],
                    expires_seconds: 60,
                    signing: signing("sts"),
                })
            )],
            "sigv4-send" => vec![format!(
                "{:?}",
                raw::send(&raw::Request {
                    method: raw::Method::Get,
                    url: target.clone(),
                    headers: vec![],
                    body: vec![],
                    credential: Some(raw::CredentialUse::AwsSigv4(signing("execute-api"))),
                })
            )],
            "escape" => escape(),
            "spin" => spin(),
            "memory-bomb" => memory_bomb(),
            "panic" => panic!("the probe panicked on purpose"),
            "sigv4-memory-dump" => {
                // STS GetCallerIdentity signed by the host with `key_id` / `token`.
                let response = http::Request::post(&target)
                    .form(&[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")])
                    .aws_sigv4(signing("sts"))
                    .send()?;
                let received = (response.status().to_string(), response.text());
                let mut dump = vec![received.0.clone(), received.1.clone()];
                dump.extend(memory_dump());
                std::hint::black_box(&received);
                dump
            }
            "memory-dump" => {
                // Keep what the guest legitimately received alive, so the dump can show it.
                let received = (fetch(&target, Some("token"))?, config::get("canary"));
                let dump = memory_dump();
                std::hint::black_box(&received);
                dump
            }
            other => return Err(ConnectorError::Unsupported(format!("unknown scenario {other}"))),
        };
        Ok(vec![listing(&scenario, report)])
    }

    fn canonical_resource_id(_resource_type: String, resource_id: String) -> Result<String> {
        // `nul <id>` answers with a NUL no store can hold (PostgreSQL refuses it in text).
        Ok(match resource_id.strip_prefix("nul ") {
            Some(id) => format!("{id}\0"),
            None => resource_id,
        })
    }

    fn issue_client(request: ClientRequest) -> Result<ClientCredential> {
        // For `mislabel <id>`: a harmless credential labelled with a resource nobody asked for.
        if request.resource_id.as_deref().is_some_and(|id| id.starts_with("mislabel ")) {
            return Ok(ClientCredential {
                connector_type: "probe".into(),
                auth_method: "token".into(),
                resource_type: request.resource_type,
                resource_id: Some("someone-elses-resource".into()),
                attributes: vec![("canary".into(), CredentialValue::Plain("issued".into()))],
                expires_at: None,
            });
        }
        // Tries to release a secret its auth method does not declare.
        Ok(ClientCredential {
            connector_type: "probe".into(),
            auth_method: "token".into(),
            resource_type: request.resource_type,
            resource_id: None,
            attributes: vec![("token".into(), CredentialValue::Binding("token".into()))],
            expires_at: None,
        })
    }
}

/// A token the probe "minted" itself (sent with `send-with-token`).
const MINTED_TOKEN: &str = "minted-token-of-the-probe-0123456789";

/// SigV4 with the `key_id` / `token` bindings in us-east-1.
fn signing(service: &str) -> http::AwsSigning {
    http::AwsSigning {
        access_key_id: "key_id".into(),
        secret_access_key: "token".into(),
        session_token: None,
        temporary: None,
        region: "us-east-1".into(),
        service: service.into(),
    }
}

fn raw_send(
    url: &str,
    headers: Vec<(String, String)>,
    bearer: Option<&str>,
) -> std::result::Result<raw::Response, raw::HttpError> {
    raw::send(&raw::Request {
        method: raw::Method::Get,
        url: url.into(),
        headers,
        body: Vec::new(),
        credential: bearer.map(|b| raw::CredentialUse::Bearer(b.into())),
    })
}

fn send(request: http::Request) -> Result<Vec<String>> {
    let response = request.send()?;
    Ok(vec![response.status().to_string(), response.text()])
}

fn fetch(url: &str, bearer: Option<&str>) -> Result<Vec<String>> {
    let mut request = http::Request::get(url);
    if let Some(binding) = bearer {
        request = request.bearer(binding);
    }
    let response = request.send()?;
    Ok(vec![response.status().to_string(), response.text()])
}

/// Try the file system and the environment; report what was reachable.
fn escape() -> Vec<String> {
    let mut seen = Vec::new();
    for path in ["/etc/passwd", "/proc/self/environ", "Cargo.toml", "."] {
        seen.push(format!(
            "read {path}: {}",
            match std::fs::read(path) {
                Ok(bytes) => format!("GOT {} bytes", bytes.len()),
                Err(e) => format!("denied ({e})"),
            }
        ));
    }
    for dir in ["/", "."] {
        seen.push(format!(
            "list {dir}: {}",
            match std::fs::read_dir(dir) {
                Ok(entries) => format!("GOT {} entries", entries.count()),
                Err(e) => format!("denied ({e})"),
            }
        ));
    }
    seen.push(format!("env: {} variables", std::env::vars().count()));
    seen.push(format!("args: {} arguments", std::env::args().count()));
    seen.push(format!("bindings visible: {:?}", config::entries()));
    seen
}

fn spin() -> Vec<String> {
    let mut x: u64 = 0;
    loop {
        x = std::hint::black_box(x.wrapping_add(1));
    }
}

fn memory_bomb() -> Vec<String> {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(vec![1u8; 1 << 20]);
        std::hint::black_box(&hoard);
    }
}

/// The whole linear memory, hex-encoded in 64 KiB pages.
fn memory_dump() -> Vec<String> {
    let size = core::arch::wasm32::memory_size(0) * 65536;
    let mut bytes = Vec::with_capacity(size);
    bytes.push(0);
    for addr in 1..size {
        // SAFETY: every address below memory_size is mapped linear memory.
        bytes.push(unsafe { core::ptr::read_volatile(addr as *const u8) });
    }
    bytes.chunks(65536).map(|page| page.iter().map(|b| format!("{b:02x}")).collect()).collect()
}

airlock_sdk::export_connector!(Probe);
