# The AWS data sources real folders read, for Terraform 1.11 with hashicorp/aws 5.100 and for
# keyway, both on moto: every output must be the same.

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
  region                      = "eu-central-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true

  endpoints {
    sts = var.endpoint
    iam = var.endpoint
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_region" "named" {
  name = "ap-northeast-1"
}

data "aws_region" "by_endpoint" {
  endpoint = "ec2.sa-east-1.amazonaws.com"
}

data "aws_iam_policy_document" "invoke" {
  statement {
    sid       = "Invoke"
    actions   = ["lambda:InvokeFunction"]
    resources = ["arn:${data.aws_partition.current.partition}:lambda:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:function:*"]

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }

  statement {
    effect        = "Deny"
    not_actions   = ["lambda:Get*", "lambda:List*"]
    not_resources = ["arn:aws:lambda:*:*:function:public-*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
}

output "caller" {
  value = data.aws_caller_identity.current
}

output "partition" {
  value = data.aws_partition.current
}

output "region" {
  value = data.aws_region.current
}

output "named" {
  value = data.aws_region.named
}

output "by_endpoint" {
  value = data.aws_region.by_endpoint
}

output "policy" {
  value = data.aws_iam_policy_document.invoke
}
