//! Calling a protected API with a bearer token (RFC 6750): where the token may go, and what a
//! refusal means.

use super::url::origin_prefix;

/// Whether a request to `url` may carry the access token: only to the API's own origin.
pub fn may_carry_token(url: &str, api_base_url: &str) -> bool {
    matches!((origin_prefix(url), origin_prefix(api_base_url)), (Some(a), Some(b)) if a == b)
}

/// RFC 6750 §3, RFC 9449 §7.1: the `error` of a `Bearer` or `DPoP` challenge, if any.
pub fn challenge_error(www_authenticate: &str) -> Option<&str> {
    let (scheme, params) = www_authenticate.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") && !scheme.eq_ignore_ascii_case("dpop") {
        return None;
    }
    params.split(',').find_map(|param| {
        let (key, value) = param.trim().split_once('=')?;
        (key.trim() == "error").then(|| value.trim().trim_matches('"'))
    })
}

/// How the app should treat an API answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// An answer for the caller (2xx, and 4xx such as 404 or 422 that are about the request).
    Answer,
    /// RFC 6750 §3.1 `invalid_token`: refresh once and retry.
    RefreshAndRetry,
    /// RFC 9449 §9 `use_dpop_nonce`: retry once with the API's nonce in the proof.
    RetryWithNonce,
    /// 403 (e.g. `insufficient_scope`): not permitted; refreshing would not help.
    NotPermitted,
    /// 401 without `invalid_token`: refused, and no refresh loop.
    Unauthorized,
    /// 5xx: the API failed; still signed in.
    ServerError,
}

/// Classifies an API answer by its status and `WWW-Authenticate` header.
pub fn verdict(status: u16, www_authenticate: Option<&str>) -> Verdict {
    match (status, www_authenticate.and_then(challenge_error)) {
        (401, Some("invalid_token")) => Verdict::RefreshAndRetry,
        (401, Some("use_dpop_nonce")) => Verdict::RetryWithNonce,
        (401, _) => Verdict::Unauthorized,
        (403, _) => Verdict::NotPermitted,
        (500.., _) => Verdict::ServerError,
        _ => Verdict::Answer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_go_only_to_the_api_origin() {
        let api = "http://127.0.0.1:4001";
        assert!(may_carry_token("http://127.0.0.1:4001/api/private", api));
        assert!(!may_carry_token("http://127.0.0.1:4000/api/private", api));
        assert!(!may_carry_token("https://127.0.0.1:4001/api/private", api));
        assert!(!may_carry_token("http://127.0.0.1:4001.evil.test/api", api));
        assert!(!may_carry_token("http://user@127.0.0.1:4001/api", api));
        assert!(!may_carry_token("/relative", api));
    }

    #[test]
    fn challenges() {
        let challenge = r#"Bearer realm="api", error="invalid_token", error_description="expired""#;
        assert_eq!(challenge_error(challenge), Some("invalid_token"));
        assert_eq!(challenge_error(r#"bearer error="insufficient_scope", scope="x""#), Some("insufficient_scope"));
        assert_eq!(challenge_error(r#"Bearer realm="api""#), None);
        assert_eq!(challenge_error(r#"Basic realm="x", error="invalid_token""#), None);
        let dpop = r#"DPoP algs="ES256 RS256", error="use_dpop_nonce", error_description="nonce""#;
        assert_eq!(challenge_error(dpop), Some("use_dpop_nonce"));
        assert_eq!(challenge_error(""), None);
    }

    #[test]
    fn verdicts() {
        let invalid = Some(r#"Bearer error="invalid_token""#);
        assert_eq!(verdict(200, None), Verdict::Answer);
        assert_eq!(verdict(201, None), Verdict::Answer);
        assert_eq!(verdict(422, None), Verdict::Answer, "a refused body is the caller's to show");
        assert_eq!(verdict(401, invalid), Verdict::RefreshAndRetry);
        assert_eq!(verdict(401, None), Verdict::Unauthorized, "no challenge: no refresh loop");
        assert_eq!(verdict(401, Some(r#"Bearer realm="api""#)), Verdict::Unauthorized);
        assert_eq!(verdict(403, Some(r#"Bearer error="insufficient_scope""#)), Verdict::NotPermitted);
        assert_eq!(verdict(500, None), Verdict::ServerError);
        assert_eq!(verdict(503, invalid), Verdict::ServerError);
        assert_eq!(verdict(401, Some(r#"DPoP error="invalid_token""#)), Verdict::RefreshAndRetry);
        assert_eq!(verdict(401, Some(r#"DPoP error="use_dpop_nonce""#)), Verdict::RetryWithNonce);
        assert_eq!(verdict(401, Some(r#"DPoP error="invalid_dpop_proof""#)), Verdict::Unauthorized);
    }
}
