//! A real moto server (PyPI `moto[server]`) on a loopback port, seeded with the AWS CLI while
//! authentication is off, then switched to enforcing authentication
//! (`POST /moto-api/reset-auth` with `0`, the server-mode form of `INITIAL_NO_AUTH_ACTION_COUNT=0`).

use crate::require_tool;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

pub const REGION: &str = "us-east-1";
pub const BUCKET: &str = "airlock-data";
pub const ROLE: &str = "airlock-reader";
pub const CLUSTER: &str = "demo";

pub struct Moto {
    pub url: String,
    child: Child,
    /// The IAM user's long-lived key.
    pub access_key_id: String,
    pub secret_access_key: String,
    pub role_arn: String,
    pub account: String,
}

/// Run the AWS CLI against moto with the given key, in [`REGION`].
pub fn aws(url: &str, key: (&str, &str, Option<&str>), args: &[&str]) -> std::process::Output {
    aws_in(REGION, url, key, args)
}

/// Run the AWS CLI against moto with the given key, in `region`.
pub fn aws_in(region: &str, url: &str, key: (&str, &str, Option<&str>), args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(require_tool("aws"));
    cmd.args(args)
        .args(["--endpoint-url", url, "--region", region, "--output", "json"])
        .env("AWS_ACCESS_KEY_ID", key.0)
        .env("AWS_SECRET_ACCESS_KEY", key.1)
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    match key.2 {
        Some(token) => cmd.env("AWS_SESSION_TOKEN", token),
        None => cmd.env_remove("AWS_SESSION_TOKEN"),
    };
    cmd.output().unwrap()
}

fn ok_json(out: std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "aws CLI: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

impl Moto {
    /// Start moto, create a user with a full-access key, a bucket, a role, an ECR repository and
    /// an EKS cluster, then switch authentication on.
    pub fn start() -> Moto {
        Self::start_with(true, REGION)
    }

    /// The same in another region, whose partition has its own IAM users (moto keeps `aws-cn`'s
    /// apart from `aws`'s, as AWS does).
    pub fn start_in(region: &str) -> Moto {
        Self::start_with(true, region)
    }

    /// The same with authentication left off. moto 5.2 rejects even the AWS CLI's own EKS
    /// signatures once authentication is on, so EKS flows are exercised this way.
    pub fn start_without_auth() -> Moto {
        Self::start_with(false, REGION)
    }

    fn start_with(enforce_auth: bool, region: &str) -> Moto {
        let aws = |url: &str, key, args: &[&str]| aws_in(region, url, key, args);
        let server = require_tool("moto_server");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        crate::wait_for_port(port, "moto_server");
        let setup = ("setup", "setup", None);
        ok_json(aws(&url, setup, &["iam", "create-user", "--user-name", "alice"]));
        let allow_all = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        ok_json(aws(
            &url,
            setup,
            &["iam", "put-user-policy", "--user-name", "alice", "--policy-name", "all", "--policy-document", allow_all],
        ));
        let key = ok_json(aws(&url, setup, &["iam", "create-access-key", "--user-name", "alice"]));
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
        let role = ok_json(aws(
            &url,
            setup,
            &["iam", "create-role", "--role-name", ROLE, "--assume-role-policy-document", trust],
        ));
        ok_json(aws(
            &url,
            setup,
            &["iam", "put-role-policy", "--role-name", ROLE, "--policy-name", "s3", "--policy-document", allow_all],
        ));
        let location = format!("LocationConstraint={region}");
        let mut bucket = vec!["s3api", "create-bucket", "--bucket", BUCKET];
        if region != "us-east-1" {
            bucket.extend(["--create-bucket-configuration", &location]);
        }
        ok_json(aws(&url, setup, &bucket));
        ok_json(aws(&url, setup, &["ecr", "create-repository", "--repository-name", "airlock/app"]));
        let eks_role = format!("arn:aws:iam::123456789012:role/{ROLE}");
        ok_json(aws(
            &url,
            setup,
            &[
                "eks",
                "create-cluster",
                "--name",
                CLUSTER,
                "--role-arn",
                &eks_role,
                "--resources-vpc-config",
                "subnetIds=subnet-1",
            ],
        ));
        let identity = ok_json(aws(&url, setup, &["sts", "get-caller-identity"]));
        if enforce_auth {
            let reset = Command::new(require_tool("curl"))
                .args([
                    "-sf",
                    "-X",
                    "POST",
                    "-H",
                    "content-type: text/plain",
                    "--data-binary",
                    "0",
                    &format!("{url}/moto-api/reset-auth"),
                ])
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(reset.success(), "switching moto's authentication on");
        }
        Moto {
            url,
            child,
            access_key_id: key["AccessKey"]["AccessKeyId"].as_str().unwrap().into(),
            secret_access_key: key["AccessKey"]["SecretAccessKey"].as_str().unwrap().into(),
            role_arn: role["Role"]["Arn"].as_str().unwrap().into(),
            account: identity["Account"].as_str().unwrap().into(),
        }
    }

    /// The user's key as (id, secret, no token).
    pub fn key(&self) -> (&str, &str, Option<&str>) {
        (&self.access_key_id, &self.secret_access_key, None)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
