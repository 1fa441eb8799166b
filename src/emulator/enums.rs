//! Integer encoding of enums in responses: Google's GAPIC clients ask with
//! `$alt=json;enum-encoding=int`, and the server then writes enum values as numbers. Each API
//! lists, per field name, the enum values its responses use (numbers checked against the protos
//! the Python clients ship). A string is rewritten only when it is one of that field's names, so
//! a same-named plain string field (a Run condition's `type: "Ready"`) stays as it is.

use serde_json::Value;

type Table = &'static [(&'static str, &'static [(&'static str, i64)])];

const SERVICE_USAGE: Table = &[(
    "state",
    &[("STATE_UNSPECIFIED", 0), ("DISABLED", 1), ("ENABLED", 2)],
)];

const CONDITION_STATE: &[(&str, i64)] = &[
    ("STATE_UNSPECIFIED", 0),
    ("CONDITION_PENDING", 1),
    ("CONDITION_RECONCILING", 2),
    ("CONDITION_FAILED", 3),
    ("CONDITION_SUCCEEDED", 4),
];

const RUN: Table = &[
    (
        "ingress",
        &[
            ("INGRESS_TRAFFIC_UNSPECIFIED", 0),
            ("INGRESS_TRAFFIC_ALL", 1),
            ("INGRESS_TRAFFIC_INTERNAL_ONLY", 2),
            ("INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER", 3),
            ("INGRESS_TRAFFIC_NONE", 4),
        ],
    ),
    (
        "launchStage",
        &[
            ("LAUNCH_STAGE_UNSPECIFIED", 0),
            ("EARLY_ACCESS", 1),
            ("ALPHA", 2),
            ("BETA", 3),
            ("GA", 4),
            ("DEPRECATED", 5),
            ("UNIMPLEMENTED", 6),
            ("PRELAUNCH", 7),
        ],
    ),
    (
        "executionEnvironment",
        &[
            ("EXECUTION_ENVIRONMENT_UNSPECIFIED", 0),
            ("EXECUTION_ENVIRONMENT_GEN1", 1),
            ("EXECUTION_ENVIRONMENT_GEN2", 2),
        ],
    ),
    (
        "encryptionKeyRevocationAction",
        &[
            ("ENCRYPTION_KEY_REVOCATION_ACTION_UNSPECIFIED", 0),
            ("PREVENT_NEW", 1),
            ("SHUTDOWN", 2),
        ],
    ),
    (
        "type",
        &[
            ("TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED", 0),
            ("TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", 1),
            ("TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", 2),
        ],
    ),
    (
        "scalingMode",
        &[
            ("SCALING_MODE_UNSPECIFIED", 0),
            ("AUTOMATIC", 1),
            ("MANUAL", 2),
        ],
    ),
    (
        "egress",
        &[
            ("VPC_EGRESS_UNSPECIFIED", 0),
            ("ALL_TRAFFIC", 1),
            ("PRIVATE_RANGES_ONLY", 2),
        ],
    ),
    ("state", CONDITION_STATE),
    (
        "severity",
        &[
            ("SEVERITY_UNSPECIFIED", 0),
            ("ERROR", 1),
            ("WARNING", 2),
            ("INFO", 3),
        ],
    ),
];

const API_GATEWAY: Table = &[
    (
        "state",
        &[
            ("STATE_UNSPECIFIED", 0),
            ("CREATING", 1),
            ("ACTIVE", 2),
            ("FAILED", 3),
            ("DELETING", 4),
            ("UPDATING", 5),
            ("ACTIVATING", 6),
        ],
    ),
    (
        "streamingMode",
        &[
            ("STREAMING_MODE_UNSPECIFIED", 0),
            ("STREAMING_MODE_ENABLED", 1),
        ],
    ),
    (
        "effectiveStreamingMode",
        &[
            ("EFFECTIVE_STREAMING_MODE_UNSPECIFIED", 0),
            ("EFFECTIVE_STREAMING_MODE_DISABLED", 1),
            ("EFFECTIVE_STREAMING_MODE_ENABLED", 2),
        ],
    ),
];

/// Whether the call asked for integer enums (`$alt=json;enum-encoding=int`).
pub fn wants_ints(query: &[(String, String)]) -> bool {
    query
        .iter()
        .any(|(k, v)| k == "$alt" && v.split(';').any(|p| p.trim() == "enum-encoding=int"))
}

/// Rewrites enum names to numbers in a response of the API that `method` belongs to.
pub fn encode(method: &str, v: &mut Value) {
    let table = match method.split('.').next().unwrap_or_default() {
        "serviceusage" => SERVICE_USAGE,
        "run" => RUN,
        "apigateway" => API_GATEWAY,
        // API Keys responses carry no enums; IAM and Resource Manager are driven through
        // discovery clients, which never ask for integers.
        _ => return,
    };
    walk(table, v);
}

fn walk(table: Table, v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if let Value::String(s) = val {
                    let hit = table
                        .iter()
                        .find(|(field, _)| field == k)
                        .and_then(|(_, values)| values.iter().find(|(name, _)| name == s));
                    if let Some((_, n)) = hit {
                        *val = Value::from(*n);
                    }
                } else {
                    walk(table, val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| walk(table, i)),
        _ => {}
    }
}
