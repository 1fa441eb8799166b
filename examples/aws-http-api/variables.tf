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

# The emulator's own test issuer (any `*.localhost` name reaches it); on AWS, your identity
# provider's issuer URL (Cognito, Auth0, ...).
variable "jwt_issuer" {
  type    = string
  default = "https://issuer.localhost/__aws/issuer"
}

variable "jwt_audience" {
  type    = string
  default = "items-api"
}

variable "mint_test_token" {
  description = "Mint a token from the emulator's test issuer for the checks (false with a real issuer)"
  type        = bool
  default     = true
}
