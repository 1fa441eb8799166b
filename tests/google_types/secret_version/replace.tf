provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}

resource "google_project_service" "secretmanager" {
  service = "secretmanager.googleapis.com"
}

resource "google_secret_manager_secret" "api_token" {
  secret_id = "api-token"
  replication {
    user_managed {
      replicas {
        location = "europe-west1"
      }
    }
  }
}

resource "google_secret_manager_secret_version" "current" {
  secret      = google_secret_manager_secret.api_token.id
  secret_data = "second-token"
}

data "google_iam_policy" "readers" {
  binding {
    role    = "roles/secretmanager.secretAccessor"
    members = ["group:auditors@example.com"]
  }
}

resource "google_secret_manager_secret_iam_policy" "policy" {
  secret_id   = google_secret_manager_secret.api_token.secret_id
  policy_data = data.google_iam_policy.readers.policy_data
}
