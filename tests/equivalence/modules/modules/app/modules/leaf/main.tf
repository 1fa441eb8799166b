variable "value" {}

resource "terraform_data" "leaf" {
  input = upper(var.value)
}

output "upper" {
  value = terraform_data.leaf.output
}
