provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}

resource "google_project_service" "pubsub" {
  service = "pubsub.googleapis.com"
}

resource "google_pubsub_topic" "events" {
  name = "events"
}

resource "google_pubsub_subscription" "worker" {
  name  = "worker-2"
  topic = google_pubsub_topic.events.name

  ack_deadline_seconds = 30

  push_config {
    push_endpoint = "https://worker.example.com/push"
    attributes = {
      x-goog-version = "v1"
    }
  }

  retry_policy {
    minimum_backoff = "10s"
  }
}

resource "google_pubsub_subscription_iam_member" "reader" {
  subscription = google_pubsub_subscription.worker.name
  role         = "roles/pubsub.subscriber"
  member       = "user:ops@example.com"
}
