# Terraform 1.11 + hashicorp/aws 5.100 (offline) and keyway on the same folder, on moto: IAM
# policies (tests/real_world_aws/lambda-iam-policies), a REST API with the CORS set-up and
# access logs (rest-api-cors-mock) and one imported from an OpenAPI body (rest-api-openapi).
# keyway must adopt Terraform's state of it with an empty plan.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

variable "endpoint" {
  type = string
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true

  endpoints {
    apigateway = var.endpoint
    iam        = var.endpoint
    sts        = var.endpoint
  }

  default_tags {
    tags = {
      Service = "orders"
    }
  }
}

variable "table_actions" {
  type    = list(string)
  default = ["dynamodb:GetItem", "dynamodb:Query"]
}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "orders" {
  name               = "orders-lambda"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "logging" {
  statement {
    effect = "Allow"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = ["arn:aws:logs:*:*:*"]
  }
}

resource "aws_iam_policy" "lambda_logging" {
  name        = "orders-lambda-logging"
  path        = "/service/"
  description = "IAM policy for logging from a lambda"
  policy      = data.aws_iam_policy_document.logging.json
}

resource "aws_iam_role_policy_attachment" "lambda_logs" {
  role       = aws_iam_role.orders.name
  policy_arn = aws_iam_policy.lambda_logging.arn
}

resource "aws_iam_role_policy" "table_read" {
  name = "orders-table-read"
  role = aws_iam_role.orders.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = var.table_actions
      Resource = "arn:aws:dynamodb:us-east-1:${data.aws_caller_identity.current.account_id}:table/orders"
    }]
  })
}

output "logging_policy_arn" {
  value = aws_iam_policy.lambda_logging.arn
}
