provider "google" {
  project = "keyway-demo"
}

resource "google_project_service" "iam" {
  service = "iam.googleapis.com"
}

resource "google_storage_bucket" "specs" {
  name                        = "keyway-demo-specs"
  location                    = "us-central1"
  force_destroy               = true
  uniform_bucket_level_access = true

  versioning {
    enabled = true
  }

  cors {
    origin          = ["https://example.com"]
    method          = ["GET"]
    response_header = ["Content-Type"]
    max_age_seconds = 3600
  }

  labels = {
    team = "api"
  }
}

resource "google_service_account" "reader" {
  account_id = "spec-reader"
  depends_on = [google_project_service.iam]
}

resource "google_storage_bucket_iam_member" "reader" {
  bucket = google_storage_bucket.specs.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.reader.email}"

  # A new bucket starts with an empty policy: the grant goes with it.
  lifecycle {
    replace_triggered_by = [google_storage_bucket.specs.id]
  }
}
