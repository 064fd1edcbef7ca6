//! The authorization response at `/callback` (RFC 6749 §4.1.2) and its checks.

use super::authorize::Transaction;
use super::error::{AuthError, ProviderError};

/// The longest parameter value accepted; real codes and states are far shorter.
const MAX_PARAM_LEN: usize = 4096;

/// The parameters of an authorization response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub iss: Option<String>,
}

/// Parses the query string of the callback URL (with or without its leading `?`).
pub fn parse_callback(query: &str) -> Result<CallbackParams, AuthError> {
    let mut params = CallbackParams::default();
    for (key, value) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
        let slot = match key.as_ref() {
            "code" => &mut params.code,
            "state" => &mut params.state,
            "error" => &mut params.error,
            "error_description" => &mut params.error_description,
            "iss" => &mut params.iss,
            _ => continue,
        };
        if value.len() > MAX_PARAM_LEN {
            return Err(AuthError::Callback(format!("`{key}` is too long")));
        }
        // RFC 6749 §3.1: request and response parameters must not be included more than once.
        if slot.replace(value.into_owned()).is_some() {
            return Err(AuthError::Callback(format!("`{key}` appears more than once")));
        }
    }
    Ok(params)
}

/// Whether the callback looks like an authorization response at all (has `state`, `code` or `error`).
pub fn is_authorization_response(params: &CallbackParams) -> bool {
    params.state.is_some() || params.code.is_some() || params.error.is_some()
}

/// RFC 6749 §4.1.2: the answer comes in the query. A visit to the callback without one (nothing,
/// or the answer put in the fragment as `response_mode=fragment` does) is an error, not a sign-out.
pub fn missing_response(fragment: &str) -> AuthError {
    let in_fragment = parse_callback(fragment.trim_start_matches('#')).is_ok_and(|p| is_authorization_response(&p));
    AuthError::Callback(if in_fragment {
        "the answer came in the URL fragment; this app reads it from the query (response_mode=query)".into()
    } else {
        "the address has no authorization response (no code, state or error in its query)".into()
    })
}

/// OIDC Core §3.1.2.6: errors meaning "the person must interact", the signed-out answer to `prompt=none`.
pub fn needs_interaction(error: &AuthError) -> bool {
    error.provider_error().is_some_and(ProviderError::needs_interaction)
}

/// Checks the response against its transaction and returns the code to exchange.
pub fn check_callback(
    params: &CallbackParams,
    transaction: Option<&Transaction>,
    issuer: &str,
    iss_required: bool,
    now: u64,
) -> Result<String, AuthError> {
    let state = params.state.as_deref().ok_or(AuthError::StateMissing)?;
    // RFC 6749 §10.12: the response must belong to a login this browser started.
    let transaction = transaction.filter(|t| t.state == state).ok_or(AuthError::StateMismatch)?;
    if transaction.is_stale(now) {
        return Err(AuthError::LoginExpired);
    }
    // RFC 9207 §2.4: compare `iss` exactly when present; require it when the provider advertises it.
    match params.iss.as_deref() {
        Some(iss) if iss != issuer => return Err(AuthError::IssuerMismatch(format!("\"{iss}\""))),
        None if iss_required => return Err(AuthError::IssuerMismatch("`iss` is missing".into())),
        _ => {}
    }
    // RFC 6749 §4.1.2.1: an `error` wins, even next to a `code`.
    if let Some(error) = &params.error {
        return Err(AuthError::Provider { error: error.clone(), description: params.error_description.clone() });
    }
    params.code.clone().filter(|c| !c.is_empty()).ok_or(AuthError::CodeMissing)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://id.test/";

    fn tx() -> Transaction {
        Transaction {
            state: "s1".into(),
            verifier: "v".into(),
            nonce: "n".into(),
            return_to: "/".into(),
            created_at: 100,
            silent: false,
            audience: None,
            max_age: None,
        }
    }

    fn check(query: &str, iss_required: bool) -> Result<String, AuthError> {
        check_callback(&parse_callback(query)?, Some(&tx()), ISSUER, iss_required, 200)
    }

    #[test]
    fn a_good_response_yields_the_code() {
        assert_eq!(check("?code=abc&state=s1", false).unwrap(), "abc");
        assert_eq!(check("code=abc&state=s1&iss=https%3A%2F%2Fid.test%2F", true).unwrap(), "abc");
    }

    #[test]
    fn state_problems() {
        assert_eq!(check("code=abc", false).unwrap_err(), AuthError::StateMissing);
        assert_eq!(check("code=abc&state=other", false).unwrap_err(), AuthError::StateMismatch);
        let params = parse_callback("code=abc&state=s1").unwrap();
        assert_eq!(check_callback(&params, None, ISSUER, false, 200).unwrap_err(), AuthError::StateMismatch);
        let late = check_callback(&params, Some(&tx()), ISSUER, false, 100 + 601);
        assert_eq!(late.unwrap_err(), AuthError::LoginExpired);
    }

    #[test]
    fn code_problems() {
        assert_eq!(check("state=s1", false).unwrap_err(), AuthError::CodeMissing);
        assert_eq!(check("state=s1&code=", false).unwrap_err(), AuthError::CodeMissing);
    }

    #[test]
    fn issuer_problems() {
        assert_eq!(check("code=a&state=s1&iss=https%3A%2F%2Fevil.test%2F", false).unwrap_err().code(), "iss_mismatch");
        assert_eq!(check("code=a&state=s1&iss=https%3A%2F%2Fid.test", false).unwrap_err().code(), "iss_mismatch");
        assert_eq!(check("code=a&state=s1", true).unwrap_err().code(), "iss_mismatch");
    }

    #[test]
    fn provider_errors_keep_their_text_and_beat_a_code() {
        let err = check("state=s1&code=a&error=access_denied&error_description=%3Cscript%3Ex%3C%2Fscript%3E", false)
            .unwrap_err();
        assert_eq!(
            err,
            AuthError::Provider { error: "access_denied".into(), description: Some("<script>x</script>".into()) }
        );
        assert!(!needs_interaction(&err));
        assert!(needs_interaction(&check("state=s1&error=login_required", false).unwrap_err()));
    }

    #[test]
    fn malformed_queries() {
        assert_eq!(check("code=a&code=b&state=s1", false).unwrap_err().code(), "callback_invalid");
        assert_eq!(check("state=s1&state=s1&code=a", false).unwrap_err().code(), "callback_invalid");
        let long = format!("code={}&state=s1", "a".repeat(5000));
        assert_eq!(check(&long, false).unwrap_err().code(), "callback_invalid");
        assert_eq!(check("code=%FF%FE&state=s1", false).unwrap(), "\u{FFFD}\u{FFFD}");
        assert!(!is_authorization_response(&parse_callback("?foo=1").unwrap()));
    }

    #[test]
    fn a_callback_without_an_answer_says_where_it_went() {
        assert!(missing_response("#code=a&state=s1").message().contains("fragment"));
        assert!(missing_response("#error=access_denied&state=s1").message().contains("fragment"));
        for nothing in ["", "#", "#section-2", "#code=a&code=b"] {
            let error = missing_response(nothing);
            assert_eq!(error.code(), "callback_invalid");
            assert!(error.message().contains("no authorization response"), "{nothing}: {error}");
        }
    }
}
