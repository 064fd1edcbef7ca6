//! JSON values as the core reads them. The core never parses JSON text itself: the parser is
//! passed in, like the clock — the browser's `JSON.parse` in the app (so no JSON parser ships in
//! the WebAssembly), serde_json in native tests.

/// A parsed JSON value; an object keeps its members in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// A JSON parser: text in, the value out, `None` for anything that is not JSON.
pub type Parse = fn(&str) -> Option<Json>;

/// A JSON writer: the text of a value.
pub type Write = fn(&Json) -> String;

/// A member of an object had the wrong type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrongType;

impl Json {
    /// The member `key` of an object (`None` for other values).
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.members()?.iter().find(|(name, _)| name == key).map(|(_, value)| value)
    }

    /// An object's members.
    pub fn members(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Object(members) => Some(members),
            _ => None,
        }
    }

    /// An array's items.
    pub fn items(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The number, if it is a whole one from 0 to `u64::MAX`.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_f64().filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n < u64::MAX as f64).map(|n| n as u64)
    }

    /// An optional string member: absent or `null` is `None`; a member of another type is wrong.
    pub fn opt_string(&self, key: &str) -> Result<Option<String>, WrongType> {
        match self.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(value) => value.as_str().map(|s| Some(s.to_owned())).ok_or(WrongType),
        }
    }

    /// A required string member.
    pub fn string(&self, key: &str) -> Result<String, WrongType> {
        self.opt_string(key)?.ok_or(WrongType)
    }
}

/// serde_json as the parser, for tests and native tools (never in the shipped WebAssembly).
#[cfg(any(test, not(target_arch = "wasm32")))]
pub mod native {
    use super::Json;

    fn convert(value: serde_json::Value) -> Json {
        match value {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(b) => Json::Bool(b),
            serde_json::Value::Number(n) => Json::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Json::String(s),
            serde_json::Value::Array(items) => Json::Array(items.into_iter().map(convert).collect()),
            serde_json::Value::Object(members) => {
                Json::Object(members.into_iter().map(|(k, v)| (k, convert(v))).collect())
            }
        }
    }

    /// Parses `text` with serde_json.
    pub fn parse(text: &str) -> Option<Json> {
        serde_json::from_str(text).ok().map(convert)
    }

    fn to_value(value: &Json) -> serde_json::Value {
        match value {
            Json::Null => serde_json::Value::Null,
            Json::Bool(b) => (*b).into(),
            // As `JSON.stringify` writes them: whole numbers without a fraction.
            Json::Number(n) if n.fract() == 0.0 && n.abs() < 9e15 => (*n as i64).into(),
            Json::Number(n) => (*n).into(),
            Json::String(s) => s.as_str().into(),
            Json::Array(items) => items.iter().map(to_value).collect(),
            Json::Object(members) => {
                serde_json::Value::Object(members.iter().map(|(k, v)| (k.clone(), to_value(v))).collect())
            }
        }
    }

    /// Writes `value` with serde_json.
    pub fn write(value: &Json) -> String {
        to_value(value).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::native::parse;
    use super::*;

    #[test]
    fn reads() {
        let doc = parse(r#"{"s":"x","n":3,"f":1.5,"a":[1],"z":null,"m":-2}"#).unwrap();
        assert_eq!(doc.get("s").and_then(Json::as_str), Some("x"));
        assert_eq!(doc.get("n").and_then(Json::as_u64), Some(3));
        assert_eq!(doc.get("f").and_then(Json::as_u64), None);
        assert_eq!(doc.get("m").and_then(Json::as_u64), None);
        assert_eq!(doc.get("f").and_then(Json::as_f64), Some(1.5));
        assert_eq!(doc.get("a").and_then(Json::items).map(<[Json]>::len), Some(1));
        assert_eq!((doc.opt_string("z"), doc.opt_string("gone")), (Ok(None), Ok(None)));
        assert_eq!((doc.opt_string("n"), doc.string("gone")), (Err(WrongType), Err(WrongType)));
        assert_eq!(Json::Null.get("s"), None);
    }
}
