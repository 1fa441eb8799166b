# `show -json` and `plan -json` compared with Terraform's (tests/suite/equivalence.rs):
# variables (one sensitive), locals, count, for_each, splat and indexed references, outputs.
variable "n" {
  type    = number
  default = 2
}

variable "secret" {
  type      = string
  default   = "s3cr3t"
  sensitive = true
}

variable "owner" {
  description = "Who owns these objects."
  default     = "team-a"
}

locals {
  tags = { env = "test", team = "core" }
  name = "base-${var.owner}"
}

resource "terraform_data" "base" {
  input = { name = local.name, tags = local.tags, sizes = [1, 2] }
}

resource "terraform_data" "many" {
  count = var.n
  input = format("%s-%d", terraform_data.base.output.name, count.index)
}

resource "terraform_data" "each" {
  for_each         = toset(["a", "b"])
  input            = "${each.key}:${jsonencode(local.tags)}"
  triggers_replace = [var.n]
}

resource "terraform_data" "first" {
  input = terraform_data.many[0].output
}

resource "terraform_data" "sec" {
  input = var.secret
}

resource "terraform_data" "literal" {
  input = { enabled = true, count = 3, nothing = null, list = ["x", "y"] }
}

output "names" {
  value = terraform_data.many[*].output
}

output "lit" {
  value = "x"
}

output "owner" {
  description = "The owner."
  value       = var.owner
}

output "sec" {
  value     = var.secret
  sensitive = true
}
