# The tutorial's API behind API Gateway, with what a real service around it needs: its image
# in an Artifact Registry repository, a database password generated once and kept in Secret
# Manager (the backend reads it as an environment variable, through its own service account),
# and a Cloud Scheduler job that calls the API every morning with its key. On keyway's
# embedded emulator (no Google account needed):
#
#   keyway --emulator apply
#   keyway --emulator destroy
#
# Against Google: `keyway apply -var project=YOUR_PROJECT` with Application Default
# Credentials (and an image pushed to the repository before the backend is created).

variable "project" {
  type    = string
  default = "keyway-demo"
}

variable "region" {
  type    = string
  default = "us-central1"
}

provider "google" {
  project = var.project
  region  = var.region
}

resource "google_project_service" "apis" {
  for_each = toset([
    "apigateway.googleapis.com",
    "servicemanagement.googleapis.com",
    "servicecontrol.googleapis.com",
    "run.googleapis.com",
    "apikeys.googleapis.com",
    "iam.googleapis.com",
    "secretmanager.googleapis.com",
    "artifactregistry.googleapis.com",
    "cloudscheduler.googleapis.com",
  ])
  service = each.value
}

# Where the backend's image lives.
resource "google_artifact_registry_repository" "images" {
  location      = var.region
  repository_id = "hello-images"
  description   = "Images of the hello backend"
  format        = "DOCKER"
}

locals {
  image = "${var.region}-docker.pkg.dev/${var.project}/${google_artifact_registry_repository.images.repository_id}/hello:1.0"
}

# The backend's secret: generated once, stored in Secret Manager, never shown.
resource "random_password" "db" {
  length  = 24
  special = false
}

resource "google_secret_manager_secret" "db_password" {
  secret_id = "hello-db-password"

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "db_password" {
  secret      = google_secret_manager_secret.db_password.id
  secret_data = random_password.db.result
}

# The backend runs as its own identity, which alone may read the secret.
resource "google_service_account" "backend" {
  account_id   = "hello-backend"
  display_name = "hello backend runtime"
}

resource "google_secret_manager_secret_iam_member" "backend_reads_password" {
  secret_id = google_secret_manager_secret.db_password.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.backend.email}"
}

resource "google_cloud_run_v2_service" "backend" {
  name                = "hello-backend"
  location            = var.region
  deletion_protection = false

  template {
    service_account = google_service_account.backend.email

    containers {
      image = local.image

      env {
        name = "DB_PASSWORD"
        value_source {
          secret_key_ref {
            secret  = google_secret_manager_secret.db_password.secret_id
            version = "latest"
          }
        }
      }
    }
  }

  depends_on = [
    google_secret_manager_secret_version.db_password,
    google_secret_manager_secret_iam_member.backend_reads_password,
  ]
}

# The gateway's identity, the only caller the backend accepts.
resource "google_service_account" "gateway" {
  account_id   = "api-gateway"
  display_name = "API Gateway backend caller"
}

resource "google_cloud_run_v2_service_iam_member" "gateway_invoker" {
  location = google_cloud_run_v2_service.backend.location
  name     = google_cloud_run_v2_service.backend.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.gateway.email}"
}

resource "google_api_gateway_api" "api" {
  api_id       = "hello-api"
  display_name = "Hello API"
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

resource "google_project_service" "managed" {
  service    = google_api_gateway_api.api.managed_service
  depends_on = [google_api_gateway_api_config.config]
}

resource "google_apikeys_key" "scheduler" {
  name         = "hello-scheduler-key"
  display_name = "Key of the morning job"

  restrictions {
    api_targets {
      service = google_api_gateway_api.api.managed_service
    }
  }

  depends_on = [google_project_service.managed]
}

# Every morning, a job calls the API through the gateway with its key.
resource "google_cloud_scheduler_job" "morning" {
  name             = "hello-every-morning"
  description      = "Calls GET /hello through the gateway"
  schedule         = "0 7 * * *"
  time_zone        = "Europe/Paris"
  region           = var.region
  attempt_deadline = "30s"

  retry_config {
    retry_count = 2
  }

  http_target {
    http_method = "GET"
    uri         = "https://${google_api_gateway_gateway.gateway.default_hostname}/hello"
    headers = {
      "x-api-key" = google_apikeys_key.scheduler.key_string
    }
  }
}

output "gateway_url" {
  value = "https://${google_api_gateway_gateway.gateway.default_hostname}"
}

output "image" {
  value = local.image
}

output "secret_version" {
  value = google_secret_manager_secret_version.db_password.name
}
