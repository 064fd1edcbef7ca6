//! Serves the demo API on 127.0.0.1:4001 (settings from the environment, dev defaults).

use std::net::SocketAddr;

use api::Settings;

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let port: u16 = env("API_PORT", "4001").parse().map_err(|e| format!("API_PORT: {e}"))?;
    let app_port = env("APP_PORT", "8080");
    let settings = Settings {
        issuer: env("API_ISSUER", "http://127.0.0.1:4000/"),
        audience: env("API_AUDIENCE", "https://api.leptos-pkce.test"),
        app_origins: vec![format!("http://127.0.0.1:{app_port}"), format!("http://localhost:{app_port}")],
        leeway: 5,
        jwks_min_refetch: std::time::Duration::from_secs(30),
    };
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("bind {addr}: {e}"))?;
    println!("demo API ready at http://{addr} (issuer {}, audience {})", settings.issuer, settings.audience);
    axum::serve(listener, api::routes::router(settings))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}
