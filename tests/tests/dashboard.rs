//! The dashboard in a real browser: Debian's headless Chromium driven through `chromedriver`
//! (WebDriver, with fantoccini). An admin signs in, registers a docker connector against a real
//! `docker-registry` through the form, verifies it, issues a credential that `skopeo` then
//! uses, approves a plugin, revokes a lease and signs out; a consumer sees only what is granted
//! to it and no admin page; a form posted without its CSRF token changes nothing; and no page
//! shows a stored secret. Screenshots of the main pages land in `target/screenshots/`.

use airlock_tests::registry::Registry;
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind};
use airlock_tests::{free_port, require_tool, wait_for_port};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A headless Chromium session through its own chromedriver, ended on drop.
struct Browser {
    client: Client,
    driver: Child,
    shots: PathBuf,
}

impl Browser {
    async fn start() -> Browser {
        let chromium = require_tool("chromium");
        let port = free_port();
        let driver = Command::new(require_tool("chromedriver"))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        wait_for_port(port, "chromedriver");
        let options = json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"],
        });
        let capabilities = serde_json::Map::from_iter([("goog:chromeOptions".to_string(), options)]);
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Browser { client, driver, shots }
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_string()
    }

    async fn text(&self) -> String {
        self.client.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
    }

    async fn sign_in(&self, base: &str, token: &str) {
        self.client.goto(&format!("{base}/ui/")).await.unwrap();
        assert_eq!(self.path().await, "/ui/login", "signed out, every page leads to the sign-in page");
        self.client.find(Locator::Id("token")).await.unwrap().send_keys(token).await.unwrap();
        self.click("form button[type=submit]").await;
        assert_eq!(self.path().await, "/ui/connectors", "{}", self.text().await);
    }

    /// Click what submits a form, and wait until the next page has replaced this one.
    async fn click(&self, css: &str) {
        let old = self.client.find(Locator::Css("html")).await.unwrap();
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no `{css}`: {e}")).click().await.unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while old.tag_name().await.is_ok() {
            assert!(std::time::Instant::now() < deadline, "clicking `{css}` loaded no page");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.client.wait().for_element(Locator::Css("body")).await.unwrap();
    }

    async fn fill(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no `{css}`: {e}"));
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    async fn sign_out(&self) {
        self.click("form.signout button").await;
        assert_eq!(self.path().await, "/ui/login");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_and_a_consumer_use_the_dashboard() {
    let password = format!("dashboard-secret-{}", std::process::id());
    let registry = Registry::start("ci", &password);
    let server = Server::start(StoreKind::Sqlite);
    let browser = Browser::start().await;
    let base = server.url.clone();
    browser.sign_in(&base, ADMIN_TOKEN).await;
    browser.screenshot("connectors-empty").await;

    // Register through the form the docker type's spec drives.
    browser.click("a.button[href='/ui/connectors/new']").await;
    browser.client.find(Locator::Id("pick-type")).await.unwrap().select_by_value("docker").await.unwrap();
    browser.click("form[action='/ui/connectors/new'][method=get] button").await;
    browser.fill("#f-name", "web-registry").await;
    browser.fill("#attr-username", "ci").await;
    browser.fill("#attr-password", &password).await;
    browser.fill("#attr-registry", &registry.url()).await;
    let secret_type = browser.client.find(Locator::Id("attr-password")).await.unwrap().attr("type").await.unwrap();
    assert_eq!(secret_type.as_deref(), Some("password"), "secrets are typed into password fields");
    browser.screenshot("register-form").await;
    browser.click("form[action='/ui/connectors/new'][method=post] button[type=submit]").await;
    assert_eq!(browser.path().await, "/ui/connectors/web-registry", "{}", browser.text().await);
    let page = browser.client.source().await.unwrap();
    assert!(page.contains("[HIDDEN]") && !page.contains(&password), "the stored secret is shown hidden");
    browser.screenshot("connector").await;

    // Verify and see what it reaches.
    browser.click("form[action='/ui/connectors/web-registry/verify'] button").await;
    let text = browser.text().await;
    assert!(text.contains("Verified: these resources are reachable") && text.contains(&registry.host), "{text}");
    browser.screenshot("verified").await;

    // Issue a credential and use it with skopeo.
    browser.click("form.issue button[type=submit]").await;
    assert!(browser.text().await.contains("Shown once"));
    browser.screenshot("credential").await;
    let mut values = Vec::new();
    for field in browser.client.find_all(Locator::Css("table.credential textarea")).await.unwrap() {
        let name = field.attr("aria-label").await.unwrap().unwrap_or_default();
        values.push((name, field.prop("value").await.unwrap().unwrap_or_default()));
    }
    let value = |name: &str| values.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let creds = format!("{}:{}", value("username"), value("password"));
    let layout = tempfile::tempdir().unwrap();
    airlock_tests::oci::write_image(layout.path());
    let copy = Command::new(require_tool("skopeo"))
        .args(["copy", "--dest-tls-verify=false", "--dest-creds", &creds])
        .arg(format!("oci:{}:latest", layout.path().display()))
        .arg(format!("docker://{}/airlock/ui:latest", registry.host))
        .output()
        .unwrap();
    assert!(
        copy.status.success(),
        "skopeo with the credential the page issued: {}",
        String::from_utf8_lossy(&copy.stderr)
    );

    // Approve a plugin.
    let upload = reqwest::Client::new()
        .post(format!("{base}/api/v1/plugins"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/wasm")
        .body(airlock_tests::probe_component())
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 201);
    browser.client.goto(&format!("{base}/ui/plugins/probe")).await.unwrap();
    assert!(browser.text().await.contains("awaiting approval"));
    browser.click("form[action='/ui/plugins/probe/approve'] button").await;
    assert!(browser.text().await.contains("approved"));
    browser.screenshot("plugin").await;

    // Revoke the lease.
    browser.client.goto(&format!("{base}/ui/leases")).await.unwrap();
    browser.screenshot("leases").await;
    browser.client.execute("window.confirm = () => true;", vec![]).await.unwrap();
    browser.click("form[action$='/revoke'] button").await;
    assert!(browser.text().await.contains("revoked"));
    let (_, leases) = server.json(ADMIN_TOKEN, "GET", "/api/v1/leases", None).await;
    assert!(leases.as_array().unwrap().iter().all(|l| l["revoked"] == true), "{leases}");

    // Share with a consumer's team, then sign out.
    let (_, consumer) =
        server.json(ADMIN_TOKEN, "POST", "/api/v1/users", Some(json!({"name": "viewer", "role": "consumer"}))).await;
    let consumer_token = consumer["token"].as_str().unwrap().to_string();
    browser.client.goto(&format!("{base}/ui/teams")).await.unwrap();
    browser.fill("#team-name", "readers").await;
    browser.click("form[action='/ui/teams'] button").await;
    browser.fill("#member-name", "viewer").await;
    browser.click("form[action='/ui/teams/readers/members'] button").await;
    let text = browser.text().await;
    assert!(text.contains("Team readers") && text.contains("viewer"), "{text}");
    browser.client.goto(&format!("{base}/ui/connectors/web-registry")).await.unwrap();
    browser.fill("#share-grantee", "team:readers").await;
    browser.click("form[action='/ui/connectors/web-registry/share'] button").await;
    let text = browser.text().await;
    assert!(text.contains("team:readers") && text.contains("Grants"), "{text}");
    let private = json!({"name": "not-shared", "connector_type": "docker", "verify": false,
        "configuration": {"username": "u", "password": "p", "registry": registry.url()}});
    assert_eq!(server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(private)).await.0, 201);
    browser.sign_out().await;
    browser.client.goto(&format!("{base}/ui/connectors")).await.unwrap();
    assert_eq!(browser.path().await, "/ui/login", "signed out");

    // The consumer sees what is granted and no admin page.
    browser.sign_in(&base, &consumer_token).await;
    let text = browser.text().await;
    assert!(text.contains("web-registry") && !text.contains("not-shared"), "{text}");
    let nav = browser.client.find(Locator::Css("header nav")).await.unwrap().text().await.unwrap();
    assert!(!nav.contains("Plugins") && !nav.contains("Users") && !nav.contains("Audit"), "{nav}");
    browser.screenshot("consumer-connectors").await;
    for page in ["/ui/plugins", "/ui/users", "/ui/audit", "/ui/connectors/not-shared", "/ui/connectors/new"] {
        browser.client.goto(&format!("{base}{page}")).await.unwrap();
        let text = browser.text().await;
        assert!(
            text.contains("only admins") || text.contains("no connector") || text.contains("consumers may not"),
            "{page}: {text}"
        );
    }
    browser.client.goto(&format!("{base}/ui/connectors")).await.unwrap();
    browser.sign_out().await;
    browser.client.clone().close().await.unwrap();
}

/// A signed-in HTTP client without a browser: the cookie the sign-in set, and the CSRF token
/// its forms carry.
struct Signed {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Signed {
    async fn sign_in(base: &str, token: &str) -> Signed {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let response = http.post(format!("{base}/ui/login")).form(&[("token", token)]).send().await.unwrap();
        assert_eq!(response.status(), 303, "signed in");
        let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/ui"] {
            assert!(set_cookie.contains(attribute), "{set_cookie}");
        }
        assert!(!set_cookie.contains(token), "the token is sealed in the cookie, not kept in clear");
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        Signed { http, base: base.into(), cookie }
    }

    /// A page: status, the headers that matter, the body.
    async fn get(&self, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let response =
            self.http.get(format!("{}{path}", self.base)).header("cookie", &self.cookie).send().await.unwrap();
        let (status, headers) = (response.status().as_u16(), response.headers().clone());
        (status, headers, response.text().await.unwrap())
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn csrf(&self) -> String {
        let (_, _, page) = self.get("/ui/tokens").await;
        let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
        page[at..at + 64].to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_their_csrf_token_change_nothing() {
    let registry = Registry::open();
    let server = Server::start(StoreKind::Sqlite);
    let body = json!({"name": "kept", "connector_type": "docker", "verify": false,
        "configuration": {"username": "u", "password": "p", "registry": registry.url()}});
    assert_eq!(server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body)).await.0, 201);
    let admin = Signed::sign_in(&server.url, ADMIN_TOKEN).await;
    let other = Signed::sign_in(&server.url, ADMIN_TOKEN).await;
    for form in [vec![], vec![("csrf", "0".repeat(64))], vec![("csrf", other.csrf().await)]] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, page) = admin.post("/ui/connectors/kept/delete", &form).await;
        assert_eq!(status, 403, "{page}");
        assert!(page.contains("CSRF"), "{page}");
    }
    assert_eq!(server.json(ADMIN_TOKEN, "GET", "/api/v1/connectors/kept", None).await.0, 200, "nothing was deleted");
    // Control: with its own token the same form works.
    let (status, _) = admin.post("/ui/connectors/kept/delete", &[("csrf", &admin.csrf().await)]).await;
    assert_eq!(status, 303);
    assert_eq!(server.json(ADMIN_TOKEN, "GET", "/api/v1/connectors/kept", None).await.0, 404);
    // Without a session there is no form to post at all.
    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = anonymous.post(format!("{}/ui/logout", server.url)).send().await.unwrap();
    assert_eq!(response.headers()["location"], "/ui/login");
}

/// Every page an admin and a member can open, with a connector whose secrets are canaries: no
/// page, header or cookie carries one, and no page may be cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_dashboard_page_shows_a_secret() {
    let canary = format!("canary-password-{}", std::process::id());
    let registry = Registry::start("ci", &canary);
    let server = Server::start(StoreKind::Sqlite);
    let (_, member) =
        server.json(ADMIN_TOKEN, "POST", "/api/v1/users", Some(json!({"name": "owner", "role": "member"}))).await;
    let member_token = member["token"].as_str().unwrap().to_string();
    let body = json!({"name": "canary", "connector_type": "docker", "description": "holds a canary",
        "configuration": {"username": "ci", "password": canary, "registry": registry.url()}});
    let (status, view) = server.json(&member_token, "POST", "/api/v1/connectors", Some(body)).await;
    assert_eq!(status, 201, "{view}");
    assert_eq!(server.json(ADMIN_TOKEN, "POST", "/api/v1/teams", Some(json!({"name": "crew"}))).await.0, 201);
    assert_eq!(server.json(ADMIN_TOKEN, "PUT", "/api/v1/teams/crew/members/owner", None).await.0, 200);
    server.install_approved(airlock_tests::probe_component()).await;

    let pages = [
        "/ui/connectors",
        "/ui/connectors?connector_type=docker&owner=owner",
        "/ui/connectors/canary",
        "/ui/connectors/canary/edit",
        "/ui/connectors/canary/resources",
        "/ui/connectors/new?connector_type=docker",
        "/ui/types",
        "/ui/types/docker",
        "/ui/leases",
        "/ui/tokens",
        "/ui/teams",
        "/ui/teams/crew",
        "/ui/plugins",
        "/ui/plugins/docker",
        "/ui/plugins/probe",
        "/ui/audit",
        "/ui/audit?action=connector&page=1",
        "/ui/users",
        "/ui/nowhere",
    ];
    for token in [ADMIN_TOKEN, member_token.as_str()] {
        let client = Signed::sign_in(&server.url, token).await;
        assert!(!client.cookie.contains(&canary));
        let mut opened = 0;
        for page in pages {
            let (status, headers, body) = client.get(page).await;
            assert!(!body.contains(&canary), "{page} shows the secret");
            assert!(headers.iter().all(|(_, v)| !v.as_bytes().windows(canary.len()).any(|w| w == canary.as_bytes())));
            assert_eq!(headers["cache-control"], "no-store", "{page}");
            assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
            if status == 200 {
                opened += 1;
            }
        }
        let (status, page) = client.post("/ui/connectors/canary/verify", &[("csrf", &client.csrf().await)]).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Verified") && !page.contains(&canary), "{page}");
        assert!(opened >= 12, "{opened} pages opened");
    }
    // Bad addresses are clear pages, not server errors.
    let client = Signed::sign_in(&server.url, ADMIN_TOKEN).await;
    for page in ["/ui/connectors/a%00b", "/ui/connectors?owner=%00", "/ui/teams/%07"] {
        let (status, _, body) = client.get(page).await;
        assert_eq!(status, 400, "{page}: {body}");
    }
    let log = server.log_text();
    assert!(!log.contains(&canary) && !log.contains(&member_token), "the server log holds a secret");
}

/// A refused registration shows the form again with what was typed, but never the secret; an
/// edit that leaves a secret empty keeps the stored one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_keep_what_was_typed_but_never_a_secret() {
    let secret = format!("typed-secret-{}", std::process::id());
    let registry = Registry::start("ci", &secret);
    let server = Server::start(StoreKind::Sqlite);
    let admin = Signed::sign_in(&server.url, ADMIN_TOKEN).await;
    let csrf = admin.csrf().await;
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("connector_type", "docker"),
        ("auth_method", "password"),
        ("name", "no spaces allowed"),
        ("attr.username", "ci"),
        ("attr.password", secret.as_str()),
        ("description", "typed by hand"),
        ("verify", "true"),
    ];
    let registry_url = registry.url();
    form.push(("attr.registry", &registry_url));
    let (status, page) = admin.post("/ui/connectors/new", &form).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("is not a valid connector name"), "the reason is shown: {page}");
    assert!(
        page.contains("typed by hand") && page.contains(r#"name="attr.username" type="text" value="ci""#),
        "what was typed is kept: {page}"
    );
    assert!(!page.contains(&secret), "the secret is not sent back");

    form[3] = ("name", "by-form");
    let (status, page) = admin.post("/ui/connectors/new", &form).await;
    assert_eq!(status, 303, "{page}");
    let (_, _, edit) = admin.get("/ui/connectors/by-form/edit").await;
    assert!(!edit.contains(&secret) && edit.contains("unchanged (stored)"), "{edit}");
    let (_, _, edit_page) = admin.get("/ui/connectors/by-form").await;
    let version = edit_page.split("(version ").nth(1).and_then(|v| v.split(')').next()).unwrap().to_string();
    let edited = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("description", "edited"),
        ("attr.username", "ci"),
        ("attr.password", ""),
        ("attr.registry", registry_url.as_str()),
        ("verify", "true"),
    ];
    let (status, page) = admin.post("/ui/connectors/by-form/edit", &edited).await;
    assert_eq!(status, 303, "{page}");
    let (_, view) = server.json(ADMIN_TOKEN, "GET", "/api/v1/connectors/by-form", None).await;
    assert_eq!(view["description"], "edited");
    let (_, secrets) = server.json(ADMIN_TOKEN, "GET", "/api/v1/connectors/by-form/secrets", None).await;
    assert_eq!(secrets["password"], secret.as_str(), "an empty secret field kept the stored secret");
}
