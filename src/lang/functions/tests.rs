//! Data-driven tests: each row is a Terraform expression calling built-in functions with
//! literal arguments and the `jsonencode` of the result Terraform 1.11 gives (checked with
//! `terraform console`), or `!` and a fragment of the error message.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::expr::Expression;

use super::{call, names, FuncContext};
use crate::lang::functions::encoding::json_encode;
use crate::lang::types::literal;
use crate::lang::Value;

/// A folder laid out like the one the expected values were checked in, kept in the
/// repository (`tests/fixtures/functions`) so no run leaves a copy in the temp folder.
fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/functions")
}

/// Substitutes `${name}` only: enough to show that templatefile passes source and vars.
fn render(source: &str, vars: &BTreeMap<String, Value>) -> Result<Value, String> {
    let mut out = source.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("${{{k}}}"), v.as_str().unwrap_or_default());
    }
    Ok(Value::String(out))
}

fn eval(expr: &Expression, base: &Path) -> Result<Value, String> {
    match expr {
        Expression::FuncCall(fc) => {
            let args = fc
                .args
                .iter()
                .map(|a| eval(a, base))
                .collect::<Result<Vec<_>, _>>()?;
            let ctx = FuncContext {
                base_dir: base,
                render_template: &render,
            };
            call(fc.name.name.as_str(), args, &ctx)
        }
        Expression::Array(items) => Ok(Value::List(
            items
                .iter()
                .map(|e| eval(e, base))
                .collect::<Result<_, _>>()?,
        )),
        Expression::Object(obj) => {
            let mut map = BTreeMap::new();
            for (k, v) in obj.iter() {
                let key = match k {
                    hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_owned(),
                    hcl_edit::expr::ObjectKey::Expression(e) => {
                        literal(e)?.as_str().unwrap_or_default().to_owned()
                    }
                };
                map.insert(key, eval(v.expr(), base)?);
            }
            Ok(Value::Object(map))
        }
        other => literal(other),
    }
}

fn run(source: &str, base: &Path) -> Result<Value, String> {
    let expr = hcl_edit::parser::parse_expr(source).map_err(|e| format!("parse error: {e}"))?;
    eval(&expr, base)
}

pub(super) fn check(cases: &[(&str, &str)]) {
    let base = fixture_dir();
    let mut failures = Vec::new();
    for (source, expected) in cases {
        let got = run(source, &base);
        let ok = match (expected.strip_prefix('!'), &got) {
            (Some(fragment), Err(e)) => e.contains(fragment),
            (None, Ok(v)) => json_encode(v) == *expected,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{source}\n    expected {expected}\n    got      {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing case(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn names_are_sorted_and_unique() {
    let n = names();
    assert!(n.windows(2).all(|w| w[0] < w[1]), "{n:?}");
    assert!(n.contains(&"jsonencode") && n.contains(&"cidrsubnets"));
}

#[test]
fn unknown_arguments_give_unknown_results() {
    let base = fixture_dir();
    let ctx = FuncContext {
        base_dir: &base,
        render_template: &render,
    };
    let got = call("upper", vec![Value::Unknown], &ctx);
    assert_eq!(got, Ok(Value::Unknown));
    let got = call("jsonencode", vec![Value::List(vec![Value::Unknown])], &ctx);
    assert_eq!(got, Ok(Value::Unknown));
    // Functions that only move elements keep unknown elements and stay known.
    let list = Value::List(vec![Value::Unknown, Value::number(1.0)]);
    assert_eq!(
        call("length", vec![list.clone()], &ctx),
        Ok(Value::number(2.0))
    );
    let got = call(
        "concat",
        vec![list.clone(), Value::List(vec!["a".into()])],
        &ctx,
    );
    let want = Value::List(vec![Value::Unknown, Value::number(1.0), "a".into()]);
    assert_eq!(got, Ok(want));
    let got = call(
        "tolist",
        vec![Value::List(vec![Value::Unknown, "a".into()])],
        &ctx,
    );
    assert_eq!(got, Ok(Value::List(vec![Value::Unknown, "a".into()])));
    let obj = Value::Object([("k".to_string(), Value::Unknown)].into());
    let got = call("keys", vec![obj.clone()], &ctx);
    assert_eq!(got, Ok(Value::List(vec!["k".into()])));
    assert_eq!(
        call("merge", vec![obj, Value::Unknown], &ctx),
        Ok(Value::Unknown)
    );
}

#[test]
fn sensitive_arguments_mark_the_result() {
    let base = fixture_dir();
    let ctx = FuncContext {
        base_dir: &base,
        render_template: &render,
    };
    let secret = Value::string("abc").sensitive();
    assert_eq!(
        call("upper", vec![secret.clone()], &ctx),
        Ok(Value::string("ABC").sensitive())
    );
    let list = Value::List(vec![Value::string("a"), secret.clone()]);
    assert_eq!(
        call("join", vec![",".into(), list], &ctx),
        Ok(Value::string("a,abc").sensitive())
    );
    assert_eq!(
        call("nonsensitive", vec![secret.clone()], &ctx),
        Ok(Value::string("abc"))
    );
    assert_eq!(
        call("issensitive", vec![secret], &ctx),
        Ok(Value::Bool(true))
    );
    assert_eq!(
        call("issensitive", vec!["x".into()], &ctx),
        Ok(Value::Bool(false))
    );
}

#[test]
fn nondeterministic_functions_have_the_right_shape() {
    let base = fixture_dir();
    let ctx = FuncContext {
        base_dir: &base,
        render_template: &render,
    };
    let id = call("uuid", vec![], &ctx).expect("uuid");
    let re =
        regex::Regex::new("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
            .expect("regex");
    assert!(re.is_match(id.as_str().unwrap_or_default()), "{id:?}");
    let hash = call("bcrypt", vec!["secret".into(), Value::number(4.0)], &ctx).expect("bcrypt");
    let text = hash.as_str().unwrap_or_default();
    assert!(text.starts_with("$2a$04$") && text.len() == 60, "{hash:?}");
    assert!(bcrypt::verify("secret", text).expect("verifies"));
    let now = call("timestamp", vec![], &ctx).expect("timestamp");
    let re = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").expect("regex");
    assert!(re.is_match(now.as_str().unwrap_or_default()), "{now:?}");
}

#[test]
fn unknown_function_is_an_error() {
    assert_eq!(
        run("nosuch(1)", Path::new(".")),
        Err("Call to unknown function `nosuch`".into())
    );
}

/// Every function, called with every combination of up to three awkward arguments, returns
/// a value or an error: never a panic.
#[test]
fn no_function_panics_on_odd_arguments() {
    let base = fixture_dir();
    let ctx = FuncContext {
        base_dir: &base,
        render_template: &render,
    };
    let pool: Vec<Value> = vec![
        Value::Null,
        Value::Bool(true),
        Value::number(-1.0),
        Value::number(1.5),
        Value::number(1e300),
        Value::string(""),
        Value::string("é%[1]*{,}\n"),
        Value::string("10.0.0.0/8"),
        Value::string("fd00::/127"),
        Value::string("2024-03-05T17:08:09Z"),
        Value::List(vec![Value::string("a"), Value::number(2.0)]),
        Value::set(vec![Value::string("x")]),
        Value::Object([("k".to_string(), Value::List(vec![]))].into()),
    ];
    // bcrypt is slow by design (cost 10 by default); its arguments are checked above.
    for name in names().iter().filter(|n| **n != "bcrypt") {
        for n in 0..=3u32 {
            for combo in 0..pool.len().pow(n) {
                let mut rest = combo;
                let args: Vec<Value> = (0..n)
                    .map(|_| {
                        let v = pool[rest % pool.len()].clone();
                        rest /= pool.len();
                        v
                    })
                    .collect();
                let shown = format!("{name}({args:?})");
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    call(name, args, &ctx)
                }));
                assert!(outcome.is_ok(), "panicked: {shown}");
            }
        }
    }
}

/// keyway's limits (`crate::limits`) and edge arguments that once panicked or hung.
#[test]
fn limits_and_edges() {
    check(&[
        (
            "setproduct(range(1000), range(1000), range(2))",
            "!2000000 elements, more than keyway's limit of 1000000",
        ),
        (
            "bcrypt(\"x\", 17)",
            "!cost 17 is above keyway's limit of 16",
        ),
        ("file(\"/dev/zero\")", "!it is not a regular file"),
        ("filebase64(\"d\")", "!it is a directory"),
        ("length(format(\"%999999999999d\", 1))", "65535"),
        ("length(format(\"%.999999f\", 1e308))", "65845"),
        ("range(9007199254740991)", "!more than 1024 values"),
        (
            "substr(\"abc\", -9007199254740991, 9007199254740991)",
            "\"abc\"",
        ),
        ("substr(\"abc\", 9007199254740991, -1)", "\"\""),
        ("chunklist([\"a\"], 9007199254740991)", "[[\"a\"]]"),
        (
            "slice([1, 2], 9007199254740991, 9007199254740991)",
            "!end index must not be greater",
        ),
        ("replace(\"abc\", \"\", \"x\")", "\"xaxbxcx\""),
        ("replace(\"abcb\", \"/(b)/\", \"[$1$0]\")", "\"a[bb]c[bb]\""),
        (
            "fileset(\"d\", \"{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}\")",
            "!expand to more than 1024 names",
        ),
        (
            "fileset(\"d\", \"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*t\")",
            "[]",
        ),
        ("fileset(\"d\", \"**/**/**/**/*.md\")", "[\"sub/c.md\"]"),
        ("setintersection([1, 2, 3], [3, 2], [2])", "[2]"),
        ("setsubtract([1, 2, 3], [2])", "[1,3]"),
    ]);
}

/// Functions over large collections finish in time: none compares every pair.
#[test]
fn large_collections_are_not_compared_pairwise() {
    let started = std::time::Instant::now();
    check(&[
        (
            "length(distinct(concat(range(1024), range(1024), range(1024))))",
            "1024",
        ),
        (
            "length(setintersection(setproduct(range(500), range(100)), setproduct(range(500), range(100))))",
            "50000",
        ),
        (
            "length(setsubtract(setproduct(range(500), range(100)), setproduct(range(500), range(99))))",
            "500",
        ),
    ]);
    // Pairwise, the intersection alone is 2.5 * 10^9 comparisons: many minutes in debug.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}
