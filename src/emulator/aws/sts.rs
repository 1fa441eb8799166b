//! STS `GetCallerIdentity`: every caller is the one emulated account's `keyway` user, whatever
//! access key it signs with (signatures are not checked).

use super::super::world::{fnv, World};
use super::wire::{AwsResult, Req, ACCOUNT};
use super::xml::{self, X};
use super::Handler;

pub const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

pub fn route(req: &Req) -> Option<(&'static str, Handler)> {
    match req.param("Action")? {
        "GetCallerIdentity" => Some(("GetCallerIdentity", get_caller_identity)),
        _ => None,
    }
}

fn get_caller_identity(req: &Req, _world: &mut World) -> AwsResult {
    // A stable IAM user ID (`AIDA` + 17) derived from the access key, so one key is one user.
    let digits: String = format!("{:020X}", u128::from(fnv(&req.access_key)))
        .chars()
        .rev()
        .take(17)
        .collect();
    let result = vec![
        X::text("Arn", format!("arn:aws:iam::{ACCOUNT}:user/keyway")),
        X::text("UserId", format!("AIDA{digits}")),
        X::text("Account", ACCOUNT),
    ];
    let id = format!("{:016x}-keyway", req.now_ms);
    Ok(super::wire::Answer::Xml(
        200,
        xml::response(NS, "GetCallerIdentity", Some(result), &id),
    ))
}
