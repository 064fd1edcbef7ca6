//! ID token decoding and claim checks (OIDC Core §3.1.3.7).
//!
//! The token comes straight from the token endpoint over TLS, which OIDC Core §3.1.3.7 item 6
//! accepts in place of checking its signature.

use super::error::AuthError;
use super::json::{Json, Parse};
use base64ct::{Base64UrlUnpadded, Encoding};

/// The claims of an ID token, as the provider sent them (a JSON object).
pub type Claims = Json;

/// What a valid ID token must match.
#[derive(Clone, Copy, Debug)]
pub struct Expectations<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The `nonce` sent with the authorization request; `None` for refreshed tokens.
    pub nonce: Option<&'a str>,
    /// Auth0 organization id (`org_…`) or name, when one is configured.
    pub organization: Option<&'a str>,
    /// The `max_age` the sign-in asked for, if any.
    pub max_age: Option<u64>,
    pub leeway: u64,
    pub now: u64,
}

/// OIDC Core §2: `sub` "MUST NOT exceed 255 ASCII characters in length".
const MAX_SUB_LEN: usize = 255;

fn claim_error(claim: &'static str, reason: impl Into<String>) -> AuthError {
    AuthError::IdTokenClaim { claim, reason: reason.into() }
}

/// RFC 7515 §7.1: a base64url-encoded JSON object.
pub fn decode_part(part: &str, what: &str, parse: Parse) -> Result<Json, AuthError> {
    let bytes = Base64UrlUnpadded::decode_vec(part)
        .map_err(|_| AuthError::IdTokenMalformed(format!("the {what} is not base64url")))?;
    let not_json = || AuthError::IdTokenMalformed(format!("the {what} is not a JSON object"));
    let text = std::str::from_utf8(&bytes).map_err(|_| not_json())?;
    parse(text).filter(|value| value.members().is_some()).ok_or_else(not_json)
}

/// RFC 7519 §7.2: splits a compact JWS and decodes its header and claims.
pub fn decode_claims(jwt: &str, parse: Parse) -> Result<Claims, AuthError> {
    let mut parts = jwt.split('.');
    let (Some(header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::IdTokenMalformed("it does not have three parts".into()));
    };
    let header = decode_part(header, "header", parse)?;
    // RFC 7515 §4.1.1: `alg` is required.
    let alg = header.get("alg").and_then(Json::as_str);
    let alg = alg.ok_or_else(|| AuthError::IdTokenMalformed("the header has no `alg`".into()))?;
    // RFC 8725 §3.1 / OIDC Core §3.1.3.7: unsigned tokens are never accepted.
    if alg.eq_ignore_ascii_case("none") {
        return Err(AuthError::IdTokenMalformed("it is unsigned (alg none)".into()));
    }
    // RFC 7515 §4.1.11: critical extensions this client does not understand (it knows none).
    if header.get("crit").is_some() {
        return Err(AuthError::IdTokenMalformed("its header has critical extensions (`crit`)".into()));
    }
    decode_part(payload, "payload", parse)
}

fn string_claim<'a>(claims: &'a Claims, name: &'static str) -> Result<&'a str, AuthError> {
    match claims.get(name) {
        Some(Json::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(claim_error(name, "not a non-empty string")),
        None => Err(claim_error(name, "missing")),
    }
}

/// RFC 7519 §2 NumericDate: a finite number of seconds (`JSON.parse` reads `1e999` as infinity).
fn time_claim(claims: &Claims, name: &'static str) -> Result<f64, AuthError> {
    let time = claims.get(name).and_then(Json::as_f64).filter(|t| t.is_finite());
    time.ok_or_else(|| claim_error(name, "missing or not a number"))
}

fn audiences(claims: &Claims) -> Result<Vec<&str>, AuthError> {
    match claims.get("aud") {
        Some(Json::String(s)) => Ok(vec![s.as_str()]),
        Some(Json::Array(items)) => {
            items.iter().map(|v| v.as_str().ok_or_else(|| claim_error("aud", "not a list of strings"))).collect()
        }
        _ => Err(claim_error("aud", "missing")),
    }
}

/// Checks the claims of an already decoded ID token.
pub fn check_claims(claims: &Claims, expect: &Expectations) -> Result<(), AuthError> {
    // §3.1.3.7 item 2: the issuer must match exactly.
    let iss = string_claim(claims, "iss")?;
    if iss != expect.issuer {
        return Err(claim_error("iss", format!("\"{iss}\" is not \"{}\"", expect.issuer)));
    }
    // §2: `sub` is a required identifier of at most 255 ASCII characters.
    let sub = string_claim(claims, "sub")?;
    if sub.len() > MAX_SUB_LEN || !sub.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return Err(claim_error("sub", "not at most 255 printable ASCII characters"));
    }
    // §3.1.3.7 item 3: `aud` must contain our client_id.
    let aud = audiences(claims)?;
    if !aud.contains(&expect.client_id) {
        return Err(claim_error("aud", "does not contain this client"));
    }
    // §3.1.3.7 items 4–5: with several audiences `azp` is required, and must be our client_id.
    match claims.get("azp") {
        Some(Json::String(azp)) if azp == expect.client_id => {}
        Some(_) => return Err(claim_error("azp", "is not this client")),
        None if aud.len() > 1 => return Err(claim_error("azp", "missing with several audiences")),
        None => {}
    }
    let leeway = expect.leeway as f64;
    let now = expect.now as f64;
    let (exp, iat) = (time_claim(claims, "exp")?, time_claim(claims, "iat")?);
    // A token checked on arrival was just issued: `iat` tells how far off this device's clock is.
    let minutes = ((now - iat).abs() / 60.0).round() as u64;
    // §3.1.3.7 item 9: the current time must be before `exp` (with leeway for clock skew).
    if exp + leeway < now {
        let hint = format!("this device's clock is about {minutes} min ahead of the provider's; check it");
        return Err(claim_error("exp", format!("the token has expired ({hint})")));
    }
    // §3.1.3.7 item 10: `iat` must be present and not in the future.
    if iat - leeway > now {
        let hint = format!("this device's clock is about {minutes} min behind the provider's; check it");
        return Err(claim_error("iat", format!("issued in the future ({hint})")));
    }
    // RFC 7519 §4.1.5: not to be accepted before `nbf` (with leeway), when present.
    if claims.get("nbf").is_some() && time_claim(claims, "nbf")? - leeway > now {
        return Err(claim_error("nbf", "the token is not valid yet"));
    }
    // §2: `auth_time` is a NumericDate, `acr` a string, `amr` an array of strings, when present.
    // §3.1.3.7 item 11: with `max_age` asked for, `auth_time` is required and no older than it.
    if claims.get("auth_time").is_some() || expect.max_age.is_some() {
        let auth_time = time_claim(claims, "auth_time")?;
        if expect.max_age.is_some_and(|max_age| auth_time + max_age as f64 + leeway < now) {
            return Err(claim_error("auth_time", "the sign-in is older than the max_age asked for"));
        }
    }
    if claims.get("acr").is_some_and(|acr| acr.as_str().is_none()) {
        return Err(claim_error("acr", "not a string"));
    }
    if let Some(amr) = claims.get("amr")
        && !matches!(amr, Json::Array(items) if items.iter().all(|m| m.as_str().is_some()))
    {
        return Err(claim_error("amr", "not a list of strings"));
    }
    // §3.1.3.7 item 11: the nonce must be the one we sent.
    if let Some(nonce) = expect.nonce
        && claims.get("nonce").and_then(Json::as_str) != Some(nonce)
    {
        return Err(claim_error("nonce", "does not match the sign-in request"));
    }
    // Auth0 Organizations: `org_id` for an id (`org_…`), else `org_name` (lower-cased; Auth0
    // organization names are lower-case ASCII letters, digits, `-` and `_`).
    if let Some(org) = expect.organization {
        let (claim, expected) =
            if org.starts_with("org_") { ("org_id", org.to_owned()) } else { ("org_name", org.to_ascii_lowercase()) };
        if claims.get(claim).and_then(Json::as_str) != Some(expected.as_str()) {
            return Err(claim_error(
                if claim == "org_id" { "org_id" } else { "org_name" },
                "is not the configured organization",
            ));
        }
    }
    Ok(())
}

/// Decodes an ID token and checks its claims.
pub fn validate_id_token(jwt: &str, expect: &Expectations, parse: Parse) -> Result<Claims, AuthError> {
    let claims = decode_claims(jwt, parse)?;
    check_claims(&claims, expect)?;
    Ok(claims)
}

/// The name to greet the person with: `name`, else `nickname`, `email`, then `sub`.
pub fn display_name(claims: &Claims) -> String {
    ["name", "nickname", "email", "sub"]
        .iter()
        .find_map(|k| claims.get(k).and_then(Json::as_str).filter(|s| !s.is_empty()))
        .unwrap_or("unknown")
        .to_owned()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::json::native::parse;
    use serde_json::{Value, json};

    pub const ISSUER: &str = "https://id.test/";
    pub const NOW: u64 = 1_700_000_000;

    pub fn jwt(header: Value, claims: &Value) -> String {
        let enc = |v: &Value| Base64UrlUnpadded::encode_string(v.to_string().as_bytes());
        format!("{}.{}.c2ln", enc(&header), enc(claims))
    }

    pub fn good_claims() -> Value {
        json!({"iss": ISSUER, "sub": "u1", "aud": "client", "exp": NOW + 300, "iat": NOW, "nonce": "n1",
               "name": "Ada", "https://leptos-pkce.test/roles": ["admin"]})
    }

    fn expect() -> Expectations<'static> {
        Expectations {
            issuer: ISSUER,
            client_id: "client",
            nonce: Some("n1"),
            organization: None,
            max_age: None,
            leeway: 60,
            now: NOW,
        }
    }

    fn validate_with(claims: &Value, expect: &Expectations) -> Result<Claims, AuthError> {
        validate_id_token(&jwt(json!({"alg": "RS256"}), claims), expect, parse)
    }

    fn failing_claim(claims: Value, expect: &Expectations) -> &'static str {
        match validate_with(&claims, expect).unwrap_err() {
            AuthError::IdTokenClaim { claim, .. } => claim,
            other => panic!("expected a claim error, got {other}"),
        }
    }

    fn with(key: &str, value: Value) -> Value {
        let mut claims = good_claims();
        claims[key] = value;
        claims
    }

    fn without(key: &str) -> Value {
        let mut claims = good_claims();
        claims.as_object_mut().unwrap().remove(key);
        claims
    }

    #[test]
    fn a_good_token_passes_and_keeps_custom_claims() {
        let claims = validate_with(&good_claims(), &expect()).unwrap();
        let roles = Json::Array(vec![Json::String("admin".into())]);
        assert_eq!(claims.get("https://leptos-pkce.test/roles"), Some(&roles));
        assert_eq!(display_name(&claims), "Ada");
    }

    #[test]
    fn each_claim_check_fails_on_a_wrong_value() {
        let e = expect();
        assert_eq!(failing_claim(with("iss", json!("https://id.test")), &e), "iss");
        assert_eq!(failing_claim(without("iss"), &e), "iss");
        assert_eq!(failing_claim(with("sub", json!("")), &e), "sub");
        assert_eq!(failing_claim(without("sub"), &e), "sub");
        assert_eq!(failing_claim(with("sub", json!("u".repeat(256))), &e), "sub");
        assert_eq!(failing_claim(with("sub", json!("ad\u{e9}")), &e), "sub");
        assert_eq!(failing_claim(with("sub", json!("a\nb")), &e), "sub");
        assert_eq!(failing_claim(with("auth_time", json!("yesterday")), &e), "auth_time");
        assert_eq!(failing_claim(with("acr", json!(1)), &e), "acr");
        assert_eq!(failing_claim(with("amr", json!("pwd")), &e), "amr");
        assert_eq!(failing_claim(with("amr", json!(["pwd", 2])), &e), "amr");
        assert_eq!(failing_claim(with("aud", json!("other")), &e), "aud");
        assert_eq!(failing_claim(with("aud", json!([1])), &e), "aud");
        assert_eq!(failing_claim(with("aud", json!(["client", "api"])), &e), "azp");
        assert_eq!(failing_claim(with("azp", json!("other")), &e), "azp");
        assert_eq!(failing_claim(with("exp", json!(NOW - 61)), &e), "exp");
        assert_eq!(failing_claim(with("exp", json!("soon")), &e), "exp");
        let never_expires = Json::Object(vec![("exp".into(), Json::Number(f64::INFINITY))]);
        assert_eq!(time_claim(&never_expires, "exp").unwrap_err().code(), "id_token_claim");
        assert_eq!(failing_claim(with("iat", json!(NOW + 61)), &e), "iat");
        let behind = validate_with(&with("iat", json!(NOW + 30 * 60)), &e).unwrap_err();
        assert!(behind.message().contains("about 30 min behind"), "{behind}");
        let mut stale = with("iat", json!(NOW - 2 * 3600));
        stale["exp"] = json!(NOW - 3600);
        let ahead = validate_with(&stale, &e).unwrap_err();
        assert!(ahead.message().contains("about 120 min ahead"), "{ahead}");
        assert_eq!(failing_claim(without("iat"), &e), "iat");
        assert_eq!(failing_claim(with("nonce", json!("n2")), &e), "nonce");
        assert_eq!(failing_claim(without("nonce"), &e), "nonce");
        assert_eq!(failing_claim(with("nbf", json!(NOW + 61)), &e), "nbf", "RFC 7519 §4.1.5");
        assert_eq!(failing_claim(with("nbf", json!("now")), &e), "nbf");
        assert!(validate_with(&with("nbf", json!(NOW + 59)), &e).is_ok(), "within the leeway");
    }

    #[test]
    fn a_max_age_asked_for_needs_a_recent_enough_auth_time() {
        // OIDC Core §3.1.3.7 item 11.
        let e = Expectations { max_age: Some(300), ..expect() };
        assert_eq!(failing_claim(good_claims(), &e), "auth_time", "required with max_age");
        assert_eq!(failing_claim(with("auth_time", json!(NOW - 361)), &e), "auth_time", "older than max_age");
        assert!(validate_with(&with("auth_time", json!(NOW - 359)), &e).is_ok(), "within the leeway");
        assert!(validate_with(&good_claims(), &expect()).is_ok(), "not asked: not required");
    }

    #[test]
    fn leeway_and_optional_checks() {
        let e = expect();
        assert!(validate_with(&with("exp", json!(NOW - 59)), &e).is_ok());
        assert!(validate_with(&with("iat", json!(NOW + 59)), &e).is_ok());
        let mut with_azp = with("aud", json!(["client", "api"]));
        with_azp["azp"] = json!("client");
        assert!(validate_with(&with_azp, &e).is_ok());
        let mut full = with("sub", json!(format!("auth0|{}", "u".repeat(249))));
        full["auth_time"] = json!(NOW - 10);
        full["acr"] = json!("urn:mace:incommon:iap:silver");
        full["amr"] = json!(["pwd", "mfa"]);
        assert!(validate_with(&full, &e).is_ok(), "255 characters and the optional claims are fine");
        let refreshed = Expectations { nonce: None, ..e };
        assert!(validate_with(&without("nonce"), &refreshed).is_ok());
    }

    #[test]
    fn organizations() {
        let by_id = Expectations { organization: Some("org_1"), ..expect() };
        assert_eq!(failing_claim(good_claims(), &by_id), "org_id");
        assert!(validate_with(&with("org_id", json!("org_1")), &by_id).is_ok());
        let by_name = Expectations { organization: Some("Acme"), ..expect() };
        assert_eq!(failing_claim(with("org_name", json!("other")), &by_name), "org_name");
        assert!(validate_with(&with("org_name", json!("acme")), &by_name).is_ok());
    }

    #[test]
    fn malformed_tokens() {
        let good = good_claims();
        let cases = [
            "".to_owned(),
            "a.b".to_owned(),
            "a.b.c.d".to_owned(),
            "!!!.e30.sig".to_owned(),
            jwt(json!({"alg": "none"}), &good),
            jwt(json!({"alg": "NONE"}), &good),
            jwt(json!({"typ": "JWT"}), &good),
            jwt(json!({"alg": "RS256", "crit": ["exp"], "exp": 1}), &good),
            jwt(json!({"alg": "RS256"}), &json!([1, 2])),
            format!("{}.bm90IGpzb24.sig", jwt(json!({"alg": "RS256"}), &good).split('.').next().unwrap()),
        ];
        for token in cases {
            assert_eq!(
                validate_id_token(&token, &expect(), parse).unwrap_err().code(),
                "id_token_malformed",
                "{token}"
            );
        }
    }
}
