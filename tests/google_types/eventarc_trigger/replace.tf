provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}

resource "google_project_service" "apis" {
  for_each = toset(["eventarc.googleapis.com", "pubsub.googleapis.com"])
  service  = each.value
}

resource "google_pubsub_topic" "uploads" {
  name = "uploads"
}

resource "google_eventarc_trigger" "on_upload" {
  name     = "on-upload-2"
  location = "us-central1"

  matching_criteria {
    attribute = "type"
    value     = "google.cloud.pubsub.topic.v1.messagePublished"
  }

  destination {
    cloud_run_service {
      service = "hello-backend"
      path    = "/events"
      region  = "us-central1"
    }
  }

  transport {
    pubsub {
      topic = google_pubsub_topic.uploads.id
    }
  }

  service_account = "trigger@keyway-demo.iam.gserviceaccount.com"
}
