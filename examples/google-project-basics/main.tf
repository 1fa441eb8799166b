# The first steps of the API Gateway tutorial on Google: enable the APIs, create the gateway's
# service account and grant it a role. Runs on keyway's embedded emulator:
#
#   keyway --emulator apply
#
# or against Google with Application Default Credentials and a real project:
#
#   keyway apply -var project=my-project

variable "project" {
  type    = string
  default = "keyway-demo"
}

provider "google" {
  project = var.project
  region  = "us-central1"
}

resource "google_project_service" "apis" {
  for_each = toset(["iam.googleapis.com", "run.googleapis.com", "apigateway.googleapis.com", "apikeys.googleapis.com"])
  service  = each.value
}

resource "google_service_account" "gateway" {
  account_id   = "api-gateway"
  display_name = "API Gateway backend caller"
  depends_on   = [google_project_service.apis]
}

resource "google_project_iam_member" "gateway_invoker" {
  project = var.project
  role    = "roles/run.invoker"
  member  = "serviceAccount:${google_service_account.gateway.email}"
}

data "google_project" "this" {}

output "gateway_account" {
  value = google_service_account.gateway.email
}

output "project_number" {
  value = data.google_project.this.number
}
