provider "google" {
  project = "keyway-demo"
}

resource "google_project_service" "iam" {
  service = "iam.googleapis.com"
}

resource "google_service_account" "ci" {
  account_id = "ci-deployer"
  depends_on = [google_project_service.iam]
}

resource "google_service_account_key" "ci" {
  service_account_id = google_service_account.ci.name
  keepers = {
    rotation = "2026-12"
  }
}

output "credentials" {
  value     = google_service_account_key.ci.private_key
  sensitive = true
}
