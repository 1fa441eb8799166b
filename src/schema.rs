//! Resource semantics as data: each resource type's attributes (required, optional, computed,
//! forces replacement, sensitive, server-defaulted), loaded from `schemas/resources/**`.
//!
//! The planner derives update-vs-replace and "known after apply" from these schemas alone.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// One resource type's schema.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSchema {
    /// Type name, e.g. `terraform_data`.
    #[serde(rename = "type")]
    pub ty: String,
    /// Provider name (`builtin`, `google`, `http`).
    pub provider: String,
    /// What it is, for `--help`-style listings.
    #[serde(default)]
    pub description: String,
    /// True for data sources.
    #[serde(default)]
    pub data_source: bool,
    /// Replacements create the new object before deleting the old one, as if the user had
    /// written `lifecycle { create_before_destroy = true }`: for objects that dependents must
    /// be switched to while the old one still serves (API Gateway configs).
    #[serde(default)]
    pub create_before_destroy: bool,
    /// The Google API this type's calls go to (`iam.googleapis.com`): a
    /// `google_project_service` of the same configuration that enables it is applied first,
    /// without a `depends_on` (`config::enablement`).
    #[serde(default)]
    pub service: Option<String>,
    /// Groups of arguments (or block types) of which exactly one must be set (`local_file`'s
    /// content arguments), checked at plan time with the configuration's values.
    #[serde(default)]
    pub exactly_one_of: Vec<Vec<String>>,
    /// Groups of arguments of which at least one must be set (`time_offset`'s offsets).
    #[serde(default)]
    pub at_least_one_of: Vec<Vec<String>>,
    /// Top-level attributes.
    #[serde(default)]
    pub attributes: BTreeMap<String, Attribute>,
    /// Nested block types.
    #[serde(default)]
    pub blocks: BTreeMap<String, BlockSchema>,
    /// How the generic Google resource calls the API (generated types only).
    #[serde(default)]
    pub api: Option<ApiBinding>,
    /// How the generic Google IAM resource edits the policy (generated IAM types only).
    #[serde(default)]
    pub iam: Option<IamBinding>,
    /// How the generic AWS resource calls a REST-JSON API (`schemas/aws/`).
    #[serde(default)]
    pub aws: Option<AwsBinding>,
    /// Arguments whose references must name parts of the same API (`config::api_parts`).
    #[serde(default)]
    pub same_api: Option<SameApi>,
    /// The object is a snapshot of others (a REST API's deployment): `config::snapshots`.
    #[serde(default)]
    pub snapshot: Option<SnapshotRule>,
}

/// A part of an API whose references must stay inside it: the blocks `arguments` reference
/// must name the same API through their own `of` argument (or be that API).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SameApi {
    /// The argument naming the API (`rest_api_id`, `api_id`).
    pub of: String,
    /// The API's type (`aws_api_gateway_rest_api`).
    pub api: String,
    /// The arguments referencing other parts (`resource_id`, `target`).
    pub arguments: Vec<String>,
}

/// What a snapshotting type covers: every block of the `parts` types whose `of` argument
/// names the same object as its own.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRule {
    /// The argument naming the snapshotted object (`rest_api_id`).
    pub of: String,
    /// The part types (`aws_api_gateway_method`, ...).
    pub parts: Vec<String>,
    /// Arguments of the snapshotted object itself that are part of its content (a REST
    /// API's OpenAPI `body`).
    #[serde(default)]
    pub own: Vec<String>,
}

impl ResourceSchema {
    /// True for a generated type whose API cannot delete its objects (no `delete` in its
    /// `api`, an IAP brand): destroy removes it from state only.
    pub fn destroy_only_forgets(&self) -> bool {
        self.api.as_ref().is_some_and(|a| a.delete.is_none())
    }
}

/// An attribute's semantics.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    /// Must be set in configuration.
    #[serde(default)]
    pub required: bool,
    /// May be set in configuration.
    #[serde(default)]
    pub optional: bool,
    /// Set by the provider. With `optional`, the server fills a default when unset, and that
    /// default must not show as drift.
    #[serde(default)]
    pub computed: bool,
    /// A change replaces the resource.
    #[serde(default)]
    pub forces_replacement: bool,
    /// The smallest number allowed (checked at plan time when the value is known).
    #[serde(default)]
    pub min: Option<f64>,
    /// The only strings allowed (checked at plan time when the value is known).
    #[serde(default)]
    pub one_of: Vec<String>,
    /// The largest number allowed (CORS `max_age`: 86400).
    #[serde(default)]
    pub max: Option<f64>,
    /// A regular expression a string must match (an HTTP API's route key), checked at plan
    /// time; `pattern_means` says in words what it allows.
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub pattern_means: Option<String>,
    /// Never shown in clear.
    #[serde(default)]
    pub sensitive: bool,
    /// A computed attribute that becomes sensitive when any of these arguments carries a
    /// sensitive mark: a response that may echo a secret sent in the request (`data "http"`
    /// with an API key in its URL) must not show it in clear.
    #[serde(default)]
    pub sensitive_with: Vec<String>,
    /// The value an unset optional argument takes, as the provider documents it (JSON): the
    /// plan shows it, and a prior object holding it is not drift.
    #[serde(default)]
    pub default: Option<serde_json::Value>,
    /// A computed attribute that changes whenever the resource is updated (unknown in the
    /// plan of an update).
    #[serde(default)]
    pub recomputed_on_update: bool,
    /// Documentation.
    #[serde(default)]
    pub description: String,
    /// Value type on the wire (generated types): `string`, `int64` (a decimal string on the
    /// wire), `integer`, `number`, `bool`, `list(string)`, `list(number)`, `map(string)`,
    /// `json`, `json_string` (a JSON string in configuration, an object on the wire);
    /// `dynamic` for any-typed values (`terraform_data`'s `input`).
    #[serde(default, rename = "type")]
    pub ty: Option<String>,
    /// The field's dotted path in request and response bodies; none: not in the body (a path
    /// parameter, or an argument only keyway holds).
    #[serde(default)]
    pub wire: Option<String>,
    /// `base64`: the wire holds the base64 of the attribute's text.
    #[serde(default)]
    pub encoding: Option<String>,
    /// Sent, never returned by reads: kept from the configuration and prior state.
    #[serde(default)]
    pub write_only: bool,
    /// Names another object by self link, relative path or name (Compute's `network`):
    /// two spellings of the same object are the same value.
    #[serde(default)]
    pub resource_link: bool,
    /// Compared without regard to case (a bucket's `location`: Google answers in capitals
    /// whatever the configuration wrote).
    #[serde(default)]
    pub case_insensitive: bool,
    /// Holds a JSON document (an IAM policy): two spellings of the same document are the same
    /// value, so a `jsonencode` policy never shows as drift against AWS's normalised copy.
    #[serde(default)]
    pub json: bool,
    /// Returned by the create answer only (a service account key's private key): reads,
    /// which leave it out, keep it from prior state.
    #[serde(default)]
    pub create_only: bool,
    /// Fills a placeholder of the object's name: reads set it from the name the API returns.
    #[serde(default)]
    pub name_part: bool,
    /// A short name (no `/`) is sent as this full-name template (`{}` is the value), as
    /// Terraform accepts `topic = "t"` for `projects/p/topics/t`; reads keep the short form.
    #[serde(default)]
    pub expand: Option<String>,
    /// A computed attribute Terraform derives from others by a template (a bucket's `url`,
    /// `gs://{name}`): filled whenever the object is read.
    #[serde(default)]
    pub format: Option<String>,
    /// Set by the document another argument holds (a REST API's `description` by its OpenAPI
    /// `body`): left out of the configuration while that argument is set, the value the
    /// document gave is kept, as for a computed attribute; configured, it wins.
    #[serde(default)]
    pub filled_by: Option<String>,
    /// The create call does not take it (a REST API stage's `clientCertificateId`): left out
    /// of the create and set by an update right after it.
    #[serde(default)]
    pub after_create: bool,
    /// A count other objects move (a policy's `attachment_count`): a refresh that changes
    /// only counters records them without reporting a change made outside keyway.
    #[serde(default)]
    pub counter: bool,
}

/// A nested block type.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockSchema {
    /// At most this many blocks (1 for single blocks).
    #[serde(default)]
    pub max_items: Option<usize>,
    /// At least this many.
    #[serde(default)]
    pub min_items: usize,
    /// A change inside replaces the resource.
    #[serde(default)]
    pub forces_replacement: bool,
    /// Attributes of the block.
    #[serde(default)]
    pub attributes: BTreeMap<String, Attribute>,
    /// Blocks nested further.
    #[serde(default)]
    pub blocks: BTreeMap<String, BlockSchema>,
    /// The server fills the block when the configuration leaves it out: an absent block
    /// keeps the prior one instead of planning its removal.
    #[serde(default)]
    pub computed: bool,
    /// The field holding the block on the wire (an object, or an array when `max_items` is
    /// not 1); generated types only.
    #[serde(default)]
    pub wire: Option<String>,
    /// The wire holds the blocks as an object keyed by this attribute's value rather than an
    /// array (API Gateway v2's `routeSettings`, keyed by route key).
    #[serde(default)]
    pub wire_key: Option<String>,
    /// Set by the document another argument holds, as [`Attribute::filled_by`].
    #[serde(default)]
    pub filled_by: Option<String>,
    /// Set by an update right after the create, as [`Attribute::after_create`].
    #[serde(default)]
    pub after_create: bool,
    /// Documentation.
    #[serde(default)]
    pub description: String,
}

/// How a generated type's objects are created, read, updated, listed and deleted
/// (`schemas/google/README.md`). Paths are relative to the API's root and hold `{attribute}`
/// placeholders.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiBinding {
    /// `https://{host}.googleapis.com/`; the key of a custom endpoint.
    pub host: String,
    /// How long-running operations are polled: `aip`, `compute` or `sqladmin`.
    #[serde(default = "aip")]
    pub operations: String,
    /// Terraform's `id`.
    pub id: String,
    /// Accepted import ID formats, most specific first.
    #[serde(default)]
    pub import: Vec<String>,
    /// The GET path of one object.
    #[serde(rename = "self")]
    pub self_path: String,
    /// The create call.
    pub create: Method,
    /// The update call; none: every argument forces replacement.
    #[serde(default)]
    pub update: Option<Method>,
    /// The delete call; none: the API cannot delete the object (an IAP brand), and destroy
    /// only forgets it, as Terraform does.
    #[serde(default)]
    pub delete: Option<Method>,
    /// The list call refresh uses; none: one GET per object.
    #[serde(default)]
    pub list: Option<ListMethod>,
    /// The API names new objects: `name` comes from the create's answer.
    #[serde(default)]
    pub server_named: bool,
    /// Arguments whose value means "leave the object when destroying" (Firestore's
    /// `deletion_policy = "ABANDON"`): destroy then forgets the object without a call.
    #[serde(default)]
    pub abandon_when: BTreeMap<String, String>,
    /// The field holding when an object was made, where it is not `createTime` (a service
    /// account key's `validAfterTime`): finds the object of an unanswered create.
    #[serde(default)]
    pub created: Option<String>,
    /// The attribute naming the region of a regional endpoint (Cloud Run v1's `location`):
    /// the API is then served at `https://{region}-{host}.googleapis.com/`.
    #[serde(default)]
    pub regional: Option<String>,
    /// The wire path of the object's name where it is not `name` (Knative's `metadata.name`).
    #[serde(default)]
    pub name_field: Option<String>,
    /// After create and update, the object is read until its conditions say it is ready.
    #[serde(default)]
    pub ready: Option<ReadyRule>,
}

/// When an object that reconciles (Knative's `status.conditions`) is ready.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadyRule {
    /// The wire path of the conditions array (`{type, status, message, reason}` each).
    pub conditions: String,
    /// The condition whose `status` must be `True` (`False` is a failure).
    #[serde(rename = "type")]
    pub condition: String,
    /// The wire path of the object's generation (int).
    #[serde(default)]
    pub generation: Option<String>,
    /// The wire path of the generation the status describes, which must reach `generation`.
    #[serde(default)]
    pub observed: Option<String>,
}

fn aip() -> String {
    "aip".to_owned()
}

/// One call of an [`ApiBinding`].
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Method {
    /// HTTP verb.
    pub verb: String,
    /// Path template.
    pub path: String,
    /// Query parameters (templates).
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Body fields (dotted paths) filled from templates.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// The query parameter taking the changed fields' wire paths (updates).
    #[serde(default)]
    pub mask: Option<String>,
    /// The answer is a long-running operation.
    #[serde(default)]
    pub lro: bool,
    /// The body wraps the object in this field, the mask beside it (`{"topic": {...},
    /// "updateMask": "labels"}`, as Pub/Sub's updates take it).
    #[serde(default)]
    pub wrap: Option<String>,
}

/// The list call of an [`ApiBinding`].
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListMethod {
    /// Path template.
    pub path: String,
    /// The array field of the answer.
    pub items: String,
    /// Extra query parameters.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// The query parameter taking the page token (`pageToken` when absent; Knative's `continue`).
    #[serde(default)]
    pub token: Option<String>,
    /// The wire path of the next page's token (`nextPageToken` when absent).
    #[serde(default)]
    pub next: Option<String>,
}

/// How an AWS type's objects are created, read, updated, listed and deleted through a
/// REST-JSON API (API Gateway v1 and v2). Paths hold `{attribute}` placeholders, plus
/// `{region}` and `{account}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsBinding {
    /// The service (its `endpoints` block key): `apigateway`, `apigatewayv2`, `lambda`.
    pub service: String,
    /// The create call.
    pub create: AwsCall,
    /// The GET path of one object.
    #[serde(rename = "self")]
    pub self_path: String,
    /// The update call; none: every argument forces replacement.
    #[serde(default)]
    pub update: Option<AwsCall>,
    /// The delete call.
    pub delete: AwsCall,
    /// The list call refresh uses (one per parent); none: one GET per object.
    #[serde(default)]
    pub list: Option<AwsList>,
    /// The answer's field holding the ID AWS assigns (`apiId`); none: the ID is `id`'s
    /// template, known before the create.
    #[serde(default)]
    pub id_field: Option<String>,
    /// Terraform's `id`, as a template (`{id}` for an assigned ID).
    pub id: String,
    /// The import ID formats the Terraform provider documents, most specific first.
    #[serde(default)]
    pub import: Vec<String>,
    /// Computed attributes Terraform derives by template (`execution_arn`).
    #[serde(default)]
    pub derived: BTreeMap<String, String>,
    /// The call importing an OpenAPI document into the object (`body`), after its create
    /// and whenever the document changes.
    #[serde(default)]
    pub document: Option<AwsDocument>,
}

/// How an [`AwsBinding`]'s object takes an OpenAPI document: v2's ReimportApi (`{"body":
/// doc}`), v1's PutRestApi (the document itself as the request body).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsDocument {
    /// The argument holding the document (`body`).
    pub argument: String,
    /// The call.
    pub verb: String,
    /// Path template.
    pub path: String,
    /// `field`: a JSON body with the document in the argument's name; `raw`: the document
    /// is the body.
    pub payload: String,
    /// Query parameters and the arguments giving them (`failOnWarnings` from
    /// `fail_on_warnings`); unset arguments are left out.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Values of query parameters whose argument is unset (`mode`: `overwrite`, where
    /// AWS's own default would merge).
    #[serde(default)]
    pub defaults: BTreeMap<String, String>,
    /// A map argument whose entries are sent as query parameters too (`parameters`).
    #[serde(default)]
    pub query_map: Option<String>,
    /// Arguments whose change imports the document again (besides the document itself).
    #[serde(default)]
    pub with: Vec<String>,
}

/// One call of an [`AwsBinding`].
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsCall {
    /// HTTP verb.
    pub verb: String,
    /// Path template.
    pub path: String,
    /// How an update says what changed: `fields` (a body of the changed fields, API
    /// Gateway v2) or `patch_operations` (API Gateway v1's JSON patch list).
    #[serde(default)]
    pub style: Option<String>,
}

/// The list call of an [`AwsBinding`].
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsList {
    /// Path template (the parent's placeholders only).
    pub path: String,
    /// The array field of the answer (`items`, `item`).
    pub items: String,
    /// The query parameter taking the next page's token (`nextToken`, `position`).
    pub token: String,
    /// The answer's field holding the next page's token.
    pub next: String,
    /// False: refresh reads objects one by one, and the list only finds creations whose
    /// answer was lost (moto 5.2 cannot list API Gateway v2 authorizers; AWS can).
    #[serde(default = "yes")]
    pub refresh: bool,
}

fn yes() -> bool {
    true
}

/// How a generated IAM type reads and writes its parent's policy.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamBinding {
    /// As [`ApiBinding::host`].
    pub host: String,
    /// `member`, `binding` or `policy`.
    pub form: String,
    /// Path template of the object holding the policy.
    pub resource: String,
    /// The policy read.
    pub get: IamCall,
    /// The policy write.
    pub set: IamCall,
    /// The parent part of Terraform's `id`.
    pub id: String,
    /// Requested policy version.
    #[serde(default)]
    pub policy_version: Option<u32>,
    /// Further formats of the parent part of an import ID (`{project}` for IAP's web
    /// policy), besides `id` itself.
    #[serde(default)]
    pub import: Vec<String>,
}

/// One policy call: the verb and what follows the resource path.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamCall {
    /// HTTP verb.
    pub verb: String,
    /// Appended to the resource path (`:getIamPolicy`, `/iam`).
    pub suffix: String,
}

/// The schema files compiled into keyway.
const SOURCES: &[(&str, &str)] = &[
    (
        "builtin/terraform_data.json",
        include_str!("../schemas/resources/builtin/terraform_data.json"),
    ),
    (
        "builtin/data_terraform_remote_state.json",
        include_str!("../schemas/resources/builtin/data_terraform_remote_state.json"),
    ),
    (
        "http/http.json",
        include_str!("../schemas/resources/http/http.json"),
    ),
    (
        "archive/archive_file.json",
        include_str!("../schemas/resources/archive/archive_file.json"),
    ),
    (
        "external/external.json",
        include_str!("../schemas/resources/external/external.json"),
    ),
    (
        "local/data_local_file.json",
        include_str!("../schemas/resources/local/data_local_file.json"),
    ),
    (
        "local/data_local_sensitive_file.json",
        include_str!("../schemas/resources/local/data_local_sensitive_file.json"),
    ),
    (
        "local/local_file.json",
        include_str!("../schemas/resources/local/local_file.json"),
    ),
    (
        "local/local_sensitive_file.json",
        include_str!("../schemas/resources/local/local_sensitive_file.json"),
    ),
    (
        "null/null_data_source.json",
        include_str!("../schemas/resources/null/null_data_source.json"),
    ),
    (
        "null/null_resource.json",
        include_str!("../schemas/resources/null/null_resource.json"),
    ),
    (
        "random/random_id.json",
        include_str!("../schemas/resources/random/random_id.json"),
    ),
    (
        "random/random_integer.json",
        include_str!("../schemas/resources/random/random_integer.json"),
    ),
    (
        "random/random_password.json",
        include_str!("../schemas/resources/random/random_password.json"),
    ),
    (
        "random/random_pet.json",
        include_str!("../schemas/resources/random/random_pet.json"),
    ),
    (
        "random/random_shuffle.json",
        include_str!("../schemas/resources/random/random_shuffle.json"),
    ),
    (
        "random/random_string.json",
        include_str!("../schemas/resources/random/random_string.json"),
    ),
    (
        "random/random_uuid.json",
        include_str!("../schemas/resources/random/random_uuid.json"),
    ),
    (
        "time/time_offset.json",
        include_str!("../schemas/resources/time/time_offset.json"),
    ),
    (
        "time/time_rotating.json",
        include_str!("../schemas/resources/time/time_rotating.json"),
    ),
    (
        "time/time_sleep.json",
        include_str!("../schemas/resources/time/time_sleep.json"),
    ),
    (
        "time/time_static.json",
        include_str!("../schemas/resources/time/time_static.json"),
    ),
    (
        "google/apigateway/google_api_gateway_api.json",
        include_str!("../schemas/resources/google/apigateway/google_api_gateway_api.json"),
    ),
    (
        "google/apigateway/google_api_gateway_api_config.json",
        include_str!("../schemas/resources/google/apigateway/google_api_gateway_api_config.json"),
    ),
    (
        "google/apigateway/google_api_gateway_gateway.json",
        include_str!("../schemas/resources/google/apigateway/google_api_gateway_gateway.json"),
    ),
    (
        "google/apikeys/google_apikeys_key.json",
        include_str!("../schemas/resources/google/apikeys/google_apikeys_key.json"),
    ),
    (
        "google/iam/google_service_account.json",
        include_str!("../schemas/resources/google/iam/google_service_account.json"),
    ),
    (
        "google/iam/data_google_service_account.json",
        include_str!("../schemas/resources/google/iam/data_google_service_account.json"),
    ),
    (
        "google/resourcemanager/google_client_config.json",
        include_str!("../schemas/resources/google/resourcemanager/google_client_config.json"),
    ),
    (
        "google/resourcemanager/google_project.json",
        include_str!("../schemas/resources/google/resourcemanager/google_project.json"),
    ),
    (
        "google/resourcemanager/google_project_iam_member.json",
        include_str!("../schemas/resources/google/resourcemanager/google_project_iam_member.json"),
    ),
    (
        "google/run/google_cloud_run_v2_service.json",
        include_str!("../schemas/resources/google/run/google_cloud_run_v2_service.json"),
    ),
    (
        "google/run/google_cloud_run_v2_service_iam_member.json",
        include_str!("../schemas/resources/google/run/google_cloud_run_v2_service_iam_member.json"),
    ),
    (
        "google/servicenetworking/google_service_networking_connection.json",
        include_str!(
            "../schemas/resources/google/servicenetworking/google_service_networking_connection.json"
        ),
    ),
    (
        "google/serviceusage/google_project_service.json",
        include_str!("../schemas/resources/google/serviceusage/google_project_service.json"),
    ),
];

/// Schemas by (is a data source, type name): a provider may use one name for a resource and
/// a data source (`local_file`).
fn registry() -> &'static BTreeMap<(bool, String), ResourceSchema> {
    static REGISTRY: OnceLock<BTreeMap<(bool, String), ResourceSchema>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        // The schemas ship inside the binary and a test parses each one, so a broken file is
        // a build defect, never user input.
        let written = SOURCES.iter().map(|(path, text)| {
            serde_json::from_str::<ResourceSchema>(text)
                .unwrap_or_else(|e| panic!("invariant: schema {path} is valid: {e}"))
        });
        written
            .chain(generated())
            .chain(aws())
            .map(|schema| ((schema.data_source, schema.ty.clone()), schema))
            .collect()
    })
}

/// The AWS types, one file per service (`schemas/aws/README.md`).
const AWS: &[(&str, &str)] = &[
    (
        "apigateway.json",
        include_str!("../schemas/aws/apigateway.json"),
    ),
    (
        "apigatewayv2.json",
        include_str!("../schemas/aws/apigatewayv2.json"),
    ),
    ("lambda.json", include_str!("../schemas/aws/lambda.json")),
    ("iam.json", include_str!("../schemas/aws/iam.json")),
    ("data.json", include_str!("../schemas/aws/data.json")),
];

fn aws() -> impl Iterator<Item = ResourceSchema> {
    AWS.iter().flat_map(|(path, text)| {
        serde_json::from_str::<Vec<ResourceSchema>>(text)
            .unwrap_or_else(|e| panic!("invariant: schemas/aws/{path} is valid: {e}"))
    })
}

/// The Google types `scripts/generate-google` writes (`schemas/google/README.md`).
const GENERATED: &str = include_str!("../schemas/google/generated.json");

fn generated() -> Vec<ResourceSchema> {
    serde_json::from_str(GENERATED)
        .unwrap_or_else(|e| panic!("invariant: schemas/google/generated.json is valid: {e}"))
}

/// True for types the generic Google resource implements (generated with an `api` or `iam`).
pub fn is_generated(ty: &str) -> bool {
    lookup(ty).is_some_and(|s| s.api.is_some() || s.iam.is_some())
}

/// The schema of a type: the managed resource of that name, else the data source.
pub fn lookup(ty: &str) -> Option<&'static ResourceSchema> {
    lookup_in(ty, false).or_else(|| lookup_in(ty, true))
}

/// The schema of a data source (`data_source` true) or a managed resource type.
pub fn lookup_in(ty: &str, data_source: bool) -> Option<&'static ResourceSchema> {
    registry().get(&(data_source, ty.to_owned()))
}

/// Every known type name (resources and data sources), sorted, without repeats.
pub fn types() -> impl Iterator<Item = &'static str> {
    let names: std::collections::BTreeSet<&'static str> =
        registry().keys().map(|(_, t)| t.as_str()).collect();
    names.into_iter()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_schema_parses() {
        for (path, text) in super::SOURCES {
            let parsed: Result<super::ResourceSchema, _> = serde_json::from_str(text);
            assert!(parsed.is_ok(), "{path}: {parsed:?}");
        }
    }

    #[test]
    fn every_pattern_compiles() {
        for schema in super::registry().values() {
            for (name, a) in &schema.attributes {
                if let Some(p) = &a.pattern {
                    assert!(regex::Regex::new(p).is_ok(), "{}.{name}: {p}", schema.ty);
                }
            }
        }
    }

    #[test]
    fn no_two_schemas_share_a_kind_and_name() {
        let all = super::SOURCES.len() + super::generated().len() + super::aws().count();
        assert_eq!(super::registry().len(), all);
    }

    #[test]
    fn every_schema_file_is_compiled_in() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/resources");
        let mut files = 0;
        let mut stack = vec![std::path::PathBuf::from(root)];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).expect("schema folder").flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "json") {
                    files += 1;
                }
            }
        }
        assert_eq!(files, super::SOURCES.len());
    }
}

#[cfg(test)]
mod terraform_names {
    use std::collections::BTreeSet;

    /// Every generated type's top-level names are Terraform's (from the provider's
    /// documentation, `schemas/google/terraform_names.json`): none invented, and none of
    /// Terraform's missing but those listed as not yet done.
    #[test]
    fn generated_types_use_terraform_names() {
        let facts: serde_json::Value =
            serde_json::from_str(include_str!("../schemas/google/terraform_names.json"))
                .expect("facts parse");
        for (ty, f) in facts["types"].as_object().expect("types") {
            let s = super::lookup_in(ty, false).unwrap_or_else(|| panic!("{ty} generated"));
            // The documentation's lists leave `timeouts` out; generated types hold it.
            holds_to_terraform_names(ty, s, f, &["timeouts"]);
        }
    }

    /// keyway's AWS types against the Terraform AWS provider's own schema
    /// (`schemas/aws/terraform_names.json`, written by `scripts/aws-terraform-names`): every
    /// type has its facts, invents no name and lacks only those listed as not yet done.
    #[test]
    fn aws_types_use_terraform_names() {
        let facts: serde_json::Value =
            serde_json::from_str(include_str!("../schemas/aws/terraform_names.json"))
                .expect("facts parse");
        for s in super::aws() {
            let f = &facts["types"][&s.ty];
            assert!(
                f.is_object(),
                "{}: no facts; run scripts/aws-terraform-names",
                s.ty
            );
            holds_to_terraform_names(&s.ty, &s, f, &[]);
        }
    }

    fn holds_to_terraform_names(
        ty: &str,
        s: &super::ResourceSchema,
        f: &serde_json::Value,
        unlisted: &[&str],
    ) {
        let ours: BTreeSet<&str> = s
            .attributes
            .keys()
            .chain(s.blocks.keys())
            .map(String::as_str)
            .filter(|n| !unlisted.contains(n))
            .collect();
        let list = |k: &str| -> BTreeSet<&str> {
            f[k].as_array()
                .into_iter()
                .flatten()
                .filter_map(serde_json::Value::as_str)
                .collect()
        };
        let (theirs, not_yet) = (list("names"), list("not_yet"));
        let keyway_only = list("keyway_only");
        let invented: Vec<_> = ours
            .difference(&theirs)
            .filter(|n| !keyway_only.contains(*n))
            .collect();
        assert!(
            invented.is_empty(),
            "{ty}: not Terraform's names: {invented:?}"
        );
        let missing: Vec<_> = theirs
            .difference(&ours)
            .filter(|n| !not_yet.contains(*n))
            .collect();
        assert!(
            missing.is_empty(),
            "{ty}: Terraform's names missing: {missing:?}"
        );
    }
}
