//! What one sign-in asks of the provider beyond the configuration.

/// What one sign-in asks of the provider beyond the configuration (OIDC Core §3.1.2.1; Auth0's
/// `screen_hint`, `connection`, `organization`, `invitation`), each set by its method.
///
/// ```
/// use oidc_protocol::authorize::SignInOptions;
/// let options = SignInOptions::default().screen_hint("signup").login_hint("ada@example.com").max_age(600);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInOptions {
    /// Where to come back to: a path of this app (`None`: the page signing in).
    pub return_to: Option<String>,
    /// The `max_age` asked for, checked against the ID token's `auth_time`.
    pub max_age: Option<u64>,
    /// The authorization request's parameters, as they are sent.
    pub(super) params: Vec<(String, String)>,
}

impl SignInOptions {
    /// Comes back to `path` (a path of this app; anything else comes back to `/`).
    pub fn return_to(mut self, path: impl Into<String>) -> SignInOptions {
        self.return_to = Some(path.into());
        self
    }

    string_setters! {
        param,
        /// Auth0's first screen: `signup` opens the sign-up form.
        screen_hint,
        /// The login (an e-mail address) to fill in.
        login_hint,
        /// Auth0's connection (an identity provider or a database) to go straight to.
        connection,
        /// `login`, `consent`, `select_account` (space-separated).
        prompt,
        /// The languages of the provider's pages, in order of preference (BCP 47 tags).
        ui_locales,
        /// The authentication context classes asked for, in order of preference.
        acr_values,
        /// An Auth0 organization, instead of the configured one.
        organization,
        /// An Auth0 organization invitation, instead of the configured one.
        invitation,
    }

    /// The sign-in must be at most `seconds` old, or the person signs in again.
    pub fn max_age(mut self, seconds: u64) -> SignInOptions {
        self.max_age = Some(seconds);
        self.param("max_age", seconds.to_string())
    }

    /// Any other parameter of the provider's; one this client sets itself is left out.
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> SignInOptions {
        let name = name.into();
        if !OWN_PARAMETERS.contains(&name.as_str()) {
            self.params.retain(|(n, _)| *n != name);
            self.params.push((name, value.into()));
        }
        self
    }
}

/// The parameters this client sets itself, which [`SignInOptions::param`] cannot replace.
const OWN_PARAMETERS: [&str; 11] = [
    "response_type",
    "code_challenge",
    "code_challenge_method",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "audience",
    "resource",
    "response_mode",
];
