variable "names" {
  type    = list(string)
  default = ["acme", "globex"]
}

locals {
  prefix = "demo"
}

module "app" {
  source = "./modules/app"
  name   = "${local.prefix}-app"
}

module "keys" {
  source   = "./modules/app"
  for_each = toset(var.names)
  name     = each.key
  tags     = { owner = each.value }
}

module "counted" {
  source = "./modules/app"
  count  = 2
  name   = "c${count.index}"
}

resource "terraform_data" "root" {
  input      = module.app.id_out
  depends_on = [module.keys]
}

output "app" {
  value = module.app.id_out
}

output "keys" {
  value = { for k, m in module.keys : k => m.leaf }
}

output "counted" {
  value = module.counted[*].id_out
}

output "where" {
  value = [module.app.where, module.keys["acme"].where, path.module]
}

output "whole" {
  value = module.app
}
