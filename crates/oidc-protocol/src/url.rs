//! The few URL operations the client needs, without a full URL parser (whose IDNA tables would
//! weigh more than the rest of the client).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// RFC 3986 §2.3: everything but the unreserved characters is percent-encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Appends `pairs` to `base` as a percent-encoded query (RFC 6749 §3.1: keep any existing query).
pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = String::from(base);
    let mut sep = if base.contains('?') { '&' } else { '?' };
    for (key, value) in pairs {
        out.push(sep);
        out.extend(utf8_percent_encode(key, QUERY_VALUE));
        out.push('=');
        out.extend(utf8_percent_encode(value, QUERY_VALUE));
        sep = '&';
    }
    out
}

/// An absolute `http(s)` URL split into its origin parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin<'a> {
    pub scheme: &'a str,
    pub host: &'a str,
}

/// Splits an absolute URL into scheme and host; `None` when it is not `http(s)://host…`.
pub fn origin_of(url: &str) -> Option<Origin<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || authority.chars().any(char::is_whitespace) {
        return None;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    (!host.is_empty()).then_some(Origin { scheme, host })
}

/// The `scheme://authority` prefix of an absolute URL, for same-origin comparisons.
pub fn origin_prefix(url: &str) -> Option<&str> {
    origin_of(url)?;
    let start = url.find("://")? + 3;
    let end = url[start..].find(['/', '?', '#']).map_or(url.len(), |i| start + i);
    Some(&url[..end])
}

/// RFC 8252 §8.3: loopback hosts may use plain `http`.
pub fn is_loopback(host: &str) -> bool {
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// Whether `url` is `https`, or `http` on a loopback host (RFC 6749 §3.1.2.1 / RFC 8252 §8.3).
pub fn is_secure_url(url: &str) -> bool {
    origin_of(url).is_some_and(|o| o.scheme == "https" || is_loopback(o.host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        let url = with_query("https://x.test/a", &[("scope", "openid read:x"), ("r", "a&b=c/é")]);
        assert_eq!(url, "https://x.test/a?scope=openid%20read%3Ax&r=a%26b%3Dc%2F%C3%A9");
        assert_eq!(with_query("https://x.test/a?p=1", &[("q", "2")]), "https://x.test/a?p=1&q=2");
    }

    #[test]
    fn origins() {
        assert_eq!(origin_of("http://127.0.0.1:4000/x").map(|o| o.host), Some("127.0.0.1"));
        assert_eq!(origin_of("https://[::1]:8/").map(|o| o.host), Some("::1"));
        assert_eq!(origin_of("https://user@evil.test/"), None);
        assert_eq!(origin_of("javascript://x"), None);
        assert_eq!(origin_of("https:///path"), None);
        assert_eq!(origin_prefix("http://a.test:81/p?q"), Some("http://a.test:81"));
        assert_eq!(origin_prefix("https://a.test"), Some("https://a.test"));
    }

    #[test]
    fn secure_urls() {
        assert!(is_secure_url("https://tenant.eu.auth0.com/"));
        assert!(is_secure_url("http://localhost:4000/"));
        assert!(is_secure_url("http://127.0.0.1:4000/"));
        assert!(!is_secure_url("http://tenant.eu.auth0.com/"));
        assert!(!is_secure_url("ftp://127.0.0.1/"));
    }
}
