variable "name" {
  type    = string
  default = "catalog"
}

variable "backend_url" {
  type    = string
  default = "https://backend.example.com"
}

locals {
  integration = {
    type                 = "HTTP_PROXY"
    httpMethod           = "GET"
    payloadFormatVersion = "1.0"
  }
}

resource "aws_api_gateway_rest_api" "example" {
  name = var.name

  body = jsonencode({
    openapi = "3.0.1"
    info = {
      title   = "${var.name}-openapi"
      version = "1.0"
    }
    paths = {
      "/items" = {
        get = {
          security = [{ api_key = [] }]
          responses = {
            "200" = { description = "The items" }
          }
          x-amazon-apigateway-integration = merge(local.integration, {
            uri = "${var.backend_url}/items"
          })
        }
      }
      "/health" = {
        get = {
          responses = {
            "200" = { description = "Up" }
          }
          x-amazon-apigateway-integration = merge(local.integration, {
            uri = "${var.backend_url}/health"
          })
        }
      }
    }
    components = {
      securitySchemes = {
        api_key = {
          type = "apiKey"
          name = "x-api-key"
          in   = "header"
        }
      }
    }
  })

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_deployment" "example" {
  rest_api_id = aws_api_gateway_rest_api.example.id

  triggers = {
    redeployment = sha1(jsonencode(aws_api_gateway_rest_api.example.body))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "example" {
  deployment_id = aws_api_gateway_deployment.example.id
  rest_api_id   = aws_api_gateway_rest_api.example.id
  stage_name    = "example"
}

resource "aws_api_gateway_api_key" "client" {
  name = "${var.name}-client"
}

resource "aws_api_gateway_usage_plan" "basic" {
  name = "${var.name}-basic"

  api_stages {
    api_id = aws_api_gateway_rest_api.example.id
    stage  = aws_api_gateway_stage.example.stage_name
  }

  throttle_settings {
    rate_limit  = 10
    burst_limit = 5
  }
}

resource "aws_api_gateway_usage_plan_key" "client" {
  key_id        = aws_api_gateway_api_key.client.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.basic.id
}

output "invoke_url" {
  value = aws_api_gateway_stage.example.invoke_url
}

output "api_key" {
  value     = aws_api_gateway_api_key.client.value
  sensitive = true
}
