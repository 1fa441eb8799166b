import json


def handler(event, context):
    method = event.get("requestContext", {}).get("http", {}).get("method", "GET")
    status = 201 if method == "POST" else 200
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"method": method, "path": event.get("rawPath")}),
    }
