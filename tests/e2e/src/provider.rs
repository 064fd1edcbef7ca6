//! What a scenario needs to know of a provider's own pages: its login form and its "sign out?"
//! confirmation. Each provider implementation the suites run against has one.

/// A provider implementation as a person meets it in the browser.
#[derive(Debug)]
pub struct Provider {
    /// The implementation, for messages.
    pub name: &'static str,
    /// CSS selectors of its login form: the login, the password and the button that sends them.
    pub login_input: &'static str,
    pub password_input: &'static str,
    pub submit: &'static str,
    /// The button of its end-session page that confirms signing out.
    pub confirm_logout: &'static str,
    /// Whether its `sub` claim is the login itself (rather than an id of its own).
    pub sub_is_login: bool,
}

/// `oidc-provider` (`dev/idp`): its dev interactions and logout page.
pub const OIDC_PROVIDER: Provider = Provider {
    name: "oidc-provider",
    login_input: "input[name=login]",
    password_input: "input[name=password]",
    submit: "button[type=submit]",
    confirm_logout: "button[value=yes]",
    sub_is_login: true,
};
