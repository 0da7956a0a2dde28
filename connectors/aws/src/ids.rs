//! Resource ids: the accepted formats of each resource type, their canonical form, and the
//! errors a user sees for malformed ones.

use airlock_sdk::{ConnectorError, Result};

pub const GENERIC: &str = "aws-generic";
pub const S3: &str = "s3-bucket";
pub const EKS: &str = "kubernetes-cluster";
pub const ECR: &str = "docker-registry";

fn invalid(message: String) -> ConnectorError {
    ConnectorError::InvalidConfig(message)
}

/// The canonical id of `id` for `resource_type` in `region`.
pub fn canonical(resource_type: &str, id: &str, region: &str) -> Result<String> {
    let id = id.trim();
    match resource_type {
        GENERIC if id == region => Ok(id.to_string()),
        GENERIC => Err(invalid(format!(
            "`{id}` is not this connector's region: an aws-generic resource is the connector's region, `{region}`"
        ))),
        S3 => bucket(id).map(|b| format!("s3://{b}")),
        EKS => cluster(id, region),
        ECR => registry(id, region),
        other => Err(invalid(format!(
            "the aws connector has no resource type `{other}` (aws-generic, s3-bucket, kubernetes-cluster, docker-registry)"
        ))),
    }
}

/// The bucket name of `s3://b`, `arn:aws:s3:::b` or `b` (a trailing `/` allowed). A path is
/// refused rather than dropped: a client credential covers the whole bucket, and an id that
/// names a prefix would promise less than the credential allows.
pub fn bucket(id: &str) -> Result<String> {
    let arn_bucket =
        ["arn:aws:s3:::", "arn:aws-cn:s3:::", "arn:aws-us-gov:s3:::"].iter().find_map(|p| id.strip_prefix(p));
    let rest = id.strip_prefix("s3://").or(arn_bucket).unwrap_or(id);
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        return Err(invalid(format!(
            "`{id}` names a path inside a bucket: an S3 client credential covers the whole bucket, so give s3://<bucket>"
        )));
    }
    let name = rest;
    let valid = (3..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric();
    if !valid {
        return Err(invalid(format!(
            "invalid S3 bucket id `{id}`: expected s3://<bucket>, arn:aws:s3:::<bucket> or <bucket>, where a bucket name is 3-63 lower-case letters, digits, `-` and `.`"
        )));
    }
    Ok(name.to_string())
}

/// The cluster name of `arn:aws:eks:<region>:<account>:cluster/<name>` or `<name>`.
pub fn cluster(id: &str, region: &str) -> Result<String> {
    let name = match id.strip_prefix("arn:") {
        Some(arn) => {
            let parts: Vec<&str> = arn.splitn(5, ':').collect();
            let [partition, "eks", arn_region, account, rest] = parts.as_slice() else {
                return Err(invalid(format!(
                    "invalid EKS cluster ARN `{id}`: expected arn:aws:eks:<region>:<account>:cluster/<name>"
                )));
            };
            if !is_account(account) {
                return Err(invalid(format!(
                    "invalid EKS cluster ARN `{id}`: expected arn:aws:eks:<region>:<12-digit account>:cluster/<name>"
                )));
            }
            check_region(id, arn_region, region)?;
            check_partition(id, partition, region)?;
            rest.strip_prefix("cluster/").ok_or_else(|| {
                invalid(format!("invalid EKS cluster ARN `{id}`: the resource must be cluster/<name>"))
            })?
        }
        None => id,
    };
    let valid = !name.is_empty()
        && name.len() <= 100
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(invalid(format!(
            "invalid EKS cluster id `{id}`: a cluster name is letters, digits, `-` and `_`, starting with a letter or digit"
        )));
    }
    Ok(name.to_string())
}

/// `<account>.dkr.ecr.<region>.amazonaws.com` from a registry URL/host or an ECR repository ARN.
pub fn registry(id: &str, region: &str) -> Result<String> {
    if let Some(arn) = id.strip_prefix("arn:") {
        let parts: Vec<&str> = arn.splitn(5, ':').collect();
        let [partition, "ecr", arn_region, account, rest] = parts.as_slice() else {
            return Err(invalid(format!(
                "invalid ECR repository ARN `{id}`: expected arn:aws:ecr:<region>:<account>:repository[/<name>]"
            )));
        };
        let repository = *rest == "repository" || rest.starts_with("repository/");
        if !repository || !is_account(account) {
            return Err(invalid(format!(
                "invalid ECR repository ARN `{id}`: expected arn:aws:ecr:<region>:<12-digit account>:repository[/<name>]"
            )));
        }
        check_region(id, arn_region, region)?;
        check_partition(id, partition, region)?;
        return Ok(registry_host(account, region));
    }
    let host = id
        .strip_prefix("https://")
        .or_else(|| id.strip_prefix("http://"))
        .unwrap_or(id)
        .split('/')
        .next()
        .unwrap_or_default();
    let parts: Vec<&str> = host.splitn(5, '.').collect();
    match parts.as_slice() {
        [account, "dkr", "ecr", host_region, suffix] if is_account(account) => {
            check_region(id, host_region, region)?;
            let expected = partition_of(region).1;
            if *suffix != expected {
                return Err(invalid(format!(
                    "`{id}` ends in `{suffix}`, but ECR registries in `{region}` are under `{expected}`"
                )));
            }
            Ok(host.to_string())
        }
        _ => Err(invalid(format!(
            "invalid ECR registry id `{id}`: expected [https://]<account>.dkr.ecr.<region>.amazonaws.com[.cn][/<repository>] or an ECR repository ARN"
        ))),
    }
}

/// Whether `text` is an AWS account id: 12 digits.
pub fn is_account(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The ECR registry host of `account` in `region`.
pub fn registry_host(account: &str, region: &str) -> String {
    format!("{account}.dkr.ecr.{region}.{}", dns_suffix(region))
}

/// The DNS suffix of a region's endpoints (`amazonaws.com.cn` in China).
pub fn dns_suffix(region: &str) -> &'static str {
    partition_of(region).1
}

/// The partition a region belongs to and its DNS suffix (`aws-cn` uses `amazonaws.com.cn`).
fn partition_of(region: &str) -> (&'static str, &'static str) {
    match region {
        r if r.starts_with("cn-") => ("aws-cn", "amazonaws.com.cn"),
        r if r.starts_with("us-gov-") => ("aws-us-gov", "amazonaws.com"),
        r if r.starts_with("us-isob-") => ("aws-iso-b", "sc2s.sgov.gov"),
        r if r.starts_with("us-iso-") => ("aws-iso", "c2s.ic.gov"),
        _ => ("aws", "amazonaws.com"),
    }
}

/// An ARN's partition must be the one of the connector's region.
fn check_partition(id: &str, partition: &str, region: &str) -> Result<()> {
    let expected = partition_of(region).0;
    match partition == expected {
        true => Ok(()),
        false => Err(invalid(format!(
            "`{id}` is in partition `{partition}`, but region `{region}` is in partition `{expected}`"
        ))),
    }
}

fn check_region(id: &str, found: &str, configured: &str) -> Result<()> {
    if found == configured {
        Ok(())
    } else {
        Err(invalid(format!("`{id}` is in region `{found}`, but this connector is configured for `{configured}`")))
    }
}
