//! Session policies generated to down-scope temporary credentials to the requested resource
//! (used when the user configured neither `policy` nor `policy_arns`).

use crate::ids::{ECR, EKS, GENERIC, S3};
use serde_json::json;

/// The inline session policy for one resource, or none for `aws-generic`.
pub fn for_resource(resource_type: &str, resource_id: Option<&str>, region: &str) -> Option<String> {
    let statements = match resource_type {
        GENERIC => return None,
        S3 => {
            let bucket = resource_id.map(|id| id.trim_start_matches("s3://").to_string());
            let resources = match bucket {
                Some(b) => json!([format!("arn:aws:s3:::{b}"), format!("arn:aws:s3:::{b}/*")]),
                None => json!(["arn:aws:s3:::*", "arn:aws:s3:::*/*"]),
            };
            json!([{
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListAllMyBuckets",
                           "s3:GetBucketVersioning", "s3:ListBucketVersions", "s3:DeleteObjectVersion"],
                "Resource": resources,
            }])
        }
        EKS => json!([{
            "Effect": "Allow",
            "Action": ["eks:ListClusters", "eks:DescribeCluster"],
            "Resource": format!("arn:aws:eks:{region}:*:cluster/{}", resource_id.unwrap_or("*")),
        }]),
        ECR => json!([
            {
                "Effect": "Allow",
                "Action": ["ecr:DescribeRegistry", "ecr:DescribeRepositories", "ecr:ListRepositories", "ecr:BatchGetImage",
                           "ecr:DescribeImages", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
                           "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"],
                "Resource": [format!("arn:aws:ecr:{region}:*:repository"), format!("arn:aws:ecr:{region}:*:repository/*")],
            },
            {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"},
        ]),
        _ => return None,
    };
    Some(json!({"Version": "2012-10-17", "Statement": statements}).to_string())
}
