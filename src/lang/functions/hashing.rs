//! Hashing and UUID functions, on strings and on files (`filesha256`, ...).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::filesystem::read_file;
use super::{f, v, Args, Func};
use crate::lang::Value;
use crate::limits::MAX_BCRYPT_COST;

pub(super) const FUNCS: &[Func] = &[
    v("bcrypt", &["str"], "cost", bcrypt),
    f("base64sha256", &["str"], |a| {
        Ok(b64::<Sha256>(&text(a)?).into())
    }),
    f("base64sha512", &["str"], |a| {
        Ok(b64::<Sha512>(&text(a)?).into())
    }),
    f("filebase64sha256", &["path"], |a| {
        Ok(b64::<Sha256>(&read_file(a, 0)?).into())
    }),
    f("filebase64sha512", &["path"], |a| {
        Ok(b64::<Sha512>(&read_file(a, 0)?).into())
    }),
    f("filemd5", &["path"], |a| {
        Ok(hex::<Md5>(&read_file(a, 0)?).into())
    }),
    f("filesha1", &["path"], |a| {
        Ok(hex::<Sha1>(&read_file(a, 0)?).into())
    }),
    f("filesha256", &["path"], |a| {
        Ok(hex::<Sha256>(&read_file(a, 0)?).into())
    }),
    f("filesha512", &["path"], |a| {
        Ok(hex::<Sha512>(&read_file(a, 0)?).into())
    }),
    f("md5", &["str"], |a| Ok(hex::<Md5>(&text(a)?).into())),
    f("sha1", &["str"], |a| Ok(hex::<Sha1>(&text(a)?).into())),
    f("sha256", &["str"], |a| Ok(hex::<Sha256>(&text(a)?).into())),
    f("sha512", &["str"], |a| Ok(hex::<Sha512>(&text(a)?).into())),
    f("uuid", &[], |_| Ok(uuid::Uuid::new_v4().to_string().into())),
    f("uuidv5", &["namespace", "name"], uuidv5),
];

fn text(a: &Args) -> Result<Vec<u8>, String> {
    Ok(a.str(0)?.into_bytes())
}

fn hex<D: Digest>(data: &[u8]) -> String {
    D::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

fn b64<D: Digest>(data: &[u8]) -> String {
    STANDARD.encode(D::digest(data))
}

/// The namespace is one of the four well-known names or a UUID.
fn uuidv5(a: &Args) -> Result<Value, String> {
    let ns_name = a.str(0)?;
    let namespace = match ns_name.as_str() {
        "dns" => uuid::Uuid::NAMESPACE_DNS,
        "url" => uuid::Uuid::NAMESPACE_URL,
        "oid" => uuid::Uuid::NAMESPACE_OID,
        "x500" => uuid::Uuid::NAMESPACE_X500,
        other => uuid::Uuid::parse_str(other)
            .map_err(|_| a.fail(format!("uuidv5() doesn't support namespace {other:?}")))?,
    };
    Ok(uuid::Uuid::new_v5(&namespace, a.str(1)?.as_bytes())
        .to_string()
        .into())
}

/// Salted, so never the same twice; `$2a$` hashes like Go's x/crypto. A cost below 4
/// means the default of 10, as in Go.
fn bcrypt(a: &Args) -> Result<Value, String> {
    if a.len() > 2 {
        return Err(a.fail(format!(
            "bcrypt() takes one or two arguments, got {}",
            a.len()
        )));
    }
    let password = a.str(0)?;
    let cost = if a.len() == 2 { a.int(1)? } else { 10 };
    let cost = if cost < 4 { 10 } else { cost };
    let fail = |detail: String| a.fail(format!("error occured generating password {detail}"));
    if cost > 31 {
        return Err(fail(format!(
            "crypto/bcrypt: cost {cost} is outside allowed range (4,31)"
        )));
    }
    if cost > MAX_BCRYPT_COST {
        return Err(a.err(
            1,
            format!("cost {cost} is above keyway's limit of {MAX_BCRYPT_COST}; each step doubles the time, and 16 already takes seconds"),
        ));
    }
    if password.len() > 72 {
        return Err(fail("bcrypt: password length exceeds 72 bytes".into()));
    }
    let parts =
        ::bcrypt::hash_with_result(password, cost as u32).map_err(|e| fail(e.to_string()))?;
    Ok(parts.format_for_version(::bcrypt::Version::TwoA).into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn cases() {
        super::super::tests::check(&[
            (
                r#"base64sha256("hello")"#,
                r#""LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=""#,
            ),
            (
                r#"base64sha512("hello")"#,
                r#""m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw==""#,
            ),
            (r#"md5("hello")"#, r#""5d41402abc4b2a76b9719d911017c592""#),
            (
                r#"sha1("hello")"#,
                r#""aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d""#,
            ),
            (
                r#"sha256("hello")"#,
                r#""2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824""#,
            ),
            (
                r#"sha512("hello")"#,
                r#""9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043""#,
            ),
            (
                r#"filemd5("d/a.txt")"#,
                r#""764efa883dda1e11db47671c4a3bbd9e""#,
            ),
            (
                r#"filesha1("d/a.txt")"#,
                r#""55ca6286e3e4f4fba5d0448333fa99fc5a404a73""#,
            ),
            (
                r#"filesha256("d/a.txt")"#,
                r#""98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4""#,
            ),
            (
                r#"filesha512("d/a.txt")"#,
                r#""d78abb0542736865f94704521609c230dac03a2f369d043ac212d6933b91410e06399e37f9c5cc88436a31737330c1c8eccb2c2f9f374d62f716432a32d50fac""#,
            ),
            (
                r#"filebase64sha256("d/a.txt")"#,
                r#""mOpuTyFvL7S2n/+bOkSELDhobKaF8/VdxIxdP7EQe+Q=""#,
            ),
            (
                r#"filebase64sha512("d/a.txt")"#,
                r#""14q7BUJzaGX5RwRSFgnCMNrAOi82nQQ6whLWkzuRQQ4GOZ43+cXMiENqMXNzMMHI7MssL583TWL3FkMqMtUPrA==""#,
            ),
            (
                r#"uuidv5("dns", "x")"#,
                r#""05b16a01-46c6-56dd-bd6e-c6dfb4a1427a""#,
            ),
            (
                r#"uuidv5("url", "https://example.com")"#,
                r#""4fd35a71-71ef-5a55-a9d9-aa75c889a6d0""#,
            ),
            (
                r#"uuidv5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "x")"#,
                r#""05b16a01-46c6-56dd-bd6e-c6dfb4a1427a""#,
            ),
        ]);
    }
}
