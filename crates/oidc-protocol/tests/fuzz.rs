//! Property-based fuzzing of every sans-IO parser: hostile input never panics, and what is
//! accepted keeps its invariants. `PROPTEST_CASES` sets the number of inputs per property.
#![cfg(not(target_arch = "wasm32"))]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oidc_protocol::authorize::{ENTROPY_BYTES, SignInOptions, Transaction, begin_login, safe_return_to};
use oidc_protocol::bearer::{challenge_error, verdict};
use oidc_protocol::callback::{check_callback, parse_callback};
use oidc_protocol::config::parse_config;
use oidc_protocol::discovery::{CachedDocument, auth0_endpoints, parse_discovery};
use oidc_protocol::id_token::{Expectations, validate_id_token};
use oidc_protocol::json::native::parse;
use oidc_protocol::session::parse_token_set;
use oidc_protocol::token::parse_token_response;
use proptest::prelude::*;

const ISSUER: &str = "https://id.test/";

/// Strings that look like the real thing often enough to get past the first check.
fn query(state: String) -> impl Strategy<Value = String> {
    let key = prop_oneof![
        prop::sample::select(vec!["code", "state", "error", "error_description", "iss"]).prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ];
    let value =
        prop_oneof!["[ -~]{0,40}", "%[0-9A-Fa-f]{2}[a-z]{0,3}", Just(state), Just("https%3A%2F%2Fid.test%2F".into())];
    prop::collection::vec((key, value), 0..8)
        .prop_map(|pairs| pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"))
}

fn json_fragment() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| format!("{n:e}")),
        "\"[ -~]{0,12}\"".prop_map(|s| s.replace('\\', "")),
        Just("\"Bearer\"".to_owned()),
        Just("\"DPoP\"".to_owned()),
        Just(format!("\"{ISSUER}\"")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        let key = prop_oneof![
            Just("access_token"),
            Just("token_type"),
            Just("expires_in"),
            Just("id_token"),
            Just("refresh_token"),
            Just("issuer"),
            Just("authorization_endpoint"),
            Just("token_endpoint"),
            Just("domain"),
            Just("client_id"),
            Just("error"),
            Just("sub"),
            Just("aud"),
            Just("exp"),
            Just("iat"),
            Just("nonce"),
            Just("claims")
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((key, inner), 0..6).prop_map(|kv| {
                let body: Vec<String> = kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
}

/// A real login transaction, made the way the app makes one (fixed entropy).
fn transaction() -> Transaction {
    let config = parse_config(r#"{"domain":"https://id.test/","client_id":"c"}"#, "https://app.test", parse).unwrap();
    begin_login(
        &config,
        &auth0_endpoints(&config.issuer),
        &[7; ENTROPY_BYTES],
        "c",
        "/",
        100,
        false,
        None,
        &SignInOptions::default(),
    )
    .transaction
}

proptest! {
    #[test]
    fn callbacks_never_panic_and_a_code_needs_the_right_state(q in query(transaction().state), required in any::<bool>()) {
        let transaction = transaction();
        if let Ok(params) = parse_callback(&q)
            && let Ok(code) = check_callback(&params, Some(&transaction), ISSUER, required, 200)
        {
            prop_assert_eq!(params.state.as_deref(), Some(transaction.state.as_str()));
            prop_assert!(params.error.is_none());
            prop_assert!(!code.is_empty());
        }
    }

    #[test]
    fn arbitrary_bytes_as_a_callback_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_callback(&text).map(|p| check_callback(&p, None, ISSUER, true, 0));
    }

    #[test]
    fn token_responses_never_panic_and_success_means_the_expected_type(status in 100u16..600, body in json_fragment(), dpop in any::<bool>()) {
        let expected = if dpop { "DPoP" } else { "Bearer" };
        if let Ok(response) = parse_token_response(status, &body, expected, parse) {
            prop_assert!((200..300).contains(&status));
            prop_assert!(response.token_type.eq_ignore_ascii_case(expected));
            prop_assert!(!response.access_token.is_empty());
        }
    }

    #[test]
    fn jwts_never_panic_and_never_pass_with_a_wrong_issuer(header in json_fragment(), payload in json_fragment(), sig in "[A-Za-z0-9_-]{0,20}") {
        let token = format!("{}.{}.{sig}", URL_SAFE_NO_PAD.encode(&header), URL_SAFE_NO_PAD.encode(&payload));
        let expect = Expectations { issuer: "https://other.test/", client_id: "c", nonce: Some("n"), organization: None, max_age: None, leeway: 60, now: 1_700_000_000 };
        prop_assert!(validate_id_token(&token, &expect, parse).is_err(), "the generator never writes the expected issuer");
    }

    #[test]
    fn raw_jwt_text_never_panics(text in "[A-Za-z0-9_.=-]{0,200}") {
        let expect = Expectations { issuer: ISSUER, client_id: "c", nonce: None, organization: Some("org_1"), max_age: None, leeway: 0, now: 0 };
        let _ = validate_id_token(&text, &expect, parse);
    }

    #[test]
    fn configs_never_panic_and_accepted_issuers_are_normalised(body in json_fragment(), domain in "[ -~]{0,30}") {
        let _ = parse_config(&body, "https://app.test", parse);
        let json = serde_json::json!({"domain": domain, "client_id": "c"}).to_string();
        if let Ok(config) = parse_config(&json, "https://app.test", parse) {
            prop_assert!(config.issuer.ends_with('/'));
            prop_assert!(config.issuer.starts_with("https://") || config.issuer.starts_with("http://"));
        }
    }

    #[test]
    fn discovery_documents_never_panic(body in json_fragment()) {
        let _ = parse_discovery(ISSUER, &body, parse);
    }

    #[test]
    fn stored_records_never_panic_and_what_is_read_back_is_what_was_written(
        body in json_fragment(),
        form in "([a-z_]{1,12}=[ -~%]{0,12}&){0,8}",
    ) {
        for text in [body.as_str(), form.as_str()] {
            let _ = parse_token_set(text, parse);
            let _ = CachedDocument::decode(text);
            if let Some(read) = Transaction::decode(text) {
                prop_assert_eq!(Transaction::decode(&read.encode()), Some(read));
            }
        }
    }

    #[test]
    fn return_paths_stay_on_this_origin(path in "[ -~]{0,40}") {
        let safe = safe_return_to(&path);
        prop_assert!(safe.starts_with('/') && !safe.starts_with("//") && !safe.starts_with("/\\"));
    }

    #[test]
    fn bearer_challenges_never_panic(header in "[ -~]{0,60}", status in 100u16..600) {
        let _ = challenge_error(&header);
        let _ = verdict(status, Some(&header));
    }
}
