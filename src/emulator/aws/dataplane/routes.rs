//! HTTP API route selection, as API Gateway documents it ("Routing API requests", HTTP APIs):
//! the most specific route wins — literal segments before `{param}` before a greedy
//! `{proxy+}`, a route for the request's method before `ANY` — and `$default` catches the rest.

use std::collections::BTreeMap;

use serde_json::Value;

/// The route chosen for a request and the path parameters it binds.
#[derive(Debug, Clone, PartialEq)]
pub struct Matched {
    pub route: Value,
    pub params: BTreeMap<String, String>,
}

/// How specific one segment match is (higher wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Seg {
    Greedy,
    Param,
    Literal,
}

/// Matches `path` (without the stage) against one route key's path; `None` when it does not.
fn match_path(pattern: &str, path: &str) -> Option<(Vec<Seg>, BTreeMap<String, String>)> {
    let pat: Vec<&str> = pattern.trim_start_matches('/').split('/').collect();
    let got: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut kinds = Vec::new();
    let mut params = BTreeMap::new();
    for (i, p) in pat.iter().enumerate() {
        if let Some(name) = p.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
            // Greedy: one or more remaining segments.
            let rest = got.get(i..).filter(|r| r.iter().any(|s| !s.is_empty()))?;
            params.insert(name.to_string(), rest.join("/"));
            kinds.push(Seg::Greedy);
            return Some((kinds, params));
        }
        let g = got.get(i)?;
        if let Some(name) = p.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if g.is_empty() {
                return None;
            }
            params.insert(name.to_string(), (*g).to_string());
            kinds.push(Seg::Param);
        } else if p == g {
            kinds.push(Seg::Literal);
        } else {
            return None;
        }
    }
    (pat.len() == got.len()).then_some((kinds, params))
}

/// The route for `method path` among `routes` (route values with `routeKey`).
pub fn select<'a>(
    routes: impl Iterator<Item = &'a Value>,
    method: &str,
    path: &str,
) -> Option<Matched> {
    let mut best: Option<((Vec<Seg>, bool), Matched)> = None;
    let mut fallback = None;
    for r in routes {
        let key = r["routeKey"].as_str().unwrap_or_default();
        if key == "$default" {
            fallback = Some(r.clone());
            continue;
        }
        let Some((m, p)) = key.split_once(' ') else {
            continue;
        };
        let exact_method = m == method;
        if !(exact_method || m == "ANY") {
            continue;
        }
        let Some((kinds, params)) = match_path(p, path) else {
            continue;
        };
        let score = (kinds, exact_method);
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((
                score,
                Matched {
                    route: r.clone(),
                    params,
                },
            ));
        }
    }
    best.map(|(_, m)| m).or_else(|| {
        fallback.map(|route| Matched {
            route,
            params: BTreeMap::new(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pick(keys: &[&str], method: &str, path: &str) -> Option<(String, BTreeMap<String, String>)> {
        let routes: Vec<Value> = keys.iter().map(|k| json!({"routeKey": k})).collect();
        select(routes.iter(), method, path).map(|m| {
            (
                m.route["routeKey"].as_str().unwrap_or_default().to_string(),
                m.params,
            )
        })
    }

    #[test]
    fn most_specific_route_wins() {
        let keys = [
            "ANY /{proxy+}",
            "GET /pets/{id}",
            "GET /pets/dog",
            "ANY /pets/{id}",
            "$default",
        ];
        assert_eq!(
            pick(&keys, "GET", "/pets/dog").map(|p| p.0),
            Some("GET /pets/dog".into())
        );
        let (k, params) = pick(&keys, "GET", "/pets/7").expect("match");
        assert_eq!((k.as_str(), params["id"].as_str()), ("GET /pets/{id}", "7"));
        assert_eq!(
            pick(&keys, "POST", "/pets/7").map(|p| p.0),
            Some("ANY /pets/{id}".into())
        );
        let (k, params) = pick(&keys, "GET", "/a/b/c").expect("match");
        assert_eq!(
            (k.as_str(), params["proxy"].as_str()),
            ("ANY /{proxy+}", "a/b/c")
        );
        assert_eq!(
            pick(&["GET /x", "$default"], "GET", "/y").map(|p| p.0),
            Some("$default".into())
        );
        assert_eq!(pick(&["GET /x"], "GET", "/y"), None);
        assert_eq!(
            pick(&["GET /"], "GET", "/").map(|p| p.0),
            Some("GET /".into())
        );
        assert_eq!(pick(&["GET /{proxy+}"], "GET", "/"), None);
    }
}
