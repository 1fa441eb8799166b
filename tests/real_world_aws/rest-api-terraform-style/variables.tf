variable "aws_region" {
  description = "Region to deploy to"
  type        = string
}

variable "project" {
  type = string
}

variable "stage_name" {
  type    = string
  default = "v1"
}
