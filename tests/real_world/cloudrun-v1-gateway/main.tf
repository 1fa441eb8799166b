provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}

locals {
  apis = [
    "run.googleapis.com",
    "apigateway.googleapis.com",
    "servicemanagement.googleapis.com",
    "servicecontrol.googleapis.com",
    "apikeys.googleapis.com",
    "iam.googleapis.com",
  ]
  api_id = "${var.service_name}-api"
}

data "google_project" "this" {}

resource "google_project_service" "apis" {
  for_each           = toset(local.apis)
  project            = var.project_id
  service            = each.key
  disable_on_destroy = false
}

resource "google_service_account" "run_sa" {
  account_id   = "${var.service_name}-run"
  display_name = "Cloud Run runtime SA for ${var.service_name}"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "gateway_sa" {
  account_id   = "${var.service_name}-gw"
  display_name = "API Gateway invoker"
  depends_on   = [google_project_service.apis]
}

resource "google_cloud_run_service" "api" {
  name     = var.service_name
  location = var.region

  template {
    spec {
      service_account_name = google_service_account.run_sa.email
      containers {
        image = var.container_image
        ports {
          container_port = 8080
        }
        env {
          name  = "PROJECT_NUMBER"
          value = data.google_project.this.number
        }
        resources {
          limits = {
            cpu    = "1000m"
            memory = "512Mi"
          }
        }
      }
    }

    metadata {
      annotations = {
        "autoscaling.knative.dev/maxScale" = "5"
      }
    }
  }

  traffic {
    percent         = 100
    latest_revision = true
  }

  autogenerate_revision_name = true
  depends_on                 = [google_project_service.apis]
}

resource "google_cloud_run_service_iam_member" "gateway_invoker" {
  location = google_cloud_run_service.api.location
  project  = google_cloud_run_service.api.project
  service  = google_cloud_run_service.api.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.gateway_sa.email}"
}

resource "google_api_gateway_api" "api" {
  provider = google-beta
  api_id   = local.api_id
  depends_on = [google_project_service.apis]
}

resource "google_api_gateway_api_config" "cfg" {
  provider      = google-beta
  api           = google_api_gateway_api.api.api_id
  api_config_id_prefix = "${local.api_id}-cfg-"

  openapi_documents {
    document {
      path = "spec.yaml"
      contents = base64encode(templatefile("${path.module}/spec.yaml.tpl", {
        api_id  = local.api_id
        backend = google_cloud_run_service.api.status[0].url
      }))
    }
  }

  gateway_config {
    backend_config {
      google_service_account = google_service_account.gateway_sa.email
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_api_gateway_gateway" "gw" {
  provider   = google-beta
  region     = var.region
  api_config = google_api_gateway_api_config.cfg.id
  gateway_id = "${var.service_name}-gw"
}

resource "google_project_service" "managed_service" {
  service            = google_api_gateway_api.api.managed_service
  disable_on_destroy = false
  depends_on         = [google_api_gateway_gateway.gw]
}

resource "google_apikeys_key" "consumer" {
  for_each     = var.api_consumers
  name         = "${var.service_name}-${each.key}"
  display_name = "${each.key} key for ${var.service_name}"
  project      = var.project_id

  restrictions {
    api_targets {
      service = google_api_gateway_api.api.managed_service
      methods = ["GET*"]
    }
  }

  depends_on = [google_project_service.managed_service]
}
