//! The few elements keyway reads from S3's XML answers (error codes and messages, listed
//! keys, continuation tokens): flat enough to take by tag name, without an XML parser.

/// The text of the first `<name>` element (S3's XML answers are flat enough for this).
pub(super) fn tag(xml: &str, name: &str) -> Option<String> {
    tags(xml, name).into_iter().next()
}

/// The texts of every `<name>` element, unescaped.
pub(super) fn tags(xml: &str, name: &str) -> Vec<String> {
    raw_tags(xml, name).into_iter().map(unescape).collect()
}

/// The raw contents of every `<name>` element (not nested in one another).
pub(super) fn raw_tags<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    out
}

pub(super) fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(end) = tail.find(';') else { break };
        let entity = &tail[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&tail[..=end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_answers_are_read() {
        let list = "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>env:/a/k</Key>\
                    <ETag>&quot;x&quot;</ETag></Contents><Contents><Key>a&amp;b</Key></Contents>\
                    <NextContinuationToken>t1</NextContinuationToken></ListBucketResult>";
        let keys: Vec<String> = tags(list, "Key");
        assert_eq!(keys, ["env:/a/k", "a&b"]);
        assert_eq!(tag(list, "ETag").as_deref(), Some("\"x\""));
        let err = "<?xml version=\"1.0\"?><Error><Code>PreconditionFailed</Code>\
                   <Message>At least one of the pre-conditions you specified did not hold</Message></Error>";
        assert_eq!(tag(err, "Code").as_deref(), Some("PreconditionFailed"));
        assert_eq!(unescape("&#65;&#x42;&bogus;"), "AB&bogus;");
    }
}
