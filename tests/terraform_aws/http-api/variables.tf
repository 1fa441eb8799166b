variable "region" {
  type    = string
  default = "us-east-1"
}

variable "name" {
  type    = string
  default = "keyway-items"
}

variable "greeting" {
  type    = string
  default = "hello"
}

variable "web_origin" {
  type    = string
  default = "https://app.example.com"
}

variable "jwt_issuer" {
  type    = string
  default = "https://issuer.example.com"
}

variable "jwt_audience" {
  type    = string
  default = "items-api"
}

variable "endpoint" {
  type = string
}
