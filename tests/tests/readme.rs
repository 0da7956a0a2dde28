//! The README's walkthrough ("Using it") run command by command with the real binary against a
//! real server and Debian's docker-registry: the test fails when the README and the CLI
//! disagree. Only names that cannot exist here are substituted (the example registry, token
//! file and plugin); every command and option is run as the README prints it. (Every other
//! `airlock` command the README shows is parsed by a unit test of the CLI.)

use airlock_tests::registry::Registry;
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, out};
use std::process::Command;

/// The shell block that follows `heading` in the README.
fn walkthrough(readme: &str, heading: &str) -> Vec<String> {
    let section = readme.split(heading).nth(1).unwrap_or_else(|| panic!("the README has no `{heading}`"));
    let block = section.split("```sh\n").nth(1).and_then(|b| b.split("\n```").next()).expect("a sh block");
    block.lines().map(str::to_string).collect()
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let password = format!("readme-secret-{}", std::process::id());
    let registry = Registry::start("ci", &password);
    let server = Server::start(StoreKind::Sqlite);
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("token.txt"), &password).unwrap();
    std::fs::write(work.path().join("my-connector.wasm"), airlock_tests::probe_component()).unwrap();
    let substitutions = [("https://registry.example.com", registry.url()), ("my-type", "probe".to_string())];

    let mut ran = Vec::new();
    for line in walkthrough(&readme, "## Using it") {
        let command = line.split("  #").next().unwrap().trim();
        if command.is_empty() || command.starts_with("export ") {
            continue;
        }
        for step in command.split(" && ") {
            let mut step = step.trim().to_string();
            for (from, to) in &substitutions {
                step = step.replace(from, to);
            }
            let words: Vec<&str> = step.split_whitespace().collect();
            assert_eq!(words[0], "airlock", "a walkthrough step that is not an airlock command: {step}");
            let output = Command::new(airlock_tests::airlock_bin())
                .args(&words[1..])
                .current_dir(work.path())
                .env("AIRLOCK_URL", &server.url)
                .env("AIRLOCK_TOKEN", ADMIN_TOKEN)
                .env("HOME", work.path())
                .env_remove("DOCKER_CONFIG")
                .env_remove("REGISTRY_AUTH_FILE")
                .output()
                .unwrap();
            let (stdout, stderr) = out(&output);
            assert!(output.status.success(), "the README's `{step}` failed:\n{stdout}\n{stderr}");
            assert!(!stdout.contains(&password) || step.contains("-x"), "`{step}` printed the password");
            assert!(!stderr.contains(&password), "`{step}` logged the password");
            ran.push((step, stdout));
        }
    }
    let output_of = |prefix: &str| {
        ran.iter()
            .find(|(step, _)| step.starts_with(prefix))
            .map(|(_, o)| o.as_str())
            .unwrap_or_else(|| panic!("the walkthrough no longer runs `{prefix}`"))
    };
    // What the README's comments promise.
    assert!(output_of("airlock connector describe ci-registry").contains("[HIDDEN]"));
    assert!(output_of("airlock connector verify ci-registry").contains(&registry.host));
    assert!(output_of("airlock connector describe ci-registry --client -x").contains(&password));
    assert!(ran.len() >= 12, "{} commands ran", ran.len());
}
