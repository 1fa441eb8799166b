provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}

resource "google_project_service" "secretmanager" {
  service = "secretmanager.googleapis.com"
}

resource "google_secret_manager_secret" "db_password" {
  secret_id = "db-password-2"

  labels = {
    team = "platform"
  }

  replication {
    auto {}
  }
}
