"""Checks every successful AWS answer the emulator sent during this pytest run against
botocore's own service models (the `service-2.json` shipped in the venv): member names (JSON
`locationName`s, XML element names), JSON / XML value types, timestamp formats, enum values and
required members, for the operation's output shape. The way test_zz_discovery_schema.py checks
the Google answers against discovery documents; runs after the AWS tests (file name order) and
reads the emulator's request log from its admin endpoint.

botocore's parsers are lenient (they drop unknown members and coerce types), so a wrong answer
can pass a boto3 test unnoticed: this test is what catches it."""

import json
import re
import urllib.request
import xml.etree.ElementTree as ET

import botocore.session

AWS_METHOD = re.compile(r"^(apigateway|apigatewayv2|lambda|iam|sts)\.([A-Z][A-Za-z0-9]+)$")
ISO8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:?\d\d)$")
# The request log replaces API key values (never logged in clear).
REDACTED = "REDACTED"


class Checker:
    def __init__(self, protocol):
        self.protocol = protocol
        self.errors = []

    def err(self, at, msg):
        self.errors.append(f"{at}: {msg}")

    # -- JSON (rest-json) ------------------------------------------------------------------

    def json_value(self, shape, value, at):
        t = shape.type_name
        if t == "structure":
            if not isinstance(value, dict):
                return self.err(at, f"expected object, got {value!r}")
            by_wire = {}
            for name, member in shape.members.items():
                if member.serialization.get("location"):
                    continue  # headers, status code: not in the body
                by_wire[member.serialization.get("name", name)] = (name, member)
            for k, v in value.items():
                if k not in by_wire:
                    self.err(at, f"unknown member {k!r}")
                    continue
                self.json_value(by_wire[k][1], v, f"{at}.{k}")
            for req in shape.required_members:
                member = shape.members[req]
                if not member.serialization.get("location") and member.serialization.get("name", req) not in value:
                    self.err(at, f"required member {req!r} missing")
        elif t == "list":
            if not isinstance(value, list):
                return self.err(at, f"expected list, got {value!r}")
            for i, v in enumerate(value):
                self.json_value(shape.member, v, f"{at}[{i}]")
        elif t == "map":
            if not isinstance(value, dict):
                return self.err(at, f"expected map, got {value!r}")
            for k, v in value.items():
                self.json_value(shape.value, v, f"{at}[{k}]")
        elif t == "string":
            if not isinstance(value, str):
                return self.err(at, f"expected string, got {value!r}")
            if shape.enum and value not in shape.enum and value != REDACTED:
                self.err(at, f"{value!r} not in enum")
        elif t in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                self.err(at, f"expected integer, got {value!r}")
        elif t in ("double", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.err(at, f"expected number, got {value!r}")
        elif t == "boolean":
            if not isinstance(value, bool):
                self.err(at, f"expected boolean, got {value!r}")
        elif t == "timestamp":
            fmt = shape.serialization.get("timestampFormat") or "unixTimestamp"
            if fmt == "iso8601":
                if not (isinstance(value, str) and ISO8601.match(value)):
                    self.err(at, f"expected an ISO 8601 timestamp, got {value!r}")
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                self.err(at, f"expected epoch seconds, got {value!r}")
        elif t == "blob":
            if not isinstance(value, str):
                self.err(at, f"expected base64 text, got {value!r}")
        else:
            self.err(at, f"unhandled shape type {t}")

    # -- XML (query) -----------------------------------------------------------------------

    def xml_value(self, shape, el, at):
        t = shape.type_name
        children = list(el)
        text = (el.text or "").strip()
        if t == "structure":
            by_wire = {member.serialization.get("name", name): (name, member) for name, member in shape.members.items()}
            seen = set()
            for c in children:
                tag = local(c.tag)
                if tag not in by_wire:
                    self.err(at, f"unknown element {tag!r}")
                    continue
                seen.add(tag)
                self.xml_value(by_wire[tag][1], c, f"{at}.{tag}")
            for req in shape.required_members:
                if shape.members[req].serialization.get("name", req) not in seen:
                    self.err(at, f"required element {req!r} missing")
        elif t == "list":
            name = shape.member.serialization.get("name", "member")
            for i, c in enumerate(children):
                if local(c.tag) != name:
                    self.err(at, f"list item <{local(c.tag)}>, expected <{name}>")
                self.xml_value(shape.member, c, f"{at}[{i}]")
        elif t == "map":
            self.err(at, "maps are not used by these operations")
        else:
            if children:
                return self.err(at, f"scalar {t} has child elements")
            if t == "string":
                if shape.enum and text not in shape.enum:
                    self.err(at, f"{text!r} not in enum")
            elif t in ("integer", "long"):
                if not re.fullmatch(r"-?\d+", text):
                    self.err(at, f"expected integer, got {text!r}")
            elif t == "boolean":
                if text not in ("true", "false"):
                    self.err(at, f"expected true/false, got {text!r}")
            elif t == "timestamp":
                if not ISO8601.match(text):
                    self.err(at, f"expected an ISO 8601 timestamp, got {text!r}")
            elif t in ("double", "float"):
                try:
                    float(text)
                except ValueError:
                    self.err(at, f"expected number, got {text!r}")


def local(tag):
    return tag.split("}", 1)[-1]


def test_all_aws_bodies_match_botocore_models(base_url):
    with urllib.request.urlopen(base_url + "/__emulator/requests") as r:
        log = json.load(r)
    session = botocore.session.get_session()
    models = {}
    problems, checked, operations = [], 0, set()
    for entry in log:
        m = AWS_METHOD.match(entry["method"])
        if not m or not (200 <= entry["status"] < 300):
            continue
        service, op = m.groups()
        if service not in models:
            models[service] = session.get_service_model(service)
        model = models[service]
        try:
            op_model = model.operation_model(op)
        except Exception:
            problems.append(f"{entry['method']}: no such operation in botocore's model")
            continue
        operations.add(entry["method"])
        out = op_model.output_shape
        body = entry["response_body"]
        where = f"{entry['http_method']} {entry['path']} ({entry['method']})"
        if model.protocol == "query":
            if not isinstance(body, str):
                problems.append(f"{where}: expected an XML body")
                continue
            root = ET.fromstring(body)
            if local(root.tag) != f"{op}Response":
                problems.append(f"{where}: root <{local(root.tag)}>, expected <{op}Response>")
            ns = root.tag.split("}", 1)[0].lstrip("{")
            want_ns = model.metadata.get("xmlNamespace")
            if want_ns and ns != want_ns:
                problems.append(f"{where}: namespace {ns!r}")
            if out is None:
                checked += 1
                continue
            wrapper = op_model.metadata.get("resultWrapper") or op_model.output_shape.serialization.get("resultWrapper") or f"{op}Result"
            result = next((c for c in root if local(c.tag) == wrapper), None)
            if result is None:
                problems.append(f"{where}: no <{wrapper}>")
                continue
            c = Checker("query")
            c.xml_value(out, result, op)
        else:
            if out is None or body is None:
                continue
            c = Checker("rest-json")
            c.json_value(out, body, op)
        problems.extend(f"{where}: {e}" for e in c.errors)
        checked += 1
    print(f"AWS model check: {checked} bodies checked across {len(operations)} operations, {len(problems)} problems")
    assert checked >= 100, f"only {checked} AWS bodies checked; run the whole suite"
    assert not problems, "\n".join(problems[:50])
