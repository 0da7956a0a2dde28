//! What a connector's `auto-configure` may see: exactly the local files and environment
//! variables its spec declares, read by the host (read-only) and handed in as data.

use crate::runtime::bindings::{AutoConfigureInput, ConnectorSpec, LocalFile};
use std::path::Path;

/// Collect the declared files (`~/` relative to `home`, or `$VAR` for the file a variable names,
/// such as `$GOOGLE_APPLICATION_CREDENTIALS`) and variables (from `env`).
pub fn local_input(
    spec: &ConnectorSpec,
    auth_method: Option<String>,
    resource_type: Option<String>,
    resource_id: Option<String>,
    home: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> AutoConfigureInput {
    let files = spec
        .auto_configure_files
        .iter()
        .filter_map(|declared| {
            let path = match (declared.strip_prefix("~/"), declared.strip_prefix('$')) {
                (Some(rest), _) => home.join(rest),
                // A list (KUBECONFIG=a:b) yields its first file, as the first one read wins.
                (_, Some(variable)) => std::env::split_paths(&env(variable)?).find(|p| p.is_file())?,
                _ => Path::new(declared).to_path_buf(),
            };
            std::fs::read(&path).ok().map(|contents| LocalFile { path: declared.clone(), contents })
        })
        .collect();
    let env = spec.auto_configure_env.iter().filter_map(|k| env(k).map(|v| (k.clone(), v))).collect();
    AutoConfigureInput { auth_method, resource_type, resource_id, files, env }
}
