provider "google" {
  project = "keyway-demo"
}

resource "google_project_service" "iam" {
  service = "iam.googleapis.com"
}

resource "google_service_account" "runner" {
  account_id = "runner"
}

resource "google_service_account" "deployer" {
  account_id = "deployer"
}

resource "google_service_account_iam_member" "deployer_acts_as_runner" {
  service_account_id = google_service_account.runner.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${google_service_account.deployer.email}"
}

resource "google_service_account_iam_binding" "token_creators" {
  service_account_id = google_service_account.runner.name
  role               = "roles/iam.serviceAccountTokenCreator"
  members            = ["user:alice@example.com", "user:bob@example.com", "user:carol@example.com"]
}

data "google_iam_policy" "only_admin" {
  binding {
    role    = "roles/iam.serviceAccountAdmin"
    members = ["user:admin@example.com"]
  }
}

resource "google_service_account_iam_policy" "deployer" {
  service_account_id = google_service_account.deployer.name
  policy_data        = data.google_iam_policy.only_admin.policy_data
}
