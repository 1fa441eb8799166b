# The whole tutorial stack: a private Cloud Run backend behind API Gateway, protected by an
# API key. On keyway's embedded emulator (no Google account needed):
#
#   keyway --emulator apply
#   keyway output -raw api_key        # hand the key to curl or a script
#   keyway --emulator destroy
#
# Against Google: `keyway apply -var project=YOUR_PROJECT` with Application Default Credentials.

variable "project" {
  type    = string
  default = "keyway-demo"
}

variable "region" {
  type    = string
  default = "us-central1"
}

variable "image" {
  type    = string
  default = "us-docker.pkg.dev/cloudrun/container/hello"
}

provider "google" {
  project = var.project
  region  = var.region
}

# Step 1: the APIs the stack needs.
resource "google_project_service" "apis" {
  for_each = toset([
    "apigateway.googleapis.com",
    "servicemanagement.googleapis.com",
    "servicecontrol.googleapis.com",
    "run.googleapis.com",
    "apikeys.googleapis.com",
    "iam.googleapis.com",
  ])
  service = each.value
}

# Step 2: the identity the gateway uses to call the backend.
resource "google_service_account" "gateway" {
  account_id   = "api-gateway"
  display_name = "API Gateway backend caller"
  depends_on   = [google_project_service.apis]
}

# Step 3: the backend, with unauthenticated access off (no `allUsers` grant).
resource "google_cloud_run_v2_service" "backend" {
  name                = "hello-backend"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = false

  template {
    containers {
      image = var.image
    }
  }

  depends_on = [google_project_service.apis]
}

# Step 4: only the gateway may invoke the backend.
resource "google_cloud_run_v2_service_iam_member" "gateway_invoker" {
  project  = google_cloud_run_v2_service.backend.project
  location = google_cloud_run_v2_service.backend.location
  name     = google_cloud_run_v2_service.backend.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.gateway.email}"
}

# Step 5: the API, its configuration (the OpenAPI document pointing at the backend) and the
# gateway. A changed document becomes a new config, the gateway switches to it, and the old
# one is deleted: keyway does this itself, no create_before_destroy or ID prefix needed.
resource "google_api_gateway_api" "api" {
  api_id       = "hello-api"
  display_name = "Hello API"
  depends_on   = [google_project_service.apis]
}

resource "google_api_gateway_api_config" "config" {
  api          = google_api_gateway_api.api.api_id
  display_name = "Hello API config"

  openapi_documents {
    document {
      path = "openapi.yaml"
      contents = base64encode(templatefile("${path.module}/openapi.yaml.tftpl", {
        title       = "hello-api"
        backend_url = google_cloud_run_v2_service.backend.uri
      }))
    }
  }

  gateway_config {
    backend_config {
      google_service_account = google_service_account.gateway.email
    }
  }
}

resource "google_api_gateway_gateway" "gateway" {
  gateway_id = "hello-gateway"
  api_config = google_api_gateway_api_config.config.id
  region     = var.region
}

# Step 6: enable the API's own managed service, the step most guides leave out: without it
# every key is rejected.
resource "google_project_service" "managed" {
  service    = google_api_gateway_api.api.managed_service
  depends_on = [google_api_gateway_api_config.config]
}

# Step 7: an API key that only works for this API. Its key string is a secret: it never
# appears in plans or logs; `keyway output -raw api_key` hands it to a script.
resource "google_apikeys_key" "key" {
  name         = "hello-key"
  display_name = "Hello API key"

  restrictions {
    api_targets {
      service = google_api_gateway_api.api.managed_service
    }
  }

  depends_on = [google_project_service.managed]
}

# Step 8: the tutorial's own tests, run by keyway after every apply (and on plan once the
# gateway exists): GET and POST with the key reach the backend, which echoes the request; a
# request without a key is refused. A failed check is a warning naming what went wrong (a
# missing run.invoker grant shows as the backend's 403), never a failed apply.
locals {
  hello_url = "https://${google_api_gateway_gateway.gateway.default_hostname}/hello"
}

check "get_with_key" {
  data "http" "get" {
    url = "${local.hello_url}?key=${google_apikeys_key.key.key_string}"
  }

  assert {
    condition = (data.http.get.status_code == 200
    && try(jsondecode(data.http.get.response_body).method == "GET", false))
    error_message = "GET /hello with the key answered ${data.http.get.status_code}; expected 200 and the echoed request."
  }
}

check "post_with_key" {
  data "http" "post" {
    url             = "${local.hello_url}?key=${google_apikeys_key.key.key_string}"
    method          = "POST"
    request_headers = { Content-Type = "application/json" }
    request_body    = jsonencode({ greeting = "hello" })
  }

  assert {
    condition = (data.http.post.status_code == 200
    && try(jsondecode(data.http.post.response_body).body.greeting == "hello", false))
    error_message = "POST /hello with the key answered ${data.http.post.status_code}; expected 200 and the echoed body."
  }
}

check "refused_without_key" {
  data "http" "anonymous" {
    url = local.hello_url
  }

  assert {
    condition     = data.http.anonymous.status_code == 401
    error_message = "GET /hello without a key answered ${data.http.anonymous.status_code}, not 401."
  }
}

output "gateway_url" {
  value = "https://${google_api_gateway_gateway.gateway.default_hostname}"
}

output "backend_url" {
  value = google_cloud_run_v2_service.backend.uri
}

output "api_key" {
  value     = google_apikeys_key.key.key_string
  sensitive = true
}
