provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}

resource "google_project_service" "scheduler" {
  service = "cloudscheduler.googleapis.com"
}

resource "google_cloud_scheduler_job" "nightly" {
  name        = "nightly-report"
  description = "Builds the nightly report"
  schedule    = "0 3 * * *"
  time_zone   = "Europe/Paris"

  retry_config {
    retry_count = 3
  }

  http_target {
    http_method = "POST"
    uri         = "https://reports.example.com/build"
    body        = base64encode("{\"kind\":\"nightly\"}")
    headers = {
      Content-Type = "application/json"
    }
  }
}
