output "cloud_run_url" {
  value = google_cloud_run_service.api.status[0].url
}

output "gateway_url" {
  value = "https://${google_api_gateway_gateway.gw.default_hostname}"
}

output "api_keys" {
  value     = { for k, v in google_apikeys_key.consumer : k => v.key_string }
  sensitive = true
}
