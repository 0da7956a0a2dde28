//! The OAuth2 connector against a faithful fake authorization server and API
//! (`airlock_tests::oauth2`): clients always get a short-lived bearer token the API accepts.

use airlock::credentials::{IssuedCredential, ReleasePolicy};
use airlock::runtime::bindings::ClientRequest;
use airlock::runtime::{CallError, Plugin, Runtime};
use airlock_tests::oauth2::{CLIENT_ID, CLIENT_SECRET, FakeOAuth2, REFRESH_TOKEN};

async fn issue(
    runtime: &Runtime,
    plugin: &Plugin,
    method: &str,
    attrs: &[(&str, &str)],
) -> Result<IssuedCredential, CallError> {
    let inst = airlock_tests::instance(plugin, Some(method), attrs);
    let request = ClientRequest { resource_type: "oauth2-api".into(), resource_id: None, expiration_seconds: None };
    runtime.issue_client(plugin, inst, &request, ReleasePolicy::AsDeclared).await
}

fn token(issued: &IssuedCredential) -> String {
    issued.attributes.iter().find(|(n, _)| n == "access_token").unwrap().1.value.clone()
}

async fn api_accepts(api: &str, token: &str) -> bool {
    let response = reqwest::Client::new().get(format!("{api}/v1/me")).bearer_auth(token).send().await.unwrap();
    response.status() == 200
}

#[tokio::test]
async fn grants_issue_short_lived_tokens_the_api_accepts_and_secrets_stay_on_the_host() {
    let fake = FakeOAuth2::start().await;
    let (runtime, plugin, audit) = airlock_tests::audited_builtin("oauth2").await;
    let token_url = format!("{}/oauth/token", fake.url);
    let base = [
        ("api_url", fake.url.as_str()),
        ("token_url", token_url.as_str()),
        ("client_id", CLIENT_ID),
        ("scope", "read write"),
    ];

    let mut cc = base.to_vec();
    cc.push(("client_secret", CLIENT_SECRET));
    let listed = runtime
        .verify(&plugin, airlock_tests::instance(&plugin, Some("client-credentials"), &cc), None, None)
        .await
        .unwrap();
    assert_eq!(listed[0].resource_ids, vec![fake.url.clone()]);
    let issued = issue(&runtime, &plugin, "client-credentials", &cc).await.unwrap();
    assert_eq!((issued.connector_type.as_str(), issued.auth_method.as_str()), ("oauth2", "token"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(issued.expires_at.unwrap() > now + 590 && issued.expires_at.unwrap() <= now + 600);
    assert!(api_accepts(&fake.url, &token(&issued)).await);

    let mut rt = base.to_vec();
    rt.push(("refresh_token", REFRESH_TOKEN));
    let refreshed = issue(&runtime, &plugin, "refresh-token", &rt).await.unwrap();
    assert_eq!(fake.issued.lock().unwrap()[&token(&refreshed)], "refresh_token");
    assert!(api_accepts(&fake.url, &token(&refreshed)).await);

    // Wrong secrets fail with the server's reason and without the secret.
    let mut wrong = base.to_vec();
    wrong.push(("client_secret", "not-the-secret-at-all"));
    let err = runtime
        .verify(&plugin, airlock_tests::instance(&plugin, Some("client-credentials"), &wrong), None, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("invalid_client") && !err.to_string().contains("not-the-secret"), "{err}");
    let mut revoked = base.to_vec();
    revoked.push(("refresh_token", "an-old-refresh-token"));
    let err = issue(&runtime, &plugin, "refresh-token", &revoked).await.unwrap_err();
    assert!(err.to_string().contains("invalid_grant"), "{err}");

    // A static token is released only by policy; another API id is refused.
    let static_token = [("api_url", fake.url.as_str()), ("access_token", "static-token-of-the-user")];
    assert_eq!(token(&issue(&runtime, &plugin, "token", &static_token).await.unwrap()), "static-token-of-the-user");
    let inst = airlock_tests::instance(&plugin, Some("token"), &static_token);
    let err =
        runtime.canonical_resource_id(&plugin, inst, "oauth2-api", "https://other.example.com").await.unwrap_err();
    assert!(err.to_string().contains("not this connector's API"), "{err}");

    // The client secret and the refresh token never entered the component's memory.
    let memories = audit.take();
    let contains = |needle: &str| airlock_tests::in_memories(&memories, needle);
    assert!(contains(&token(&issued)), "the scan sees guest data");
    assert!(!contains(CLIENT_SECRET) && !contains(REFRESH_TOKEN), "a long-lived secret reached the component's memory");
}
