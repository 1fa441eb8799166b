//! Cloud Run v2 `Service` as this emulator accepts it on input: field lists per message (from
//! the run.v2 discovery document), enum numbers for `enum-encoding=int`, and which fields are
//! the caller's desired state.

use crate::emulator::schema::{Field, Ty, STRS};

pub const INGRESS: &[(&str, i64)] = &[
    ("INGRESS_TRAFFIC_UNSPECIFIED", 0),
    ("INGRESS_TRAFFIC_ALL", 1),
    ("INGRESS_TRAFFIC_INTERNAL_ONLY", 2),
    ("INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER", 3),
    ("INGRESS_TRAFFIC_NONE", 4),
];
pub const LAUNCH_STAGE: &[(&str, i64)] = &[
    ("LAUNCH_STAGE_UNSPECIFIED", 0),
    ("UNIMPLEMENTED", 6),
    ("PRELAUNCH", 7),
    ("EARLY_ACCESS", 1),
    ("ALPHA", 2),
    ("BETA", 3),
    ("GA", 4),
    ("DEPRECATED", 5),
];
pub const EXEC_ENV: &[(&str, i64)] = &[
    ("EXECUTION_ENVIRONMENT_UNSPECIFIED", 0),
    ("EXECUTION_ENVIRONMENT_GEN1", 1),
    ("EXECUTION_ENVIRONMENT_GEN2", 2),
];
pub const REVOCATION: &[(&str, i64)] = &[
    ("ENCRYPTION_KEY_REVOCATION_ACTION_UNSPECIFIED", 0),
    ("PREVENT_NEW", 1),
    ("SHUTDOWN", 2),
];
pub const ALLOCATION: &[(&str, i64)] = &[
    ("TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED", 0),
    ("TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", 1),
    ("TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", 2),
];
pub const SCALING_MODE: &[(&str, i64)] = &[
    ("SCALING_MODE_UNSPECIFIED", 0),
    ("AUTOMATIC", 1),
    ("MANUAL", 2),
];
pub const EGRESS: &[(&str, i64)] = &[
    ("VPC_EGRESS_UNSPECIFIED", 0),
    ("ALL_TRAFFIC", 1),
    ("PRIVATE_RANGES_ONLY", 2),
];

pub const ENV: &[Field] = &[
    Field("name", Ty::Str),
    Field("value", Ty::Str),
    Field("valueSource", Ty::Any),
];
pub const PORT: &[Field] = &[Field("containerPort", Ty::Num), Field("name", Ty::Str)];
pub const RESOURCES: &[Field] = &[
    Field("limits", Ty::StrMap),
    Field("cpuIdle", Ty::Bool),
    Field("startupCpuBoost", Ty::Bool),
];
pub const CONTAINER: &[Field] = &[
    Field("name", Ty::Str),
    Field("image", Ty::Str),
    Field("command", STRS),
    Field("args", STRS),
    Field("env", Ty::List(&Ty::Obj(ENV))),
    Field("resources", Ty::Obj(RESOURCES)),
    Field("ports", Ty::List(&Ty::Obj(PORT))),
    Field("volumeMounts", Ty::Any),
    Field("workingDir", Ty::Str),
    Field("livenessProbe", Ty::Any),
    Field("startupProbe", Ty::Any),
    Field("readinessProbe", Ty::Any),
    Field("dependsOn", STRS),
    Field("baseImageUri", Ty::Str),
    Field("buildInfo", Ty::Any),
    Field("buildConfig", Ty::Any),
    Field("sourceCode", Ty::Any),
    Field("sandboxLauncher", Ty::Bool),
];
pub const REV_SCALING: &[Field] = &[
    Field("minInstanceCount", Ty::Num),
    Field("maxInstanceCount", Ty::Num),
    Field("cpuUtilization", Ty::Num),
    Field("concurrencyUtilization", Ty::Num),
];
pub const VPC: &[Field] = &[
    Field("connector", Ty::Str),
    Field("egress", Ty::Enum(EGRESS)),
    Field("networkInterfaces", Ty::Any),
];
pub const TEMPLATE: &[Field] = &[
    Field("revision", Ty::Str),
    Field("labels", Ty::StrMap),
    Field("annotations", Ty::StrMap),
    Field("scaling", Ty::Obj(REV_SCALING)),
    Field("vpcAccess", Ty::Obj(VPC)),
    Field("timeout", Ty::Str),
    Field("serviceAccount", Ty::Str),
    Field("containers", Ty::List(&Ty::Obj(CONTAINER))),
    Field("volumes", Ty::Any),
    Field("executionEnvironment", Ty::Enum(EXEC_ENV)),
    Field("encryptionKey", Ty::Str),
    Field("encryptionKeyRevocationAction", Ty::Enum(REVOCATION)),
    Field("encryptionKeyShutdownDuration", Ty::Str),
    Field("maxInstanceRequestConcurrency", Ty::Num),
    Field("sessionAffinity", Ty::Bool),
    Field("healthCheckDisabled", Ty::Bool),
    Field("serviceMesh", Ty::Any),
    Field("nodeSelector", Ty::Any),
    Field("gpuZonalRedundancyDisabled", Ty::Bool),
    Field("client", Ty::Str),
    Field("clientVersion", Ty::Str),
    Field("ambientNetworking", Ty::Any),
    Field("sandboxes", Ty::Any),
    Field("workloadIdentityConfig", Ty::Any),
];
pub const TRAFFIC: &[Field] = &[
    Field("type", Ty::Enum(ALLOCATION)),
    Field("revision", Ty::Str),
    Field("percent", Ty::Num),
    Field("tag", Ty::Str),
];
pub const SVC_SCALING: &[Field] = &[
    Field("minInstanceCount", Ty::Num),
    Field("maxInstanceCount", Ty::Num),
    Field("manualInstanceCount", Ty::Num),
    Field("scalingMode", Ty::Enum(SCALING_MODE)),
];
pub const SVC: &[Field] = &[
    Field("name", Ty::Str),
    Field("description", Ty::Str),
    Field("uid", Ty::Str),
    Field("generation", Ty::Int64),
    Field("labels", Ty::StrMap),
    Field("annotations", Ty::StrMap),
    Field("createTime", Ty::Str),
    Field("updateTime", Ty::Str),
    Field("deleteTime", Ty::Str),
    Field("expireTime", Ty::Str),
    Field("creator", Ty::Str),
    Field("lastModifier", Ty::Str),
    Field("client", Ty::Str),
    Field("clientVersion", Ty::Str),
    Field("ingress", Ty::Enum(INGRESS)),
    Field("launchStage", Ty::Enum(LAUNCH_STAGE)),
    Field("binaryAuthorization", Ty::Any),
    Field("template", Ty::Obj(TEMPLATE)),
    Field("traffic", Ty::List(&Ty::Obj(TRAFFIC))),
    Field("scaling", Ty::Obj(SVC_SCALING)),
    Field("invokerIamDisabled", Ty::Bool),
    Field("defaultUriDisabled", Ty::Bool),
    Field("urls", STRS),
    Field("customAudiences", STRS),
    Field("observedGeneration", Ty::Int64),
    Field("terminalCondition", Ty::Any),
    Field("conditions", Ty::Any),
    Field("latestReadyRevision", Ty::Str),
    Field("latestCreatedRevision", Ty::Str),
    Field("trafficStatuses", Ty::Any),
    Field("uri", Ty::Str),
    Field("satisfiesPzs", Ty::Bool),
    Field("reconciling", Ty::Bool),
    Field("etag", Ty::Str),
    Field("iapEnabled", Ty::Bool),
    Field("sshEnabled", Ty::Bool),
    Field("functionalType", Ty::Str),
    Field("multiRegionSettings", Ty::Any),
    Field("buildConfig", Ty::Any),
    Field("threatDetectionEnabled", Ty::Bool),
];
/// Fields the caller owns (the desired state); everything else is output only.
pub const SPEC: &[&str] = &[
    "description",
    "labels",
    "annotations",
    "client",
    "clientVersion",
    "ingress",
    "launchStage",
    "binaryAuthorization",
    "template",
    "traffic",
    "scaling",
    "invokerIamDisabled",
    "defaultUriDisabled",
    "customAudiences",
    "iapEnabled",
    "sshEnabled",
    "functionalType",
    "multiRegionSettings",
    "buildConfig",
];
pub const RESERVED_PREFIXES: &[&str] = &[
    "run.googleapis.com",
    "cloud.googleapis.com",
    "serving.knative.dev",
    "autoscaling.knative.dev",
];
pub const CALLER: &str = "emulator-user@keyway.invalid";
