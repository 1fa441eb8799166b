# The tutorial stack as most teams write it: a root module enabling the APIs and calling three
# local modules (the backend, the gateway in front of it, and one API key per consumer with
# `for_each`). On keyway's embedded emulator (no Google account needed):
#
#   keyway --emulator apply
#   keyway output -json api_keys      # every consumer's key (sensitive)
#   keyway --emulator destroy

variable "project" {
  type    = string
  default = "keyway-demo"
}

variable "region" {
  type    = string
  default = "us-central1"
}

variable "consumers" {
  type    = set(string)
  default = ["acme", "globex"]
}

provider "google" {
  project = var.project
  region  = var.region
}

resource "google_project_service" "apis" {
  for_each = toset([
    "apigateway.googleapis.com",
    "servicemanagement.googleapis.com",
    "servicecontrol.googleapis.com",
    "run.googleapis.com",
    "apikeys.googleapis.com",
    "iam.googleapis.com",
  ])
  service = each.value
}

module "backend" {
  source     = "./modules/backend"
  name       = "hello-backend"
  region     = var.region
  depends_on = [google_project_service.apis]
}

module "gateway" {
  source          = "./modules/gateway"
  name            = "hello"
  region          = var.region
  backend_url     = module.backend.uri
  service_account = module.backend.caller_email
  depends_on      = [google_project_service.apis]
}

module "keys" {
  source   = "./modules/key"
  for_each = var.consumers
  name     = "hello-${each.key}"
  service  = module.gateway.managed_service
}

check "acme_key_works" {
  data "http" "get" {
    url = "${module.gateway.url}/hello?key=${module.keys["acme"].key_string}"
  }

  assert {
    condition     = data.http.get.status_code == 200
    error_message = "GET /hello with acme's key answered ${data.http.get.status_code}, not 200."
  }
}

output "gateway_url" {
  value = module.gateway.url
}

output "api_keys" {
  value     = { for name, k in module.keys : name => k.key_string }
  sensitive = true
}
