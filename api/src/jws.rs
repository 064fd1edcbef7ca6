//! The JOSE header of a compact JWS, as JSON (RFC 7515 §7.1), for what a typed header hides.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// RFC 7515 §7.1: the header of `token` if it is three base64url parts whose first is a JSON
/// object; `None` for anything else (an opaque token, say).
pub fn header(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || [payload, signature].iter().any(|part| URL_SAFE_NO_PAD.decode(part).is_err()) {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_three_base64url_parts_with_a_json_header_are_a_jws() {
        let head = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
        assert_eq!(header(&format!("{head}.e30.c2ln")).and_then(|h| h.get("alg").cloned()), Some("RS256".into()));
        assert!(header(&format!("{head}.e30.")).is_some(), "an empty signature is still a JWS");
        for opaque in ["", "abc", "a.b", &format!("{head}.e30.c2ln.x"), "YWJj.e30.c2ln", &format!("{head}.e3+.c2ln")] {
            assert!(header(opaque).is_none(), "{opaque}");
        }
    }
}
