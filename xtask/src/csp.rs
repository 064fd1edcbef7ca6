//! The static site's security headers: a strict Content Security Policy (with hashes of Trunk's
//! inline loader) and `Referrer-Policy: no-referrer`, written next to the build.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The `scheme://host[:port]` of an absolute URL.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next().filter(|h| !h.is_empty())?;
    Some(format!("{scheme}://{host}"))
}

/// The contents of every inline `<tag>` element (a `<script>` without `src`, a `<style>`).
fn inline_contents<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut contents = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else { break };
        let Some(end) = after.find(&close) else { break };
        if !after[..open_end].contains("src=") && open_end < end {
            contents.push(&after[open_end + 1..end]);
        }
        rest = &after[end + close.len()..];
    }
    contents
}

/// CSP Level 3 §8.1: `'sha256-…'` of an inline script's or style's exact text.
fn hash_source(script: &str) -> String {
    format!("'sha256-{}'", STANDARD.encode(Sha256::digest(script.as_bytes())))
}

/// The policy for this build: the app's own files, its inline loader, WebAssembly, and
/// connections only to itself, the provider and the API.
pub fn policy(index_html: &str, config_json: &str) -> Result<String, String> {
    let config: serde_json::Value = serde_json::from_str(config_json).map_err(|e| format!("config.json: {e}"))?;
    let domain = config["domain"].as_str().ok_or("config.json has no domain")?;
    let issuer = if domain.contains("://") { domain.to_owned() } else { format!("https://{domain}") };
    let mut connect = vec!["'self'".to_owned()];
    connect.extend(origin(&issuer));
    // Profile pictures (the ID token's `picture`): on the web (Auth0 links Gravatar), or the provider's own.
    let images = ["'self'".to_owned(), "https:".to_owned()]
        .into_iter()
        .chain(origin(&issuer).filter(|o| !o.starts_with("https:")));
    connect.extend(config["api_base_url"].as_str().and_then(origin));
    let apis = config["apis"].as_object().into_iter().flat_map(|apis| apis.values());
    connect.extend(apis.filter_map(|api| api["base_url"].as_str().and_then(origin)));
    connect.dedup();
    let mut script = vec!["'self'".to_owned(), "'wasm-unsafe-eval'".to_owned()];
    script.extend(inline_contents(index_html, "script").into_iter().map(hash_source));
    // The stylesheet is inlined: it would otherwise hold back the module script until it loads.
    let mut style = vec!["'self'".to_owned()];
    style.extend(inline_contents(index_html, "style").into_iter().map(hash_source));
    Ok(format!(
        "default-src 'none'; script-src {}; style-src {}; img-src {}; connect-src {}; \
         base-uri 'none'; object-src 'none'; form-action 'none'; frame-ancestors 'none'",
        script.join(" "),
        style.join(" "),
        images.collect::<Vec<_>>().join(" "),
        connect.join(" ")
    ))
}

/// The headers every response of the site should carry.
pub fn headers(policy: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Content-Security-Policy", policy.to_owned()),
        ("Referrer-Policy", "no-referrer".to_owned()),
        ("X-Content-Type-Options", "nosniff".to_owned()),
        ("Cross-Origin-Opener-Policy", "same-origin".to_owned()),
    ]
}

/// `_headers` (Netlify, Cloudflare Pages): the headers for every path.
pub fn headers_file(policy: &str) -> String {
    let mut out = String::from("/*\n");
    for (name, value) in headers(policy) {
        out.push_str(&format!("  {name}: {value}\n"));
    }
    out
}

/// Adds the policy as a `<meta>` for hosts that cannot send headers (`frame-ancestors` is
/// ignored there, CSP3 §6.1.3, so it is left out).
pub fn with_meta(index_html: &str, policy: &str) -> String {
    let meta_policy = policy.replace("; frame-ancestors 'none'", "");
    let meta = format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{meta_policy}\">");
    // Right after `<meta charset…>`, which must come first, whether or not the page is minified.
    let charset = index_html.find("<meta charset");
    match charset.and_then(|start| Some(start + index_html[start..].find('>')? + 1)) {
        Some(end) => format!("{}{meta}{}", &index_html[..end], &index_html[end..]),
        None => index_html.replacen("<head>", &format!("<head>{meta}"), 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HTML: &str = "<html><head><script type=\"module\">import init from '/a.js';</script>\
        <script src=\"/b.js\"></script><script>x()</script></head></html>";
    const CONFIG: &str = r#"{"domain":"tenant.eu.auth0.com","api_base_url":"https://api.example.com/v1",
        "apis":{"reports":{"base_url":"https://reports.example.com:8443/r"}}}"#;

    #[test]
    fn inline_scripts_are_found_and_hashed() {
        assert_eq!(inline_contents(HTML, "script"), vec!["import init from '/a.js';", "x()"]);
        assert_eq!(inline_contents("<style>a{}</style><p><style>b{}</style>", "style"), vec!["a{}", "b{}"]);
        // `echo -n 'x()' | openssl dgst -sha256 -binary | base64`
        assert_eq!(hash_source("x()"), "'sha256-D6IGS8VMvCoyaR/l0h9tERrBTATY01CoPS7l6xDv0kI='");
    }

    #[test]
    fn the_policy_is_strict() {
        let policy = policy(HTML, CONFIG).unwrap();
        assert!(policy.starts_with("default-src 'none'; script-src 'self' 'wasm-unsafe-eval' 'sha256-"));
        assert!(policy.contains("; style-src 'self'; "), "no inline style in HTML, so no hash");
        let connect = "connect-src 'self' https://tenant.eu.auth0.com https://api.example.com \
                       https://reports.example.com:8443;";
        assert!(policy.contains(connect), "{policy}");
        assert!(policy.contains("; img-src 'self' https:; "), "pictures from the web, over https only: {policy}");
        let dev = super::policy(HTML, r#"{"domain": "http://127.0.0.1:4000"}"#).unwrap();
        assert!(dev.contains("; img-src 'self' https: http://127.0.0.1:4000; "), "a loopback provider's own: {dev}");
        for directive in ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
            assert!(policy.contains(directive), "{directive}");
        }
        assert!(!policy.contains("unsafe-inline"));
    }

    #[test]
    fn the_meta_copy_leaves_out_frame_ancestors() {
        let html = with_meta("<html><head></head></html>", &policy(HTML, CONFIG).unwrap());
        assert!(html.starts_with("<html><head><meta http-equiv=\"Content-Security-Policy\""));
        assert!(!html.contains("frame-ancestors"));
        let minified = with_meta("<!doctype html><html lang=en><meta charset=utf-8><title>t</title>", "p");
        assert_eq!(
            minified,
            "<!doctype html><html lang=en><meta charset=utf-8><meta http-equiv=\"Content-Security-Policy\" content=\"p\"><title>t</title>"
        );
        assert!(headers_file("p").contains("  Referrer-Policy: no-referrer\n"));
    }
}
