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

/// RFC 3986 §3: a URL's scheme (no `:` in it) and what follows its `://`; `None` without one.
pub fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once(':')?;
    Some((scheme, rest.strip_prefix("//")?))
}

/// Splits an absolute URL into scheme and host; `None` when it is not `http(s)://host…`.
pub fn origin_of(url: &str) -> Option<Origin<'_>> {
    let (scheme, rest) = split_scheme(url)?;
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
    let start = origin_of(url)?.scheme.len() + 3;
    let end = url[start..].find(['/', '?', '#']).map_or(url.len(), |i| start + i);
    Some(&url[..end])
}

/// RFC 8252 §8.3, RFC 6761 §6.3: loopback hosts may use plain `http`: `localhost`, `::1` and
/// the IPv4 literals of 127.0.0.0/8 (RFC 1122 §3.2.1.3), never a name that merely starts with `127.`.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host == "::1"
        || host.strip_prefix("127.").is_some_and(|rest| {
            let octets: Vec<&str> = rest.split('.').collect();
            octets.len() == 3
                && octets
                    .iter()
                    .all(|o| o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit()) && o.parse::<u8>().is_ok())
        })
}

/// Whether `url` is `https`, or `http` on a loopback host (RFC 6749 §3.1.2.1 / RFC 8252 §8.3).
pub fn is_secure_url(url: &str) -> bool {
    origin_of(url).is_some_and(|o| o.scheme == "https" || is_loopback(o.host))
}

/// RFC 3986 §2.3: the unreserved characters, which percent-encoding must not hide (§6.2.2.2).
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986 §3.3: what a path may hold as it is (`pchar` and `/`), besides percent-encodings.
fn is_path_char(byte: u8) -> bool {
    is_unreserved(byte) || b"!$&'()*+,;=:@/".contains(&byte)
}

/// RFC 3986 §6.2.2.1–2: percent-encodings in upper case, unreserved characters decoded, and any
/// other byte a path cannot hold encoded (as the browser sends it).
fn normalize_percent_encoding(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) if is_unreserved(byte) => out.push(byte as char),
            (b'%', Some(byte)) => out.push_str(&format!("%{byte:02X}")),
            (byte, _) if is_path_char(byte) => out.push(byte as char),
            (byte, _) => out.push_str(&format!("%{byte:02X}")),
        }
        i += if bytes[i] == b'%' && hex.is_some() { 3 } else { 1 };
    }
    out
}

/// RFC 3986 §5.2.4: a path without its `.` and `..` segments.
fn remove_dot_segments(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    let mut parts = path.split('/').skip(1).peekable();
    while let Some(segment) = parts.next() {
        match segment {
            "." => {}
            ".." => drop(segments.pop()),
            other => segments.push(other),
        }
        // A path ending in a dot segment ends in `/`.
        if parts.peek().is_none() && matches!(segment, "." | "..") {
            segments.push("");
        }
    }
    format!("/{}", segments.join("/"))
}

/// RFC 3986 §6.2.2–6.2.3 (as RFC 9449 §4.3 compares `htu`): an absolute URL's scheme, host and
/// path, normalised — lower-case scheme and host, no default port, dot segments removed,
/// percent-encoding normalised, an empty path as `/` — without its query and fragment.
pub fn normalized_without_query(url: &str) -> Option<String> {
    let Origin { scheme, .. } = origin_of(url)?;
    let origin = origin_prefix(url)?;
    let authority = origin[scheme.len() + 3..].to_ascii_lowercase();
    let default_port = if scheme.eq_ignore_ascii_case("https") { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    let path = url[origin.len()..].split(['?', '#']).next().unwrap_or_default();
    let path = remove_dot_segments(&normalize_percent_encoding(if path.is_empty() { "/" } else { path }));
    Some(format!("{}://{authority}{path}", scheme.to_ascii_lowercase()))
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
        assert!(is_secure_url("http://127.8.9.10:1/") && is_secure_url("http://[::1]:4000/"));
    }

    #[test]
    fn urls_are_normalised_as_rfc_3986_compares_them() {
        let norm = |url| normalized_without_query(url).unwrap();
        assert_eq!(norm("https://API.Test:443/a/./b/../c%7e%2f?q=1#f"), "https://api.test/a/c~%2F");
        assert_eq!(norm("http://127.0.0.1:4001"), "http://127.0.0.1:4001/");
        assert_eq!(norm("http://a.test:80/x/.."), "http://a.test/");
        assert_eq!(norm("https://a.test/../../x"), "https://a.test/x");
        assert_eq!(norm("https://a.test/é d"), "https://a.test/%C3%A9%20d", "as the browser sends it");
        assert_eq!(norm("https://a.test/100%"), "https://a.test/100%25");
        assert_eq!(norm("https://a.test/a/b/."), "https://a.test/a/b/");
        assert_eq!(normalized_without_query("/relative"), None);
    }

    #[test]
    fn only_real_loopback_hosts_are_loopback() {
        // Finding: any host name starting with `127.` counted as loopback, so plain http was taken.
        for name in ["127.evil.example", "127.0.0.1.evil.test", "127.0.0.256", "127.1", "localhost.evil.test", "::2"] {
            assert!(!is_loopback(name), "{name}");
        }
        assert!(!is_secure_url("http://127.evil.example/"));
        assert!(is_loopback("127.0.0.1") && is_loopback("127.255.255.254") && is_loopback("LOCALHOST"));
    }
}
