//! Runtime configuration (`config.json`) and its validation; defaults live here and nowhere else.

mod parse;

pub(crate) use parse::validate;
pub use parse::{normalize_domain, parse_config};

use crate::bearer::may_carry_token;
use crate::error::AuthError;

/// Scope requested when `config.json` names none.
pub const DEFAULT_SCOPE: &str = "openid profile email";
/// Clock tolerance and refresh-ahead margin when `config.json` names none.
pub const DEFAULT_LEEWAY_SECONDS: u64 = 60;
/// The largest clock tolerance accepted.
const MAX_LEEWAY_SECONDS: u64 = 600;

/// Where tokens are kept between page loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenStorage {
    /// In memory only; other tabs and the provider session restore them (RFC 10017 §8).
    Memory,
    /// In localStorage, shared by all tabs.
    Local,
}

/// An API the app calls with access tokens: where it lives and which token it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Api {
    /// `api` for the main API (`api_base_url`), else its name under `apis`.
    pub name: String,
    pub base_url: String,
    /// Its audience (RFC 8707 resource); `None` only for a main API without `audience`.
    pub audience: Option<String>,
    /// The scopes to ask for its tokens; `None` for the sign-in's own access token.
    pub scope: Option<String>,
}

impl Api {
    /// Whether its tokens are the sign-in's own access token (no separate request).
    pub fn is_main(&self) -> bool {
        self.scope.is_none()
    }

    /// Where its token is kept in the token set: `None` for the sign-in's own, else its audience.
    pub fn token_key(&self) -> Option<&str> {
        if self.is_main() { None } else { self.audience.as_deref() }
    }
}

/// The validated configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The issuer exactly as the provider states it (a bare Auth0 domain means `https://domain/`).
    pub issuer: String,
    pub client_id: String,
    pub audience: Option<String>,
    pub scope: String,
    pub redirect_uri: String,
    pub post_logout_redirect_uri: String,
    pub token_storage: TokenStorage,
    pub organization: Option<String>,
    pub invitation: Option<String>,
    pub leeway_seconds: u64,
    /// The main API first, then the others of `apis`.
    pub apis: Vec<Api>,
    /// RFC 9449: sender-constrained (DPoP) tokens.
    pub dpop: bool,
    /// Whether `config.json` says `dpop`; if not, [`Config::settle_dpop`] follows the provider.
    pub dpop_stated: bool,
}

impl Config {
    /// The API that `url` belongs to, the only place its access token may go: the one whose base
    /// URL owns the path on a segment boundary (RFC 3986 §3.3), the longest first; none else.
    pub fn api_for(&self, url: &str) -> Option<&Api> {
        let owns = |api: &&Api| {
            let base = api.base_url.trim_end_matches('/');
            let rest = url.strip_prefix(base);
            may_carry_token(url, base) && rest.is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
        };
        self.apis.iter().filter(owns).max_by_key(|api| api.base_url.trim_end_matches('/').len())
    }

    /// The configured API named `name` (`api` is the main one).
    pub fn api_named(&self, name: &str) -> Option<&Api> {
        self.apis.iter().find(|api| api.name == name)
    }

    /// The main API (`api_base_url`), whose paths a relative URL names.
    pub fn main_api(&self) -> Option<&Api> {
        self.apis.iter().find(|api| api.is_main())
    }

    /// RFC 9449 §5.1: unless `config.json` says, DPoP is on where the provider takes ES256 proofs
    /// (`dpop_signing_alg_values_supported`).
    pub fn settle_dpop(&mut self, advertised: bool) {
        if !self.dpop_stated {
            self.dpop = advertised;
        }
    }

    /// Whether refresh tokens may go to the other tabs: they are in storage anyway (`local`), or
    /// bound to this browser's DPoP key (RFC 9449 §5), useless to whoever reads them off the channel.
    pub fn shares_refresh_tokens(&self) -> bool {
        self.token_storage == TokenStorage::Local || self.dpop
    }

    /// RFC 8707 §2.1: every API's audience, when there are several (one token request each later).
    pub fn resources(&self) -> Vec<&str> {
        let audiences: Vec<&str> = self.apis.iter().filter_map(|api| api.audience.as_deref()).collect();
        if audiences.len() > 1 { audiences } else { Vec::new() }
    }
}
