//! Token requests as form bodies and their responses (RFC 6749 §4.1.3, §5.1, §5.2, §6).

use super::error::AuthError;
use super::json::{Json, Parse, WrongType};
use super::record;

/// The longest `expires_in` accepted (one year), so expiry arithmetic stays sane.
const MAX_EXPIRES_IN: u64 = 365 * 24 * 3600;

fn form(pairs: &[(&str, &str)]) -> String {
    record::encode(pairs.iter().copied())
}

/// Which API a token request is for: RFC 8707 §2.2 `resource` (and Auth0's `audience`, for its
/// multi-resource refresh tokens) with the scopes to ask for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Target<'a> {
    pub resource: Option<&'a str>,
    pub scope: Option<&'a str>,
}

impl Target<'_> {
    fn add_to<'p>(&'p self, pairs: &mut Vec<(&'p str, &'p str)>) {
        if let Some(resource) = self.resource {
            pairs.extend([("resource", resource), ("audience", resource)]);
        }
        pairs.extend(self.scope.map(|scope| ("scope", scope)));
    }
}

/// RFC 6749 §4.1.3 with RFC 7636 §4.5: exchange the code and prove the verifier.
pub fn authorization_code_body(client_id: &str, code: &str, verifier: &str, redirect_uri: &str) -> String {
    form(&[
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code_verifier", verifier),
        ("code", code),
        ("redirect_uri", redirect_uri),
    ])
}

/// RFC 6749 §6: ask for fresh tokens with a refresh token, for the API of `target`.
pub fn refresh_body(client_id: &str, refresh_token: &str, target: Target) -> String {
    let mut pairs = vec![("grant_type", "refresh_token"), ("client_id", client_id), ("refresh_token", refresh_token)];
    target.add_to(&mut pairs);
    form(&pairs)
}

/// RFC 7009 §2.1: revoke a refresh token (and, at most providers, its grant).
pub fn revocation_body(client_id: &str, refresh_token: &str) -> String {
    form(&[("token", refresh_token), ("token_type_hint", "refresh_token"), ("client_id", client_id)])
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: Option<u64>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub scope: Option<String>,
}

/// RFC 6749 §5.1's members, typed.
fn read_success(doc: &Json) -> Result<TokenResponse, WrongType> {
    let expires_in = match doc.get("expires_in") {
        None | Some(Json::Null) => None,
        Some(value) => Some(value.as_u64().ok_or(WrongType)?),
    };
    Ok(TokenResponse {
        access_token: doc.string("access_token")?,
        token_type: doc.string("token_type")?,
        expires_in,
        refresh_token: doc.opt_string("refresh_token")?,
        id_token: doc.opt_string("id_token")?,
        scope: doc.opt_string("scope")?,
    })
}

/// Reads a token endpoint answer from its status and body.
pub fn parse_token_response(
    status: u16,
    body: &str,
    token_type: &str,
    parse: Parse,
) -> Result<TokenResponse, AuthError> {
    let doc = parse(body);
    if !(200..300).contains(&status) {
        // RFC 6749 §5.2: errors come as JSON `{error, error_description}`, usually with 400.
        let error = doc.as_ref().and_then(|d| Some((d.string("error").ok()?, d.opt_string("error_description").ok()?)));
        return Err(match error {
            Some((error, description)) => AuthError::Provider { error, description },
            None => AuthError::TokenResponse(format!("HTTP {status} without an OAuth error body")),
        });
    }
    let response = doc
        .as_ref()
        .ok_or(WrongType)
        .and_then(read_success)
        .map_err(|_| AuthError::TokenResponse("not an RFC 6749 §5.1 token response".into()))?;
    if response.access_token.is_empty() {
        return Err(AuthError::TokenResponse("`access_token` is empty".into()));
    }
    // RFC 6749 §7.1, RFC 9449 §5: the type (compared case-insensitively) is `DPoP` exactly when a
    // proof was sent.
    if !response.token_type.eq_ignore_ascii_case(token_type) {
        let got = &response.token_type;
        return Err(AuthError::TokenResponse(format!("token_type \"{got}\" where {token_type} was expected")));
    }
    if response.expires_in.is_some_and(|e| e == 0 || e > MAX_EXPIRES_IN) {
        return Err(AuthError::TokenResponse("`expires_in` is out of range".into()));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::native::parse;

    #[test]
    fn bodies_are_form_encoded() {
        assert_eq!(
            authorization_code_body("c", "a+b", "v", "http://127.0.0.1:8080/callback"),
            "grant_type=authorization_code&client_id=c&code_verifier=v&code=a%2Bb&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback"
        );
        assert_eq!(
            refresh_body("c", "r/t", Target::default()),
            "grant_type=refresh_token&client_id=c&refresh_token=r%2Ft"
        );
        let reports = Target { resource: Some("https://r.test/"), scope: Some("read:r") };
        assert_eq!(
            refresh_body("c", "rt", reports),
            "grant_type=refresh_token&client_id=c&refresh_token=rt&resource=https%3A%2F%2Fr.test%2F\
             &audience=https%3A%2F%2Fr.test%2F&scope=read%3Ar"
        );
    }

    #[test]
    fn a_recorded_success() {
        let body = r#"{"access_token":"at","expires_in":86400,"id_token":"a.b.c","refresh_token":"rt",
            "scope":"openid offline_access","token_type":"Bearer"}"#;
        let r = parse_token_response(200, body, "Bearer", parse).unwrap();
        assert_eq!((r.access_token.as_str(), r.expires_in), ("at", Some(86400)));
        assert_eq!(r.refresh_token.as_deref(), Some("rt"));
        let lower =
            parse_token_response(200, r#"{"access_token":"at","token_type":"bearer"}"#, "Bearer", parse).unwrap();
        assert_eq!(lower.expires_in, None);
    }

    #[test]
    fn provider_errors() {
        let err = parse_token_response(
            403,
            r#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#,
            "Bearer",
            parse,
        );
        assert_eq!(
            err.unwrap_err(),
            AuthError::Provider { error: "invalid_grant".into(), description: Some("grant request is invalid".into()) }
        );
    }

    #[test]
    fn unusable_answers() {
        let cases = [
            (502, "<html><body>Bad gateway</body></html>"),
            (200, "<html>"),
            (200, "{}"),
            (200, r#"{"access_token":"at"}"#),
            (200, r#"{"access_token":"","token_type":"Bearer"}"#),
            (200, r#"{"access_token":"at","token_type":"DPoP"}"#),
            (200, r#"{"access_token":"at","token_type":"Bearer","expires_in":-5}"#),
            (200, r#"{"access_token":"at","token_type":"Bearer","expires_in":0}"#),
            (200, r#"{"access_token":"at","token_type":"Bearer","expires_in":1e99}"#),
            (200, r#"{"access_token":"at","token_type":"Bearer","expires_in":99999999999}"#),
            (200, r#"{"access_token":"at","token_type":"Bearer","expires_in":"3600"}"#),
            (200, r#"{"access_token":7,"token_type":"Bearer"}"#),
        ];
        for (status, body) in cases {
            let err = parse_token_response(status, body, "Bearer", parse).unwrap_err();
            assert_eq!(err.code(), "token_response", "{status} {body}");
            assert!(!err.message().contains('<'), "no markup echoed: {err}");
        }
    }
}
