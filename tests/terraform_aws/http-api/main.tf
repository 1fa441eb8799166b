# examples/aws-http-api for Terraform 1.11 with hashicorp/aws 5.100 (offline, from
# /opt/tf-plugins): the zip is prebuilt, since hashicorp/archive is not installed here.
#
# An HTTP API in front of a Python Lambda: a public `GET /items`, a `POST /items` that needs a
# JWT, CORS for one web origin, and a `$default` stage that deploys every change and
# throttles. `keyway --emulator apply` runs it offline; with AWS credentials, on AWS.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

# Pointed at moto by the test (TF_VAR_endpoint): the same block serves Terraform and keyway.
provider "aws" {
  region                      = var.region
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true

  endpoints {
    apigateway   = var.endpoint
    apigatewayv2 = var.endpoint
    lambda       = var.endpoint
    iam          = var.endpoint
    sts          = var.endpoint
  }
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
  filename         = "handler.zip"
  source_code_hash = filebase64sha256("handler.zip")

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

output "url" {
  value = aws_apigatewayv2_stage.default.invoke_url
}

output "api_id" {
  value = aws_apigatewayv2_api.items.id
}
