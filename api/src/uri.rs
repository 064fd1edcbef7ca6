//! URLs compared as RFC 3986 §6.2 compares them, for a DPoP proof's `htu` (RFC 9449 §4.3).

use url::{Position, Url};

/// RFC 3986 §2.3: the unreserved characters, which percent-encoding must not hide (§6.2.2.2).
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986 §6.2.2.1–2: percent-encodings in upper case, those of unreserved characters decoded.
fn normalize_percent_encoding(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let encoded = rest.get(at + 1..at + 3).filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()));
        match encoded.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
            Some(byte) if is_unreserved(byte) => out.push(char::from(byte)),
            Some(byte) => out.push_str(&format!("%{byte:02X}")),
            None => {
                out.push('%');
                rest = &rest[at + 1..];
                continue;
            }
        }
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    out
}

/// RFC 3986 §6.2.2–6.2.3: `url`'s scheme, authority and path, normalised — scheme and host in
/// lower case, no default port, dot segments removed, an empty path as `/`, percent-encoding
/// normalised — without its query and fragment; `None` unless it is an absolute URL.
pub fn normalized_without_query(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    if url.cannot_be_a_base() {
        return None;
    }
    let path = normalize_percent_encoding(url.path());
    Some(format!("{}{path}", &url[..Position::BeforePath]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalised_as_rfc_3986_compares_them() {
        let norm = |url| normalized_without_query(url).unwrap();
        assert_eq!(norm("HTTPS://API.Test:443/a/./b/../c%7e%2f%3a?q=1#f"), "https://api.test/a/c~%2F%3A");
        assert_eq!(norm("http://127.0.0.1:4001"), "http://127.0.0.1:4001/");
        assert_eq!(norm("http://a.test:80/x/.."), "http://a.test/");
        assert_eq!(norm("http://a.test/x/%2e%2E/y/%2E"), "http://a.test/y/");
        assert_eq!(norm("https://a.test/../../x"), "https://a.test/x");
        assert_eq!(norm("https://a.test/%41%5a%30-%5F%2E"), "https://a.test/AZ0-_.");
        assert_eq!(norm("https://a.test/é d"), "https://a.test/%C3%A9%20d", "as a browser sends it");
        assert_eq!(norm("https://a.test/%c3%a9"), "https://a.test/%C3%A9");
        assert_eq!(norm("https://a.test/100%"), "https://a.test/100%", "a stray % stays as it is");
        assert_eq!(norm("https://a.test/a%zz%4"), "https://a.test/a%zz%4");
        assert_eq!(norm("http://a.test:8080/p"), "http://a.test:8080/p");
        assert_eq!(normalized_without_query("/relative"), None);
        assert_eq!(normalized_without_query("mailto:ada@a.test"), None);
    }
}
