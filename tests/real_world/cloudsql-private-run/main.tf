terraform {
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 5.10"
    }
    random = {
      source = "hashicorp/random"
    }
  }
}

variable "project" {
  type    = string
  default = "inventory-dev-1932"
}

variable "region" {
  type    = string
  default = "europe-west1"
}

variable "app_env" {
  type = map(string)
  default = {
    LOG_LEVEL = "info"
    APP_MODE  = "api"
  }
}

provider "google" {
  project = var.project
  region  = var.region
}

resource "google_project_service" "enabled" {
  for_each = toset([
    "compute.googleapis.com",
    "servicenetworking.googleapis.com",
    "sqladmin.googleapis.com",
    "vpcaccess.googleapis.com",
    "secretmanager.googleapis.com",
    "run.googleapis.com",
    "iam.googleapis.com",
  ])
  service            = each.value
  disable_on_destroy = false
}

module "network" {
  source     = "./modules/network"
  name       = "inventory"
  region     = var.region
  depends_on = [google_project_service.enabled]
}

resource "random_id" "db_suffix" {
  byte_length = 4
}

resource "random_password" "db" {
  length           = 20
  special          = true
  override_special = "_-"
}

resource "google_sql_database_instance" "main" {
  name             = "inventory-${random_id.db_suffix.hex}"
  database_version = "POSTGRES_15"
  region           = var.region

  settings {
    tier              = "db-custom-1-3840"
    availability_type = "ZONAL"
    disk_autoresize   = true

    ip_configuration {
      ipv4_enabled    = false
      private_network = module.network.network_id
    }

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
    }

    insights_config {
      query_insights_enabled = true
    }
  }

  deletion_protection = false
  depends_on          = [module.network]
}

resource "google_sql_database" "inventory" {
  name     = "inventory"
  instance = google_sql_database_instance.main.name
}

resource "google_sql_user" "app" {
  name     = "inventory_app"
  instance = google_sql_database_instance.main.name
  password = random_password.db.result
}

resource "google_secret_manager_secret" "db_password" {
  secret_id = "inventory-db-password"
  replication {
    auto {}
  }
  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret_version" "db_password" {
  secret      = google_secret_manager_secret.db_password.id
  secret_data = random_password.db.result
}

resource "google_service_account" "app" {
  account_id   = "inventory-app"
  display_name = "Inventory service"
  depends_on   = [google_project_service.enabled]
}

resource "google_secret_manager_secret_iam_member" "app_reads_password" {
  secret_id = google_secret_manager_secret.db_password.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.app.email}"
}

resource "google_project_iam_member" "app_sql_client" {
  project = var.project
  role    = "roles/cloudsql.client"
  member  = "serviceAccount:${google_service_account.app.email}"
}

resource "google_cloud_run_v2_service" "app" {
  name                = "inventory-api"
  location            = var.region
  deletion_protection = false
  ingress             = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"

  template {
    service_account = google_service_account.app.email

    vpc_access {
      connector = module.network.connector_id
      egress    = "PRIVATE_RANGES_ONLY"
    }

    containers {
      image = "us-docker.pkg.dev/cloudrun/container/hello"

      dynamic "env" {
        for_each = var.app_env
        content {
          name  = env.key
          value = env.value
        }
      }

      env {
        name  = "DB_HOST"
        value = google_sql_database_instance.main.private_ip_address
      }

      env {
        name = "DB_PASSWORD"
        value_source {
          secret_key_ref {
            secret  = google_secret_manager_secret.db_password.secret_id
            version = "latest"
          }
        }
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.app_reads_password, google_secret_manager_secret_version.db_password]
}

output "db_connection_name" {
  value = google_sql_database_instance.main.connection_name
}

output "db_private_ip" {
  value = google_sql_database_instance.main.private_ip_address
}

output "service_uri" {
  value = google_cloud_run_v2_service.app.uri
}
