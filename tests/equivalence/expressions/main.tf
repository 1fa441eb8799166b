# Expression forms, compared with Terraform's results.
variable "items" {
  type = list(object({ name = string, size = number, on = optional(bool, true) }))
  default = [
    { name = "a", size = 1 },
    { name = "b", size = 20, on = false },
    { name = "c", size = 3 },
  ]
}

variable "env" {
  default = "prod"
}

locals {
  on_names  = [for i in var.items : upper(i.name) if i.on]
  by_name   = { for i in var.items : i.name => i.size }
  grouped   = { for i in var.items : (i.size > 2 ? "big" : "small") => i.name... }
  sizes     = var.items[*].size
  total     = sum(local.sizes)
  label     = var.env == "prod" ? "production" : "other"
  nested    = { outer = { inner = [1, 2, { deep = "x" }] } }
  template  = "%{for i in var.items}${i.name}=${i.size}%{if i.on} on%{endif};%{endfor}"
  stripped  = "a %{~if true~} b %{~endif~} c"
  heredoc   = <<-EOT
    name: ${var.env}
      indented: true
    EOT
  math      = [1 + 2 * 3, (1 + 2) * 3, 10 % 3, -5 + 2, 7 / 2]
  compare   = [1 < 2, 2 <= 2, "a" == "a", [1, 2] == [1, 2], !true, true && false || true]
  escaped   = "dollar $${x} and percent %%{y} and quote \" and tab\t."
  index     = local.nested.outer.inner[2].deep
  splat_obj = [for k, v in local.by_name : "${k}:${v}"]
}

resource "terraform_data" "r" {
  count = 2
  input = { idx = count.index, name = "r${count.index}", label = local.label }
}

output "on_names" { value = local.on_names }
output "by_name" { value = local.by_name }
output "grouped" { value = local.grouped }
output "sizes" { value = local.sizes }
output "total" { value = local.total }
output "label" { value = local.label }
output "template" { value = local.template }
output "stripped" { value = local.stripped }
output "heredoc" { value = local.heredoc }
output "math" { value = local.math }
output "compare" { value = local.compare }
output "escaped" { value = local.escaped }
output "index" { value = local.index }
output "splat_obj" { value = local.splat_obj }
output "resource_splat" { value = terraform_data.r[*].output.name }
output "resource_for" { value = { for r in terraform_data.r : r.output.name => r.output.idx } }
