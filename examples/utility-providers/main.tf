# The utility providers as real folders use them: a random suffix in a name, a generated
# password handed on (never shown), a creation time that stays put, a config file rendered
# from a template, zipped for upload, and a value asked of a local program.
#
# Files go to build/ (git-ignored). Changing `app` changes the keepers of the suffix, which
# is generated anew.

variable "app" {
  type    = string
  default = "orders"
}

resource "random_id" "suffix" {
  byte_length = 4
  keepers = {
    app = var.app
  }
}

resource "random_password" "db" {
  length           = 24
  override_special = "_-"
  min_numeric      = 2
}

resource "random_pet" "release" {
  prefix = var.app
}

resource "time_static" "created" {}

resource "time_offset" "credentials_expiry" {
  offset_days = 90
}

locals {
  name = "${var.app}-${random_id.suffix.hex}"
}

resource "local_file" "config" {
  filename = "${path.module}/build/config.json"
  content = templatefile("${path.module}/config.json.tftpl", {
    name    = local.name
    release = random_pet.release.id
    created = time_static.created.rfc3339
  })
  file_permission = "0644"
}

resource "local_sensitive_file" "credentials" {
  filename        = "${path.module}/build/credentials.env"
  content         = "DB_PASSWORD=${random_password.db.result}\n"
  file_permission = "0600"
}

data "archive_file" "bundle" {
  type        = "zip"
  source_file = local_file.config.filename
  output_path = "${path.module}/build/bundle.zip"
}

data "external" "bucket" {
  program = ["sh", "${path.module}/scripts/bucket.sh"]
  query = {
    app = var.app
  }
}

# Stands in for the upload: replaced whenever the bundle's bytes change.
resource "null_resource" "upload" {
  triggers = {
    bundle = data.archive_file.bundle.output_base64sha256
    bucket = data.external.bucket.result.bucket
  }
}

resource "terraform_data" "database_user" {
  input = {
    name          = local.name
    password_hash = random_password.db.bcrypt_hash
    expires       = time_offset.credentials_expiry.rfc3339
  }
}

output "name" {
  value = local.name
}

output "bundle_size" {
  value = data.archive_file.bundle.output_size
}

output "bucket" {
  value = data.external.bucket.result.bucket
}

output "db_password" {
  value     = random_password.db.result
  sensitive = true
}
