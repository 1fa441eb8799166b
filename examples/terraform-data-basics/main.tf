# A tour of the engine on the built-in `terraform_data` resource: variables, locals, count,
# for_each, references between resources, outputs and a replacement trigger. It runs the same
# under Terraform, which is how keyway's semantics are compared with Terraform's.

variable "environment" {
  type        = string
  default     = "dev"
  description = "Deployment environment name."

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "The environment must be dev, staging or prod."
  }
}

variable "replicas" {
  type    = number
  default = 3
}

variable "release" {
  type        = string
  default     = "v1"
  description = "Changing it replaces terraform_data.release."
}

locals {
  services = toset(["api", "worker"])
  labels = {
    env   = var.environment
    owner = "platform"
  }
  prefix = "${var.environment}-app"
}

resource "terraform_data" "network" {
  input = {
    name   = "${local.prefix}-net"
    cidr   = cidrsubnet("10.0.0.0/8", 8, 1)
    labels = local.labels
  }
}

resource "terraform_data" "replica" {
  count = var.replicas
  input = format("%s-%02d@%s", local.prefix, count.index, terraform_data.network.output.name)
}

resource "terraform_data" "service" {
  for_each = local.services
  input = {
    name    = "${local.prefix}-${each.key}"
    network = terraform_data.network.output.cidr
    upper   = upper(each.value)
  }
}

resource "terraform_data" "release" {
  input            = "release ${var.release}"
  triggers_replace = [var.release]
}

output "replica_names" {
  value = terraform_data.replica[*].output
}

output "services" {
  value = { for k, s in terraform_data.service : k => s.output.name }
}

output "network_cidr" {
  value = terraform_data.network.output.cidr
}

output "release" {
  value = terraform_data.release.output
}
