provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}

resource "google_project_service" "run" {
  service = "run.googleapis.com"
}

resource "google_project_service" "iam" {
  service = "iam.googleapis.com"
}

resource "google_service_account" "gw" {
  account_id = "gateway"
  depends_on = [google_project_service.iam]
}

resource "google_cloud_run_service" "api" {
  name     = "hello-api"
  location = "us-central1"
  template {
    spec {
      containers {
        image = "us-docker.pkg.dev/cloudrun/container/hello"
        env {
          name  = "GREETING"
          value = "hi"
        }
        ports {
          container_port = 8080
        }
        resources {
          limits = { memory = "512Mi", cpu = "1" }
        }
      }
      container_concurrency = 80
      timeout_seconds       = 300
    }
    metadata {
      annotations = { "autoscaling.knative.dev/maxScale" = "3" }
    }
  }
  traffic {
    percent         = 100
    latest_revision = true
  }
  autogenerate_revision_name = true
  depends_on                 = [google_project_service.run]
}

resource "google_cloud_run_service_iam_member" "invoker" {
  location = google_cloud_run_service.api.location
  service  = google_cloud_run_service.api.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.gw.email}"
}

output "url" {
  value = google_cloud_run_service.api.status[0].url
}
