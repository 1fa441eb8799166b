# An API Gateway API, its config (the OpenAPI document pointing at the backend), the gateway,
# and the API's own managed service enabled, without which every key is refused.

variable "name" {
  type = string
}

variable "region" {
  type = string
}

variable "backend_url" {
  type = string
}

variable "service_account" {
  type = string
}

resource "google_api_gateway_api" "this" {
  api_id       = "${var.name}-api"
  display_name = "${var.name} API"
}

resource "google_api_gateway_api_config" "this" {
  api          = google_api_gateway_api.this.api_id
  display_name = "${var.name} API config"

  openapi_documents {
    document {
      path = "openapi.yaml"
      contents = base64encode(templatefile("${path.module}/openapi.yaml.tftpl", {
        title       = "${var.name}-api"
        backend_url = var.backend_url
      }))
    }
  }

  gateway_config {
    backend_config {
      google_service_account = var.service_account
    }
  }
}

resource "google_api_gateway_gateway" "this" {
  gateway_id = "${var.name}-gateway"
  api_config = google_api_gateway_api_config.this.id
  region     = var.region
}

resource "google_project_service" "managed" {
  service    = google_api_gateway_api.this.managed_service
  depends_on = [google_api_gateway_api_config.this]
}

# Without a key, the gateway refuses every request.
check "refused_without_key" {
  data "http" "anonymous" {
    url = "https://${google_api_gateway_gateway.this.default_hostname}/hello"
  }

  assert {
    condition     = data.http.anonymous.status_code == 401
    error_message = "GET /hello without a key answered ${data.http.anonymous.status_code}, not 401."
  }
}

output "url" {
  value = "https://${google_api_gateway_gateway.this.default_hostname}"
}

output "managed_service" {
  value      = google_api_gateway_api.this.managed_service
  depends_on = [google_project_service.managed]
}
