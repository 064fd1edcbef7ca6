//! JWS signatures (RFC 7515): what is signed, with which algorithm, and which JWKS key checks it.

use super::error::AuthError;
use super::id_token::decode_part;
use super::json::{Json, Parse};
use base64ct::{Base64UrlUnpadded, Encoding};

/// The algorithms accepted (RFC 8725 §3.1: an allow-list; never `none`, never HS*).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningAlg {
    Rs256,
    Es256,
}

/// A compact JWS split for verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedParts<'a> {
    pub alg: SigningAlg,
    pub kid: Option<String>,
    /// RFC 7515 §5.2: `BASE64URL(header) || '.' || BASE64URL(payload)`.
    pub signing_input: &'a str,
    pub signature: Vec<u8>,
}

fn bad(why: &str) -> AuthError {
    AuthError::IdTokenSignature(why.to_owned())
}

/// Splits a compact JWS and checks its algorithm against the allow-list.
pub fn signed_parts(jwt: &str, parse: Parse) -> Result<SignedParts<'_>, AuthError> {
    let (signing_input, signature) = jwt.rsplit_once('.').ok_or_else(|| bad("not a compact JWS"))?;
    let header = signing_input.split('.').next().unwrap_or_default();
    let header = decode_part(header, "header", parse).map_err(|_| bad("unreadable header"))?;
    let kid = header.opt_string("kid").map_err(|_| bad("unreadable header"))?;
    let alg = match header.get("alg").and_then(Json::as_str).unwrap_or_default() {
        "RS256" => SigningAlg::Rs256,
        "ES256" => SigningAlg::Es256,
        _ => return Err(bad("algorithm not accepted (RS256 or ES256 only)")),
    };
    let signature = Base64UrlUnpadded::decode_vec(signature).map_err(|_| bad("the signature is not base64url"))?;
    // RFC 7518 §3.4: an ES256 signature is R || S, 32 bytes each.
    if alg == SigningAlg::Es256 && signature.len() != 64 {
        return Err(bad("an ES256 signature is 64 bytes"));
    }
    Ok(SignedParts { alg, kid, signing_input, signature })
}

/// A public key from a JWKS (RFC 7517 §4), with the members WebCrypto needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jwk {
    pub kty: String,
    pub kid: Option<String>,
    pub alg: Option<String>,
    /// RFC 7517 §4.2 `use`.
    pub key_use: Option<String>,
    pub n: Option<String>,
    pub e: Option<String>,
    pub crv: Option<String>,
    pub x: Option<String>,
    pub y: Option<String>,
}

/// A key of a JWKS, if its members are what RFC 7517 §4 says (strings, `kty` present).
fn read_jwk(key: &Json) -> Option<Jwk> {
    let member = |name: &str| key.opt_string(name).ok();
    Some(Jwk {
        kty: member("kty")??,
        kid: member("kid")?,
        alg: member("alg")?,
        key_use: member("use")?,
        n: member("n")?,
        e: member("e")?,
        crv: member("crv")?,
        x: member("x")?,
        y: member("y")?,
    })
}

/// Parses a JWKS; keys this client cannot read are skipped.
pub fn parse_jwks(body: &str, parse: Parse) -> Result<Vec<Jwk>, AuthError> {
    let set = parse(body);
    let keys = set.as_ref().and_then(|s| s.get("keys")).and_then(Json::items);
    Ok(keys.ok_or_else(|| bad("the provider's JWKS is unreadable"))?.iter().filter_map(read_jwk).collect())
}

/// RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used" with RS256.
const MIN_RSA_BITS: usize = 2048;

impl Jwk {
    /// The size of an RSA key's modulus `n` in bits (RFC 7518 §6.3.1.1), 0 when unreadable.
    fn rsa_bits(&self) -> usize {
        let n = self.n.as_deref().and_then(|n| Base64UrlUnpadded::decode_vec(n).ok()).unwrap_or_default();
        let n = n.iter().position(|&b| b != 0).map_or(&[][..], |start| &n[start..]);
        n.first().map_or(0, |top| n.len() * 8 - top.leading_zeros() as usize)
    }

    /// The key material alone, the JWK members WebCrypto imports (no `kid`, `alg` or `use`,
    /// which WebCrypto would check against its own idea of the key).
    pub fn key_material(&self) -> Vec<(&'static str, &str)> {
        let members = [
            ("kty", Some(&self.kty)),
            ("n", self.n.as_ref()),
            ("e", self.e.as_ref()),
            ("crv", self.crv.as_ref()),
            ("x", self.x.as_ref()),
            ("y", self.y.as_ref()),
        ];
        members.into_iter().filter_map(|(name, value)| Some((name, value?.as_str()))).collect()
    }

    /// RFC 7517 §4: whether this key may check a signature made with `alg`.
    fn fits(&self, alg: SigningAlg) -> bool {
        let (kty, name) = match alg {
            SigningAlg::Rs256 => ("RSA", "RS256"),
            SigningAlg::Es256 => ("EC", "ES256"),
        };
        let curve_ok = alg != SigningAlg::Es256 || self.crv.as_deref() == Some("P-256");
        self.kty == kty
            && curve_ok
            && (alg != SigningAlg::Rs256 || self.rsa_bits() >= MIN_RSA_BITS)
            && self.key_use.as_deref().is_none_or(|u| u == "sig")
            && self.alg.as_deref().is_none_or(|a| a == name)
    }
}

/// The key that checks a signature: the one with the token's `kid`, or the only fitting key.
pub fn select_key<'a>(keys: &'a [Jwk], kid: Option<&str>, alg: SigningAlg) -> Option<&'a Jwk> {
    let mut fitting = keys.iter().filter(|k| k.fits(alg));
    match kid {
        Some(kid) => fitting.find(|k| k.kid.as_deref() == Some(kid)),
        None => {
            let only = fitting.next()?;
            fitting.next().is_none().then_some(only)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::native::parse;
    use serde_json::json;

    fn token(header: serde_json::Value, signature: &[u8]) -> String {
        format!(
            "{}.e30.{}",
            Base64UrlUnpadded::encode_string(header.to_string().as_bytes()),
            Base64UrlUnpadded::encode_string(signature)
        )
    }

    /// A 2048-bit modulus (its top bit set), and one of 2047 bits.
    fn modulus(bits: usize) -> String {
        let mut n = vec![0xff_u8; bits.div_ceil(8)];
        n[0] >>= (8 - bits % 8) % 8;
        Base64UrlUnpadded::encode_string(&n)
    }

    fn jwks() -> String {
        JWKS.replace("N2048", &modulus(2048)).replace("N2047", &modulus(2047))
    }

    const JWKS: &str = r#"{"keys":[
        {"kty":"RSA","kid":"r1","alg":"RS256","use":"sig","n":"N2048","e":"AQAB"},
        {"kty":"RSA","kid":"small","alg":"RS256","use":"sig","n":"N2047","e":"AQAB"},
        {"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"},
        {"kty":"EC","kid":"e1","crv":"P-256","x":"AA","y":"AA"},
        {"kty":"EC","kid":"e384","crv":"P-384","x":"AA","y":"AA"},
        {"kty":"oct","kid":"secret","k":"c2VjcmV0"},
        {"nonsense":true}
    ]}"#;

    #[test]
    fn parts_of_a_signed_token() {
        let jwt = token(json!({"alg": "RS256", "kid": "r1"}), b"sig");
        let parts = signed_parts(&jwt, parse).unwrap();
        assert_eq!(
            (parts.alg, parts.kid.as_deref(), parts.signature.as_slice()),
            (SigningAlg::Rs256, Some("r1"), &b"sig"[..])
        );
        assert_eq!(parts.signing_input, jwt.rsplit_once('.').unwrap().0);
    }

    #[test]
    fn only_rs256_and_es256_are_accepted() {
        for alg in ["none", "HS256", "RS512", "PS256", "ES384", "EdDSA"] {
            let err = signed_parts(&token(json!({"alg": alg}), b"sig"), parse).unwrap_err();
            assert_eq!(err.code(), "id_token_signature", "{alg}");
        }
        assert!(signed_parts(&token(json!({"alg": "ES256"}), &[0; 63]), parse).is_err());
        assert!(signed_parts(&token(json!({"alg": "ES256"}), &[0; 64]), parse).is_ok());
        assert!(signed_parts("no-dots", parse).is_err());
        assert!(signed_parts("!!.e30.sig", parse).is_err());
    }

    #[test]
    fn keys_are_chosen_by_kid_type_use_and_curve() {
        let keys = parse_jwks(&jwks(), parse).unwrap();
        assert_eq!(keys.len(), 6, "the unreadable entry is skipped");
        assert!(select_key(&keys, Some("small"), SigningAlg::Rs256).is_none(), "RSA under 2048 bits (RFC 7518 §3.3)");
        assert_eq!(select_key(&keys, Some("r1"), SigningAlg::Rs256).and_then(|k| k.kid.as_deref()), Some("r1"));
        assert_eq!(select_key(&keys, Some("e1"), SigningAlg::Es256).and_then(|k| k.kid.as_deref()), Some("e1"));
        assert!(select_key(&keys, Some("r1"), SigningAlg::Es256).is_none(), "wrong key type");
        assert!(select_key(&keys, Some("enc"), SigningAlg::Rs256).is_none(), "an encryption key");
        assert!(select_key(&keys, Some("e384"), SigningAlg::Es256).is_none(), "wrong curve");
        assert!(select_key(&keys, Some("secret"), SigningAlg::Rs256).is_none(), "a symmetric key");
        assert!(select_key(&keys, Some("gone"), SigningAlg::Rs256).is_none());
        assert_eq!(
            select_key(&keys, None, SigningAlg::Rs256).and_then(|k| k.kid.as_deref()),
            Some("r1"),
            "the only fit"
        );
        assert!(parse_jwks("<html>", parse).is_err());
    }

    #[test]
    fn webcrypto_gets_only_the_key_material() {
        let keys = parse_jwks(JWKS, parse).unwrap();
        assert_eq!(keys[0].key_material(), [("kty", "RSA"), ("n", "N2048"), ("e", "AQAB")]);
        assert_eq!(keys[3].key_material(), [("kty", "EC"), ("crv", "P-256"), ("x", "AA"), ("y", "AA")]);
    }
}
