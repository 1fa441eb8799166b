//! Where each AWS service is: the provider's or backend's `endpoints { ... }` block first, then
//! the SDKs' `AWS_ENDPOINT_URL_<SERVICE>` and `AWS_ENDPOINT_URL`, then AWS's own hosts — the
//! order Terraform's AWS provider follows, so folders pointed at moto or LocalStack work as
//! they are.

use std::collections::BTreeMap;

/// The AWS services keyway talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    ApiGateway,
    ApiGatewayV2,
    Lambda,
    Iam,
    Sts,
    S3,
    Kms,
}

impl Service {
    pub const ALL: [Service; 7] = [
        Service::ApiGateway,
        Service::ApiGatewayV2,
        Service::Lambda,
        Service::Iam,
        Service::Sts,
        Service::S3,
        Service::Kms,
    ];

    /// The key in Terraform's `endpoints` block.
    pub fn endpoints_key(self) -> &'static str {
        match self {
            Service::ApiGateway => "apigateway",
            Service::ApiGatewayV2 => "apigatewayv2",
            Service::Lambda => "lambda",
            Service::Iam => "iam",
            Service::Sts => "sts",
            Service::S3 => "s3",
            Service::Kms => "kms",
        }
    }

    /// The SigV4 signing name (both API Gateway versions sign as `apigateway`).
    pub fn signing_name(self) -> &'static str {
        match self {
            Service::ApiGateway | Service::ApiGatewayV2 => "apigateway",
            Service::Lambda => "lambda",
            Service::Iam => "iam",
            Service::Sts => "sts",
            Service::S3 => "s3",
            Service::Kms => "kms",
        }
    }

    /// The suffix of the SDKs' service-specific variable (`AWS_ENDPOINT_URL_API_GATEWAY`),
    /// from each service's ID as the SDKs spell it.
    fn env_suffix(self) -> &'static str {
        match self {
            Service::ApiGateway => "API_GATEWAY",
            Service::ApiGatewayV2 => "APIGATEWAYV2",
            Service::Lambda => "LAMBDA",
            Service::Iam => "IAM",
            Service::Sts => "STS",
            Service::S3 => "S3",
            Service::Kms => "KMS",
        }
    }

    /// IAM is global: one endpoint, signed for us-east-1.
    pub fn signing_region(self, region: &str) -> String {
        match self {
            Service::Iam => "us-east-1".to_owned(),
            _ => region.to_owned(),
        }
    }

    fn default_url(self, region: &str) -> String {
        match self {
            Service::Iam => "https://iam.amazonaws.com".to_owned(),
            Service::ApiGateway | Service::ApiGatewayV2 => {
                format!("https://apigateway.{region}.amazonaws.com")
            }
            Service::Lambda => format!("https://lambda.{region}.amazonaws.com"),
            Service::Sts => format!("https://sts.{region}.amazonaws.com"),
            Service::S3 => format!("https://s3.{region}.amazonaws.com"),
            Service::Kms => format!("https://kms.{region}.amazonaws.com"),
        }
    }
}

/// Endpoint overrides by service, as configured; `resolve` adds the environment.
#[derive(Clone, Debug, Default)]
pub struct Endpoints {
    pub configured: BTreeMap<Service, String>,
}

impl Endpoints {
    /// Every service at one URL (keyway's emulator, moto in server mode).
    pub fn all_at(url: &str) -> Self {
        Endpoints {
            configured: Service::ALL
                .iter()
                .map(|s| (*s, url.trim_end_matches('/').to_owned()))
                .collect(),
        }
    }

    /// Sets a service's endpoint from its `endpoints` block key; false for an unknown key.
    pub fn set(&mut self, key: &str, url: &str) -> bool {
        match Service::ALL.iter().find(|s| s.endpoints_key() == key) {
            Some(service) => {
                self.configured
                    .insert(*service, url.trim_end_matches('/').to_owned());
                true
            }
            None => false,
        }
    }

    /// The base URL of `service` (no trailing slash).
    pub fn resolve(&self, service: Service, region: &str) -> String {
        self.resolve_with(service, region, |name| std::env::var(name).ok())
    }

    fn resolve_with(
        &self,
        service: Service,
        region: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> String {
        if let Some(url) = self.configured.get(&service) {
            return url.clone();
        }
        let specific = format!("AWS_ENDPOINT_URL_{}", service.env_suffix());
        env(&specific)
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .filter(|url| !url.is_empty())
            .map(|url| url.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| service.default_url(region))
    }

    /// True when any service is pointed somewhere other than AWS.
    pub fn is_custom(&self, service: Service) -> bool {
        let region = "us-east-1";
        self.resolve(service, region) != service.default_url(region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_then_specific_variable_then_general_then_aws() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let mut endpoints = Endpoints::default();
        let all = env(&[
            ("AWS_ENDPOINT_URL", "http://general:1"),
            ("AWS_ENDPOINT_URL_APIGATEWAYV2", "http://v2:2/"),
        ]);
        assert_eq!(
            endpoints.resolve_with(Service::ApiGatewayV2, "eu-west-1", all),
            "http://v2:2"
        );
        assert_eq!(
            endpoints.resolve_with(Service::Lambda, "eu-west-1", all),
            "http://general:1"
        );
        assert!(endpoints.set("apigatewayv2", "http://block:3"));
        assert!(!endpoints.set("apigatewayv3", "http://x"));
        assert_eq!(
            endpoints.resolve_with(Service::ApiGatewayV2, "eu-west-1", all),
            "http://block:3"
        );
        assert_eq!(
            endpoints.resolve_with(Service::ApiGateway, "eu-west-1", env(&[])),
            "https://apigateway.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            endpoints.resolve_with(Service::Iam, "eu-west-1", env(&[])),
            "https://iam.amazonaws.com"
        );
        assert_eq!(Service::Iam.signing_region("eu-west-1"), "us-east-1");
    }
}
