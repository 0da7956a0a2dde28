//! A real Azure Blob service: Azurite (npm `azurite`, in memory, on a loopback port, with
//! `--skipApiVersionCheck`), seeded with two containers through Azure's Python SDK
//! (`azure-storage-blob`), which the tests also use with the SAS tokens the connector issues.

use crate::require_tool;
use std::process::{Child, Command, Stdio};

/// Azurite's well-known development account and key.
pub const ACCOUNT: &str = "devstoreaccount1";
pub const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
pub const CONTAINER: &str = "airlock-data";
pub const OTHER_CONTAINER: &str = "airlock-other";
pub const BLOB: &str = "reports/q3.csv";

pub struct Azurite {
    /// The account's Blob endpoint (`http://127.0.0.1:<port>/devstoreaccount1`).
    pub url: String,
    child: Child,
}

impl Azurite {
    pub fn start() -> Azurite {
        let port = crate::free_port();
        let child = Command::new(require_tool("azurite-blob"))
            .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .args(["--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--silent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        crate::wait_for_port(port, "azurite-blob");
        let azurite = Azurite { url: format!("http://127.0.0.1:{port}/{ACCOUNT}"), child };
        let seed = "from azure.storage.blob import BlobServiceClient; import os\n\
                    svc = BlobServiceClient(os.environ['URL'], credential={'account_name': os.environ['ACCOUNT'], 'account_key': os.environ['KEY']})\n\
                    for name in (os.environ['C1'], os.environ['C2']):\n    svc.create_container(name).upload_blob(os.environ['BLOB'], b'quarter,revenue\\n3,42\\n')\n";
        azurite
            .python(
                seed,
                &[
                    ("ACCOUNT", ACCOUNT),
                    ("KEY", ACCOUNT_KEY),
                    ("C1", CONTAINER),
                    ("C2", OTHER_CONTAINER),
                    ("BLOB", BLOB),
                ],
            )
            .unwrap();
        azurite
    }

    /// Run a Python snippet with `URL` set to the account endpoint; its stdout, or stderr.
    pub fn python(&self, code: &str, env: &[(&str, &str)]) -> Result<String, String> {
        let mut cmd = Command::new(require_tool("python3"));
        cmd.args(["-c", code]).env("URL", &self.url);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        match out.status.success() {
            true => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
            false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        }
    }

    /// The blob names of the container at `container_url`, listed by `azure-storage-blob` with
    /// `sas` as its only credential.
    pub fn list_with_sas(&self, container_url: &str, sas: &str) -> Result<Vec<String>, String> {
        let code = "from azure.storage.blob import ContainerClient; import os\n\
                    client = ContainerClient.from_container_url(os.environ['CONTAINER_URL'], credential=os.environ['SAS'])\n\
                    print('\\n'.join(b.name for b in client.list_blobs()))\n";
        self.python(code, &[("CONTAINER_URL", container_url), ("SAS", sas)])
            .map(|out| out.lines().map(str::to_string).filter(|l| !l.is_empty()).collect())
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
