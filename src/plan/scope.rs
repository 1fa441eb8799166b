//! The values visible to expressions while planning or applying: input variables, locals and
//! resource instances, plus `count`/`each` of the instance being evaluated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::{Config, ModuleInstance, Repetition};
use crate::lang::eval::{suggest, ResolveError, Scope};
use crate::lang::Value;

/// The instance key of a resource instance.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InstanceKey {
    /// No `count` or `for_each`.
    None,
    /// `count.index`.
    Int(usize),
    /// `each.key`.
    Str(String),
}

/// The suffix of the state address of an old object whose replacement was created first; it
/// stays in state under that address until it is deleted.
pub const DEPOSED: &str = " (deposed)";

/// The state address of the `n`th object deposed from `instance` (1-based): `x (deposed)`,
/// then `x (deposed 2)`, ... A second replacement before the first deposed object is gone
/// must not overwrite it, or that object would be forgotten.
pub fn deposed_addr(instance: &str, n: u32) -> String {
    if n <= 1 {
        format!("{instance}{DEPOSED}")
    } else {
        format!("{instance} (deposed {n})")
    }
}

/// The instance address a deposed object was deposed from, if `addr` is deposed.
pub fn deposed_instance(addr: &str) -> Option<&str> {
    if let Some(instance) = addr.strip_suffix(DEPOSED) {
        return Some(instance);
    }
    let (instance, n) = addr.strip_suffix(')')?.rsplit_once(" (deposed ")?;
    n.parse::<u32>().ok().map(|_| instance)
}

/// The resource block whose replacement deposed the object at `addr`, if `addr` is deposed.
pub fn deposed_block(addr: &str) -> Option<&str> {
    deposed_instance(addr).map(|instance| InstanceKey::split(instance).0)
}

impl InstanceKey {
    /// The address suffix: ``, `[0]`, `["a"]`.
    pub fn suffix(&self) -> String {
        match self {
            InstanceKey::None => String::new(),
            InstanceKey::Int(i) => format!("[{i}]"),
            InstanceKey::Str(s) => format!("[{}]", serde_json::Value::String(s.clone())),
        }
    }

    /// Splits an instance address into its resource address and key. A deposed object's
    /// address (`a.b["k"] (deposed)`) is a block of its own, which no configuration declares.
    pub fn split(addr: &str) -> (&str, InstanceKey) {
        if deposed_instance(addr).is_some() {
            return (addr, InstanceKey::None);
        }
        let Some(pos) = crate::address::key_start(addr) else {
            return (addr, InstanceKey::None);
        };
        let (base, rest) = addr.split_at(pos);
        let inner = rest.trim_start_matches('[').trim_end_matches(']');
        let key = match serde_json::from_str::<serde_json::Value>(inner) {
            Ok(serde_json::Value::String(s)) => InstanceKey::Str(s),
            Ok(serde_json::Value::Number(n)) => InstanceKey::Int(n.as_u64().unwrap_or(0) as usize),
            _ => InstanceKey::Str(inner.to_owned()),
        };
        (base, key)
    }
}

/// The values of one resource block's instances.
#[derive(Clone, Debug, PartialEq)]
pub enum Instances {
    /// No `count`/`for_each`: one object (or null when absent).
    Single(Value),
    /// `count`.
    List(Vec<Value>),
    /// `for_each`.
    Map(BTreeMap<String, Value>),
}

impl Instances {
    /// The value a reference to the whole block sees.
    pub fn to_value(&self) -> Value {
        match self {
            Instances::Single(v) => v.clone(),
            Instances::List(v) => Value::List(v.clone()),
            Instances::Map(m) => Value::Object(m.clone()),
        }
    }
}

/// Everything evaluated so far.
#[derive(Clone, Debug, Default)]
pub struct Values {
    /// `path.module`.
    pub dir: PathBuf,
    /// Input variables (sensitive ones marked).
    pub vars: BTreeMap<String, Value>,
    /// Locals evaluated so far.
    pub locals: BTreeMap<String, Value>,
    /// Resource blocks evaluated so far, by address.
    pub resources: BTreeMap<String, Instances>,
}

/// A scope over [`Values`] for one evaluation site.
pub struct EvalScope<'a> {
    /// The values.
    pub values: &'a Values,
    /// The configuration (for "declared but not yet known" decisions and suggestions).
    pub config: &'a Config,
    /// `count.index` of the instance being evaluated.
    pub count_index: Option<usize>,
    /// `each.key` / `each.value`.
    pub each: Option<(String, Value)>,
    /// The module instance whose names the expression sees.
    pub module: &'a ModuleInstance,
}

impl<'a> EvalScope<'a> {
    /// A scope with no instance context, in the root module.
    pub fn new(values: &'a Values, config: &'a Config) -> EvalScope<'a> {
        static ROOT: ModuleInstance = ModuleInstance {
            prefix: String::new(),
            dir: PathBuf::new(),
            depends_on: Vec::new(),
            parent: None,
        };
        EvalScope {
            values,
            config,
            count_index: None,
            each: None,
            module: &ROOT,
        }
    }
}

fn need<'n>(names: &'n [&str], i: usize, what: &str) -> Result<&'n str, ResolveError> {
    names
        .get(i)
        .copied()
        .ok_or_else(|| ResolveError::new(format!("`{what}` must be followed by an attribute name")))
}

impl Scope for EvalScope<'_> {
    fn resolve(&self, names: &[&str]) -> Result<(Value, usize), ResolveError> {
        let v = self.values;
        match names[0] {
            "var" if !self.module.prefix.is_empty() => {
                let n = need(names, 1, "var")?;
                self.named(&self.module.var_key(n), || {
                    format!("Reference to undeclared input variable `{n}`")
                })
            }
            "module" => {
                let n = need(names, 1, "module")?;
                self.module_call(n)
            }
            "var" => {
                let n = need(names, 1, "var")?;
                v.vars.get(n).map(|x| (x.clone(), 2)).ok_or_else(|| {
                    let mut e =
                        ResolveError::new(format!("Reference to undeclared input variable `{n}`"));
                    e.help = suggest(n, v.vars.keys().map(String::as_str))
                        .map(|s| format!("did you mean `var.{s}`?"));
                    e
                })
            }
            "local" => {
                let n = need(names, 1, "local")?;
                self.named(&self.module.local_key(n), || {
                    format!("Reference to undeclared local value `{n}`")
                })
            }
            "count" => match (need(names, 1, "count")?, self.count_index) {
                ("index", Some(i)) => Ok((Value::number(i as f64), 2)),
                _ => Err(ResolveError::new(
                    "`count.index` is only available in blocks that use `count`",
                )),
            },
            "each" => match (need(names, 1, "each")?, &self.each) {
                ("key", Some((k, _))) => Ok((Value::string(k.clone()), 2)),
                ("value", Some((_, val))) => Ok((val.clone(), 2)),
                _ => Err(ResolveError::new(
                    "`each.key` and `each.value` are only available in blocks that use `for_each`",
                )),
            },
            "path" => {
                let root = Value::string(display_dir(&v.dir));
                match need(names, 1, "path")? {
                    "root" => Ok((root, 2)),
                    "module" if self.module.prefix.is_empty() => Ok((root, 2)),
                    "module" => Ok((Value::string(display_dir(&self.module.dir)), 2)),
                    "cwd" => Ok((
                        Value::string(
                            std::env::current_dir()
                                .map(|d| display_dir(&d))
                                .unwrap_or_default(),
                        ),
                        2,
                    )),
                    other => Err(ResolveError::new(format!(
                        "Unknown attribute `path.{other}`"
                    ))),
                }
            }
            "terraform" => match need(names, 1, "terraform")? {
                "workspace" => {
                    let w = match self.config.workspace.as_str() {
                        "" => crate::state::DEFAULT_WORKSPACE,
                        w => w,
                    };
                    Ok((Value::string(w), 2))
                }
                other => Err(ResolveError::new(format!(
                    "Unknown attribute `terraform.{other}`"
                ))),
            },
            "data" => {
                let addr = format!(
                    "{}data.{}.{}",
                    self.module.prefix,
                    need(names, 1, "data")?,
                    need(names, 2, "data.TYPE")?
                );
                self.resource(&addr, 3)
            }
            root => {
                let addr = format!("{}{root}.{}", self.module.prefix, need(names, 1, root)?);
                self.resource(&addr, 2)
            }
        }
    }

    /// File functions read relative paths from the root folder in every module, as
    /// Terraform's do: modules name their own files with `${path.module}/...`.
    fn base_dir(&self) -> &Path {
        &self.values.dir
    }
}

impl EvalScope<'_> {
    /// A named value (local, module input or output) by its key: unknown while the walk has
    /// not reached it.
    fn named(
        &self,
        key: &str,
        undeclared: impl FnOnce() -> String,
    ) -> Result<(Value, usize), ResolveError> {
        match self.values.locals.get(key) {
            Some(x) => Ok((x.clone(), 2)),
            None if self.config.locals.contains_key(key) => Ok((Value::Unknown, 2)),
            None => Err(ResolveError::new(undeclared())),
        }
    }

    /// `module.NAME`: an object of the module's outputs; a list of them for `count`, a map
    /// for `for_each`.
    fn module_call(&self, name: &str) -> Result<(Value, usize), ResolveError> {
        let Some(call) = self
            .config
            .module_instances
            .get(&self.module.call_key(name))
        else {
            return Err(ResolveError::new(format!(
                "Reference to undeclared module `{name}`"
            )));
        };
        let outputs = |inst: &ModuleInstance| {
            let fields = call.outputs.iter().map(|o| {
                let v = self.values.locals.get(&inst.output_key(o));
                (o.clone(), v.cloned().unwrap_or(Value::Unknown))
            });
            Value::Object(fields.collect())
        };
        let v = match call.repetition {
            Repetition::Single => call
                .instances
                .first()
                .map_or(Value::Null, |(_, i)| outputs(i)),
            Repetition::Count => {
                Value::List(call.instances.iter().map(|(_, i)| outputs(i)).collect())
            }
            Repetition::ForEach => Value::Object(
                call.instances
                    .iter()
                    .map(|(k, i)| {
                        let key = serde_json::from_str::<String>(
                            k.trim_start_matches('[').trim_end_matches(']'),
                        )
                        .unwrap_or_default();
                        (key, outputs(i))
                    })
                    .collect(),
            ),
        };
        Ok((v, 2))
    }

    fn resource(&self, addr: &str, used: usize) -> Result<(Value, usize), ResolveError> {
        match self.values.resources.get(addr) {
            Some(i) => Ok((i.to_value(), used)),
            // Declared but not evaluated yet (excluded by -target, or the walk has not
            // reached it): its value is not known.
            None if self.config.resources.contains_key(addr) => Ok((Value::Unknown, used)),
            None => Err(ResolveError::new(format!(
                "Reference to undeclared resource `{addr}`"
            ))),
        }
    }
}

fn display_dir(p: &Path) -> String {
    let s = p.to_string_lossy();
    if s.is_empty() {
        ".".into()
    } else {
        s.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_addresses_split_at_the_resource_key_only() {
        let a = r#"module.keys["a.b[1]"].module.leaf.t.n[0]"#;
        assert_eq!(
            InstanceKey::split(a),
            (
                r#"module.keys["a.b[1]"].module.leaf.t.n"#,
                InstanceKey::Int(0)
            )
        );
        let b = r#"module.keys["x"].t.n"#;
        assert_eq!(InstanceKey::split(b), (b, InstanceKey::None));
        assert_eq!(
            InstanceKey::split(r#"t.n["k"]"#),
            ("t.n", InstanceKey::Str("k".into()))
        );
    }
}
