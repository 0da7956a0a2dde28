//! A real Docker registry (Debian's `docker-registry`, distribution 2.8) on a loopback port, with
//! htpasswd auth or open, started per test and stopped on drop.

use crate::require_tool;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Registry {
    pub host: String,
    child: Child,
    dir: tempfile::TempDir,
}

impl Registry {
    /// Start a registry that accepts `username`/`password`.
    pub fn start(username: &str, password: &str) -> Registry {
        Self::serve(Some((username, password)))
    }

    /// Start a registry without authentication (any credentials pass `/v2/`), for tests about
    /// something other than registry logins.
    pub fn open() -> Registry {
        Self::serve(None)
    }

    fn serve(login: Option<(&str, &str)>) -> Registry {
        let registry = require_tool("docker-registry");
        let dir = tempfile::tempdir().unwrap();
        let auth = match login {
            Some((username, password)) => {
                let out = Command::new(require_tool("htpasswd")).args(["-Bbn", username, password]).output().unwrap();
                assert!(out.status.success(), "htpasswd failed");
                std::fs::write(dir.path().join("htpasswd"), &out.stdout).unwrap();
                format!(
                    "auth:\n  htpasswd:\n    realm: airlock-test\n    path: {}\n",
                    dir.path().join("htpasswd").display()
                )
            }
            None => String::new(),
        };
        let port = crate::free_port();
        let config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:{port}\n  secret: airlock-test-secret\n{auth}",
            root = dir.path().join("data").display(),
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(registry)
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let host = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(&host).is_err() {
            assert!(Instant::now() < deadline, "docker-registry did not start on {host}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Registry { host, child, dir }
    }

    /// The file a blob is stored in (to tamper with it in a test).
    pub fn blob_file(&self, digest: &str) -> std::path::PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.dir.path().join(format!("data/docker/registry/v2/blobs/sha256/{}/{hex}/data", &hex[..2]))
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
