# Cloud SQL on a private IP, the way the provider's own examples build it: a VPC, an address
# range reserved for Google's services, the private services connection, and an instance that
# waits for the connection (without the depends_on, Google refuses the instance).
provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}

resource "google_project_service" "apis" {
  for_each = toset(["compute.googleapis.com", "servicenetworking.googleapis.com", "sqladmin.googleapis.com"])
  service  = each.value
}

resource "google_compute_network" "private" {
  name                    = "private-network"
  auto_create_subnetworks = false
  depends_on              = [google_project_service.apis]
}

resource "google_compute_global_address" "private_ip" {
  name          = "private-ip-address"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = 16
  network       = google_compute_network.private.id
}

resource "google_service_networking_connection" "private_vpc" {
  network                 = google_compute_network.private.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_ip.name]
}

resource "google_sql_database_instance" "db" {
  name                = "private-db"
  database_version    = "POSTGRES_15"
  deletion_protection = false
  depends_on          = [google_service_networking_connection.private_vpc]

  settings {
    tier = "db-f1-micro"
    ip_configuration {
      ipv4_enabled    = false
      private_network = google_compute_network.private.id
    }
  }
}

output "private_ip" {
  value = google_sql_database_instance.db.private_ip_address
}
