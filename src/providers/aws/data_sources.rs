//! The AWS data sources real folders read: who the caller is, the region, the partition, and
//! IAM policy documents (computed here, no request).

use serde_json::{json, Map, Value as Json};

use super::client::xml_text;
use super::{api_err, policy_document, regions, Aws};
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
        "aws_region" => region(aws, config, &mut out)?,
        "aws_partition" => {
            let (partition, dns_suffix) = regions::partition_of(aws.client.region());
            let reverse: Vec<&str> = dns_suffix.split('.').rev().collect();
            out.insert("id".to_owned(), json!(partition));
            out.insert("partition".to_owned(), json!(partition));
            out.insert("dns_suffix".to_owned(), json!(dns_suffix));
            out.insert("reverse_dns_prefix".to_owned(), json!(reverse.join(".")));
        }
        "aws_iam_policy_document" => {
            let (pretty, minified) = policy_document::render(config);
            let digest = crc32(pretty.as_bytes());
            out.insert("id".to_owned(), json!(digest.to_string()));
            out.insert("json".to_owned(), json!(pretty));
            out.insert("minified_json".to_owned(), json!(minified));
            if let Some(s) = crate::schema::lookup_in(ty, true) {
                sdk_shape(&s.attributes, &s.blocks, &mut out, false);
            }
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
/// `aws_region`: the provider's region, or the one `name` (`region` in provider v6) or
/// `endpoint` asks for, from the regions data; a region the data does not know is an error.
fn region(aws: &Aws, config: &Obj, out: &mut Obj) -> Result<()> {
    let asked = |k: &str| {
        config
            .get(k)
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
    };
    let name = asked("name").or_else(|| asked("region"));
    let found = match (name, asked("endpoint")) {
        (Some(n), _) => Some(regions::named(n).ok_or_else(|| {
            ProviderError::new(format!("aws_region: no region is named \"{n}\""))
        })?),
        (None, Some(e)) => Some(regions::by_endpoint(e).ok_or_else(|| {
            ProviderError::new(format!("aws_region: no region has the endpoint \"{e}\""))
        })?),
        (None, None) => regions::named(aws.client.region()),
    };
    let region = found.map_or(aws.client.region(), |r| r.name.as_str());
    if let (Some(r), Some(e)) = (found, asked("endpoint")) {
        if r.endpoint() != e {
            return Err(ProviderError::new(format!(
                "aws_region: {} has the endpoint {}, not {e}",
                r.name,
                r.endpoint()
            )));
        }
    }
    let (_, dns_suffix) = regions::partition_of(region);
    out.insert("name".to_owned(), json!(region));
    out.insert("region".to_owned(), json!(region));
    out.insert("id".to_owned(), json!(region));
    out.insert(
        "endpoint".to_owned(),
        json!(format!("ec2.{region}.{dns_suffix}")),
    );
    let description = found.map_or("", |r| r.description.as_str());
    out.insert("description".to_owned(), json!(description));
    Ok(())
}

/// Every attribute of the schema present, as the Terraform provider's SDK reads its data
/// sources back: unset top-level arguments null, a nested block's unset arguments its type's
/// zero (`""`, `[]`, a default when there is one), unset nested blocks `[]`; so that an
/// output of the whole object is Terraform's.
fn sdk_shape(
    attributes: &std::collections::BTreeMap<String, crate::schema::Attribute>,
    blocks: &std::collections::BTreeMap<String, crate::schema::BlockSchema>,
    obj: &mut Obj,
    nested: bool,
) {
    for (name, a) in attributes {
        if obj.get(name).is_some_and(|v| !v.is_null()) {
            continue;
        }
        let zero = match (&a.default, a.ty.as_deref()) {
            (Some(d), _) => d.clone(),
            (None, _) if !nested => Json::Null,
            (None, Some(t)) if t.starts_with("list(") || t.starts_with("set(") => json!([]),
            (None, Some("bool")) => json!(false),
            (None, Some("number" | "integer")) => json!(0),
            (None, _) => json!(""),
        };
        obj.insert(name.clone(), zero);
    }
    for (name, b) in blocks {
        let items = obj.entry(name.clone()).or_insert_with(|| json!([]));
        if items.is_null() {
            *items = json!([]);
        }
        for item in items.as_array_mut().into_iter().flatten() {
            if let Some(o) = item.as_object_mut() {
                sdk_shape(&b.attributes, &b.blocks, o, true);
            }
        }
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
