"""The items API's Lambda handler: API Gateway proxy events in (payload 1.0 or 2.0), JSON out."""

import json
import os


def handler(event, context):
    method = event.get("requestContext", {}).get("http", {}).get("method") or event.get("httpMethod", "GET")
    claims = event.get("requestContext", {}).get("authorizer", {}).get("jwt", {}).get("claims", {})
    body = {
        "greeting": os.environ.get("GREETING", "hello"),
        "method": method,
        "path": event.get("rawPath") or event.get("path"),
        "caller": claims.get("sub"),
        "items": ["apple", "pear"],
    }
    if method == "POST":
        body["created"] = json.loads(event.get("body") or "{}")
    return {
        "statusCode": 201 if method == "POST" else 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
