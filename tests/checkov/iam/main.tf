# A folder checkov's Google IAM checks apply to (tests/suite/checkov.rs): the findings on
# keyway's `show -json` of its plan are asserted check by check in expected_findings.json.
provider "google" {
  project = "demo-project"
  region  = "us-central1"
}

resource "google_project_service" "run" {
  service = "run.googleapis.com"
}

resource "google_service_account" "gateway" {
  account_id   = "gateway-sa"
  display_name = "API gateway"
}

# Fine: a narrow role for a service account.
resource "google_project_iam_member" "invoker" {
  project = "demo-project"
  role    = "roles/run.invoker"
  member  = "serviceAccount:gateway-sa@demo-project.iam.gserviceaccount.com"
}

# A basic role, given to a service account: admin privileges.
resource "google_project_iam_member" "owner" {
  project = "demo-project"
  role    = "roles/owner"
  member  = "serviceAccount:gateway-sa@demo-project.iam.gserviceaccount.com"
}

# A user who may act as any service account of the project.
resource "google_project_iam_member" "sa_user" {
  project = "demo-project"
  role    = "roles/iam.serviceAccountUser"
  member  = "user:dev@example.com"
}

# The Compute Engine default service account, granted at project level.
resource "google_project_iam_member" "default_sa" {
  project = "demo-project"
  role    = "roles/viewer"
  member  = "serviceAccount:123456789012-compute@developer.gserviceaccount.com"
}

# Its member is only known after apply.
resource "google_project_iam_member" "later" {
  project = "demo-project"
  role    = "roles/run.invoker"
  member  = google_service_account.gateway.member
}
