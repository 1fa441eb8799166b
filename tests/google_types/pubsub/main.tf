provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}

resource "google_project_service" "pubsub" {
  service = "pubsub.googleapis.com"
}

resource "google_pubsub_topic" "events" {
  name = "events"

  labels = {
    team = "core"
  }

  message_retention_duration = "86600s"
}

resource "google_pubsub_topic_iam_member" "publisher" {
  topic  = google_pubsub_topic.events.id
  role   = "roles/pubsub.publisher"
  member = "group:publishers@example.com"
}
