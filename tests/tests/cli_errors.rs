//! Errors that say how to fix them, through the real binary and server: a refused token names
//! where it came from and how to set one; an egress denial names the setting that would allow
//! the address and that it is an admin decision.

use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, out};

#[test]
fn a_refused_token_and_an_egress_denial_say_how_to_fix_them() {
    let server = Server::start(StoreKind::Sqlite);
    let refused = server.cli("not-a-valid-token-0123456789", &["connector", "list"]);
    let stderr = out(&refused).1;
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("refused the API token from AIRLOCK_TOKEN") && stderr.contains("airlock configure"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-a-valid-token"), "the token itself is never echoed: {stderr}");

    let denied = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "far",
            "-t",
            "docker",
            "--username=u",
            "--password=p-0123456789",
            "--registry=http://10.255.255.1:5000",
        ],
    );
    let stderr = out(&denied).1;
    assert!(!denied.status.success(), "{stderr}");
    assert!(stderr.contains("AIRLOCK_EGRESS_ALLOW_CIDRS") && stderr.contains("admin decision"), "{stderr}");
}
