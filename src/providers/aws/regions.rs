//! AWS's regions and partitions, as data (`schemas/aws/regions.json`, taken from botocore's
//! endpoints file): what `aws_region` answers for a region other than the provider's (the
//! Terraform provider looks regions up in the SDK's partition data too, with no request), and
//! which partition `aws_partition` names.

use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Region {
    pub name: String,
    pub description: String,
    pub partition: String,
    pub dns_suffix: String,
}

impl Region {
    /// The EC2 endpoint host Terraform's `aws_region` reports.
    pub fn endpoint(&self) -> String {
        format!("ec2.{}.{}", self.name, self.dns_suffix)
    }
}

fn all() -> &'static [Region] {
    static ALL: OnceLock<Vec<Region>> = OnceLock::new();
    ALL.get_or_init(|| {
        serde_json::from_str(include_str!("../../../schemas/aws/regions.json")).unwrap_or_default()
    })
}

/// The region named `name`.
pub fn named(name: &str) -> Option<&'static Region> {
    all().iter().find(|r| r.name == name)
}

/// The region whose EC2 endpoint is `host`.
pub fn by_endpoint(host: &str) -> Option<&'static Region> {
    all().iter().find(|r| r.endpoint() == host)
}

/// The partition of a region keyway has no data for, by its name's prefix (`cn-`,
/// `us-gov-`), as the SDKs' partition patterns tell them apart.
pub fn partition_of(name: &str) -> (&'static str, &'static str) {
    if let Some(r) = named(name) {
        return (partition_name(&r.partition), dns(&r.dns_suffix));
    }
    if name.starts_with("cn-") {
        ("aws-cn", "amazonaws.com.cn")
    } else if name.starts_with("us-gov-") {
        ("aws-us-gov", "amazonaws.com")
    } else {
        ("aws", "amazonaws.com")
    }
}

fn partition_name(p: &str) -> &'static str {
    all()
        .iter()
        .find(|r| r.partition == p)
        .map_or("aws", |r| r.partition.as_str())
}

fn dns(d: &str) -> &'static str {
    all()
        .iter()
        .find(|r| r.dns_suffix == d)
        .map_or("amazonaws.com", |r| r.dns_suffix.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_load_with_descriptions_and_partitions() {
        assert!(all().len() > 30, "{}", all().len());
        let r = named("eu-west-1").expect("eu-west-1");
        assert_eq!(r.description, "Europe (Ireland)");
        assert_eq!(r.endpoint(), "ec2.eu-west-1.amazonaws.com");
        assert_eq!(
            by_endpoint("ec2.eu-west-1.amazonaws.com").map(|r| r.name.as_str()),
            Some("eu-west-1")
        );
        assert_eq!(partition_of("cn-north-1"), ("aws-cn", "amazonaws.com.cn"));
        assert_eq!(partition_of("us-east-1"), ("aws", "amazonaws.com"));
        assert!(named("mars-1").is_none());
    }
}
