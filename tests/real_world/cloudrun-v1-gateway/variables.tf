variable "project_id" {
  description = "The GCP project to deploy into"
  type        = string
}

variable "region" {
  description = "Region for Cloud Run and the gateway"
  type        = string
  default     = "us-central1"
}

variable "service_name" {
  type    = string
  default = "orders-api"
}

variable "container_image" {
  type    = string
  default = "gcr.io/cloudrun/hello"
}

variable "api_consumers" {
  description = "One API key per consumer"
  type        = set(string)
  default     = ["mobile", "partner"]
}
