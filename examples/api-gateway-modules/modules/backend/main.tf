# A private Cloud Run backend and the one identity allowed to invoke it.

variable "name" {
  type = string
}

variable "region" {
  type = string
}

variable "image" {
  type    = string
  default = "us-docker.pkg.dev/cloudrun/container/hello"
}

resource "google_service_account" "caller" {
  account_id   = "${var.name}-caller"
  display_name = "Caller of ${var.name}"
}

resource "google_cloud_run_v2_service" "this" {
  name                = var.name
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = false

  template {
    containers {
      image = var.image
    }
  }
}

resource "google_cloud_run_v2_service_iam_member" "caller" {
  project  = google_cloud_run_v2_service.this.project
  location = google_cloud_run_v2_service.this.location
  name     = google_cloud_run_v2_service.this.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.caller.email}"
}

output "uri" {
  value = google_cloud_run_v2_service.this.uri
}

output "caller_email" {
  value = google_service_account.caller.email
}
