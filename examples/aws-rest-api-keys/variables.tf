variable "region" {
  type    = string
  default = "us-east-1"
}

variable "name" {
  type    = string
  default = "keyway-rest-items"
}

variable "release" {
  type    = string
  default = "1"
}

variable "burst_limit" {
  type    = number
  default = 5
}

variable "rate_limit" {
  type    = number
  default = 2
}

variable "daily_quota" {
  type    = number
  default = 1000
}
