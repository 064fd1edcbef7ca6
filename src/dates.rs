//! Times as people read them: the browser's clock and its local formats (`Intl`, en-GB).

use js_sys::Date;
use leptos_pkce_auth::json::{Json, to_js};

/// Seconds since the epoch, by the browser's clock.
pub fn now_seconds() -> u64 {
    (Date::now() / 1000.0) as u64
}

fn date(epoch_ms: f64) -> Date {
    Date::new(&epoch_ms.into())
}

/// The local time of day, e.g. `17:19:42`.
pub fn local_time(epoch_ms: f64) -> String {
    date(epoch_ms).to_locale_time_string("en-GB").into()
}

/// The local date and time, e.g. `26 Nov 2026, 17:19:38`.
pub fn local_date_time(epoch_ms: f64) -> String {
    let style = [("dateStyle", "medium"), ("timeStyle", "medium")];
    let options = Json::Object(style.map(|(k, v)| (k.to_owned(), Json::String(v.to_owned()))).to_vec());
    date(epoch_ms).to_locale_string("en-GB", &to_js(&options)).into()
}
