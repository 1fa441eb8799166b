provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}

resource "google_project_service" "tasks" {
  service = "cloudtasks.googleapis.com"
}

resource "google_cloud_tasks_queue" "jobs" {
  name     = "api-jobs"
  location = "us-central1"

  rate_limits {
    max_concurrent_dispatches = 3
    max_dispatches_per_second = 2
  }

  retry_config {
    max_attempts       = 5
    max_retry_duration = "4s"
    max_backoff        = "3s"
    min_backoff        = "2s"
    max_doublings      = 1
  }

  stackdriver_logging_config {
    sampling_ratio = 0.9
  }

  depends_on = [google_project_service.tasks]
}
