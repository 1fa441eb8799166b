variable "name" {
  type = string
}

variable "tags" {
  type    = map(string)
  default = {}
}

locals {
  full = "${var.name}-${length(var.tags)}"
}

resource "terraform_data" "this" {
  input = local.full
}

module "leaf" {
  source = "./modules/leaf"
  value  = terraform_data.this.output
}

output "id_out" {
  value = terraform_data.this.output
}

output "leaf" {
  value = module.leaf.upper
}

output "where" {
  value = path.module
}
