//! The `random` provider (hashicorp/random): values generated once, at apply, and kept in
//! state, so plans stay stable; a change of any argument (`keepers` included) replaces the
//! resource, which generates anew (the schemas say so). Built in: no download, no
//! `provider "random"` block needed (one is accepted).
//!
//! A `seed` gives repeatable results with keyway's generator (ChaCha seeded by the seed's
//! SHA-256), not the values Go's `math/rand` gives Terraform for the same seed.

mod chars;
mod pet;

use async_trait::async_trait;
use base64::Engine;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use sha2::Digest;

use crate::lang::Value;
use crate::providers::args::{number, Args};
use crate::providers::{Provider, ProviderError, Result};

/// The random provider.
pub struct Random;

/// Computed attributes of a new object.
type Computed = Vec<(&'static str, Value)>;

#[async_trait]
impl Provider for Random {
    async fn refresh(&self, _ty: &str, priors: &[Value]) -> Result<Vec<Option<Value>>> {
        Ok(priors.iter().cloned().map(Some).collect())
    }

    fn state_only(&self, _ty: &str) -> bool {
        true
    }

    async fn create(&self, ty: &str, planned: &Value) -> Result<Value> {
        let a = Args::new(ty, false, planned)?;
        let computed = match ty {
            "random_id" => random_id(&a)?,
            "random_string" => random_string(&a, false)?,
            "random_password" => random_string(&a, true)?,
            "random_integer" => random_integer(&a)?,
            "random_pet" => random_pet(&a)?,
            "random_uuid" => random_uuid(),
            "random_shuffle" => random_shuffle(&a)?,
            _ => return Err(ProviderError::new(format!("unknown resource type `{ty}`"))),
        };
        Ok(a.finish(computed))
    }

    async fn update(&self, ty: &str, _prior: &Value, planned: &Value) -> Result<Value> {
        // Every argument forces replacement, so an update only rewrites what state holds
        // (`ignore_changes`); the generated values are the prior ones the plan carries.
        Ok(Args::new(ty, false, planned)?.finish([]))
    }

    async fn delete(&self, _ty: &str, _prior: &Value) -> Result<()> {
        Ok(())
    }
}

/// A generator: repeatable from `seed`, else seeded from the thread's CSPRNG.
fn rng(seed: Option<&str>) -> StdRng {
    match seed {
        Some(s) => StdRng::from_seed(sha2::Sha256::digest(s.as_bytes()).into()),
        None => StdRng::from_rng(&mut rand::rng()),
    }
}

fn count(a: &Args, name: &str, min: i64) -> Result<usize> {
    let n = a.int(name)?.unwrap_or(0);
    if n < min {
        return Err(a.error(name, format!("must be at least {min}")));
    }
    usize::try_from(n).map_err(|_| a.error(name, "is too large"))
}

fn random_id(a: &Args) -> Result<Computed> {
    let n = count(a, "byte_length", 1)?;
    if n > 1 << 20 {
        return Err(a.error("byte_length", "must be at most 1048576"));
    }
    let mut bytes = vec![0u8; n];
    rng(None).fill(&mut bytes[..]);
    let prefix = a.string("prefix")?.unwrap_or_default();
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
    let std = base64::engine::general_purpose::STANDARD.encode(&bytes);
    Ok(vec![
        ("id", Value::string(url.clone())),
        ("b64_url", Value::string(format!("{prefix}{url}"))),
        ("b64_std", Value::string(format!("{prefix}{std}"))),
        (
            "hex",
            Value::string(format!("{prefix}{}", hex::encode(&bytes))),
        ),
        ("dec", Value::string(format!("{prefix}{}", decimal(&bytes)))),
    ])
}

/// Big-endian unsigned bytes as a decimal number (Go's `big.Int.String`).
fn decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = Vec::new(); // little-endian base 10
    for &b in bytes {
        let mut carry = u32::from(b);
        for d in digits.iter_mut() {
            let x = u32::from(*d) * 256 + carry;
            *d = (x % 10) as u8;
            carry = x / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    if digits.is_empty() {
        return "0".into();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

fn random_string(a: &Args, password: bool) -> Result<Computed> {
    let p = chars::Params {
        length: count(a, "length", 1)?,
        upper: a.bool("upper")?,
        lower: a.bool("lower")?,
        // `number` is the deprecated spelling: digits only when neither turns them off.
        numeric: a.bool("numeric")? && a.bool("number")?,
        special: a.bool("special")?,
        min_upper: count(a, "min_upper", 0)?,
        min_lower: count(a, "min_lower", 0)?,
        min_numeric: count(a, "min_numeric", 0)?,
        min_special: count(a, "min_special", 0)?,
        override_special: a.string("override_special")?.unwrap_or_default(),
    };
    chars::check(&p).map_err(|e| ProviderError::new(format!("{}: {e}", type_name(password))))?;
    let result = chars::generate(&p, &mut rng(None));
    if !password {
        return Ok(vec![
            ("id", Value::string(result.clone())),
            ("result", Value::string(result)),
        ]);
    }
    // bcrypt reads at most 72 bytes; hashicorp/random hashes those, and so does keyway.
    let head = &result.as_bytes()[..result.len().min(72)];
    let hash = bcrypt::hash(head, 10)
        .map_err(|e| ProviderError::new(format!("random_password: bcrypt: {e}")))?;
    Ok(vec![
        ("id", Value::string("none")),
        ("result", Value::string(result)),
        ("bcrypt_hash", Value::string(hash)),
    ])
}

fn type_name(password: bool) -> &'static str {
    if password {
        "random_password"
    } else {
        "random_string"
    }
}

fn random_integer(a: &Args) -> Result<Computed> {
    let min = a.required_int("min")?;
    let max = a.required_int("max")?;
    if max < min {
        return Err(a.error("max", "must be at least `min`"));
    }
    let seed = a.string("seed")?;
    let n = rng(seed.as_deref()).random_range(min..=max);
    Ok(vec![
        ("result", number(n)),
        ("id", Value::string(n.to_string())),
    ])
}

fn random_pet(a: &Args) -> Result<Computed> {
    let words = count(a, "length", 1)?;
    if words > 64 {
        return Err(a.error("length", "must be at most 64"));
    }
    let sep = a.string("separator")?.unwrap_or_else(|| "-".into());
    let name = pet::name(words, &sep, &mut rng(None));
    let id = match a.string("prefix")? {
        Some(p) => format!("{p}{sep}{name}"),
        None => name,
    };
    Ok(vec![("id", Value::string(id))])
}

fn random_uuid() -> Computed {
    let id = uuid::Uuid::new_v4().to_string();
    vec![
        ("id", Value::string(id.clone())),
        ("result", Value::string(id)),
    ]
}

fn random_shuffle(a: &Args) -> Result<Computed> {
    let input = a.strings("input")?;
    let wanted = match a.int("result_count")? {
        Some(n) if n < 0 => return Err(a.error("result_count", "must not be negative")),
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        None => input.len(),
    };
    if wanted > input.len().saturating_mul(1024).max(1024) {
        return Err(a.error("result_count", "is too large"));
    }
    let mut rng = rng(a.string("seed")?.as_deref());
    let mut result = Vec::with_capacity(wanted);
    // More results than inputs repeat whole shuffled rounds, as hashicorp/random does.
    while result.len() < wanted && !input.is_empty() {
        let mut round = input.clone();
        round.shuffle(&mut rng);
        result.extend(round.into_iter().take(wanted - result.len()));
    }
    Ok(vec![
        ("id", Value::string("-")),
        (
            "result",
            Value::List(result.into_iter().map(Value::string).collect()),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_matches_big_endian_value() {
        assert_eq!(decimal(&[]), "0");
        assert_eq!(decimal(&[0, 0]), "0");
        assert_eq!(decimal(&[1, 0]), "256");
        assert_eq!(decimal(&[0xff; 8]), u64::MAX.to_string());
    }

    #[test]
    fn a_seed_repeats_and_no_seed_varies() {
        let a: i64 = rng(Some("s")).random_range(0..=1_000_000);
        let b: i64 = rng(Some("s")).random_range(0..=1_000_000);
        assert_eq!(a, b);
        let draws: std::collections::BTreeSet<i64> = (0..8)
            .map(|_| rng(None).random_range(0..=1_000_000))
            .collect();
        assert!(draws.len() > 1);
    }
}
