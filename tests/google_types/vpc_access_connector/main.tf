provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}

resource "google_project_service" "vpcaccess" {
  service = "vpcaccess.googleapis.com"
}

resource "google_vpc_access_connector" "connector" {
  name          = "run-to-sql"
  ip_cidr_range = "10.8.0.0/28"
  network       = "default"
  min_instances = 2
  max_instances = 3
}
