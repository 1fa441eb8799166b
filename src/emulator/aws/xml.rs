//! The query protocol (IAM, STS): form-encoded parameters in, XML out, in the shape AWS
//! documents (`<{Op}Response xmlns=...><{Op}Result>...</{Op}Result><ResponseMetadata>`).

/// One XML element: text, or children (lists are `member` children, as the query protocol
/// writes them).
#[derive(Debug, Clone)]
pub enum X {
    Text(&'static str, String),
    Elem(&'static str, Vec<X>),
}

impl X {
    pub fn text(name: &'static str, v: impl Into<String>) -> X {
        X::Text(name, v.into())
    }

    /// `<name><member>...</member>...</name>`.
    pub fn list(name: &'static str, members: Vec<Vec<X>>) -> X {
        X::Elem(
            name,
            members.into_iter().map(|m| X::Elem("member", m)).collect(),
        )
    }

    /// `<name><member>text</member>...</name>`.
    pub fn text_list(name: &'static str, items: Vec<String>) -> X {
        X::Elem(
            name,
            items.into_iter().map(|t| X::Text("member", t)).collect(),
        )
    }

    fn write(&self, out: &mut String) {
        match self {
            X::Text(n, t) => {
                out.push_str(&format!("<{n}>{}</{n}>", escape(t)));
            }
            X::Elem(n, children) => {
                out.push_str(&format!("<{n}>"));
                for c in children {
                    c.write(out);
                }
                out.push_str(&format!("</{n}>"));
            }
        }
    }
}

/// The whole answer of `op`: the result wrapper only when the operation has an output.
pub fn response(ns: &str, op: &str, result: Option<Vec<X>>, request_id: &str) -> String {
    let mut out =
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{op}Response xmlns=\"{ns}\">");
    if let Some(children) = result {
        out.push_str(&format!("<{op}Result>"));
        for c in &children {
            c.write(&mut out);
        }
        out.push_str(&format!("</{op}Result>"));
    }
    out.push_str(&format!(
        "<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{op}Response>"
    ));
    out
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `application/x-www-form-urlencoded` pairs (`+` is a space, `%XX` a byte).
pub fn parse_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    super::super::server::percent_decode(&s.replace('+', " "))
}

/// Percent-encodes everything but RFC 3986's unreserved characters: how IAM returns policy
/// documents (`%7B%22Version%22...`).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The query protocol's list parameters: `{prefix}.member.N[.{field}]`, in N order.
pub fn members(form: &[(String, String)], prefix: &str) -> Vec<Vec<(String, String)>> {
    let head = format!("{prefix}.member.");
    let mut by_n: std::collections::BTreeMap<u32, Vec<(String, String)>> = Default::default();
    for (k, v) in form {
        if let Some(rest) = k.strip_prefix(&head) {
            let (n, field) = rest.split_once('.').unwrap_or((rest, ""));
            if let Ok(n) = n.parse::<u32>() {
                by_n.entry(n)
                    .or_default()
                    .push((field.to_string(), v.clone()));
            }
        }
    }
    by_n.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_members() {
        let f = parse_form(
            "Action=TagRole&Tags.member.1.Key=a+b&Tags.member.1.Value=%7B&Tags.member.2.Key=c",
        );
        assert_eq!(f[1], ("Tags.member.1.Key".into(), "a b".into()));
        let m = members(&f, "Tags");
        assert_eq!(m.len(), 2);
        assert_eq!(m[0][1], ("Value".into(), "{".into()));
        assert_eq!(url_encode("{\"a\": 1}"), "%7B%22a%22%3A%201%7D");
    }

    #[test]
    fn xml_is_escaped() {
        let x = response("ns", "Op", Some(vec![X::text("A", "<&>")]), "r");
        assert!(x.contains("<OpResult><A>&lt;&amp;&gt;</A></OpResult>"));
    }
}
