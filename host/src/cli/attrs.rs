//! Configuration attributes given ZenML-style: `--name=value`, `--name=@file`, `--name=@@literal`.

use anyhow::{Context, bail};

/// Largest file an `@file` value may name.
const MAX_FILE_BYTES: u64 = 64 << 10;

/// Parse `--key=value` arguments into pairs, reading `@file` values.
pub fn parse(args: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    args.iter()
        .map(|arg| {
            let Some(pair) = arg.strip_prefix("--") else {
                bail!("unexpected argument `{arg}`: attributes are given as --name=value, after all other options");
            };
            let Some((key, value)) = pair.split_once('=') else {
                bail!(
                    "`--{pair}` is not an option of this command, and an attribute needs a value: --{pair}=VALUE or --{pair}=@file"
                );
            };
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                bail!("`{key}` is not an attribute name (letters, digits and underscores)");
            }
            Ok((key.to_string(), value_of(key, value)?))
        })
        .collect()
}

fn value_of(key: &str, value: &str) -> anyhow::Result<String> {
    if let Some(literal) = value.strip_prefix("@@") {
        return Ok(format!("@{literal}"));
    }
    let Some(path) = value.strip_prefix('@') else { return Ok(value.to_string()) };
    let size = std::fs::metadata(path).with_context(|| format!("cannot read the file for --{key}: {path}"))?.len();
    if size > MAX_FILE_BYTES {
        bail!("the file for --{key} ({path}) is {size} bytes; the limit is {MAX_FILE_BYTES}");
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the file for --{key}: {path}"))?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_literals_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\n").unwrap();
        let args =
            vec!["--username=alice".to_string(), format!("--password=@{}", file.display()), "--note=@@home".into()];
        let parsed = parse(&args).unwrap();
        assert_eq!(
            parsed,
            vec![
                ("username".into(), "alice".into()),
                ("password".into(), "s3cret".into()),
                ("note".into(), "@home".into())
            ]
        );
    }

    #[test]
    fn malformed_attributes_are_explained() {
        assert!(parse(&["username=alice".into()]).unwrap_err().to_string().contains("--name=value"));
        assert!(parse(&["--username".into()]).unwrap_err().to_string().contains("an attribute needs a value"));
        assert!(parse(&["--user-name=x".into()]).unwrap_err().to_string().contains("not an attribute name"));
        assert!(
            parse(&["--password=@/nonexistent/file".into()])
                .unwrap_err()
                .to_string()
                .contains("cannot read the file for --password")
        );
    }
}
