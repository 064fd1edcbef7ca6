//! The flow as it happened, for people to read (the app's `/flow`): each step is a record — its
//! name, when, what it carried — in which nothing still usable appears: tokens and codes are
//! redacted to their length.

use crate::error::AuthError;
use crate::id_token::{Claims, decode_claims};
use crate::json::{Json, Parse, Write};
use crate::record::{self, Record};

/// What a step carried: names and values as text.
pub type Details = Vec<(String, String)>;

/// One detail.
pub fn detail(name: &str, value: impl Into<String>) -> (String, String) {
    (name.to_owned(), value.into())
}

/// The token response's members that are credentials (RFC 6749 §5.1, OIDC Core §3.1.3.3).
const CREDENTIALS: [&str; 3] = ["access_token", "refresh_token", "id_token"];

/// The detail holding a token's claims as JSON until the journal is read.
const CLAIMS: &str = "claims";

/// What is shown instead of a credential.
fn redacted(value: &str) -> String {
    format!("(redacted, {} characters)", value.len())
}

/// One step: its name (`verifier`, `challenge`, `authorize` — recorded together as `sign-in` —,
/// `callback`, `token`, `id-token`, `access-token`, `api-call`, `refresh`), when (ms since the
/// epoch), and what it carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Which step this is.
    pub name: String,
    /// When it happened, in milliseconds since the epoch.
    pub at: u64,
    /// What it carried, in order: names and values as text.
    pub details: Details,
}

impl Step {
    /// One line of the journal (form-encoded; `step` and `at` first).
    pub fn encode(&self) -> String {
        let at = self.at.to_string();
        let head = [("step", self.name.as_str()), ("at", at.as_str())];
        record::encode(head.into_iter().chain(self.details.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
    }

    /// The step as people read it: a `sign-in` as its three steps, a token's claims one by one
    /// (recorded compactly, so that signing in does not carry the code that lays them out).
    pub fn expand(self, parse: Parse, write: Write) -> Vec<Step> {
        let at = self.at;
        if self.name == "sign-in" {
            let value = |name: &str| self.details.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str());
            let steps = sign_in_steps(value("url"), value("verifier_length"));
            return steps.into_iter().map(|(name, details)| Step { name: name.into(), at, details }).collect();
        }
        let details = self.details.into_iter().flat_map(|(name, value)| {
            if name == CLAIMS
                && let Some(claims) = parse(&value)
            {
                return members_text(&claims, write);
            }
            vec![(name, value)]
        });
        vec![Step { name: self.name, at, details: details.collect() }]
    }

    /// A journal line back; `None` for anything that is not one.
    pub fn decode(line: &str) -> Option<Step> {
        let record = Record::decode(line);
        let name = record.string("step")?;
        let at = record.number("at")?;
        let details = record.pairs().iter().filter(|(k, _)| k != "step" && k != "at").cloned().collect();
        Some(Step { name, at, details })
    }
}

/// A JSON value as text: a string as it is, anything else as its JSON.
fn text(value: &Json, write: Write) -> String {
    value.as_str().map_or_else(|| write(value), str::to_owned)
}

/// The parameters of a request URL's query, decoded (RFC 6749 §4.1.1 for the authorize request).
fn query_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, query)| query);
    form_urlencoded::parse(query.split('#').next().unwrap_or_default().as_bytes()).into_owned().collect()
}

/// The members of a token response, the credentials redacted; `None` when it is not a JSON object.
fn response_fields(body: &str, parse: Parse, write: Write) -> Option<Vec<(String, String)>> {
    let value = parse(body)?;
    let fields = value.members()?.iter().map(|(name, value)| {
        let shown = match value.as_str() {
            Some(token) if CREDENTIALS.contains(&name.as_str()) => redacted(token),
            _ => text(value, write),
        };
        (name.clone(), shown)
    });
    Some(fields.collect())
}

/// An object's members as text.
fn members_text(object: &Json, write: Write) -> Vec<(String, String)> {
    let members = object.members().unwrap_or_default().iter();
    members.map(|(name, value)| (name.clone(), text(value, write))).collect()
}

/// What a sign-in request records before leaving for the provider (its `sign-in` step): the
/// authorize URL and the verifier's length, read as three steps by [`Step::expand`].
pub fn sign_in_details(authorize_url: &str, verifier_length: usize) -> Details {
    vec![detail("url", authorize_url), detail("verifier_length", verifier_length.to_string())]
}

/// The three steps of a sign-in request, from the authorize URL and the verifier's length:
/// `verifier`, `challenge` (RFC 7636 §4.1, §4.2) and `authorize` (RFC 6749 §4.1.1).
fn sign_in_steps(authorize_url: &str, verifier_length: &str) -> [(&'static str, Details); 3] {
    let params = query_pairs(authorize_url);
    let length = format!("{verifier_length} characters, kept in this tab until the code exchange");
    let challenge = params.iter().filter(|(k, _)| k.starts_with("code_challenge")).cloned().collect();
    let endpoint = authorize_url.split('?').next().unwrap_or_default();
    let authorize = [detail("endpoint", endpoint)].into_iter().chain(params).collect();
    [("verifier", vec![detail("length", length)]), ("challenge", challenge), ("authorize", authorize)]
}

/// The callback's checks (RFC 6749 §4.1.2, RFC 9207): the code redacted, or why it was refused.
pub fn callback_details(checked: &Result<String, AuthError>, iss: Option<&str>) -> Details {
    match checked {
        Ok(code) => vec![
            detail("state", "matches this tab's sign-in"),
            detail("iss", iss.unwrap_or("not sent")),
            detail("code", redacted(code)),
        ],
        Err(error) => vec![detail("error", error.to_string())],
    }
}

/// The token response (RFC 6749 §4.1.4), its credentials redacted, and the verifier once spent:
/// only a success proves the code was redeemed (an error, a 5xx or no answer may leave it usable).
pub fn token_details(status: u16, body: &str, verifier: &str, parse: Parse, write: Write) -> Details {
    let fields = response_fields(body, parse, write).unwrap_or_default();
    let spent = (200..300).contains(&status).then(|| detail("code_verifier", verifier));
    [detail("status", status.to_string())].into_iter().chain(fields).chain(spent).collect()
}

/// The ID token's checks (OIDC Core §3.1.3.7) and its claims (as JSON, one by one once read).
pub fn id_token_details(claims: &Claims, write: Write) -> Details {
    vec![
        detail("signature", "verified with the provider's key"),
        detail("checks", "iss, aud, exp and iat hold; nonce matches this tab's sign-in"),
        detail(CLAIMS, write(claims)),
    ]
}

/// The access token's claims (a JWT's, RFC 7519 §7.2, read without any check: only to show
/// them), or that it is opaque.
pub fn access_token_details(token: &str, parse: Parse, write: Write) -> Details {
    let claims = decode_claims(token, parse).ok();
    match claims.filter(|claims| claims.members().is_some_and(|members| !members.is_empty())) {
        Some(claims) => vec![detail(CLAIMS, write(&claims))],
        None => vec![detail("format", "opaque: only the API can read it")],
    }
}

/// A refresh (RFC 6749 §6) for `api` (`None`: the sign-in's own token): whether the refresh
/// token rotated, or why it failed.
pub fn refresh_details(api: Option<&str>, outcome: Result<bool, &AuthError>) -> Details {
    let api = detail("api", api.unwrap_or("the sign-in's"));
    match outcome {
        Ok(rotated) => {
            vec![api, detail("refresh_token", if rotated { "rotated: the old one is spent" } else { "kept" })]
        }
        Err(error) => vec![api, detail("error", error.to_string())],
    }
}

/// An API call: its method and URL, whether it carried a token, and its status or error.
pub fn api_call_details(method: &str, url: &str, authorized: bool, outcome: Result<u16, String>) -> Details {
    let token = detail("token", if authorized { "the API's access token" } else { "none (public)" });
    let outcome = match outcome {
        Ok(status) => detail("status", status.to_string()),
        Err(error) => detail("error", error),
    };
    vec![detail("method", method), detail("url", url), token, outcome]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id_token::tests::jwt;
    use crate::json::native::{parse, write};

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_step_survives_its_journal_line_and_junk_is_no_step() {
        let step =
            Step { name: "authorize".into(), at: 1_700_000_000_123, details: pairs(&[("scope", "openid a&b=c")]) };
        assert_eq!(Step::decode(&step.encode()), Some(step));
        assert_eq!(Step::decode("at=1&scope=x"), None);
        assert_eq!(Step::decode("step=token&at=soon"), None);
        assert_eq!(Step::decode(""), None);
    }

    #[test]
    fn the_authorize_query_is_decoded() {
        let url = "https://idp.test/authorize?response_type=code&scope=openid%20profile&state=s1#x";
        assert_eq!(query_pairs(url), pairs(&[("response_type", "code"), ("scope", "openid profile"), ("state", "s1")]));
        assert!(query_pairs("https://idp.test/authorize").is_empty());
    }

    #[test]
    fn a_token_response_shows_its_fields_and_no_credential() {
        let body = r#"{"access_token":"eyJ.secret.a","refresh_token":"r-secret","id_token":"eyJ.i.d",
            "token_type":"Bearer","expires_in":86400,"scope":"openid read"}"#;
        let fields = response_fields(body, parse, write).unwrap();
        let shown = format!("{fields:?}");
        assert!(!shown.contains("secret") && !shown.contains("eyJ"), "{shown}");
        assert!(fields.contains(&("refresh_token".into(), "(redacted, 8 characters)".into())));
        assert!(fields.contains(&("expires_in".into(), "86400".into())));
        assert!(fields.contains(&("token_type".into(), "Bearer".into())));
        assert_eq!(response_fields("<html>", parse, write), None);
    }

    #[test]
    fn the_verifier_is_shown_only_once_spent() {
        // Finding: it was recorded whatever the token endpoint answered.
        let shows = |status, body| {
            token_details(status, body, "the-verifier", parse, write).iter().any(|(_, v)| v == "the-verifier")
        };
        assert!(shows(200, r#"{"access_token":"a","token_type":"Bearer"}"#));
        assert!(!shows(503, "<html>"), "a failed exchange may leave the code usable");
        assert!(!shows(400, r#"{"error":"invalid_request"}"#));
    }

    /// A step as recorded, through its journal line, as read.
    fn read(name: &str, details: Details) -> Vec<Step> {
        let line = Step { name: name.into(), at: 7, details }.encode();
        Step::decode(&line).unwrap().expand(parse, write)
    }

    #[test]
    fn a_jwt_shows_its_claims_one_by_one_and_an_opaque_token_none() {
        let token =
            jwt(serde_json::json!({"alg": "RS256"}), &serde_json::json!({"sub": "ada", "scope": "read", "exp": 5}));
        let [step] = &read("access-token", access_token_details(&token, parse, write))[..] else { panic!() };
        // serde_json's objects come out sorted; the browser's keep the token's order.
        assert_eq!(step.details, pairs(&[("exp", "5"), ("scope", "read"), ("sub", "ada")]));
        assert!(!step.details.iter().any(|(_, value)| value.contains(&token)));
        for opaque in ["opaque-token", "a.%%%.c", "a.e30.c"] {
            assert_eq!(
                access_token_details(opaque, parse, write),
                pairs(&[("format", "opaque: only the API can read it")])
            );
        }
    }

    #[test]
    fn the_id_token_step_keeps_its_checks_then_shows_each_claim() {
        let claims = parse(r#"{"sub":"ada","roles":["reader"]}"#).unwrap();
        let [step] = &read("id-token", id_token_details(&claims, write))[..] else { panic!() };
        assert_eq!(step.details[0].0, "signature");
        assert_eq!(step.details[2..], pairs(&[("roles", r#"["reader"]"#), ("sub", "ada")])[..]);
    }

    #[test]
    fn a_sign_in_reads_as_the_verifier_s_length_its_challenge_and_the_request_not_the_verifier() {
        let url = "https://idp.test/authorize?client_id=c&code_challenge=abc&code_challenge_method=S256&state=s";
        let steps = read("sign-in", sign_in_details(url, 43));
        let names: Vec<&str> = steps.iter().map(|step| step.name.as_str()).collect();
        assert_eq!(names, ["verifier", "challenge", "authorize"]);
        assert!(steps.iter().all(|step| step.at == 7));
        let length = "43 characters, kept in this tab until the code exchange";
        assert_eq!(steps[0].details, pairs(&[("length", length)]));
        assert_eq!(steps[1].details, pairs(&[("code_challenge", "abc"), ("code_challenge_method", "S256")]));
        assert_eq!(steps[2].details[0], detail("endpoint", "https://idp.test/authorize"));
        assert_eq!(steps[2].details.len(), 5);
    }

    #[test]
    fn a_callback_shows_the_code_redacted_or_why_it_was_refused() {
        let accepted = callback_details(&Ok("the-code".into()), None);
        assert!(
            accepted.contains(&detail("code", "(redacted, 8 characters)"))
                && accepted.contains(&detail("iss", "not sent"))
        );
        assert_eq!(callback_details(&Err(AuthError::StateMismatch), None)[0].0, "error");
        let refresh = refresh_details(None, Ok(true));
        assert_eq!(refresh, pairs(&[("api", "the sign-in's"), ("refresh_token", "rotated: the old one is spent")]));
        let call = api_call_details("GET", "/api/private", false, Err("down".into()));
        assert_eq!(call[2..], pairs(&[("token", "none (public)"), ("error", "down")])[..]);
    }
}
