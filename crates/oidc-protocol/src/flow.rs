//! The flow as it happened, for people to read (the app's `/flow`): each step is a record — its
//! name, when, what it carried — in which nothing still usable appears: tokens and codes are
//! redacted to their length.

use crate::id_token::decode_part;
use crate::json::{Json, Parse, Write};
use crate::record::{self, Record};

/// The token response's members that are credentials (RFC 6749 §5.1, OIDC Core §3.1.3.3).
const CREDENTIALS: [&str; 3] = ["access_token", "refresh_token", "id_token"];

/// What is shown instead of a credential.
pub fn redacted(value: &str) -> String {
    format!("(redacted, {} characters)", value.len())
}

/// One step: its name (`verifier`, `challenge`, `authorize`, `callback`, `token`, `id-token`,
/// `access-token`, `api-call`, `refresh`), when (ms since the epoch), and what it carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Which step this is.
    pub name: String,
    /// When it happened, in milliseconds since the epoch.
    pub at: u64,
    /// What it carried, in order: names and values as text.
    pub details: Vec<(String, String)>,
}

impl Step {
    /// One line of the journal (form-encoded; `step` and `at` first).
    pub fn encode(&self) -> String {
        let at = self.at.to_string();
        let head = [("step", self.name.as_str()), ("at", at.as_str())];
        record::encode(head.into_iter().chain(self.details.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
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
pub fn query_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, query)| query);
    form_urlencoded::parse(query.split('#').next().unwrap_or_default().as_bytes()).into_owned().collect()
}

/// The members of a token response, the credentials redacted; `None` when it is not a JSON object.
pub fn response_fields(body: &str, parse: Parse, write: Write) -> Option<Vec<(String, String)>> {
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
pub fn members_text(object: &Json, write: Write) -> Vec<(String, String)> {
    let members = object.members().unwrap_or_default().iter();
    members.map(|(name, value)| (name.clone(), text(value, write))).collect()
}

/// A JWT's claims, read without any check (to show them; RFC 7519 §7.2 is the ID token's path);
/// `None` for an opaque token.
pub fn jwt_claims(token: &str, parse: Parse, write: Write) -> Option<Vec<(String, String)>> {
    let mut parts = token.split('.');
    let (_header, payload) = (parts.next()?, parts.next()?);
    let claims = decode_part(payload, "the token's claims", parse).ok()?;
    Some(members_text(&claims, write)).filter(|claims| !claims.is_empty())
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
    fn a_jwt_shows_its_claims_and_an_opaque_token_none() {
        let token =
            jwt(serde_json::json!({"alg": "RS256"}), &serde_json::json!({"sub": "ada", "scope": "read", "exp": 5}));
        let claims = jwt_claims(&token, parse, write).unwrap();
        // serde_json's objects come out sorted; the browser's keep the token's order.
        assert_eq!(claims, pairs(&[("exp", "5"), ("scope", "read"), ("sub", "ada")]));
        assert_eq!(jwt_claims("opaque-token", parse, write), None);
        assert_eq!(jwt_claims("a.%%%.c", parse, write), None);
    }
}
