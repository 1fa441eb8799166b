# replace_triggered_by: a whole-resource reference triggers on any change of it; an
# attribute reference only when that attribute's value changes.

variable "v" {
  default = "a"
}

resource "terraform_data" "src" {
  input = var.v
}

resource "terraform_data" "on_any_change" {
  input = "fixed"
  lifecycle {
    replace_triggered_by = [terraform_data.src]
  }
}

resource "terraform_data" "on_output" {
  input = "fixed"
  lifecycle {
    replace_triggered_by = [terraform_data.src.output]
  }
}

resource "terraform_data" "on_id" {
  input = "fixed"
  lifecycle {
    replace_triggered_by = [terraform_data.src.id]
  }
}

output "inputs" {
  value = [terraform_data.on_any_change.input, terraform_data.on_output.input, terraform_data.on_id.input]
}
