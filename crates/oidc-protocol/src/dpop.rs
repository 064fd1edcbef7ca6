//! DPoP (RFC 9449): the proof the app signs for each request, and a server's demand for a nonce.
//! The key itself stays in the browser's key store; this module only sees its public half.

use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};

use super::json::{Json, Parse, Write};
use super::url::normalized_without_query;

/// The public half of the app's P-256 key, as a JWK (RFC 7518 §6.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    x: String,
    y: String,
}

/// RFC 7518 §6.2.1.2–3: a P-256 coordinate, base64url of 32 bytes.
fn coordinate(jwk: &Json, name: &str) -> Option<String> {
    let value = jwk.get(name)?.as_str()?;
    (value.len() == 43 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| value.to_owned())
}

impl PublicKey {
    /// Reads the public JWK WebCrypto exports (`kty` EC, `crv` P-256).
    pub fn from_jwk(jwk: &Json) -> Option<PublicKey> {
        let is = |name, value| jwk.get(name).and_then(Json::as_str) == Some(value);
        (is("kty", "EC") && is("crv", "P-256"))
            .then(|| Some(PublicKey { x: coordinate(jwk, "x")?, y: coordinate(jwk, "y")? }))
            .flatten()
    }

    /// RFC 7638 §3: the members in lexicographic order, as the thumbprint hashes them.
    fn to_json(&self) -> Json {
        let member = |name: &str, value: &str| (name.to_owned(), Json::String(value.to_owned()));
        Json::Object(vec![member("crv", "P-256"), member("kty", "EC"), member("x", &self.x), member("y", &self.y)])
    }

    /// RFC 7638: the key's thumbprint, which a bound token names in `cnf.jkt` (RFC 9449 §6.1).
    pub fn thumbprint(&self, write: Write) -> String {
        sha256(&write(&self.to_json()))
    }
}

fn sha256(text: &str) -> String {
    Base64UrlUnpadded::encode_string(&Sha256::digest(text.as_bytes()))
}

/// What one proof says (RFC 9449 §4.2).
#[derive(Clone, Debug)]
pub struct Proof {
    /// The request's method.
    pub htm: String,
    /// The request's URL (query and fragment are dropped).
    pub url: String,
    pub iat: u64,
    /// Unique per proof: base64url of fresh random bytes.
    pub jti: String,
    /// The server's latest nonce, when it asked for one (§8, §9).
    pub nonce: Option<String>,
    /// The access token the request carries, for `ath` (§4.2, API calls only).
    pub access_token: Option<String>,
}

/// RFC 9449 §4.2–4.3: `htu` is the URL without its query and fragment, normalised as the server
/// compares it (RFC 3986 §6.2.2–6.2.3).
pub fn htu(url: &str) -> String {
    normalized_without_query(url).unwrap_or_else(|| url.split(['?', '#']).next().unwrap_or(url).to_owned())
}

impl Proof {
    /// The JWS signing input (RFC 7515 §5.1): header `typ` dpop+jwt, `alg` ES256 and the public
    /// `jwk`; claims `jti`, `htm`, `htu`, `iat`, and `nonce` and `ath` when given.
    pub fn signing_input(&self, key: &PublicKey, write: Write) -> String {
        let text = |s: &str| Json::String(s.to_owned());
        let header = Json::Object(vec![
            ("typ".into(), text("dpop+jwt")),
            ("alg".into(), text("ES256")),
            ("jwk".into(), key.to_json()),
        ]);
        let mut claims = vec![
            ("jti".into(), text(&self.jti)),
            // RFC 9110 §9.1: methods are case-sensitive; the request is sent upper-case too.
            ("htm".into(), text(&self.htm.to_ascii_uppercase())),
            ("htu".into(), text(&htu(&self.url))),
            ("iat".into(), Json::Number(self.iat as f64)),
        ];
        claims.extend(self.nonce.as_deref().map(|nonce| ("nonce".into(), text(nonce))));
        claims.extend(self.access_token.as_deref().map(|token| ("ath".into(), text(&sha256(token)))));
        let part = |value: &Json| Base64UrlUnpadded::encode_string(write(value).as_bytes());
        format!("{}.{}", part(&header), part(&Json::Object(claims)))
    }
}

/// The compact proof: the signing input and the ES256 signature (`r || s`, RFC 7518 §3.4).
pub fn compact(signing_input: &str, signature: &[u8]) -> String {
    format!("{signing_input}.{}", Base64UrlUnpadded::encode_string(signature))
}

/// RFC 9449 §8.1: a nonce is 1*NQCHAR (printable ASCII but `"` and `\`).
pub fn nonce_of(header: Option<&str>) -> Option<String> {
    let nonce = header?.trim();
    let valid = !nonce.is_empty() && nonce.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
    valid.then(|| nonce.to_owned())
}

/// RFC 9449 §8: the token endpoint asks for a nonce with `400` and error `use_dpop_nonce`.
pub fn provider_wants_nonce(status: u16, body: &str, parse: Parse) -> bool {
    status == 400 && parse(body).is_some_and(|doc| doc.get("error").and_then(Json::as_str) == Some("use_dpop_nonce"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::native::{parse, write};

    /// RFC 7638 §3.1's example is RSA; this P-256 key's thumbprint was computed with `jose`
    /// (`calculateJwkThumbprint`), as oidc-provider does for `cnf.jkt`.
    const JWK: &str = r#"{"kty":"EC","crv":"P-256","x":"WKn-ZIGevcwGIyyrzFoZNBdaq9_TsqzGl96oc0CWuis",
        "y":"y77t-RvAHRKTsSGdIYUfweuOvwrvDD-Q3Hv5J0fSKbE","ext":true,"key_ops":["verify"]}"#;

    fn key() -> PublicKey {
        PublicKey::from_jwk(&parse(JWK).unwrap()).unwrap()
    }

    #[test]
    fn the_public_key_and_its_thumbprint() {
        assert_eq!(key().thumbprint(write), "qT5yKRo0isoECLGe0-hJJux4iMROawVfs8LFcQ2Aveo");
        for bad in [
            JWK.replace("P-256", "P-384"),
            JWK.replace(r#""kty":"EC""#, r#""kty":"RSA""#),
            JWK.replace("WKn-ZIGevcwGIyyrzFoZNBdaq9_TsqzGl96oc0CWuis", "short"),
            JWK.replace("WKn-ZIGevcwGIyyrzFoZNBdaq9_TsqzGl96oc0CWuis", "WKn+ZIGevcwGIyyrzFoZNBdaq9/TsqzGl96oc0CWuis"),
        ] {
            assert_eq!(PublicKey::from_jwk(&parse(&bad).unwrap()), None, "{bad}");
        }
    }

    fn decoded(part: &str) -> serde_json::Value {
        serde_json::from_slice(&Base64UrlUnpadded::decode_vec(part).unwrap()).unwrap()
    }

    #[test]
    fn a_proof_names_the_request_and_the_token() {
        let proof = Proof {
            htm: "POST".into(),
            url: "https://api.test/messages?page=2#top".into(),
            iat: 1_700_000_000,
            jti: "j1".into(),
            nonce: Some("n-1".into()),
            access_token: Some("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU".into()),
        };
        let input = proof.signing_input(&key(), write);
        let (header, claims) = input.split_once('.').unwrap();
        let header = decoded(header);
        assert_eq!((header["typ"].as_str(), header["alg"].as_str()), (Some("dpop+jwt"), Some("ES256")));
        assert_eq!(header["jwk"]["x"], "WKn-ZIGevcwGIyyrzFoZNBdaq9_TsqzGl96oc0CWuis");
        assert!(header["jwk"].get("d").is_none() && header["jwk"].get("ext").is_none(), "the public members only");
        let claims = decoded(claims);
        assert_eq!(claims["htu"], "https://api.test/messages", "no query or fragment (§4.2)");
        assert_eq!((claims["htm"].as_str(), claims["iat"].as_u64()), (Some("POST"), Some(1_700_000_000)));
        assert_eq!((claims["jti"].as_str(), claims["nonce"].as_str()), (Some("j1"), Some("n-1")));
        // RFC 9449 §7.1's example token and its `ath`.
        assert_eq!(claims["ath"], "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
        // Finding: a lower-case method, `%7e` and dot segments made proofs the server refused.
        let odd =
            Proof { htm: "patch".into(), url: "https://API.test:443/a/../messages/%7e1?x".into(), ..proof.clone() };
        let claims = decoded(odd.signing_input(&key(), write).split_once('.').unwrap().1);
        assert_eq!(
            (claims["htm"].as_str(), claims["htu"].as_str()),
            (Some("PATCH"), Some("https://api.test/messages/~1"))
        );
        let bare = Proof { nonce: None, access_token: None, ..proof }.signing_input(&key(), write);
        let claims = decoded(bare.split_once('.').unwrap().1);
        assert!(claims.get("nonce").is_none() && claims.get("ath").is_none());
        assert_eq!(compact("a.b", &[0xff; 3]), "a.b.____");
    }

    #[test]
    fn nonces_and_who_asks_for_them() {
        assert_eq!(nonce_of(Some(" eyJ7S_zG.9WvT-n ")), Some("eyJ7S_zG.9WvT-n".into()));
        for bad in [None, Some(""), Some("a b"), Some("a\"b"), Some("a\\b"), Some("é")] {
            assert_eq!(nonce_of(bad), None, "{bad:?}");
        }
        assert!(provider_wants_nonce(400, r#"{"error":"use_dpop_nonce","error_description":"x"}"#, parse));
        assert!(!provider_wants_nonce(400, r#"{"error":"invalid_dpop_proof"}"#, parse));
        assert!(!provider_wants_nonce(401, r#"{"error":"use_dpop_nonce"}"#, parse));
        assert!(!provider_wants_nonce(400, "<html>", parse));
    }
}
