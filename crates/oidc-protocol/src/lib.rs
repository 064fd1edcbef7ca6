//! The OAuth 2.0 / OpenID Connect protocol for a browser sign-in client, sans-IO: plain functions
//! of their inputs (the clock, random bytes, HTTP answers, a JSON parser are passed in), so every
//! check is tested natively. No web-sys, wasm-bindgen or Leptos among its dependencies: the
//! compiler keeps it free of I/O.

/// Builder methods that each set the string parameter of their own name through `$set`.
macro_rules! string_setters {
    ($set:ident, $($(#[$doc:meta])* $name:ident,)*) => {
        $(
            $(#[$doc])*
            pub fn $name(self, value: impl Into<String>) -> Self {
                self.$set(stringify!($name), value)
            }
        )*
    };
}

pub mod authorize;
pub mod bearer;
pub mod callback;
pub mod config;
pub mod discovery;
pub mod dpop;
pub mod error;
pub mod flow;
pub mod id_token;
pub mod json;
pub mod jws;
pub mod pkce;
pub mod record;
pub mod session;
pub mod settings;
pub mod token;
pub mod url;
