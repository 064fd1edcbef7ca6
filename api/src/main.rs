//! Serves the demo APIs: messages on 127.0.0.1:4001 and reports on 127.0.0.1:4002 (settings from
//! the environment, dev defaults).

use std::net::SocketAddr;

use api::{Introspection, Settings};

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Serves `router` on 127.0.0.1:`port` until Ctrl-C.
async fn serve(port: String, router: axum::Router, what: &str) -> Result<(), String> {
    let port: u16 = port.parse().map_err(|e| format!("{what} port: {e}"))?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("bind {addr}: {e}"))?;
    println!("demo {what} API ready at http://{addr}");
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}

/// The API's client credentials for RFC 7662 introspection, when both are set.
fn introspection() -> Result<Option<Introspection>, String> {
    let var = |name| std::env::var(name).ok();
    match (var("API_INTROSPECTION_CLIENT_ID"), var("API_INTROSPECTION_CLIENT_SECRET")) {
        (Some(client_id), Some(client_secret)) => Ok(Some(Introspection { client_id, client_secret })),
        (None, None) => Ok(None),
        _ => Err("set both API_INTROSPECTION_CLIENT_ID and API_INTROSPECTION_CLIENT_SECRET, or neither".into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let app_port = env("APP_PORT", "8080");
    let introspection = introspection()?;
    // RFC 9470 §3: the most seconds since the sign-in `/api/recent` takes.
    let step_up_max_age = env("API_STEP_UP_MAX_AGE", &api::step_up::DEFAULT_MAX_AGE.to_string())
        .parse()
        .map_err(|e| format!("API_STEP_UP_MAX_AGE (seconds): {e}"))?;
    let settings = |audience: String, port: &str| Settings {
        issuer: env("API_ISSUER", "http://127.0.0.1:4000/"),
        audience,
        public_url: format!("http://127.0.0.1:{port}"),
        dpop_nonce: env("DPOP_NONCE", "") == "1",
        app_origins: vec![format!("http://127.0.0.1:{app_port}"), format!("http://localhost:{app_port}")],
        leeway: 5,
        jwks_min_refetch: std::time::Duration::from_secs(30),
        introspection: introspection.clone(),
    };
    let (api_port, reports_port) = (env("API_PORT", "4001"), env("REPORTS_PORT", "4002"));
    let messages_settings = settings(env("API_AUDIENCE", "https://api.leptos-pkce.test"), &api_port);
    let messages = api::routes::router_step_up(messages_settings, step_up_max_age);
    let reports = api::routes::reports_router(settings(
        env("REPORTS_AUDIENCE", "https://reports.leptos-pkce.test"),
        &reports_port,
    ));
    tokio::try_join!(serve(api_port, messages, "messages"), serve(reports_port, reports, "reports")).map(|_| ())
}
