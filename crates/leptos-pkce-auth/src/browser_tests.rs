//! Browser-layer tests in headless Chromium (wasm-bindgen-test): storage, CSPRNG, tab channel,
//! fetch errors, the address bar.

use crate::auth::authorize::{TRANSACTION_MAX_AGE, Transaction};
use crate::auth::browser::channel::{TabChannel, TabMessage, decode};
use crate::auth::browser::storage::{self, Area};
use crate::auth::browser::{http, json, location, now, random};
use crate::auth::session::parse_token_set;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn transaction(state: &str, created_at: u64) -> Transaction {
    Transaction {
        state: state.into(),
        verifier: "v".repeat(43),
        nonce: "n".into(),
        return_to: "/".into(),
        created_at,
        silent: false,
        audience: None,
        max_age: None,
    }
}

#[wasm_bindgen_test]
fn random_bytes_differ_each_time() {
    let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
    random::fill(&mut a).unwrap();
    random::fill(&mut b).unwrap();
    assert_ne!(a, b);
    assert_ne!(a, [0u8; 32]);
}

#[wasm_bindgen_test]
fn a_transaction_can_be_taken_once() {
    let t = transaction("single-use", now());
    storage::save_transaction(&t).unwrap();
    assert_eq!(storage::take_transaction("single-use"), Some(t));
    assert_eq!(storage::take_transaction("single-use"), None);
    assert_eq!(storage::take_transaction("never-saved"), None);
}

#[wasm_bindgen_test]
fn stale_and_unreadable_transactions_are_swept() {
    let now = now();
    storage::save_transaction(&transaction("fresh", now)).unwrap();
    storage::save_transaction(&transaction("stale", now - TRANSACTION_MAX_AGE - 1)).unwrap();
    storage::set(Area::Session, "leptos-pkce.tx.garbage", "<not json>").unwrap();
    storage::set(Area::Session, "unrelated", "kept").unwrap();
    storage::sweep_transactions(now);
    assert!(storage::take_transaction("fresh").is_some());
    assert_eq!(storage::get(Area::Session, "leptos-pkce.tx.stale"), None);
    assert_eq!(storage::get(Area::Session, "leptos-pkce.tx.garbage"), None);
    assert_eq!(storage::get(Area::Session, "unrelated").as_deref(), Some("kept"));
}

#[wasm_bindgen_test]
fn a_tampered_transaction_reads_as_none() {
    storage::set(Area::Session, "leptos-pkce.tx.tampered", r#"{"state":1}"#).unwrap();
    assert_eq!(storage::take_transaction("tampered"), None);
    assert_eq!(storage::get(Area::Session, "leptos-pkce.tx.tampered"), None, "deleted on use even if unreadable");
}

#[wasm_bindgen_test]
fn replace_url_cleans_the_address_bar_without_navigating() {
    let before = location::pathname();
    location::replace_url(&format!("{before}?code=secret&state=s"));
    assert_eq!(location::search(), "?code=secret&state=s");
    location::replace_url(&before);
    assert_eq!(location::search(), "");
    assert_eq!(location::pathname(), before);
}

#[wasm_bindgen_test]
async fn an_unreachable_server_is_a_network_error() {
    let err = http::post_form("http://127.0.0.1:9/oauth/token", "a=b", None).await.err().unwrap();
    assert_eq!(err.code(), "network");
}

#[wasm_bindgen_test]
fn request_bodies_are_sent_as_their_type_says() {
    use crate::api::Body;
    use crate::auth::json::Json;
    let form = Body::Form(vec![("a".into(), "1".into()), ("b".into(), "x y&z".into())]);
    assert_eq!(
        (form.content_type(), form.to_js().as_string()),
        ("application/x-www-form-urlencoded", Some("a=1&b=x+y%26z".into()))
    );
    let json = Body::json(&Json::Object(vec![("text".into(), Json::String("\"hi\"".into()))]));
    assert_eq!(
        (json.content_type(), json.to_js().as_string()),
        ("application/json", Some(r#"{"text":"\"hi\""}"#.into()))
    );
    let bytes = Body::Bytes(vec![0, 255, 7]);
    assert_eq!(bytes.content_type(), "application/octet-stream");
    assert_eq!(js_sys::Uint8Array::new(&bytes.to_js()).to_vec(), [0, 255, 7]);
    assert_eq!(Body::Text("é".into()).to_js().as_string().as_deref(), Some("é"));
}

#[wasm_bindgen_test]
fn an_api_answer_reads_as_text_json_and_headers() {
    let answer = http::ApiResponse {
        status: 201,
        url: "http://127.0.0.1:4001/api/messages".into(),
        headers: vec![("dpop-nonce".into(), "n1".into())],
        body: br#"{"id":7,"text":"hi"}"#.to_vec(),
    };
    assert_eq!(answer.header("DPoP-Nonce"), Some("n1"));
    assert_eq!(answer.header("WWW-Authenticate"), None);
    assert_eq!(answer.json().and_then(|doc| doc.get("id").and_then(|id| id.as_u64())), Some(7));
    let broken = http::ApiResponse { body: vec![b'<', 0xff, b'>'], ..answer };
    assert_eq!((broken.text(), broken.json()), ("<\u{fffd}>".to_owned(), None));
}

#[wasm_bindgen_test]
async fn a_cancelled_request_says_so_and_an_unreachable_one_is_a_network_error() {
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort();
    let signal = controller.signal();
    let out = http::Outgoing { signal: Some(&signal), ..http::Outgoing::new("GET", "http://127.0.0.1:9/x") };
    assert_eq!(http::exchange(out).await.unwrap_err(), http::FetchError::Aborted);
    let out = http::Outgoing::new("DELETE", "http://127.0.0.1:9/x");
    assert!(
        matches!(http::exchange(out).await.unwrap_err(), http::FetchError::Network(m) if m.contains("127.0.0.1:9"))
    );
}

/// Resolves with the first message `channel` receives, or `None` after a timeout.
async fn next_message(received: &std::rc::Rc<std::cell::RefCell<Vec<TabMessage>>>) -> Option<TabMessage> {
    for _ in 0..50 {
        if let Some(message) = received.borrow_mut().pop() {
            return Some(message);
        }
        let tick = js_sys::Promise::new(&mut |resolve, _| {
            let _ = web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 20);
        });
        let _ = JsFuture::from(tick).await;
    }
    None
}

#[wasm_bindgen_test]
fn the_browser_parses_json_and_refuses_documents_nested_too_deeply() {
    let text = r#"{"a":[1,"x",null,true,{"b":2.5}]}"#;
    let doc = json::parse(text).unwrap();
    assert_eq!(doc.get("a").and_then(|a| a.items()).map(<[_]>::len), Some(5));
    assert_eq!(json::stringify(&doc), text);
    assert_eq!(json::parse("<html>"), None);
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert!(json::parse(&nested(60)).is_some());
    assert_eq!(json::parse(&nested(100)), None);
}

#[wasm_bindgen_test]
async fn a_tab_with_tokens_answers_a_request() {
    // An ID token whose payload is {"sub":"u"}.
    let stored = "access_token=at&token_type=Bearer&id_token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln&expires_at=10&updated_at=1&clock_offset=0&session=s1";
    let tokens = parse_token_set(stored, json::parse).unwrap();
    let answer = tokens.clone();
    let replies = TabChannel::open(|_| ()).unwrap();
    let _live = TabChannel::open(move |m| {
        if matches!(decode(&m), Some(TabMessage::Request)) {
            replies.post(&TabMessage::Tokens { tokens: Box::new(answer.clone()) });
        }
    });
    let received = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = received.clone();
    let newcomer = TabChannel::open(move |m| sink.borrow_mut().extend(decode(&m))).unwrap();
    newcomer.post(&TabMessage::Request);
    match next_message(&received).await {
        Some(TabMessage::Tokens { tokens: got }) => assert_eq!(*got, tokens),
        other => panic!("expected tokens, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn a_renewal_request_crosses_the_channel_whole() {
    let received = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = received.clone();
    let _holder = TabChannel::open(move |m| sink.borrow_mut().extend(decode(&m)));
    let asker = TabChannel::open(|_| ()).unwrap();
    for (api, stale) in [(Some("reports&x=1"), Some("at")), (None, None)] {
        asker.post(&TabMessage::Renew { api: api.map(str::to_owned), stale: stale.map(str::to_owned) });
        match next_message(&received).await {
            Some(TabMessage::Renew { api: got, stale: old }) => {
                assert_eq!((got.as_deref(), old.as_deref()), (api, stale));
            }
            other => panic!("expected a renewal request, got {other:?}"),
        }
    }
}

mod signatures {
    use crate::auth::browser::{json, webcrypto};
    use crate::auth::jws::{parse_jwks, select_key, signed_parts};
    use wasm_bindgen_test::wasm_bindgen_test;

    const JWKS: &str = include_str!("../../../api/tests/fixtures/jwks.json");
    const TOKENS: &str = include_str!("../../../api/tests/fixtures/signed-tokens.json");

    fn token(name: &str) -> String {
        let tokens: serde_json::Value = serde_json::from_str(TOKENS).unwrap();
        tokens[name].as_str().unwrap().to_owned()
    }

    async fn verifies(jwt: &str) -> bool {
        let parts = signed_parts(jwt, json::parse).unwrap();
        let keys = parse_jwks(JWKS, json::parse).unwrap();
        let key = select_key(&keys, parts.kid.as_deref(), parts.alg).unwrap();
        webcrypto::verify(parts.alg, key, parts.signing_input.as_bytes(), &parts.signature).await.unwrap()
    }

    #[wasm_bindgen_test]
    async fn rs256_and_es256_signatures_verify() {
        assert!(verifies(&token("rs256")).await);
        assert!(verifies(&token("es256")).await);
    }

    #[wasm_bindgen_test]
    async fn a_signature_by_another_key_fails() {
        assert!(!verifies(&token("rs256_other_key")).await);
    }

    #[wasm_bindgen_test]
    async fn a_tampered_payload_fails() {
        for name in ["rs256", "es256"] {
            let jwt = token(name);
            let mut parts: Vec<&str> = jwt.split('.').collect();
            let forged = base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                r#"{"iss":"https://id.test/","sub":"mallory"}"#,
            );
            parts[1] = &forged;
            assert!(!verifies(&parts.join(".")).await, "{name}");
        }
    }
}

/// Resolves after `ms` milliseconds (work that takes a while, for callers to overlap).
async fn sleep(ms: i32) {
    let elapsed = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(elapsed).await;
}

/// Finding: without Web Locks (an app on plain http at a LAN address is no secure context),
/// refreshes were not serialised even in one tab.
#[wasm_bindgen_test]
async fn without_web_locks_callers_in_a_tab_still_take_turns() {
    use crate::auth::browser::lock::with_lock;
    use std::cell::RefCell;
    let hide = "globalThis.__locks = Object.getOwnPropertyDescriptor(Navigator.prototype, 'locks'); \
        Object.defineProperty(Navigator.prototype, 'locks', {get: () => undefined, configurable: true});";
    js_sys::eval(hide).unwrap();
    let log = RefCell::new(Vec::new());
    let caller = |name: &'static str, ms| {
        let log = &log;
        with_lock("test.lock", async move {
            log.borrow_mut().push(format!("{name} in"));
            sleep(ms).await;
            log.borrow_mut().push(format!("{name} out"));
        })
    };
    futures::future::join3(caller("a", 40), caller("b", 5), caller("c", 1)).await;
    js_sys::eval("Object.defineProperty(Navigator.prototype, 'locks', globalThis.__locks);").unwrap();
    assert_eq!(log.into_inner(), ["a in", "a out", "b in", "b out", "c in", "c out"]);
}

/// The S256 challenge WebCrypto computes is RFC 7636's (Appendix B's vector).
#[wasm_bindgen_test]
async fn webcrypto_makes_the_rfc_7636_challenge() {
    let digest = crate::auth::browser::webcrypto::sha256(b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").await.unwrap();
    assert_eq!(crate::auth::pkce::random_string(&digest), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}
