//! Calling a protected API with a bearer token (RFC 6750): where the token may go, and what a
//! refusal means.

use super::url::origin_prefix;

/// Whether a request to `url` may carry the access token: only to the API's own origin.
pub fn may_carry_token(url: &str, api_base_url: &str) -> bool {
    matches!((origin_prefix(url), origin_prefix(api_base_url)), (Some(a), Some(b)) if a == b)
}

/// RFC 9110 §11.2, §11.6.1: the auth-params of a `Bearer` or `DPoP` challenge (RFC 6750 §3, RFC
/// 9449 §7.1), quoted strings unquoted; `None` for another scheme. Only the first challenge is read.
pub fn challenge_params(www_authenticate: &str) -> Option<Vec<(String, String)>> {
    let (scheme, mut rest) = www_authenticate.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") && !scheme.eq_ignore_ascii_case("dpop") {
        return None;
    }
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        let Some((name, after)) = rest.split_once('=') else { break };
        if name.trim().contains([' ', '\t', ',']) {
            break; // the next challenge's scheme
        }
        let after = after.trim_start();
        let (value, next) = match after.strip_prefix('"') {
            Some(quoted) => unquote(quoted)?,
            None => {
                after.split_once(',').map_or((after.trim_end().to_owned(), ""), |(v, r)| (v.trim_end().to_owned(), r))
            }
        };
        params.push((name.trim().to_ascii_lowercase(), value));
        rest = next;
    }
    Some(params)
}

/// RFC 9110 §5.6.4: a quoted-string's text (after its opening quote) and what follows its closing
/// quote; `None` when it is not closed.
fn unquote(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[at + 1..])),
            '\\' => value.push(chars.next()?.1),
            c => value.push(c),
        }
    }
    None
}

/// The value of the auth-param `name` among `params`.
fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find_map(|(key, value)| (key == name).then_some(value.as_str()))
}

/// RFC 6750 §3, RFC 9449 §7.1: the `error` of a `Bearer` or `DPoP` challenge, if any.
pub fn challenge_error(www_authenticate: &str) -> Option<String> {
    param(&challenge_params(www_authenticate)?, "error").map(str::to_owned)
}

/// RFC 9470 §3: what an `insufficient_user_authentication` challenge asks of the next sign-in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepUp {
    /// `acr_values`: the authentication context classes wanted, space-separated, in order.
    pub acr_values: Option<String>,
    /// `max_age`: the most seconds since the person last authenticated.
    pub max_age: Option<u64>,
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
    /// RFC 9470 §3 `insufficient_user_authentication`: sign in again as it asks.
    StepUp(StepUp),
    /// 403 (e.g. `insufficient_scope`): not permitted; refreshing would not help.
    NotPermitted,
    /// 401 without `invalid_token`: refused, and no refresh loop.
    Unauthorized,
    /// 5xx: the API failed; still signed in.
    ServerError,
}

/// Classifies an API answer by its status and `WWW-Authenticate` header.
pub fn verdict(status: u16, www_authenticate: Option<&str>) -> Verdict {
    // Read once: the error and, for a step-up, what it asks.
    let params = www_authenticate.and_then(challenge_params).unwrap_or_default();
    match (status, param(&params, "error")) {
        (401, Some("invalid_token")) => Verdict::RefreshAndRetry,
        (401, Some("use_dpop_nonce")) => Verdict::RetryWithNonce,
        (401, Some("insufficient_user_authentication")) => Verdict::StepUp(StepUp {
            acr_values: param(&params, "acr_values").filter(|acr| !acr.trim().is_empty()).map(str::to_owned),
            max_age: param(&params, "max_age").and_then(|age| age.parse().ok()),
        }),
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
        assert_eq!(challenge_error(challenge).as_deref(), Some("invalid_token"));
        let scope = r#"bearer error="insufficient_scope", scope="x""#;
        assert_eq!(challenge_error(scope).as_deref(), Some("insufficient_scope"));
        assert_eq!(challenge_error(r#"Bearer realm="api""#), None);
        assert_eq!(challenge_error(r#"Basic realm="x", error="invalid_token""#), None);
        let dpop = r#"DPoP algs="ES256 RS256", error="use_dpop_nonce", error_description="nonce""#;
        assert_eq!(challenge_error(dpop).as_deref(), Some("use_dpop_nonce"));
        assert_eq!(challenge_error(""), None);
    }

    #[test]
    fn auth_params_are_read_as_rfc_9110_writes_them() {
        // Finding: a description with a comma in its quotes split the parameters there.
        let header =
            r#"Bearer realm="a, b", error_description="say \"hi\", then \\go",error=invalid_token , Max_Age = 30"#;
        let params = challenge_params(header).unwrap();
        let expected = [
            ("realm", "a, b"),
            ("error_description", r#"say "hi", then \go"#),
            ("error", "invalid_token"),
            ("max_age", "30"),
        ];
        assert_eq!(params, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
        // Only the first challenge; an unclosed quote is no challenge at all.
        let two = r#"Bearer error="invalid_token", DPoP algs="ES256", error="use_dpop_nonce""#;
        assert_eq!(challenge_error(two).as_deref(), Some("invalid_token"));
        assert_eq!(challenge_params(r#"Bearer error="invalid_token"#), None);
        assert_eq!(challenge_params("Bearer"), None, "no parameters, no space");
    }

    #[test]
    fn a_step_up_challenge_asks_for_its_acr_values_and_max_age() {
        let challenge = r#"Bearer error="insufficient_user_authentication", error_description="a more recent sign-in is required", acr_values="urn:a urn:b", max_age="5""#;
        let step_up = StepUp { acr_values: Some("urn:a urn:b".into()), max_age: Some(5) };
        assert_eq!(verdict(401, Some(challenge)), Verdict::StepUp(step_up));
        let dpop = r#"DPoP algs="ES256", error="insufficient_user_authentication", max_age=60"#;
        assert_eq!(verdict(401, Some(dpop)), Verdict::StepUp(StepUp { acr_values: None, max_age: Some(60) }));
        let odd = r#"Bearer error="insufficient_user_authentication", acr_values=" ", max_age="soon""#;
        assert_eq!(
            verdict(401, Some(odd)),
            Verdict::StepUp(StepUp::default()),
            "nothing usable asked: a plain sign-in"
        );
        let forbidden = r#"Bearer error="insufficient_user_authentication""#;
        assert_eq!(verdict(403, Some(forbidden)), Verdict::NotPermitted, "RFC 9470 §3 answers 401");
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
