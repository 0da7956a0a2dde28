//! Debian's real OpenSSH server on a loopback port, with a generated host key, the test user's
//! authorized keys and a trusted user CA; keys come from the real `ssh-keygen`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running `sshd`; killed on drop.
pub struct Sshd {
    pub port: u16,
    pub dir: tempfile::TempDir,
    /// The host's public key line (`ssh-ed25519 AAAA...`).
    pub host_key: String,
    /// The user sshd lets in (the user running the tests).
    pub user: String,
    child: Child,
}

/// A key pair made by `ssh-keygen`: the private key file's text and the public key line.
pub struct KeyPair {
    pub private: String,
    pub public: String,
}

/// `ssh-keygen -t <kind> [-b bits] -N <passphrase>` into `dir/name`.
pub fn keygen(dir: &Path, name: &str, kind: &str, passphrase: &str) -> KeyPair {
    let path = dir.join(name);
    let mut command = Command::new(crate::require_tool("ssh-keygen"));
    command.args(["-q", "-t", kind, "-N", passphrase, "-C", name, "-f"]).arg(&path);
    if kind == "rsa" {
        command.args(["-b", "3072"]);
    }
    let made = command.output().unwrap();
    assert!(made.status.success(), "ssh-keygen: {}", String::from_utf8_lossy(&made.stderr));
    KeyPair {
        private: std::fs::read_to_string(&path).unwrap(),
        public: std::fs::read_to_string(path.with_extension("pub")).unwrap().trim().to_string(),
    }
}

impl Sshd {
    /// Start sshd letting in `authorized` keys and certificates signed by `user_ca` (a public key line).
    pub fn start(authorized: &[&str], user_ca: &str) -> Sshd {
        let sshd = PathBuf::from("/usr/sbin/sshd");
        assert!(sshd.is_file(), "Debian's openssh-server is not installed; `.ci/run` installs it (see README)");
        let dir = tempfile::tempdir().unwrap();
        let host = keygen(dir.path(), "host_ed25519", "ed25519", "");
        std::fs::write(dir.path().join("authorized_keys"), authorized.join("\n") + "\n").unwrap();
        std::fs::write(dir.path().join("user_ca.pub"), format!("{user_ca}\n")).unwrap();
        let port = crate::free_port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_ed25519\nPidFile {d}/sshd.pid\n\
             AuthorizedKeysFile {d}/authorized_keys\nTrustedUserCAKeys {d}/user_ca.pub\nStrictModes no\n\
             UsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
             PermitRootLogin prohibit-password\nLogLevel VERBOSE\n",
            d = dir.path().display()
        );
        std::fs::write(dir.path().join("sshd_config"), config).unwrap();
        // Privilege separation needs its empty directory (Debian creates it at boot).
        let _ = std::fs::create_dir_all("/run/sshd");
        let log = std::fs::File::create(dir.path().join("sshd.log")).unwrap();
        let child = Command::new(&sshd)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(dir.path().join("sshd_config"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        crate::wait_for_port(port, "sshd");
        let user =
            String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap().trim().to_string();
        Sshd { port, dir, host_key: host.public, user, child }
    }

    /// `127.0.0.1:<port>`, as a connector's `hostnames` names it.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The host key as a `known_hosts` line for this port.
    pub fn known_hosts_line(&self) -> String {
        let key: Vec<&str> = self.host_key.split_whitespace().take(2).collect();
        format!("[127.0.0.1]:{} {}", self.port, key.join(" "))
    }

    /// Run the real `ssh` with `identity` (and its certificate, if given) and `command`.
    pub fn ssh(&self, identity: &str, certificate: Option<&str>, command: &str) -> std::process::Output {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("id");
        write_private(&key, identity);
        let known = dir.path().join("known_hosts");
        std::fs::write(&known, self.known_hosts_line() + "\n").unwrap();
        let mut ssh = Command::new(crate::require_tool("ssh"));
        ssh.args([
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=yes",
        ])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known.display()))
        .arg("-i")
        .arg(&key);
        if let Some(certificate) = certificate {
            let path = dir.path().join("id-cert.pub");
            std::fs::write(&path, certificate).unwrap();
            ssh.arg("-o").arg(format!("CertificateFile={}", path.display()));
        }
        ssh.args(["-p", &self.port.to_string(), &format!("{}@127.0.0.1", self.user), command]).output().unwrap()
    }

    /// What sshd logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write_private(path: &Path, text: &str) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
    if !text.ends_with('\n') {
        file.write_all(b"\n").unwrap();
    }
}
