# examples/aws-rest-api-keys for Terraform 1.11 with hashicorp/aws 5.100 (offline, from
# /opt/tf-plugins): the zip is prebuilt, since hashicorp/archive is not installed here.
#
# A REST API whose `/items` GET and POST reach a Python Lambda, both requiring an API key; a
# `prod` stage; one key in a usage plan that throttles and caps it per day.

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

resource "aws_iam_role" "items" {
  name = "${var.name}-lambda"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
}

resource "aws_lambda_function" "items" {
  function_name    = var.name
  role             = aws_iam_role.items.arn
  handler          = "handler.handler"
  runtime          = "python3.12"
  filename         = "handler.zip"
  source_code_hash = filebase64sha256("handler.zip")
}

resource "aws_api_gateway_rest_api" "items" {
  name           = var.name
  api_key_source = "HEADER"

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_resource" "items" {
  rest_api_id = aws_api_gateway_rest_api.items.id
  parent_id   = aws_api_gateway_rest_api.items.root_resource_id
  path_part   = "items"
}

resource "aws_api_gateway_method" "items" {
  for_each = toset(["GET", "POST"])

  rest_api_id      = aws_api_gateway_rest_api.items.id
  resource_id      = aws_api_gateway_resource.items.id
  http_method      = each.key
  authorization    = "NONE"
  api_key_required = true
}

resource "aws_api_gateway_integration" "items" {
  for_each = aws_api_gateway_method.items

  rest_api_id             = aws_api_gateway_rest_api.items.id
  resource_id             = aws_api_gateway_resource.items.id
  http_method             = each.value.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.items.invoke_arn
}

# Terraform needs the `depends_on` (without it, Terraform 1.11 creates the deployment first
# and AWS refuses: "The REST API doesn't contain any methods"); keyway orders it by itself.
resource "aws_api_gateway_deployment" "items" {
  rest_api_id = aws_api_gateway_rest_api.items.id
  description = "items ${var.release}"

  depends_on = [aws_api_gateway_integration.items]
}

resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = aws_api_gateway_rest_api.items.id
  deployment_id = aws_api_gateway_deployment.items.id
  stage_name    = "prod"
}

# Every method of the stage: at most 20 requests per second, bursts of 40.
resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.items.id
  stage_name  = aws_api_gateway_stage.prod.stage_name
  method_path = "*/*"

  settings {
    throttling_rate_limit  = 20
    throttling_burst_limit = 40
  }
}

resource "aws_api_gateway_api_key" "client" {
  name = "${var.name}-client"
}

resource "aws_api_gateway_usage_plan" "standard" {
  name = "${var.name}-standard"

  api_stages {
    api_id = aws_api_gateway_rest_api.items.id
    stage  = aws_api_gateway_stage.prod.stage_name
  }

  throttle_settings {
    burst_limit = var.burst_limit
    rate_limit  = var.rate_limit
  }

  quota_settings {
    limit  = var.daily_quota
    period = "DAY"
  }
}

resource "aws_api_gateway_usage_plan_key" "client" {
  key_id        = aws_api_gateway_api_key.client.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.standard.id
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowItemsRestApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.items.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.items.execution_arn}/*/*/items"
}

output "url" {
  value = "${aws_api_gateway_stage.prod.invoke_url}/items"
}

output "api_key" {
  value     = aws_api_gateway_api_key.client.value
  sensitive = true
}
