//! The browser's `JSON.parse` and `JSON.stringify` for the core's [`Json`] values: no JSON parser
//! or writer is shipped in the WebAssembly.

use js_sys::{Array, JSON, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::auth::json::Json;

/// How deeply nested a document may be; deeper ones are refused rather than walked.
const MAX_DEPTH: u32 = 64;

fn from_js(value: &JsValue, depth: u32) -> Option<Json> {
    if depth > MAX_DEPTH {
        return None;
    }
    if value.is_null() {
        return Some(Json::Null);
    }
    if let Some(b) = value.as_bool() {
        return Some(Json::Bool(b));
    }
    if let Some(n) = value.as_f64() {
        return Some(Json::Number(n));
    }
    if let Some(s) = value.as_string() {
        return Some(Json::String(s));
    }
    if Array::is_array(value) {
        let items = Array::from(value);
        return items.iter().map(|item| from_js(&item, depth + 1)).collect::<Option<_>>().map(Json::Array);
    }
    let object = value.dyn_ref::<Object>()?;
    let entries = Object::entries(object);
    let members = entries.iter().map(|entry| {
        let pair = Array::from(&entry);
        Some((pair.get(0).as_string()?, from_js(&pair.get(1), depth + 1)?))
    });
    members.collect::<Option<_>>().map(Json::Object)
}

/// Parses JSON text with `JSON.parse`; `None` when it is not JSON (or nested too deeply).
pub fn parse(text: &str) -> Option<Json> {
    from_value(&JSON::parse(text).ok()?)
}

/// A JavaScript value made of JSON types (e.g. an exported JWK) as a [`Json`] value.
pub fn from_value(value: &JsValue) -> Option<Json> {
    from_js(value, 0)
}

/// A value as the JavaScript value `JSON.parse` would have made of its text.
///
/// ```no_run
/// # use leptos_pkce_auth::json::{Json, to_js};
/// let options = to_js(&Json::Object(vec![("dateStyle".into(), Json::String("medium".into()))]));
/// let text = js_sys::Date::new_0().to_locale_string("en-GB", &options);
/// ```
pub fn to_js(value: &Json) -> JsValue {
    match value {
        Json::Null => JsValue::NULL,
        Json::Bool(b) => JsValue::from_bool(*b),
        Json::Number(n) => JsValue::from_f64(*n),
        Json::String(s) => JsValue::from_str(s),
        Json::Array(items) => items.iter().map(to_js).collect::<Array>().into(),
        Json::Object(members) => {
            let object = Object::new();
            for (name, member) in members {
                let _ = Reflect::set(&object, &JsValue::from_str(name), &to_js(member));
            }
            object.into()
        }
    }
}

/// The JSON text of a value, by `JSON.stringify`.
///
/// ```no_run
/// # use leptos_pkce_auth::json::{Json, stringify};
/// assert_eq!(stringify(&Json::Bool(true)), "true");
/// ```
pub fn stringify(value: &Json) -> String {
    JSON::stringify(&to_js(value)).ok().and_then(|s| s.as_string()).unwrap_or_default()
}
