//! JWT authorizers: the token from the authorizer's identity source must be signed by the
//! issuer's key (RS256, checked against the issuer's JWKS) and carry the issuer, audience,
//! expiry and (when the route asks) scopes the authorizer and route name. The emulator hosts
//! its own issuer at `/__aws/issuer` (OpenID discovery, JWKS, and `POST .../token` to mint a
//! token for any claims) so tests and examples can get tokens offline; the JWKS of an issuer
//! elsewhere cannot be fetched, so its tokens are refused (401), as AWS refuses tokens it
//! cannot verify.

use std::sync::OnceLock;

use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair, RsaPublicKeyComponents};
use base64::Engine;
use serde_json::{json, Value};

use super::super::super::world::now_ms;
use super::{Call, Deployed, Reply};

/// Where the emulator's issuer lives on its own port.
pub const ISSUER_PATH: &str = "/__aws/issuer";
const KID: &str = "keyway-emulator-1";

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The issuer's key pair, made once per process (RSA 2048).
fn key() -> Option<&'static RsaKeyPair> {
    static KEY: OnceLock<Option<RsaKeyPair>> = OnceLock::new();
    KEY.get_or_init(|| RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).ok())
        .as_ref()
}

/// Whether `issuer` is the emulator's own (on a loopback host).
fn is_local(issuer: &str) -> bool {
    issuer.ends_with(ISSUER_PATH)
        && ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| issuer.starts_with(p))
}

/// The issuer's endpoints: `GET .well-known/openid-configuration`, `GET .well-known/jwks.json`,
/// `POST token` (body: claims; `iss`, `iat` and a one-hour `exp` filled in when absent).
pub fn serve_issuer(method: &str, rest: &str, host: &str, body: &[u8]) -> (u16, Value) {
    let issuer = format!("http://{host}{ISSUER_PATH}");
    let Some(k) = key() else {
        return (500, json!({"message": "no signing key"}));
    };
    match (method, rest.trim_start_matches('/')) {
        ("GET", ".well-known/openid-configuration") => (
            200,
            json!({"issuer": issuer, "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
                   "id_token_signing_alg_values_supported": ["RS256"]}),
        ),
        ("GET", ".well-known/jwks.json") => {
            let c: RsaPublicKeyComponents<Vec<u8>> = k.public_key().into();
            (
                200,
                json!({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": KID,
                                 "n": b64url(&c.n), "e": b64url(&c.e)}]}),
            )
        }
        ("POST", "token") => {
            let mut claims = match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(m)) => m,
                _ if body.iter().all(u8::is_ascii_whitespace) => Default::default(),
                _ => {
                    return (
                        400,
                        json!({"message": "the body must be a JSON object of claims"}),
                    )
                }
            };
            let now = now_ms() / 1000;
            claims.entry("iss").or_insert(json!(issuer));
            claims.entry("iat").or_insert(json!(now));
            claims.entry("exp").or_insert(json!(now + 3600));
            match sign(k, &Value::Object(claims)) {
                Some(t) => (200, json!({"token": t, "token_type": "Bearer"})),
                None => (500, json!({"message": "signing failed"})),
            }
        }
        _ => (404, json!({"message": "Not Found"})),
    }
}

fn sign(k: &RsaKeyPair, claims: &Value) -> Option<String> {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": KID});
    let input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let mut sig = vec![0; k.public_modulus_len()];
    let rng = aws_lc_rs::rand::SystemRandom::new();
    k.sign(
        &signature::RSA_PKCS1_SHA256,
        &rng,
        input.as_bytes(),
        &mut sig,
    )
    .ok()?;
    Some(format!("{input}.{}", b64url(&sig)))
}

/// The claims of `token` when its RS256 signature verifies against `issuer`'s key.
fn verified_claims(token: &str, issuer: &str) -> Option<Value> {
    let parts: Vec<&str> = token.split('.').collect();
    let [h, p, s] = parts.as_slice() else {
        return None;
    };
    let dec = |x: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(x.trim_end_matches('='))
            .ok()
    };
    let header: Value = serde_json::from_slice(&dec(h)?).ok()?;
    if header["alg"] != json!("RS256") || !is_local(issuer) {
        return None;
    }
    let c: RsaPublicKeyComponents<Vec<u8>> = key()?.public_key().into();
    c.verify(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        format!("{h}.{p}").as_bytes(),
        &dec(s)?,
    )
    .ok()?;
    serde_json::from_slice::<Value>(&dec(p)?)
        .ok()
        .filter(Value::is_object)
}

impl Call<'_> {
    /// A route with a JWT authorizer: a missing, unverifiable or mismatched token is 401, a
    /// token without the route's scopes 403 (API Gateway's answers).
    pub(super) fn authorize(&self, d: &Deployed, route: &Value) -> Result<Option<Value>, Reply> {
        if route["authorizationType"] != json!("JWT") {
            return Ok(None);
        }
        let id = route["authorizerId"].as_str().unwrap_or_default();
        let au = &d.snapshot["authorizers"][id];
        let source = au["identitySource"][0]
            .as_str()
            .unwrap_or("$request.header.Authorization");
        let header = source
            .strip_prefix("$request.header.")
            .unwrap_or("authorization")
            .to_ascii_lowercase();
        let token = self
            .header(&header)
            .map(|t| t.strip_prefix("Bearer ").unwrap_or(t).trim().to_string());
        let unauthorized = || Reply::message(401, "Unauthorized");
        let issuer = au["jwtConfiguration"]["issuer"]
            .as_str()
            .unwrap_or_default();
        let claims = token
            .as_deref()
            .and_then(|t| verified_claims(t, issuer))
            .ok_or_else(unauthorized)?;
        let audiences: Vec<&str> = au["jwtConfiguration"]["audience"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let aud_ok = match &claims["aud"] {
            Value::String(a) => audiences.contains(&a.as_str()),
            Value::Array(a) => a
                .iter()
                .any(|x| x.as_str().is_some_and(|x| audiences.contains(&x))),
            _ => claims["client_id"]
                .as_str()
                .is_some_and(|c| audiences.contains(&c)),
        };
        let now = (now_ms() / 1000) as i64;
        let exp_ok = claims["exp"].as_i64().is_some_and(|e| e > now);
        let nbf_ok = claims["nbf"].as_i64().is_none_or(|n| n <= now);
        if claims["iss"].as_str() != Some(issuer) || !aud_ok || !exp_ok || !nbf_ok {
            return Err(unauthorized());
        }
        let scopes: Vec<String> = claims["scope"]
            .as_str()
            .map(|s| s.split(' ').map(str::to_string).collect())
            .unwrap_or_default();
        let wanted: Vec<&str> = route["authorizationScopes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !wanted.is_empty() && !wanted.iter().any(|w| scopes.iter().any(|s| s == w)) {
            return Err(Reply::message(403, "Forbidden"));
        }
        Ok(Some(
            json!({"jwt": {"claims": claims, "scopes": if scopes.is_empty() { Value::Null } else { json!(scopes) }}}),
        ))
    }
}
