# An event pipeline around a Cloud Run worker: uploads land in a bucket, Eventarc routes them
# to the worker, a nightly Scheduler job publishes to Pub/Sub, a push subscription calls the
# worker, images live in Artifact Registry.
terraform {
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
  }
}

variable "project_id" {
  type    = string
  default = "acme-events-7731"
}

variable "region" {
  type    = string
  default = "us-east1"
}

variable "enable_nightly" {
  type    = bool
  default = true
}

provider "google" {
  project = var.project_id
  region  = var.region
}

data "google_project" "project" {}

locals {
  services = toset([
    "run.googleapis.com", "eventarc.googleapis.com", "pubsub.googleapis.com",
    "cloudscheduler.googleapis.com", "artifactregistry.googleapis.com",
    "storage.googleapis.com", "iam.googleapis.com", "cloudtasks.googleapis.com",
  ])
  worker_sa = "serviceAccount:${google_service_account.worker.email}"
}

resource "google_project_service" "svc" {
  for_each           = local.services
  service            = each.value
  disable_on_destroy = false
}

resource "google_artifact_registry_repository" "images" {
  location      = var.region
  repository_id = "worker-images"
  format        = "DOCKER"
  description   = "Images for the events worker"
  depends_on    = [google_project_service.svc]
}

resource "google_service_account" "worker" {
  account_id   = "events-worker"
  display_name = "Events worker"
  depends_on   = [google_project_service.svc]
}

resource "google_artifact_registry_repository_iam_member" "worker_pull" {
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.reader"
  member     = local.worker_sa
}

resource "google_storage_bucket" "uploads" {
  name                        = "${var.project_id}-uploads"
  location                    = "US"
  uniform_bucket_level_access = true
  force_destroy               = true

  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }
}

data "google_iam_policy" "uploads" {
  binding {
    role    = "roles/storage.objectViewer"
    members = [local.worker_sa]
  }
  binding {
    role    = "roles/storage.legacyBucketOwner"
    members = ["projectOwner:${var.project_id}"]
  }
}

resource "google_storage_bucket_iam_policy" "uploads" {
  bucket      = google_storage_bucket.uploads.name
  policy_data = data.google_iam_policy.uploads.policy_data
}

resource "google_cloud_run_v2_service" "worker" {
  name                = "events-worker"
  location            = var.region
  deletion_protection = false

  template {
    service_account = google_service_account.worker.email
    containers {
      image = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}/worker:latest"
    }
  }
  depends_on = [google_artifact_registry_repository_iam_member.worker_pull]
}

resource "google_cloud_run_v2_service_iam_member" "worker_invoker" {
  name     = google_cloud_run_v2_service.worker.name
  location = google_cloud_run_v2_service.worker.location
  role     = "roles/run.invoker"
  member   = local.worker_sa
}

resource "google_pubsub_topic" "nightly" {
  name                       = "nightly-batch"
  message_retention_duration = "86600s"
  depends_on                 = [google_project_service.svc]
}

resource "google_pubsub_subscription" "nightly_push" {
  name                 = "nightly-batch-push"
  topic                = google_pubsub_topic.nightly.id
  ack_deadline_seconds = 60

  push_config {
    push_endpoint = "${google_cloud_run_v2_service.worker.uri}/nightly"
    oidc_token {
      service_account_email = google_service_account.worker.email
    }
  }

  retry_policy {
    minimum_backoff = "10s"
  }
}

resource "google_cloud_scheduler_job" "nightly" {
  count     = var.enable_nightly ? 1 : 0
  name      = "nightly-batch"
  schedule  = "0 3 * * *"
  time_zone = "Etc/UTC"
  region    = var.region

  pubsub_target {
    topic_name = google_pubsub_topic.nightly.id
    data       = base64encode("{\"run\":\"nightly\"}")
  }
}

resource "google_eventarc_trigger" "uploads" {
  name     = "on-upload"
  location = "us"

  matching_criteria {
    attribute = "type"
    value     = "google.cloud.storage.object.v1.finalized"
  }
  matching_criteria {
    attribute = "bucket"
    value     = google_storage_bucket.uploads.name
  }

  destination {
    cloud_run_service {
      service = google_cloud_run_v2_service.worker.name
      region  = var.region
      path    = "/upload"
    }
  }

  service_account = google_service_account.worker.email
  depends_on      = [google_cloud_run_v2_service_iam_member.worker_invoker]
}

resource "google_cloud_tasks_queue" "retries" {
  name     = "worker-retries"
  location = var.region

  retry_config {
    max_attempts = 5
  }
  depends_on = [google_project_service.svc]
}

output "bucket" {
  value = google_storage_bucket.uploads.url
}

output "worker" {
  value = google_cloud_run_v2_service.worker.uri
}

output "scheduler_jobs" {
  value = google_cloud_scheduler_job.nightly[*].id
}
