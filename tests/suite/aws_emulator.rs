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

/// An AWS API Gateway v1 call to the emulator (it routes by the SigV4 scope and checks no
/// signature).
async fn apigateway(emu: &keyway::emulator::Emulator, path: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("{}{path}", emu.base_url()))
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=0",
        )
        .send()
        .await
        .expect("emulator answers")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_integration_reaches_the_stage_without_triggers() {
    let emu = crate::support::emulator().await;
    let w = Work::copy_of(&root().join("examples/aws-rest-api-keys"));
    w.on(&emu, &["apply", "-auto-approve"]).ok();
    let api = w
        .on(&emu, &["state", "show", "aws_api_gateway_rest_api.items"])
        .ok()
        .stdout;
    let api_id = api
        .lines()
        .find_map(|l| {
            l.trim().strip_prefix("id").map(|r| {
                r.trim_start_matches([' ', '='])
                    .trim_matches('"')
                    .to_owned()
            })
        })
        .expect("the API's id");
    let deployments = |v: &serde_json::Value| -> Vec<String> {
        v["item"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["id"].as_str().map(str::to_owned))
            .collect()
    };
    let before = deployments(&apigateway(&emu, &format!("/restapis/{api_id}/deployments")).await);
    assert_eq!(before.len(), 1);

    // The GET integration changes (moto cannot update integrations; the emulator can).
    w.edit(
        "main.tf",
        "  uri                     = aws_lambda_function.items.invoke_arn\n",
        "  uri                     = aws_lambda_function.items.invoke_arn\n  timeout_milliseconds    = each.key == \"GET\" ? 5000 : 29000\n",
    );
    let plan = w.on(&emu, &["plan"]).ok().stdout;
    assert!(
        plan.contains("snapshot of its API: aws_api_gateway_integration.items[\"GET\"] changes"),
        "{plan}"
    );
    w.on(&emu, &["apply", "-auto-approve"]).ok();
    let after = deployments(&apigateway(&emu, &format!("/restapis/{api_id}/deployments")).await);
    assert_eq!(after.len(), 1, "the old deployment is gone: {after:?}");
    assert_ne!(after, before, "a new deployment");
    let stage = apigateway(&emu, &format!("/restapis/{api_id}/stages/prod")).await;
    assert_eq!(
        stage["deploymentId"].as_str(),
        after.first().map(String::as_str)
    );
    w.on(&emu, &["plan", "-detailed-exitcode"]).ok();
}
