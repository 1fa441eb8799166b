resource "aws_apigatewayv2_api" "notes" {
  name          = "${var.prefix}-api"
  protocol_type = "HTTP"

  body = templatefile("${path.module}/openapi.yaml", {
    title      = "${var.prefix} (OpenAPI)"
    invoke_arn = aws_lambda_function.handler.invoke_arn
  })
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.notes.id
  name        = "$default"
  auto_deploy = true
}

output "api_endpoint" {
  value = aws_apigatewayv2_api.notes.api_endpoint
}
