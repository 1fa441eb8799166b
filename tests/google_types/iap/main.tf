provider "google" {
  project = "keyway-demo"
}

resource "google_project_service" "iap" {
  service = "iap.googleapis.com"
}

# One brand per project, named by the project's number; the API cannot delete it, so destroy
# only removes it from state.
resource "google_iap_brand" "consent" {
  support_email     = "support@example.com"
  application_title = "Keyway internal apps"
  depends_on        = [google_project_service.iap]
}

resource "google_iap_client" "web" {
  brand        = google_iap_brand.consent.name
  display_name = "Web frontend"
}

# `project` left out: the provider's.
resource "google_iap_web_iam_member" "alice" {
  role       = "roles/iap.httpsResourceAccessor"
  member     = "user:alice@example.com"
  depends_on = [google_project_service.iap]
}

resource "google_iap_web_iam_binding" "admins" {
  project    = "keyway-demo"
  role       = "roles/iap.admin"
  members    = ["user:bob@example.com"]
  depends_on = [google_project_service.iap]
}
