# An HTTP API in front of a Python Lambda: a public `GET /items`, a `POST /items` that needs a
# JWT, CORS for one web origin, and a `$default` stage that deploys every change and
# throttles. `keyway --emulator apply` runs it offline; with AWS credentials, on AWS.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
    archive = {
      source = "hashicorp/archive"
    }
  }
}

provider "aws" {
  region = var.region
}

data "archive_file" "handler" {
  type        = "zip"
  source_file = "${path.module}/handler.py"
  output_path = "${path.module}/build/handler.zip"
}

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "items" {
  name               = "${var.name}-lambda"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

resource "aws_iam_role_policy_attachment" "logs" {
  role       = aws_iam_role.items.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_lambda_function" "items" {
  function_name    = var.name
  role             = aws_iam_role.items.arn
  handler          = "handler.handler"
  runtime          = "python3.12"
  filename         = data.archive_file.handler.output_path
  source_code_hash = data.archive_file.handler.output_base64sha256

  environment {
    variables = {
      GREETING = var.greeting
    }
  }
}

resource "aws_apigatewayv2_api" "items" {
  name          = var.name
  protocol_type = "HTTP"

  cors_configuration {
    allow_origins = [var.web_origin]
    allow_methods = ["GET", "POST"]
    allow_headers = ["authorization", "content-type"]
    max_age       = 300
  }
}

resource "aws_apigatewayv2_integration" "items" {
  api_id                 = aws_apigatewayv2_api.items.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.items.invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  api_id           = aws_apigatewayv2_api.items.id
  authorizer_type  = "JWT"
  name             = "jwt"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_issuer
    audience = [var.jwt_audience]
  }
}

resource "aws_apigatewayv2_route" "list" {
  api_id    = aws_apigatewayv2_api.items.id
  route_key = "GET /items"
  target    = "integrations/${aws_apigatewayv2_integration.items.id}"
}

resource "aws_apigatewayv2_route" "create" {
  api_id             = aws_apigatewayv2_api.items.id
  route_key          = "POST /items"
  target             = "integrations/${aws_apigatewayv2_integration.items.id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.jwt.id
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.items.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = 10
    throttling_rate_limit  = 5
  }
}

# API Gateway may invoke the function, from this API only.
resource "aws_lambda_permission" "api" {
  statement_id  = "AllowItemsApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.items.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.items.execution_arn}/*/*"
}

# The traffic proves the stack. A token for the checks, minted by the emulator's test issuer
# (with another issuer, set mint_test_token = false: that check then warns).
data "http" "test_token" {
  count = var.mint_test_token ? 1 : 0

  url          = "${var.jwt_issuer}/token"
  method       = "POST"
  request_body = jsonencode({ aud = var.jwt_audience, sub = "example-user" })
}

check "anyone_can_list_items" {
  data "http" "list" {
    url = "${aws_apigatewayv2_stage.default.invoke_url}items"
  }
  assert {
    condition     = data.http.list.status_code == 200
    error_message = "GET /items answered ${data.http.list.status_code}, not 200"
  }
}

check "creating_needs_a_token" {
  data "http" "anonymous_create" {
    url          = "${aws_apigatewayv2_stage.default.invoke_url}items"
    method       = "POST"
    request_body = jsonencode({ name = "plum" })
  }
  assert {
    condition     = data.http.anonymous_create.status_code == 401
    error_message = "POST /items without a token answered ${data.http.anonymous_create.status_code}, not 401"
  }
}

check "creating_with_a_token_reaches_the_handler" {
  data "http" "create" {
    url          = "${aws_apigatewayv2_stage.default.invoke_url}items"
    method       = "POST"
    request_body = jsonencode({ name = "plum" })
    request_headers = {
      Authorization = "Bearer ${try(jsondecode(data.http.test_token[0].response_body).token, "")}"
    }
  }
  assert {
    condition     = data.http.create.status_code == 201 && try(jsondecode(data.http.create.response_body).caller, "") == "example-user"
    error_message = "POST /items with a token answered ${data.http.create.status_code}: ${data.http.create.response_body}"
  }
}

check "browsers_get_cors_headers" {
  data "http" "preflight" {
    url    = "${aws_apigatewayv2_stage.default.invoke_url}items"
    method = "OPTIONS"
    request_headers = {
      Origin                         = var.web_origin
      Access-Control-Request-Method  = "POST"
      Access-Control-Request-Headers = "authorization"
    }
  }
  assert {
    condition     = lookup(data.http.preflight.response_headers, "Access-Control-Allow-Origin", "") == var.web_origin
    error_message = "the preflight's Access-Control-Allow-Origin is not ${var.web_origin}"
  }
}

output "url" {
  value = aws_apigatewayv2_stage.default.invoke_url
}

output "api_id" {
  value = aws_apigatewayv2_api.items.id
}
