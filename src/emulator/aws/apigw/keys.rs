//! The account's API keys (`/apikeys`: a 40-character value generated unless given, shown
//! only on create or with `includeValue`), usage plans (`/usageplans`: API stages, throttle and
//! quota checked against API Gateway's limits) and the keys in each plan.

use serde_json::{json, Map, Value};

use super::super::super::world::World;
use super::super::store::UsagePlan;
use super::super::wire::{epoch_secs, key_value, short_id, Answer, AwsError, AwsResult, Req};
use super::super::Handler;
use super::patch::{self, Kind};
use super::{api_key, body, listing};

pub fn route(m: &str, segs: &[&str]) -> Option<(&'static str, Handler)> {
    let h: (&'static str, Handler) = match (m, segs) {
        ("POST", ["apikeys"]) => ("CreateApiKey", create_key),
        ("GET", ["apikeys"]) => ("GetApiKeys", get_keys),
        ("GET", ["apikeys", _]) => ("GetApiKey", get_key),
        ("PATCH", ["apikeys", _]) => ("UpdateApiKey", update_key),
        ("DELETE", ["apikeys", _]) => ("DeleteApiKey", delete_key),
        ("POST", ["usageplans"]) => ("CreateUsagePlan", create_plan),
        ("GET", ["usageplans"]) => ("GetUsagePlans", get_plans),
        ("GET", ["usageplans", _]) => ("GetUsagePlan", get_plan),
        ("PATCH", ["usageplans", _]) => ("UpdateUsagePlan", update_plan),
        ("DELETE", ["usageplans", _]) => ("DeleteUsagePlan", delete_plan),
        ("POST", ["usageplans", _, "keys"]) => ("CreateUsagePlanKey", create_plan_key),
        ("GET", ["usageplans", _, "keys"]) => ("GetUsagePlanKeys", get_plan_keys),
        ("GET", ["usageplans", _, "keys", _]) => ("GetUsagePlanKey", get_plan_key),
        ("DELETE", ["usageplans", _, "keys", _]) => ("DeleteUsagePlanKey", delete_plan_key),
        _ => return None,
    };
    Some(h)
}

fn missing_key(id: &str) -> AwsError {
    AwsError::not_found(format!("Invalid API Key identifier specified {id}"))
}

/// A key as answered: its value only when asked for.
fn emit_key(k: &Value, with_value: bool) -> Value {
    let mut k = k.clone();
    if !with_value {
        k.as_object_mut().map(|o| o.remove("value"));
    }
    k
}

fn create_key(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let value = match b.str("value")? {
        Some(v) if v.len() < 20 => {
            return Err(AwsError::bad(
                "API Key value should be at least 20 characters",
            ))
        }
        Some(v) if v.len() > 128 => {
            return Err(AwsError::bad(
                "API Key value should be at most 128 characters",
            ))
        }
        Some(v) => v,
        None => key_value(world),
    };
    let taken = world
        .aws
        .api_keys
        .iter()
        .any(|(k, v)| k.starts_with(&format!("{}/", req.region)) && v["value"] == json!(value));
    if taken {
        return Err(AwsError::conflict("API Key already exists"));
    }
    for k in ["name", "description", "customerId"] {
        b.str(k)?;
    }
    let stage_keys = b.str_list("stageKeys")?.unwrap_or_default();
    let tags = b.str_map("tags")?;
    let id = short_id(world, 10);
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert("value".into(), json!(value));
    out.insert(
        "name".into(),
        json!(b.str("name")?.unwrap_or_else(|| id.clone())),
    );
    b.copy_into(&["description", "customerId"], &mut out);
    out.insert("enabled".into(), json!(b.bool("enabled")?.unwrap_or(false)));
    out.insert("createdDate".into(), epoch_secs(req.now_ms));
    out.insert("lastUpdatedDate".into(), epoch_secs(req.now_ms));
    out.insert("stageKeys".into(), json!(stage_keys));
    if let Some(t) = tags {
        out.insert("tags".into(), Value::Object(t));
    }
    let v = Value::Object(out);
    world
        .aws
        .api_keys
        .insert(api_key(&req.region, &id), v.clone());
    Ok(Answer::Json(201, v))
}

fn get_keys(req: &Req, world: &mut World) -> AwsResult {
    let with = req.q("includeValues") == Some("true");
    let name = req.q("nameQuery");
    let customer = req.q("customerId");
    let prefix = format!("{}/", req.region);
    let items = world
        .aws
        .api_keys
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, v)| v)
        .filter(|v| name.is_none_or(|n| v["name"].as_str().is_some_and(|x| x.starts_with(n))))
        .filter(|v| customer.is_none_or(|c| v["customerId"] == json!(c)))
        .map(|v| emit_key(v, with))
        .collect();
    listing(req, items)
}

fn key_id(req: &Req) -> String {
    req.segs[1].clone()
}

fn get_key(req: &Req, world: &mut World) -> AwsResult {
    let id = key_id(req);
    let k = world
        .aws
        .api_keys
        .get(&api_key(&req.region, &id))
        .ok_or_else(|| missing_key(&id))?;
    Ok(Answer::Json(
        200,
        emit_key(k, req.q("includeValue") == Some("true")),
    ))
}

fn update_key(req: &Req, world: &mut World) -> AwsResult {
    let ops = patch::ops(req)?;
    let id = key_id(req);
    let k = world
        .aws
        .api_keys
        .get_mut(&api_key(&req.region, &id))
        .ok_or_else(|| missing_key(&id))?;
    let mut o = k.as_object().cloned().unwrap_or_default();
    patch::apply(
        &mut o,
        &ops,
        &[
            ("name", Kind::Str),
            ("description", Kind::Str),
            ("enabled", Kind::Bool),
            ("customerId", Kind::Str),
        ],
    )?;
    o.insert("lastUpdatedDate".into(), epoch_secs(req.now_ms));
    *k = Value::Object(o);
    Ok(Answer::Json(200, emit_key(k, false)))
}

fn delete_key(req: &Req, world: &mut World) -> AwsResult {
    let id = key_id(req);
    if world
        .aws
        .api_keys
        .remove(&api_key(&req.region, &id))
        .is_none()
    {
        return Err(missing_key(&id));
    }
    // A deleted key leaves every usage plan.
    let prefix = format!("{}/", req.region);
    for (_, p) in world
        .aws
        .usage_plans
        .iter_mut()
        .filter(|(k, _)| k.starts_with(&prefix))
    {
        p.keys.retain(|k| *k != id);
    }
    Ok(Answer::Empty(202))
}

fn missing_plan(id: &str) -> AwsError {
    AwsError::not_found(format!("Invalid Usage Plan ID specified {id}"))
}

/// Throttle and quota as API Gateway checks them.
fn check_plan(p: &Map<String, Value>, world: &World, region: &str) -> Result<(), AwsError> {
    if let Some(t) = p.get("throttle").filter(|t| !t.is_null()) {
        let burst = &t["burstLimit"];
        let rate = &t["rateLimit"];
        if !burst.is_null() && burst.as_i64().is_none_or(|b| b < 0) {
            return Err(AwsError::bad(
                "The burst limit must be a non-negative integer",
            ));
        }
        if !rate.is_null() && !rate.as_f64().is_some_and(|r| r >= 0.0) {
            return Err(AwsError::bad("The rate limit must be non-negative"));
        }
    }
    if let Some(q) = p.get("quota").filter(|q| !q.is_null()) {
        let period = q["period"].as_str().unwrap_or_default();
        let max_offset = match period {
            "DAY" => 0,
            "WEEK" => 6,
            "MONTH" => 27,
            _ => {
                return Err(AwsError::bad(format!(
                    "Invalid quota period {period:?}: must be DAY, WEEK or MONTH"
                )))
            }
        };
        if q["limit"].as_i64().is_none_or(|l| l < 0) {
            return Err(AwsError::bad(
                "The quota limit must be a non-negative integer",
            ));
        }
        let offset = q.get("offset").and_then(Value::as_i64).unwrap_or(0);
        if !(0..=max_offset).contains(&offset) {
            return Err(AwsError::bad(format!("Invalid quota offset {offset} for period {period}: must be between 0 and {max_offset}")));
        }
    }
    for s in p
        .get("apiStages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (api, stage) = (
            s["apiId"].as_str().unwrap_or_default(),
            s["stage"].as_str().unwrap_or_default(),
        );
        let found = world.aws.rest_apis.get(&api_key(region, api));
        let Some(a) = found else {
            return Err(AwsError::not_found(format!(
                "Invalid API identifier specified {}:{api}",
                super::super::ACCOUNT
            )));
        };
        if !a.stages.contains_key(stage) {
            return Err(AwsError::not_found(format!(
                "Invalid stage identifier specified {api}:{stage}"
            )));
        }
    }
    Ok(())
}

fn plan_object(
    b: &super::super::wire::Body,
    key: &str,
    ints: &[&str],
    nums: &[&str],
    strs: &[&str],
) -> Result<Option<Value>, AwsError> {
    let Some(o) = b.obj(key)? else {
        return Ok(None);
    };
    let ob = body(o);
    let mut out = Map::new();
    for k in ints {
        if let Some(v) = ob.int(k)? {
            out.insert((*k).into(), json!(v));
        }
    }
    for k in nums {
        if let Some(v) = ob.num(k)? {
            out.insert((*k).into(), json!(v));
        }
    }
    for k in strs {
        if let Some(v) = ob.str(k)? {
            out.insert((*k).into(), json!(v));
        }
    }
    Ok(Some(Value::Object(out)))
}

fn create_plan(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let name = b
        .str("name")?
        .filter(|n| !n.is_empty())
        .ok_or_else(|| AwsError::bad("Usage plan name is required"))?;
    let mut out = Map::new();
    out.insert("name".into(), json!(name));
    for k in ["description", "productCode"] {
        if let Some(v) = b.str(k)? {
            out.insert(k.into(), json!(v));
        }
    }
    let mut stages = Vec::new();
    for s in b.list("apiStages")?.into_iter().flatten() {
        let so = s
            .as_object()
            .ok_or_else(|| AwsError::bad("apiStages entries must be objects"))?;
        let sb = body(so);
        let mut st = json!({"apiId": sb.str("apiId")?.unwrap_or_default(), "stage": sb.str("stage")?.unwrap_or_default()});
        if let Some(t) = sb.obj("throttle")? {
            st["throttle"] = Value::Object(t.clone());
        }
        stages.push(st);
    }
    out.insert("apiStages".into(), json!(stages));
    if let Some(t) = plan_object(&b, "throttle", &["burstLimit"], &["rateLimit"], &[])? {
        out.insert("throttle".into(), t);
    }
    if let Some(q) = plan_object(&b, "quota", &["limit", "offset"], &[], &["period"])? {
        out.insert("quota".into(), q);
    }
    if let Some(t) = b.str_map("tags")? {
        out.insert("tags".into(), Value::Object(t));
    }
    check_plan(&out, world, &req.region)?;
    let id = short_id(world, 6);
    out.insert("id".into(), json!(id));
    let v = Value::Object(out);
    world.aws.usage_plans.insert(
        api_key(&req.region, &id),
        UsagePlan {
            body: v.clone(),
            keys: Vec::new(),
        },
    );
    Ok(Answer::Json(201, v))
}

fn get_plans(req: &Req, world: &mut World) -> AwsResult {
    let key = req.q("keyId");
    let prefix = format!("{}/", req.region);
    let items = world
        .aws
        .usage_plans
        .iter()
        .filter(|(k, p)| {
            k.starts_with(&prefix) && key.is_none_or(|id| p.keys.iter().any(|x| x == id))
        })
        .map(|(_, p)| p.body.clone())
        .collect();
    listing(req, items)
}

fn plan_id(req: &Req) -> String {
    req.segs[1].clone()
}

fn get_plan(req: &Req, world: &mut World) -> AwsResult {
    let id = plan_id(req);
    let p = world
        .aws
        .usage_plans
        .get(&api_key(&req.region, &id))
        .ok_or_else(|| missing_plan(&id))?;
    Ok(Answer::Json(200, p.body.clone()))
}

fn update_plan(req: &Req, world: &mut World) -> AwsResult {
    let ops = patch::ops(req)?;
    let id = plan_id(req);
    let k = api_key(&req.region, &id);
    let mut o = world
        .aws
        .usage_plans
        .get(&k)
        .and_then(|p| p.body.as_object().cloned())
        .ok_or_else(|| missing_plan(&id))?;
    for op in &ops {
        // `/apiStages` add/remove with the value `{apiId}:{stage}`.
        if op.segs == ["apiStages"] {
            let v = patch::typed(op, Kind::Str)?;
            let (api, stage) = v
                .as_str()
                .unwrap_or_default()
                .split_once(':')
                .ok_or_else(|| AwsError::bad("apiStages values are {apiId}:{stage}"))?;
            let entry = json!({"apiId": api, "stage": stage});
            let list = o.entry("apiStages").or_insert_with(|| json!([]));
            let items = list
                .as_array_mut()
                .ok_or_else(|| AwsError::bad("apiStages is not a list"))?;
            match op.op.as_str() {
                "add" if !items.contains(&entry) => items.push(entry),
                "remove" => {
                    items.retain(|i| i["apiId"] != json!(api) || i["stage"] != json!(stage))
                }
                "add" => {}
                _ => {
                    return Err(AwsError::bad(format!(
                        "Invalid patch operation '{}' for /apiStages",
                        op.op
                    )))
                }
            }
        } else if (op.segs == ["throttle"] || op.segs == ["quota"]) && op.op == "remove" {
            o.remove(&op.segs[0]);
        } else {
            patch::apply(
                &mut o,
                std::slice::from_ref(op),
                &[
                    ("name", Kind::Str),
                    ("description", Kind::Str),
                    ("productCode", Kind::Str),
                    ("throttle/burstLimit", Kind::Int),
                    ("throttle/rateLimit", Kind::Num),
                    ("quota/limit", Kind::Int),
                    ("quota/offset", Kind::Int),
                    ("quota/period", Kind::Str),
                ],
            )?;
        }
    }
    check_plan(&o, world, &req.region)?;
    let v = Value::Object(o);
    if let Some(p) = world.aws.usage_plans.get_mut(&k) {
        p.body = v.clone();
    }
    Ok(Answer::Json(200, v))
}

fn delete_plan(req: &Req, world: &mut World) -> AwsResult {
    let id = plan_id(req);
    if world
        .aws
        .usage_plans
        .remove(&api_key(&req.region, &id))
        .is_none()
    {
        return Err(missing_plan(&id));
    }
    Ok(Answer::Empty(202))
}

/// A plan key as answered: the key's ID, type, name and value.
fn plan_key(world: &World, region: &str, id: &str) -> Option<Value> {
    let k = world.aws.api_keys.get(&api_key(region, id))?;
    Some(json!({"id": id, "type": "API_KEY", "name": k["name"], "value": k["value"]}))
}

fn create_plan_key(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let key = b.str("keyId")?.unwrap_or_default();
    let kind = b.str("keyType")?.unwrap_or_default();
    if kind != "API_KEY" {
        return Err(AwsError::bad(format!(
            "Invalid key type {kind:?}: must be API_KEY"
        )));
    }
    let id = plan_id(req);
    let pk = api_key(&req.region, &id);
    if !world.aws.usage_plans.contains_key(&pk) {
        return Err(missing_plan(&id));
    }
    let out = plan_key(world, &req.region, &key).ok_or_else(|| missing_key(&key))?;
    let plan = world
        .aws
        .usage_plans
        .get_mut(&pk)
        .ok_or_else(|| missing_plan(&id))?;
    if plan.keys.contains(&key) {
        return Err(AwsError::conflict(format!(
            "Usage Plan {id} already contains API Key {key}"
        )));
    }
    plan.keys.push(key);
    Ok(Answer::Json(201, out))
}

fn get_plan_keys(req: &Req, world: &mut World) -> AwsResult {
    let id = plan_id(req);
    let name = req.q("nameQuery");
    let plan = world
        .aws
        .usage_plans
        .get(&api_key(&req.region, &id))
        .ok_or_else(|| missing_plan(&id))?;
    let items = plan
        .keys
        .iter()
        .filter_map(|k| plan_key(world, &req.region, k))
        .filter(|v| name.is_none_or(|n| v["name"].as_str().is_some_and(|x| x.starts_with(n))))
        .collect();
    listing(req, items)
}

fn get_plan_key(req: &Req, world: &mut World) -> AwsResult {
    let id = plan_id(req);
    let key = req.segs[3].clone();
    let plan = world
        .aws
        .usage_plans
        .get(&api_key(&req.region, &id))
        .ok_or_else(|| missing_plan(&id))?;
    if !plan.keys.contains(&key) {
        return Err(missing_key(&key));
    }
    let out = plan_key(world, &req.region, &key).ok_or_else(|| missing_key(&key))?;
    Ok(Answer::Json(200, out))
}

fn delete_plan_key(req: &Req, world: &mut World) -> AwsResult {
    let id = plan_id(req);
    let key = req.segs[3].clone();
    let plan = world
        .aws
        .usage_plans
        .get_mut(&api_key(&req.region, &id))
        .ok_or_else(|| missing_plan(&id))?;
    let before = plan.keys.len();
    plan.keys.retain(|k| *k != key);
    if plan.keys.len() == before {
        return Err(missing_key(&key));
    }
    Ok(Answer::Empty(202))
}
