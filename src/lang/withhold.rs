//! Evaluation errors never quote a secret. Function and index errors repeat the values they
//! were given (`cannot convert "…" to number`, `no attribute "…"`), so when an expression reads
//! any sensitive value its error keeps its location but loses its detail, whatever part of
//! the expression failed: a structural rule, not a search for the secret's text (which an
//! error could escape, truncate or re-case).

use hcl_edit::expr::Expression;

use crate::lang::eval::{EvalError, Scope};
use crate::lang::Value;

/// What is shown instead of an error's detail.
pub const WITHHELD: &str =
    "The expression includes sensitive values, so the details of this error cannot be shown";

const HELP: &str = "evaluate it without the sensitive values (or wrap the parts that reveal \
                    nothing in nonsensitive()) to see the detail";

/// `err` as it may be shown: withheld when `expr` reads a sensitive value in `scope`.
pub fn error(err: EvalError, expr: &Expression, scope: &dyn Scope) -> EvalError {
    if reads_sensitive(expr, scope) {
        EvalError {
            message: WITHHELD.to_owned(),
            span: err.span,
            help: Some(HELP.to_owned()),
        }
    } else {
        err
    }
}

/// Whether any reference in `expr` resolves to a value holding a sensitive mark. Only the
/// attributes a reference names are looked at (`google_apikeys_key.k.name` is not secret
/// because `key_string` is); where a name cannot be followed, the whole value counts.
pub fn reads_sensitive(expr: &Expression, scope: &dyn Scope) -> bool {
    crate::lang::refs::references(expr).iter().any(|r| {
        let names: Vec<&str> = r.names.iter().map(String::as_str).collect();
        let Ok((value, used)) = scope.resolve(&names) else {
            return false;
        };
        follow(&value, names.get(used..).unwrap_or_default()).has_sensitive()
    })
}

/// The value at `path` under `v`, stopping at the first step that cannot be taken (a
/// sensitive mark on the way is kept: the whole value is then sensitive).
fn follow<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    let Some((first, rest)) = path.split_first() else {
        return v;
    };
    match v {
        Value::Object(m) => m.get(*first).map_or(v, |next| follow(next, rest)),
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::WITHHELD;
    use crate::lang::eval::{eval, VarScope};
    use crate::lang::Value;

    fn error_of(src: &str) -> String {
        let mut obj = BTreeMap::new();
        obj.insert("name".to_owned(), Value::string("plain"));
        obj.insert("key".to_owned(), Value::string("s3cr3t").sensitive());
        let mut vars = BTreeMap::new();
        vars.insert("secret".to_owned(), Value::string("s3cr3t").sensitive());
        vars.insert("obj".to_owned(), Value::Object(obj));
        let scope = VarScope {
            vars: &vars,
            base_dir: Path::new("."),
        };
        let expr = src.parse().expect("expression");
        eval(&expr, &scope).expect_err("an error").message
    }

    #[test]
    fn errors_reading_a_secret_are_withheld() {
        assert_eq!(error_of("tonumber(secret)"), WITHHELD);
        assert_eq!(error_of("lookup({a = 1}, obj.key)"), WITHHELD);
        assert_eq!(error_of("{a = 1}[secret]"), WITHHELD);
        assert_eq!(error_of("[for s in [secret] : tonumber(s)]"), WITHHELD);
    }

    #[test]
    fn errors_reading_only_plain_values_keep_their_detail() {
        // `obj` holds a secret, but `obj.name` is not it.
        let e = error_of("tonumber(obj.name)");
        assert!(e.contains("\"plain\""), "{e}");
    }
}
