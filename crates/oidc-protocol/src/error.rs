//! Typed errors with stable codes; the UI shows `code` and `message` as text, never as markup.

use std::fmt;

/// Everything that can go wrong while signing in, each with a stable machine-readable code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// `config.json` is missing, malformed or has a bad field.
    Config(String),
    /// The discovery document could not be used.
    Discovery(String),
    /// The callback has no `state`.
    StateMissing,
    /// No pending sign-in matches the callback's `state` (wrong, replayed or from another browser).
    StateMismatch,
    /// The pending sign-in is older than the allowed time.
    LoginExpired,
    /// The callback has neither `code` nor `error`.
    CodeMissing,
    /// The callback's `iss` is absent although required, or differs from the issuer.
    IssuerMismatch(String),
    /// The callback or URL is malformed (duplicated or oversized parameters).
    Callback(String),
    /// The provider answered with an OAuth error.
    Provider { error: String, description: Option<String> },
    /// The token endpoint's answer could not be used.
    TokenResponse(String),
    /// The ID token is not a well-formed JWT.
    IdTokenMalformed(String),
    /// The ID token's signature is missing, not allowed, or does not verify.
    IdTokenSignature(String),
    /// One of the ID token's claims failed its check.
    IdTokenClaim { claim: &'static str, reason: String },
    /// A request could not reach the server.
    Network(String),
    /// Browser storage refused a read or write.
    Storage(String),
    /// An action needs a signed-in person and there is none.
    NotSignedIn,
    /// The refresh token was refused (expired, revoked or spent): sign in again.
    SessionExpired,
    /// The provider gives no token for this API from the refresh token, and signing in for it alone
    /// is not possible here.
    AudienceRefused(String),
}

impl AuthError {
    /// The stable code shown in the UI and relied on by tests.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Config(_) => "config_invalid",
            AuthError::Discovery(_) => "discovery",
            AuthError::StateMissing => "state_missing",
            AuthError::StateMismatch => "state_mismatch",
            AuthError::LoginExpired => "login_expired",
            AuthError::CodeMissing => "code_missing",
            AuthError::IssuerMismatch(_) => "iss_mismatch",
            AuthError::Callback(_) => "callback_invalid",
            AuthError::Provider { .. } => "provider_error",
            AuthError::TokenResponse(_) => "token_response",
            AuthError::IdTokenMalformed(_) => "id_token_malformed",
            AuthError::IdTokenSignature(_) => "id_token_signature",
            AuthError::IdTokenClaim { .. } => "id_token_claim",
            AuthError::Network(_) => "network",
            AuthError::Storage(_) => "storage",
            AuthError::NotSignedIn => "not_signed_in",
            AuthError::SessionExpired => "session_expired",
            AuthError::AudienceRefused(_) => "audience_refused",
        }
    }

    /// A sentence for people; provider-supplied text is included verbatim (render it as text).
    pub fn message(&self) -> String {
        match self {
            AuthError::Config(m) => format!("configuration error: {m}"),
            AuthError::Discovery(m) => format!("the provider's discovery document is unusable: {m}"),
            AuthError::StateMissing => "the sign-in response has no state parameter".into(),
            AuthError::StateMismatch => {
                "no sign-in is pending for this response (already used, started elsewhere or forged)".into()
            }
            AuthError::LoginExpired => "the sign-in took too long; please start again".into(),
            AuthError::CodeMissing => "the sign-in response has no authorization code".into(),
            AuthError::IssuerMismatch(m) => format!("the response comes from the wrong issuer: {m}"),
            AuthError::Callback(m) => format!("the sign-in response is malformed: {m}"),
            AuthError::Provider { error, description } => match description {
                Some(d) => format!("the provider refused: {error}: {d}"),
                None => format!("the provider refused: {error}"),
            },
            AuthError::TokenResponse(m) => format!("the token endpoint's answer is unusable: {m}"),
            AuthError::IdTokenMalformed(m) => format!("the ID token is malformed: {m}"),
            AuthError::IdTokenSignature(m) => format!("the ID token's signature is not valid: {m}"),
            AuthError::IdTokenClaim { claim, reason } => {
                format!("the ID token's `{claim}` claim is wrong: {reason}")
            }
            AuthError::Network(m) => format!("network error: {m}"),
            AuthError::Storage(m) => format!("browser storage error: {m}"),
            AuthError::NotSignedIn => "you are not signed in".into(),
            AuthError::SessionExpired => "your session has expired, sign in again".into(),
            AuthError::AudienceRefused(m) => format!("no token for this API: {m}"),
        }
    }
}

/// The provider's refusals an app may act on: OAuth 2.0's (RFC 6749 §4.1.2.1, §5.2), OIDC Core
/// §3.1.2.6's, and Auth0's `mfa_required`.
///
/// ```
/// # use oidc_protocol::error::{AuthError, ProviderError};
/// let refused = AuthError::Provider { error: "consent_required".into(), description: None };
/// assert_eq!(refused.provider_error(), Some(ProviderError::ConsentRequired));
/// assert!(ProviderError::ConsentRequired.needs_interaction());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderError {
    /// `login_required`: the person must sign in.
    LoginRequired,
    /// `consent_required`: the person must consent.
    ConsentRequired,
    /// `interaction_required`: the person must do something at the provider.
    InteractionRequired,
    /// `account_selection_required`: the person must choose an account.
    AccountSelectionRequired,
    /// `mfa_required` (Auth0): a second factor is needed.
    MfaRequired,
    /// `access_denied`: the person or the provider refused.
    AccessDenied,
    /// `invalid_grant`: the code or refresh token is invalid, expired, revoked or spent.
    InvalidGrant,
    /// Another code: the text is in [`AuthError::Provider`].
    Other,
}

impl ProviderError {
    /// The kind of the OAuth error code `code`.
    pub fn of(code: &str) -> ProviderError {
        match code {
            "login_required" => ProviderError::LoginRequired,
            "consent_required" => ProviderError::ConsentRequired,
            "interaction_required" => ProviderError::InteractionRequired,
            "account_selection_required" => ProviderError::AccountSelectionRequired,
            "mfa_required" => ProviderError::MfaRequired,
            "access_denied" => ProviderError::AccessDenied,
            "invalid_grant" => ProviderError::InvalidGrant,
            _ => ProviderError::Other,
        }
    }

    /// OIDC Core §3.1.2.6: the person must interact (the signed-out answer to `prompt=none`).
    pub fn needs_interaction(self) -> bool {
        use ProviderError::*;
        matches!(self, LoginRequired | ConsentRequired | InteractionRequired | AccountSelectionRequired)
    }
}

impl AuthError {
    /// What the provider refused, typed, when the error is its refusal ([`AuthError::Provider`]).
    pub fn provider_error(&self) -> Option<ProviderError> {
        match self {
            AuthError::Provider { error, .. } => Some(ProviderError::of(error)),
            _ => None,
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_refusals_an_app_acts_on_are_typed() {
        use ProviderError::*;
        let kinds = [
            ("login_required", LoginRequired, true),
            ("consent_required", ConsentRequired, true),
            ("interaction_required", InteractionRequired, true),
            ("account_selection_required", AccountSelectionRequired, true),
            ("mfa_required", MfaRequired, false),
            ("access_denied", AccessDenied, false),
            ("invalid_grant", InvalidGrant, false),
            ("temporarily_unavailable", Other, false),
            ("Login_Required", Other, false),
        ];
        for (code, kind, interaction) in kinds {
            let refused = AuthError::Provider { error: code.into(), description: Some("why".into()) };
            assert_eq!(refused.provider_error(), Some(kind), "{code}");
            assert_eq!(kind.needs_interaction(), interaction, "{code}");
        }
        assert_eq!(AuthError::SessionExpired.provider_error(), None, "not the provider's answer");
    }
}
