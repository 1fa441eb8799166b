# One API key, usable only for the given API.

variable "name" {
  type = string
}

variable "service" {
  type = string
}

resource "google_apikeys_key" "this" {
  name         = var.name
  display_name = "API key ${var.name}"

  restrictions {
    api_targets {
      service = var.service
    }
  }
}

output "key_string" {
  value     = google_apikeys_key.this.key_string
  sensitive = true
}
