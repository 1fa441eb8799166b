//! IAM policies as Lambda folders write them (`tests/real_world_aws/lambda-iam-policies`), on
//! moto: a customer managed policy attached to the role and an inline role policy apply,
//! re-plan clean (the policy's attachment count, which the attachment moves, is no drift),
//! change in place (the managed policy through new default versions, past IAM's limit of
//! five), import in the Terraform provider's ID formats, and destroy to nothing; and the
//! same on keyway's emulator.

use crate::aws_moto::{plan_is_clean, python, run};
use crate::support::moto::Moto;
use crate::support::{root, Work};

/// Customer policies with their version count, and the role's inline policies.
fn iam(moto: &Moto) -> String {
    python(
        moto,
        "iam = boto3.client('iam', region_name='us-east-1')\n\
         pols = iam.list_policies(Scope='Local')['Policies']\n\
         vers = [len(iam.list_policy_versions(PolicyArn=p['Arn'])['Versions']) for p in pols]\n\
         roles = [r['RoleName'] for r in iam.list_roles()['Roles']]\n\
         inline = sum(len(iam.list_role_policies(RoleName=r)['PolicyNames']) for r in roles)\n\
         print(f'policies={len(pols)} versions={vers} inline={inline}', end='')\n",
    )
}

#[test]
fn managed_and_inline_policies_apply_change_import_and_destroy_on_moto() {
    let moto = Moto::start();
    let w = Work::copy_of(&root().join("tests/real_world_aws/lambda-iam-policies"));
    let apply = run(&moto, &w, &["apply", "-auto-approve"]).ok();
    assert!(
        apply.stdout.contains("Resources: 4 added"),
        "{}",
        apply.stdout
    );
    plan_is_clean(&moto, &w);
    assert!(!run(&moto, &w, &["plan"])
        .ok()
        .stdout
        .contains("changed outside"));
    assert_eq!(iam(&moto), "policies=1 versions=[1] inline=1");

    // Six new documents: each a new default version, the oldest dropped past five.
    for i in 0..6 {
        w.edit(
            "main.tf",
            "resources = [\"arn:aws:logs:*:*:*\"]",
            &format!("resources = [\"arn:aws:logs:*:*:log-group:/aws/lambda/orders-{i}\"]"),
        );
        let plan = run(&moto, &w, &["plan"]).ok();
        assert!(
            plan.stdout
                .contains("# aws_iam_policy.lambda_logging will be updated in-place"),
            "{}",
            plan.stdout
        );
        run(&moto, &w, &["apply", "-auto-approve"]).ok();
        plan_is_clean(&moto, &w);
        w.edit(
            "main.tf",
            &format!("resources = [\"arn:aws:logs:*:*:log-group:/aws/lambda/orders-{i}\"]"),
            "resources = [\"arn:aws:logs:*:*:*\"]",
        );
        run(&moto, &w, &["apply", "-auto-approve"]).ok();
    }
    assert_eq!(iam(&moto), "policies=1 versions=[5] inline=1");

    // The inline policy changes in place.
    run(
        &moto,
        &w,
        &[
            "apply",
            "-auto-approve",
            "-var",
            "table_actions=[\"dynamodb:GetItem\"]",
        ],
    )
    .ok();
    let plan = run(
        &moto,
        &w,
        &["plan", "-var", "table_actions=[\"dynamodb:GetItem\"]"],
    )
    .ok();
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);

    // Import by Terraform's IDs: the policy's ARN, `{role}:{name}`.
    let arn = run(&moto, &w, &["output", "-raw", "logging_policy_arn"])
        .ok()
        .stdout;
    for addr in [
        "aws_iam_policy.lambda_logging",
        "aws_iam_role_policy.table_read",
    ] {
        run(&moto, &w, &["state", "rm", addr]).ok();
    }
    run(
        &moto,
        &w,
        &["import", "aws_iam_policy.lambda_logging", &arn],
    )
    .ok();
    run(
        &moto,
        &w,
        &[
            "import",
            "aws_iam_role_policy.table_read",
            "orders-lambda:orders-table-read",
        ],
    )
    .ok();
    let plan = run(
        &moto,
        &w,
        &["plan", "-var", "table_actions=[\"dynamodb:GetItem\"]"],
    )
    .ok();
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);

    run(&moto, &w, &["destroy", "-auto-approve"]).ok();
    assert_eq!(iam(&moto), "policies=0 versions=[] inline=0");
}

#[test]
fn managed_and_inline_policies_apply_change_and_destroy_on_the_emulator() {
    let w = Work::copy_of(&root().join("tests/real_world_aws/lambda-iam-policies"));
    let apply = w.run(&["--emulator", "apply", "-auto-approve"]).ok();
    assert!(
        apply.stdout.contains("Resources: 4 added"),
        "{}",
        apply.stdout
    );
    for i in 0..6 {
        w.edit(
            "main.tf",
            "resources = [\"arn:aws:logs:*:*:*\"]",
            &format!("resources = [\"arn:aws:logs:*:*:log-group:{i}\"]"),
        );
        w.run(&["--emulator", "apply", "-auto-approve"]).ok();
        w.edit(
            "main.tf",
            &format!("resources = [\"arn:aws:logs:*:*:log-group:{i}\"]"),
            "resources = [\"arn:aws:logs:*:*:*\"]",
        );
    }
    w.run(&["--emulator", "apply", "-auto-approve"]).ok();
    let plan = w.run(&["--emulator", "plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(!plan.stdout.contains("changed outside"), "{}", plan.stdout);
    w.run(&["--emulator", "destroy", "-auto-approve"]).ok();
    assert_eq!(w.run(&["--emulator", "state", "list"]).ok().stdout, "");
}
