provider "google" {
  project = "keyway-demo"
}

resource "google_project_service" "firestore" {
  service = "firestore.googleapis.com"
}

resource "google_firestore_database" "app" {
  name                              = "app-data"
  location_id                       = "nam5"
  type                              = "FIRESTORE_NATIVE"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  deletion_policy                   = "DELETE"
  depends_on                        = [google_project_service.firestore]
}
