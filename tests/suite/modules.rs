//! Module calls through the real binary: the tutorial stack split into local modules
//! (`examples/api-gateway-modules`) applied on the emulator, re-planned clean and destroyed; a
//! resource moved into a module instance with a `moved` block and not replaced; `-target` of a
//! module; instances of a removed `for_each` key destroyed with Terraform's reason; errors
//! inside a module pointing at the module's file and the call that brought it in. Outputs and
//! planned actions equal Terraform's in `tests/equivalence/modules` (`equivalence.rs`).

use crate::support::{emulator, root, Run, Work};
use keyway::emulator::Emulator;

fn run(w: &Work, emu: &Emulator, args: &[&str]) -> Run {
    w.on(emu, args)
}

fn key_string(w: &Work, addr: &str) -> String {
    let state = w.state_json();
    state["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == addr))
        .and_then(|r| r["attributes"]["key_string"].as_str())
        .unwrap_or_else(|| panic!("{addr} in state: {state}"))
        .to_owned()
}

/// The example as it was before its keys moved into a module: one key declared at the root.
fn before_modules(example: &str) -> String {
    let cut = example.find("module \"keys\"").expect("keys module call");
    format!(
        "{}{}",
        &example[..cut],
        r#"resource "google_apikeys_key" "acme" {
  name         = "hello-acme"
  display_name = "API key hello-acme"

  restrictions {
    api_targets {
      service = module.gateway.managed_service
    }
  }
}
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn modules_example_applies_moves_a_key_into_a_module_and_destroys() {
    let emu = emulator().await;
    let w = Work::copy_of(&root().join("examples/api-gateway-modules"));
    let example = std::fs::read_to_string(w.path().join("main.tf")).expect("main.tf");

    // First the key at the root, as the folder was before it used a keys module.
    w.write("main.tf", &before_modules(&example));
    let applied = run(&w, &emu, &["apply", "-auto-approve"]).ok().stdout;
    assert!(applied.contains("Resources: 14 added"), "{applied}");
    let acme = key_string(&w, "google_apikeys_key.acme");

    // Then the keys module, with a moved block: the key is kept, globex's is created.
    let moved = format!(
        "{example}\nmoved {{\n  from = google_apikeys_key.acme\n  to   = module.keys[\"acme\"].google_apikeys_key.this\n}}\n"
    );
    w.write("main.tf", &moved);
    let plan = run(&w, &emu, &["plan"]).ok().stdout;
    assert!(
        plan.contains(
            "# google_apikeys_key.acme has moved to module.keys[\"acme\"].google_apikeys_key.this"
        ),
        "{plan}"
    );
    assert!(
        plan.contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    let applied = run(&w, &emu, &["apply", "-auto-approve"]).ok().stdout;
    assert!(
        applied.contains("Check \"acme_key_works\": passed"),
        "{applied}"
    );
    // A check block inside a module runs with the module's names.
    assert!(
        applied.contains("Check \"module.gateway.refused_without_key\": passed"),
        "{applied}"
    );
    assert_eq!(
        key_string(&w, "module.keys[\"acme\"].google_apikeys_key.this"),
        acme
    );
    let again = run(&w, &emu, &["plan", "-detailed-exitcode"])
        .code(0)
        .stdout;
    assert!(again.contains("No changes."), "{again}");

    // The module's own addresses work everywhere: state list, -target.
    let list = run(&w, &emu, &["state", "list"]).ok().stdout;
    for addr in [
        "module.backend.google_cloud_run_v2_service.this",
        "module.gateway.google_api_gateway_gateway.this",
        "module.keys[\"globex\"].google_apikeys_key.this",
    ] {
        assert!(list.lines().any(|l| l == addr), "{addr} in {list}");
    }
    let targeted = run(
        &w,
        &emu,
        &["plan", "-destroy", "-target=module.keys[\"globex\"]"],
    )
    .ok()
    .stdout;
    assert!(
        targeted.contains("Plan: 0 to add, 0 to change, 1 to destroy."),
        "{targeted}"
    );

    // `keyway import` and `import` blocks take module addresses.
    let globex = "module.keys[\"globex\"].google_apikeys_key.this";
    run(&w, &emu, &["state", "rm", globex]).ok();
    run(
        &w,
        &emu,
        &[
            "import",
            globex,
            "projects/keyway-demo/locations/global/keys/hello-globex",
        ],
    )
    .ok();
    run(
        &w,
        &emu,
        &["state", "rm", "module.gateway.google_api_gateway_api.this"],
    )
    .ok();
    let main = std::fs::read_to_string(w.path().join("main.tf")).expect("main.tf");
    w.write(
        "main.tf",
        &format!("{main}\nimport {{\n  to = module.gateway.google_api_gateway_api.this\n  id = \"projects/keyway-demo/locations/global/apis/hello-api\"\n}}\n"),
    );
    let plan = run(&w, &emu, &["plan"]).ok().stdout;
    assert!(
        plan.contains("# module.gateway.google_api_gateway_api.this will be imported")
            && plan.contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    run(&w, &emu, &["apply", "-auto-approve"]).ok();
    run(&w, &emu, &["plan", "-detailed-exitcode"]).code(0);

    let destroyed = run(&w, &emu, &["destroy", "-auto-approve"]).ok().stdout;
    assert!(
        destroyed.contains("Destroy complete! Resources: 15 destroyed."),
        "{destroyed}"
    );
    assert_eq!(run(&w, &emu, &["state", "list"]).ok().stdout, "");
}

#[test]
fn a_removed_for_each_key_destroys_its_module_instance_with_terraforms_reason() {
    let w = Work::copy_of(&root().join("tests/equivalence/modules"));
    w.run(&["apply", "-auto-approve"]).ok();
    let plan = w.run(&["plan", "-var", "names=[\"acme\"]"]).ok().stdout;
    assert!(
        plan.contains(
            "# module.keys[\"globex\"].terraform_data.this will be destroyed\n  # (because module.keys[\"globex\"] is not in configuration)"
        ),
        "{plan}"
    );
    assert!(
        plan.contains("0 to add, 0 to change, 2 to destroy"),
        "{plan}"
    );
    // Targeting another module leaves the removed instance alone.
    let only_app = w.run(&["plan", "-target=module.app", "-var", "names=[\"acme\"]"]);
    assert!(!only_app.ok().stdout.contains("will be destroyed"));
}

#[test]
fn errors_inside_a_module_name_its_file_and_the_call() {
    let w = Work::new(
        r#"
module "a" {
  source = "./mod"
  nmae   = "x"
}
"#,
    );
    std::fs::create_dir(w.path().join("mod")).expect("mkdir");
    w.write(
        "mod/main.tf",
        "variable \"name\" {}\n\nresource \"terraform_data\" \"t\" {\n  input = var.nme\n}\n",
    );
    let out = w.run(&["validate", "-no-color"]).code(1).stderr;
    for want in [
        "Reference to undeclared input variable `nme`",
        "mod/main.tf:4:11",
        "in module `module.a`, called at main.tf line 2",
        "Unsupported argument `nmae` for module `a`",
        "Missing required argument: module `a` needs `name`",
    ] {
        assert!(out.contains(want), "{want} in:\n{out}");
    }
}

/// The same stack with its gateway module from a git repository (`//subdir?ref=`) and its key
/// module from a registry served on 127.0.0.1 (version constraint `~> 1.0`).
#[tokio::test(flavor = "multi_thread")]
async fn modules_example_applies_with_git_and_registry_sources() {
    use crate::module_sources::{git, registry};
    let emu = emulator().await;
    let w = Work::copy_of(&root().join("examples/api-gateway-modules"));
    let repo = tempfile::tempdir().expect("temp");
    let modules = root().join("examples/api-gateway-modules/modules");
    git(repo.path(), &["init", "-q"]);
    for m in ["gateway", "key"] {
        let to = repo.path().join("modules").join(m);
        std::fs::create_dir_all(&to).expect("mkdir");
        for f in std::fs::read_dir(modules.join(m))
            .expect("module")
            .flatten()
        {
            std::fs::copy(f.path(), to.join(f.file_name())).expect("copy");
        }
    }
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "modules"]);
    for tag in ["v1.0.0", "v1.1.0", "v2.0.0"] {
        git(repo.path(), &["tag", tag]);
    }
    let (host, server) = registry(repo.path(), "key", "key");
    w.edit(
        "main.tf",
        "source          = \"./modules/gateway\"",
        &format!(
            "source          = \"git::file://{}//modules/gateway?ref=v1.0.0\"",
            repo.path().display()
        ),
    );
    w.edit(
        "main.tf",
        "source   = \"./modules/key\"",
        &format!("source   = \"{host}/acme/key/google\"\n  version  = \"~> 1.0\""),
    );
    let init = run(&w, &emu, &["init"]).ok().stdout;
    assert!(
        init.contains("- gateway: downloaded git::file://"),
        "{init}"
    );
    assert!(init.contains("/acme/key/google 1.1.0"), "{init}");
    server.join().expect("registry");
    let applied = run(&w, &emu, &["apply", "-auto-approve"]).ok().stdout;
    assert!(applied.contains("Resources: 15 added"), "{applied}");
    assert!(
        applied.contains("Check \"acme_key_works\": passed"),
        "{applied}"
    );
    run(&w, &emu, &["plan", "-detailed-exitcode"]).code(0);
    let destroyed = run(&w, &emu, &["destroy", "-auto-approve"]).ok().stdout;
    assert!(
        destroyed.contains("Resources: 15 destroyed."),
        "{destroyed}"
    );
}

#[test]
fn a_module_calling_itself_is_an_error_not_an_endless_load() {
    let w = Work::new("module \"a\" {\n  source = \"./m\"\n}\n");
    std::fs::create_dir(w.path().join("m")).expect("mkdir");
    w.write(
        "m/main.tf",
        "module \"again\" {\n  source = \"./\"\n}\nmodule \"twice\" {\n  source = \"../m\"\n}\n",
    );
    let out = w.run(&["validate", "-no-color"]).code(1).stderr;
    assert!(
        out.contains("Module `module.a.again` calls the folder `m`, which is already calling it"),
        "{out}"
    );
    assert!(out.contains("module.a.twice"), "{out}");
}

/// Locals a module's `count` reads that refer to each other are an error, found at once (each
/// named value is evaluated once), not an evaluation that doubles with every step.
#[test]
fn a_module_count_read_from_cyclic_locals_is_an_error() {
    let w = Work::new(
        "locals {\n  a = [local.b, local.b]\n  b = [local.a, local.a]\n}\n\nmodule \"m\" {\n  source = \"./m\"\n  count  = length(local.a)\n}\n",
    );
    std::fs::create_dir(w.path().join("m")).expect("mkdir");
    w.write("m/main.tf", "output \"x\" {\n  value = 1\n}\n");
    let out = w.run(&["plan", "-no-color"]).code(1).stderr;
    assert!(out.contains("refers to itself"), "{out}");
}

/// `-replace` and `state mv` take module instance addresses.
#[test]
fn replace_and_state_mv_take_module_addresses() {
    let w = Work::copy_of(&root().join("tests/equivalence/modules"));
    w.run(&["apply", "-auto-approve"]).ok();
    let plan = w
        .run(&["plan", "-replace=module.keys[\"acme\"].terraform_data.this"])
        .ok()
        .stdout;
    assert!(
        plan.contains("# module.keys[\"acme\"].terraform_data.this must be replaced"),
        "{plan}"
    );
    w.run(&[
        "state",
        "mv",
        "module.app.terraform_data.this",
        "module.renamed.terraform_data.this",
    ])
    .ok();
    let list = w.run(&["state", "list"]).ok().stdout;
    assert!(
        list.lines()
            .any(|l| l == "module.renamed.terraform_data.this"),
        "{list}"
    );
    // The configuration still calls it `app`: the moved object is planned away, a new one in.
    let plan = w.run(&["plan"]).ok().stdout;
    assert!(
        plan.contains("# module.renamed.terraform_data.this will be destroyed")
            && plan.contains("# module.app.terraform_data.this will be created"),
        "{plan}"
    );
}

/// `show -json` describes modules as Terraform does: module resources nested under
/// `child_modules` (no `module_address` there), `module_address` on their
/// `resource_changes`, and each call under `configuration.root_module.module_calls` with its
/// folder's configuration.
#[test]
fn show_json_nests_modules_as_terraform_does() {
    let w = Work::copy_of(&root().join("tests/equivalence/modules"));
    w.run(&["apply", "-auto-approve"]).ok();
    let state: serde_json::Value =
        serde_json::from_str(&w.run(&["show", "-json"]).ok().stdout).expect("json");
    let root_module = &state["values"]["root_module"];
    assert_eq!(
        root_module["resources"][0]["address"],
        "terraform_data.root"
    );
    let app = &root_module["child_modules"][0];
    assert_eq!(app["address"], "module.app");
    assert_eq!(app["resources"][0]["type"], "terraform_data");
    assert_eq!(app["resources"][0]["name"], "this");
    assert!(app["resources"][0].get("module_address").is_none());
    assert_eq!(app["child_modules"][0]["address"], "module.app.module.leaf");

    w.run(&["plan", "-var-file=change.tfvars", "-out=p.plan"])
        .ok();
    let plan: serde_json::Value =
        serde_json::from_str(&w.run(&["show", "-json", "p.plan"]).ok().stdout).expect("json");
    let gone = plan["resource_changes"]
        .as_array()
        .and_then(|cs| {
            cs.iter()
                .find(|c| c["address"] == "module.keys[\"globex\"].terraform_data.this")
        })
        .expect("change");
    assert_eq!(gone["module_address"], "module.keys[\"globex\"]");
    let calls = &plan["configuration"]["root_module"]["module_calls"];
    assert_eq!(calls["keys"]["source"], "./modules/app");
    assert!(calls["keys"].get("for_each_expression").is_some());
    assert_eq!(
        calls["app"]["module"]["resources"][0]["address"],
        "terraform_data.this"
    );
    assert_eq!(
        calls["app"]["module"]["module_calls"]["leaf"]["source"],
        "./modules/leaf"
    );
}
