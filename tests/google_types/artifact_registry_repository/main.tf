provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}

resource "google_project_service" "ar" {
  service = "artifactregistry.googleapis.com"
}

resource "google_artifact_registry_repository" "images" {
  location      = "us-central1"
  repository_id = "app-images"
  description   = "Container images"
  format        = "DOCKER"

  docker_config {
    immutable_tags = true
  }

  labels = {
    env = "dev"
  }
}
