"""Checks every request and successful response body the emulator saw during this pytest run
against the discovery documents shipped inside google-api-python-client: field names, JSON
types, int64-as-string, timestamps, bytes and enum values. Runs last (file name order) and reads
the emulator's request log from its admin endpoint."""

import base64
import json
import os
import re
import urllib.request

import googleapiclient

DOCS_DIR = os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents")

# Logged method-name prefix -> discovery document.
DOCS = {
    "serviceusage": "serviceusage.v1.json",
    "iam": "iam.v1.json",
    "cloudresourcemanager.v3": "cloudresourcemanager.v3.json",
    "cloudresourcemanager": "cloudresourcemanager.v1.json",
    "run": "run.v2.json",
    # Cloud Run v1 (Knative) logs the same method names as v2: chosen by path below.
    "run.v1": "run.v1.json",
    "apigateway": "apigateway.v1.json",
    "apikeys": "apikeys.v2.json",
    "secretmanager": "secretmanager.v1.json",
    "pubsub": "pubsub.v1.json",
    "cloudscheduler": "cloudscheduler.v1.json",
    "artifactregistry": "artifactregistry.v1.json",
    "storage": "storage.v1.json",
    "compute": "compute.v1.json",
    "sql": "sqladmin.v1.json",
    "servicenetworking": "servicenetworking.v1.json",
    "iap": "iap.v1.json",
}

# `@type` of an Any (operation response/metadata) -> schema name in that API's document.
ANY_TYPES = {
    "google.api.serviceusage.v1.EnableServiceResponse": "EnableServiceResponse",
    "google.api.serviceusage.v1.DisableServiceResponse": "DisableServiceResponse",
    "google.api.serviceusage.v1.BatchEnableServicesResponse": "BatchEnableServicesResponse",
    "google.api.serviceusage.v1.OperationMetadata": "GoogleApiServiceusageV1OperationMetadata",
    "google.api.apikeys.v2.Key": "V2Key",
    "google.cloud.apigateway.v1.Api": "ApigatewayApi",
    "google.cloud.apigateway.v1.ApiConfig": "ApigatewayApiConfig",
    "google.cloud.apigateway.v1.Gateway": "ApigatewayGateway",
    "google.cloud.apigateway.v1.OperationMetadata": "ApigatewayOperationMetadata",
    "google.cloud.run.v2.Service": "GoogleCloudRunV2Service",
    "google.protobuf.Empty": None,
}

# AWS operations are logged as `{botocore service}.{Operation}` (`iam.CreateRole`).
AWS_METHOD = re.compile(r"^[a-z0-9]+\.[A-Z]")

DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")
DURATION = re.compile(r"^-?\d+(\.\d{1,9})?s$")


def _load(name):
    with open(os.path.join(DOCS_DIR, name)) as f:
        return json.load(f)


def _methods(node):
    for m in node.get("methods", {}).values():
        yield m
    for r in node.get("resources", {}).values():
        yield from _methods(r)


def _pattern(template):
    out = ""
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{+"):
            out += ".+"
        elif part.startswith("{"):
            out += "[^/]+"
        else:
            out += re.escape(part)
    return re.compile("^" + out + "$")


class Doc:
    def __init__(self, name):
        self.doc = _load(name)
        self.schemas = self.doc["schemas"]
        self.methods = []
        for m in _methods(self.doc):
            # Older documents (Cloud Storage) keep the version in servicePath.
            template = self.doc.get("servicePath", "") + (m.get("flatPath") or m["path"])
            self.methods.append((m["httpMethod"], _pattern(template), m))
        self.paths = [(m["httpMethod"], _pattern(self.doc.get("servicePath", "") + m["path"]), m)
                      for m in _methods(self.doc) if "{+" in m["path"]]

    def find(self, http, path):
        hits = [m for (h, rx, m) in self.methods if h == http and rx.match(path)]
        if not hits:
            # A method whose flat path is one placeholder (IAP's `v1/{v1Id}:getIamPolicy`)
            # takes any resource name: its `{+resource}` path says so.
            hits = [m for (h, rx, m) in self.paths if h == http and rx.match(path)]
        # The most specific template wins (fewest wildcards = longest literal text).
        hits.sort(key=lambda m: -len(re.sub(r"\{[^}]+\}", "", m.get("flatPath") or m["path"])))
        return hits[0] if hits else None


class Checker:
    def __init__(self, doc, response, int_enums):
        self.doc = doc
        self.response = response
        # `$alt=json;enum-encoding=int` calls get integer enums back, and send them.
        self.int_enums = int_enums
        self.errors = []

    def err(self, at, msg):
        self.errors.append(f"{at}: {msg}")

    def check(self, schema, value, at):
        if "$ref" in schema:
            schema = self.doc.schemas[schema["$ref"]]
        t = schema.get("type")
        if t == "any":
            return
        if t == "object":
            if not isinstance(value, dict):
                return self.err(at, f"expected object, got {value!r}")
            props = schema.get("properties")
            addl = schema.get("additionalProperties")
            if props is None and addl is not None:
                for k, v in value.items():
                    if addl.get("type") == "any" and k == "@type":
                        continue
                    self.check(addl, v, f"{at}[{k}]")
                if addl.get("type") == "any" and "@type" in value:
                    self.check_any(value, at)
                return
            for k, v in value.items():
                if k not in (props or {}):
                    self.err(at, f"unknown field {k!r}")
                else:
                    self.check(props[k], v, f"{at}.{k}")
            return
        if t == "array":
            if not isinstance(value, list):
                return self.err(at, f"expected array, got {value!r}")
            for i, v in enumerate(value):
                self.check(schema["items"], v, f"{at}[{i}]")
            return
        if t == "boolean":
            if not isinstance(value, bool):
                self.err(at, f"expected boolean, got {value!r}")
            return
        if t == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                self.err(at, f"expected integer, got {value!r}")
            return
        if t == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.err(at, f"expected number, got {value!r}")
            return
        if t == "string":
            if "enum" in schema and isinstance(value, int) and not isinstance(value, bool):
                if not self.response or self.int_enums:
                    if not 0 <= value < 64:
                        self.err(at, f"enum number {value} out of range")
                    return
                return self.err(at, f"enum as integer {value} without enum-encoding=int")
            if not isinstance(value, str):
                return self.err(at, f"expected string, got {value!r}")
            fmt = schema.get("format")
            if "enum" in schema and value not in schema["enum"]:
                self.err(at, f"{value!r} not in enum")
            if fmt in ("int64", "uint64") and not re.fullmatch(r"-?\d+", value):
                self.err(at, f"int64 {value!r}")
            if fmt == "google-datetime" and not DATETIME.match(value):
                self.err(at, f"datetime {value!r}")
            if fmt == "google-duration" and not DURATION.match(value):
                self.err(at, f"duration {value!r}")
            if fmt == "byte":
                try:
                    base64.b64decode(value, validate=True)
                except Exception:
                    try:
                        base64.urlsafe_b64decode(value)
                    except Exception:
                        self.err(at, f"bytes {value!r}")
            return
        self.err(at, f"unhandled schema {schema}")

    def check_any(self, value, at):
        type_url = value["@type"]
        name = type_url.split("/", 1)[-1]
        if name not in ANY_TYPES:
            return self.err(at, f"unexpected @type {type_url}")
        schema = ANY_TYPES[name]
        rest = {k: v for k, v in value.items() if k != "@type"}
        if schema is None:
            if rest:
                self.err(at, "google.protobuf.Empty with fields")
            return
        self.check({"$ref": schema}, rest, at)


def test_all_bodies_match_discovery_documents(base_url):
    with urllib.request.urlopen(base_url + "/__emulator/requests") as r:
        log = json.load(r)
    docs = {prefix: Doc(name) for prefix, name in DOCS.items()}
    problems = []
    checked = 0
    for entry in log:
        method = entry["method"]
        if method == "unknown" or not (200 <= entry["status"] < 300):
            continue
        if AWS_METHOD.match(method) or method.startswith("execute-api."):
            continue  # AWS's answers are checked against botocore's models (test_zz_aws_models.py)
        prefix = next(p for p in DOCS if method.startswith(p + "."))
        if prefix == "run" and entry["path"].startswith(("/v1/", "/apis/")):
            prefix = "run.v1"
        doc = docs[prefix]
        http, path = entry["http_method"], entry["path"].lstrip("/")
        if method.startswith("storage.xml."):
            continue  # the XML API (`/{bucket}/{object}`) is not in the document
        if method.startswith("storage.objects.") and path.startswith(("upload/", "download/")):
            # Media paths: the document's method is the one under storage/v1 (a resumable
            # upload's chunks are PUTs to the insert's path).
            http, path = {"PUT": "POST"}.get(http, http), path.split("/", 1)[1]
        m = doc.find(http, path)
        if m is None:
            problems.append(f"{method} {entry['path']}: no discovery method matches")
            continue
        for body, key, is_response in ((entry["request_body"], "request", False), (entry["response_body"], "response", True)):
            if body is None or key not in m:
                continue
            int_enums = "enum-encoding%3Dint" in entry["query"] or "enum-encoding=int" in entry["query"]
            c = Checker(doc, is_response, int_enums)
            c.check(m[key], body, f"{m['id']}.{key}")
            problems.extend(f"{entry['http_method']} {entry['path']}: {e}" for e in c.errors)
            checked += 1
    print(f"discovery check: {checked} bodies checked, {len(problems)} problems")
    assert checked >= 50, f"only {checked} bodies checked; run the whole suite"
    assert not problems, "\n".join(problems[:50])
