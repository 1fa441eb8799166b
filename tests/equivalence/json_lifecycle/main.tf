# `show -json` and `plan -json` compared with Terraform's (tests/suite/equivalence.rs):
# replacement by trigger and by create_before_destroy, removal through count, depends_on,
# an update in place, and a check block.
variable "trigger" {
  default = "t1"
}

variable "enabled" {
  default = true
}

variable "payload" {
  default = "p1"
}

resource "terraform_data" "trigger" {
  input = var.trigger
}

resource "terraform_data" "replaced" {
  input = "r"
  lifecycle {
    replace_triggered_by = [terraform_data.trigger]
  }
}

resource "terraform_data" "cbd" {
  input            = "cbd"
  triggers_replace = var.trigger
  lifecycle {
    create_before_destroy = true
  }
}

resource "terraform_data" "optional" {
  count      = var.enabled ? 1 : 0
  input      = var.payload
  depends_on = [terraform_data.trigger]
}

resource "terraform_data" "updated" {
  input = var.payload
}

check "payload" {
  assert {
    condition     = var.payload == "p1"
    error_message = "payload changed"
  }
}

output "optional_outputs" {
  value = terraform_data.optional[*].output
}
