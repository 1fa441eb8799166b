# The binding and policy forms of the project's and a Cloud Run service's IAM (the member
# forms are hand-written types).
provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}

resource "google_project_service" "apis" {
  for_each = toset(["iam.googleapis.com", "run.googleapis.com", "cloudresourcemanager.googleapis.com"])
  service  = each.value
}

resource "google_service_account" "a" {
  account_id = "reader-a"
  depends_on = [google_project_service.apis]
}

resource "google_service_account" "b" {
  account_id = "reader-b"
  depends_on = [google_project_service.apis]
}

resource "google_project_iam_binding" "viewers" {
  project = "keyway-demo"
  role    = "roles/viewer"
  members = ["serviceAccount:${google_service_account.a.email}"]
}

resource "google_cloud_run_v2_service" "one" {
  name                = "one"
  location            = "us-central1"
  deletion_protection = false
  template {
    containers {
      image = "us-docker.pkg.dev/cloudrun/container/hello"
    }
  }
  depends_on = [google_project_service.apis]
}

resource "google_cloud_run_v2_service" "two" {
  name                = "two"
  location            = "us-central1"
  deletion_protection = false
  template {
    containers {
      image = "us-docker.pkg.dev/cloudrun/container/hello"
    }
  }
  depends_on = [google_project_service.apis]
}

resource "google_cloud_run_v2_service_iam_binding" "invokers" {
  name     = google_cloud_run_v2_service.one.name
  location = google_cloud_run_v2_service.one.location
  role     = "roles/run.invoker"
  members  = ["serviceAccount:${google_service_account.a.email}"]
}

data "google_iam_policy" "two" {
  binding {
    role    = "roles/run.invoker"
    members = ["serviceAccount:${google_service_account.b.email}"]
  }
}

resource "google_cloud_run_v2_service_iam_policy" "two" {
  name        = google_cloud_run_v2_service.two.name
  location    = google_cloud_run_v2_service.two.location
  policy_data = data.google_iam_policy.two.policy_data
}
