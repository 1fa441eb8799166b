# Meta-arguments: count, for_each over maps and sets, depends_on, lifecycle and replacement.
variable "n" {
  type    = number
  default = 2
}

variable "keys" {
  type    = set(string)
  default = ["x", "y"]
}

variable "trigger" {
  default = "t1"
}

variable "payload" {
  default = "p1"
}

resource "terraform_data" "base" {
  input = "base"
}

resource "terraform_data" "counted" {
  count      = var.n
  input      = "c${count.index}"
  depends_on = [terraform_data.base]
}

resource "terraform_data" "keyed" {
  for_each = var.keys
  input    = "${each.key}-${each.value}"
}

resource "terraform_data" "mapped" {
  for_each = { first = 1, second = 2 }
  input    = each.value * 10
}

resource "terraform_data" "replaced" {
  input            = var.payload
  triggers_replace = [var.trigger]
}

resource "terraform_data" "cbd" {
  input            = "cbd"
  triggers_replace = var.trigger
  lifecycle {
    create_before_destroy = true
  }
}

output "counted" { value = terraform_data.counted[*].output }
output "keyed" { value = { for k, v in terraform_data.keyed : k => v.output } }
output "mapped" { value = { for k, v in terraform_data.mapped : k => v.output } }
output "replaced" { value = terraform_data.replaced.output }

# for_each over another resource's instances: the keys are known at plan time even though
# the values (each.value.output) are known only after apply.
resource "terraform_data" "chained" {
  for_each = terraform_data.mapped
  input    = "${each.key}:${each.value.output}"
}

output "chained" {
  value = { for k, v in terraform_data.chained : k => v.output }
}
