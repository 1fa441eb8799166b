provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}

resource "google_project_service" "run" {
  service = "run.googleapis.com"
}

resource "google_cloud_run_v2_job" "migrate" {
  name                = "db-migrate"
  location            = "us-central1"
  deletion_protection = false

  template {
    task_count = 1

    template {
      max_retries = 1
      timeout     = "300s"

      containers {
        image = "us-docker.pkg.dev/cloudrun/container/job"
        args  = ["migrate", "--all"]

        env {
          name  = "MODE"
          value = "incremental"
        }

        resources {
          limits = {
            cpu    = "1"
            memory = "512Mi"
          }
        }
      }
    }
  }
}

resource "google_cloud_run_v2_job_iam_member" "scheduler_runs_it" {
  name     = google_cloud_run_v2_job.migrate.name
  location = google_cloud_run_v2_job.migrate.location
  role     = "roles/run.invoker"
  member   = "group:operators@example.com"
}
