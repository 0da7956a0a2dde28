//! A real Cloud Storage emulator (PyPI `gcp-storage-emulator`, in memory) on a loopback port,
//! seeded with two buckets and an object through its JSON API, and the real Google client
//! library (`google-cloud-storage` for Python) to use issued tokens against it.

use crate::require_tool;
use std::process::{Child, Command, Stdio};

pub const BUCKET: &str = "airlock-data";
pub const OTHER_BUCKET: &str = "airlock-other";
pub const OBJECT: &str = "reports/q3.csv";

pub struct Gcs {
    pub url: String,
    child: Child,
}

impl Gcs {
    /// Start the emulator and create the buckets (each with one object).
    pub fn start(project: &str) -> Gcs {
        let port = crate::free_port();
        let child = Command::new(require_tool("gcp-storage-emulator"))
            .args(["start", "--host", "127.0.0.1", "--port", &port.to_string(), "--in-memory", "-q"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        crate::wait_for_port(port, "gcp-storage-emulator");
        let gcs = Gcs { url, child };
        for bucket in [BUCKET, OTHER_BUCKET] {
            gcs.python(
                "from google.cloud import storage; import os\n\
                 client = storage.Client(project=os.environ['PROJECT'], credentials=__import__('google.auth.credentials', fromlist=['x']).AnonymousCredentials(), client_options={'api_endpoint': os.environ['ENDPOINT']})\n\
                 bucket = client.create_bucket(os.environ['BUCKET'])\n\
                 bucket.blob(os.environ['OBJECT']).upload_from_string('quarter,revenue\\n3,42\\n')\n",
                &[("PROJECT", project), ("BUCKET", bucket), ("OBJECT", OBJECT)],
            )
            .unwrap();
        }
        gcs
    }

    /// Run a Python snippet with `ENDPOINT` set to the emulator; its stdout, or stderr as the error.
    pub fn python(&self, code: &str, env: &[(&str, &str)]) -> Result<String, String> {
        let mut cmd = Command::new(require_tool("python3"));
        cmd.args(["-c", code]).env("ENDPOINT", &self.url).env_remove("GOOGLE_APPLICATION_CREDENTIALS");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        match out.status.success() {
            true => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
            false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        }
    }

    /// The object names of `bucket`, listed by `google-cloud-storage` with `token` as its
    /// OAuth2 credentials.
    pub fn list_with_token(&self, bucket: &str, token: &str) -> Result<Vec<String>, String> {
        let code = "from google.cloud import storage; from google.oauth2.credentials import Credentials; import os\n\
                    client = storage.Client(project='p', credentials=Credentials(os.environ['TOKEN']), client_options={'api_endpoint': os.environ['ENDPOINT']})\n\
                    print('\\n'.join(b.name for b in client.list_blobs(os.environ['BUCKET'])))\n";
        self.python(code, &[("TOKEN", token), ("BUCKET", bucket)])
            .map(|out| out.lines().map(str::to_string).filter(|l| !l.is_empty()).collect())
    }
}

impl Drop for Gcs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
