//! The AWS examples on keyway's embedded emulator, as the README runs them: each applies with
//! `keyway --emulator apply -auto-approve`, every `check` block proves the traffic (tokens,
//! keys, CORS, quotas), re-plans clean and destroys to nothing; and the same folder applied
//! on moto and on the emulator ends with the same state shape (addresses and attribute
//! names), so the emulator answers what AWS's API (as moto implements it) answers.

use std::collections::BTreeMap;

use crate::support::moto::Moto;
use crate::support::{root, Work};

const EXAMPLES: [(&str, usize); 2] = [("aws-http-api", 4), ("aws-rest-api-keys", 4)];

#[test]
fn aws_examples_apply_and_prove_their_traffic_on_the_embedded_emulator() {
    for (example, checks) in EXAMPLES {
        let w = Work::copy_of(&root().join("examples").join(example));
        let apply = w.run(&["--emulator", "apply", "-auto-approve"]).ok().stdout;
        assert!(apply.contains("Apply complete!"), "{example}: {apply}");
        assert_eq!(
            apply.matches(": passed").count(),
            checks,
            "{example}: {apply}"
        );
        assert!(!apply.contains(": failed"), "{example}: {apply}");
        assert!(
            apply.contains("not to AWS."),
            "{example}: says it was the emulator"
        );
        let plan = w.run(&["--emulator", "plan", "-detailed-exitcode"]);
        assert_eq!(plan.code, 0, "{example}: {}\n{}", plan.stdout, plan.stderr);
        assert!(
            plan.stdout
                .starts_with("AWS here is keyway's embedded emulator"),
            "{}",
            plan.stdout
        );
        w.run(&["--emulator", "destroy", "-auto-approve"]).ok();
        assert_eq!(
            w.run(&["--emulator", "state", "list"]).ok().stdout,
            "",
            "{example}"
        );
    }
}

/// Each resource address with its attribute names.
fn shape(w: &Work) -> BTreeMap<String, Vec<String>> {
    let state = w.state_json();
    state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| {
            let mut names: Vec<String> = r["attributes"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            names.sort();
            (r["address"].as_str().unwrap_or_default().to_owned(), names)
        })
        .collect()
}

#[test]
fn the_same_folder_on_moto_and_on_the_emulator_ends_with_the_same_state_shape() {
    let moto = Moto::start();
    for (example, _) in EXAMPLES {
        let on_moto = Work::copy_of(&root().join("examples").join(example));
        let mut c = on_moto.command(&["apply", "-auto-approve"]);
        moto.env(&mut c);
        let out = c.output().expect("keyway");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let on_emulator = Work::copy_of(&root().join("examples").join(example));
        on_emulator
            .run(&["--emulator", "apply", "-auto-approve"])
            .ok();
        assert_eq!(shape(&on_moto), shape(&on_emulator), "{example}");
    }
}
