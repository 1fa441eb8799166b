provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}

resource "google_project_service" "sqladmin" {
  service = "sqladmin.googleapis.com"
}

resource "random_password" "db" {
  length  = 24
  special = false
}

resource "google_sql_database_instance" "db" {
  name                = "app-db-1"
  database_version    = "POSTGRES_15"
  region              = "us-central1"
  deletion_protection = false

  settings {
    tier      = "db-f1-micro"
    disk_size = 10

    ip_configuration {
      ipv4_enabled = true
      authorized_networks {
        name  = "office"
        value = "203.0.113.0/24"
      }
    }

    backup_configuration {
      enabled    = true
      start_time = "03:00"
    }

    database_flags {
      name  = "max_connections"
      value = "100"
    }

    user_labels = {
      env = "test"
    }
  }

  depends_on = [google_project_service.sqladmin]
}

resource "google_sql_database" "app" {
  name     = "app"
  instance = google_sql_database_instance.db.name
}

resource "google_sql_user" "app" {
  name     = "app"
  instance = google_sql_database_instance.db.name
  password = random_password.db.result
}

output "connection_name" {
  value = google_sql_database_instance.db.connection_name
}

output "public_ip" {
  value = google_sql_database_instance.db.public_ip_address
}
