//! What the generic AWS resource cannot say as data: attributes Terraform computes from
//! others with a condition, and changes AWS makes through a call of their own.

use serde_json::{Map, Value as Json};

use super::{api_err, Aws};
use crate::aws::Service;
use crate::providers::Result;

/// Fills attributes Terraform derives after every read.
pub fn after_read(ty: &str, region: &str, obj: &mut Map<String, Json>) {
    if ty == "aws_apigatewayv2_stage" {
        // `$default` serves at the API's root; any other stage under its name.
        let api = obj.get("api_id").and_then(Json::as_str).unwrap_or_default();
        let name = obj.get("name").and_then(Json::as_str).unwrap_or_default();
        let path = if name == "$default" { "" } else { name };
        let url = format!("https://{api}.execute-api.{region}.amazonaws.com/{path}");
        obj.insert("invoke_url".to_owned(), Json::String(url));
    }
    if ty == "aws_api_gateway_deployment" {
        // The stage `stage_name` made, or the API's root when there is none.
        let api = obj
            .get("rest_api_id")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let stage = obj
            .get("stage_name")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let url = format!("https://{api}.execute-api.{region}.amazonaws.com/{stage}");
        obj.insert("invoke_url".to_owned(), Json::String(url));
    }
}

/// A create body whose request fields differ from the answer's: a usage plan key is created
/// with `keyId` and `keyType` and read back as `id` and `type`.
pub fn create_body(ty: &str, body: &mut Map<String, Json>) {
    if ty == "aws_api_gateway_usage_plan_key" {
        for (answer, request) in [("id", "keyId"), ("type", "keyType")] {
            if let Some(v) = body.remove(answer) {
                body.insert(request.to_owned(), v);
            }
        }
    }
}

/// Calls an update needs before its PATCH: API Gateway v2 removes an API's CORS
/// configuration only through `DELETE /v2/apis/{id}/cors` (a PATCH without it keeps it).
pub async fn before_update(
    aws: &Aws,
    ty: &str,
    service: Service,
    path: &str,
    changed: &[String],
    planned: &Map<String, Json>,
) -> Result<()> {
    let cors_removed = ty == "aws_apigatewayv2_api"
        && changed.iter().any(|c| c == "corsConfiguration")
        && planned
            .get("cors_configuration")
            .and_then(Json::as_array)
            .is_none_or(Vec::is_empty);
    if cors_removed {
        aws.client
            .json(service, "DELETE", &format!("{path}/cors"), None)
            .await
            .map_err(|e| api_err(ty, "remove the CORS configuration", e))?;
    }
    Ok(())
}
