//! The AWS data sources real folders read: who the caller is, the region, the partition, and
//! IAM policy documents (computed here, no request).

use serde_json::{json, Map, Value as Json};

use super::client::xml_text;
use super::{api_err, policy_document, Aws};
use crate::providers::{ProviderError, Result};

type Obj = Map<String, Json>;

pub async fn read(aws: &Aws, ty: &str, config: &Obj) -> Result<Obj> {
    let mut out = config.clone();
    match ty {
        "aws_caller_identity" => {
            let xml = aws
                .client
                .caller_identity_xml()
                .await
                .map_err(|e| api_err(ty, "read the caller identity", e))?;
            let account = xml_text(&xml, "Account").unwrap_or_default();
            out.insert("id".to_owned(), json!(account));
            out.insert("account_id".to_owned(), json!(account));
            out.insert("arn".to_owned(), json!(xml_text(&xml, "Arn")));
            out.insert("user_id".to_owned(), json!(xml_text(&xml, "UserId")));
        }
        "aws_region" => {
            let region = aws.client.region().to_owned();
            let asked = ["name", "region"]
                .iter()
                .find_map(|k| config.get(*k).and_then(Json::as_str).map(str::to_owned));
            if asked.as_ref().is_some_and(|a| *a != region) {
                return Err(ProviderError::new(format!(
                    "aws_region: keyway knows only the provider's region, {region}"
                )));
            }
            out.insert("name".to_owned(), json!(region));
            out.insert("region".to_owned(), json!(region));
            out.insert("id".to_owned(), json!(region));
            out.insert(
                "endpoint".to_owned(),
                json!(format!("ec2.{region}.amazonaws.com")),
            );
            out.insert("description".to_owned(), json!(describe(&region)));
        }
        "aws_partition" => {
            out.insert("id".to_owned(), json!("aws"));
            out.insert("partition".to_owned(), json!("aws"));
            out.insert("dns_suffix".to_owned(), json!("amazonaws.com"));
            out.insert("reverse_dns_prefix".to_owned(), json!("com.amazonaws"));
        }
        "aws_iam_policy_document" => {
            let (pretty, minified) = policy_document::render(config);
            let digest = crc32(pretty.as_bytes());
            out.insert("id".to_owned(), json!(digest.to_string()));
            out.insert("json".to_owned(), json!(pretty));
            out.insert("minified_json".to_owned(), json!(minified));
        }
        _ => {
            return Err(ProviderError::new(format!(
                "data source `{ty}` is not supported by the aws provider yet"
            )))
        }
    }
    Ok(out)
}

/// The regions' names as AWS describes them (the ones API Gateway users mostly pick).
fn describe(region: &str) -> &'static str {
    match region {
        "us-east-1" => "US East (N. Virginia)",
        "us-east-2" => "US East (Ohio)",
        "us-west-1" => "US West (N. California)",
        "us-west-2" => "US West (Oregon)",
        "eu-west-1" => "Europe (Ireland)",
        "eu-west-2" => "Europe (London)",
        "eu-west-3" => "Europe (Paris)",
        "eu-central-1" => "Europe (Frankfurt)",
        "eu-north-1" => "Europe (Stockholm)",
        "ap-northeast-1" => "Asia Pacific (Tokyo)",
        "ap-southeast-1" => "Asia Pacific (Singapore)",
        "ap-southeast-2" => "Asia Pacific (Sydney)",
        "ap-south-1" => "Asia Pacific (Mumbai)",
        "ca-central-1" => "Canada (Central)",
        "sa-east-1" => "South America (Sao Paulo)",
        _ => "",
    }
}

/// CRC-32 (IEEE), the hash Terraform's provider uses for a policy document's `id`.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}
