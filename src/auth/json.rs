//! JSON in and out, with miniserde (a small parser without serde's per-type code), and the few
//! reads the core makes of untyped values (claims).

use miniserde::json::Number;
pub use miniserde::json::{Object, Value, from_str, to_string};

/// The string in `value`, if it is one.
pub fn as_str(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// The number in `value`, if it is one (RFC 7519 §2 NumericDate may be fractional).
pub fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Number(Number::U64(n)) => Some(*n as f64),
        Value::Number(Number::I64(n)) => Some(*n as f64),
        Value::Number(Number::F64(n)) => Some(*n),
        _ => None,
    }
}

/// A value as the UI shows it: a string as it is, anything else as compact JSON.
pub fn text(value: &Value) -> String {
    as_str(value).map_or_else(|| to_string(value), str::to_owned)
}

/// Whether two optional values are the same JSON (miniserde's values have no `==`).
pub fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    a.map(to_string) == b.map(to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads() {
        let object: Object = from_str(r#"{"s":"x","n":3,"m":-2,"f":1.5,"a":[1],"z":null}"#).unwrap();
        assert_eq!(as_str(&object["s"]), Some("x"));
        assert_eq!(as_str(&object["n"]), None);
        assert_eq!(
            (as_f64(&object["n"]), as_f64(&object["m"]), as_f64(&object["f"])),
            (Some(3.0), Some(-2.0), Some(1.5))
        );
        assert_eq!(as_f64(&object["s"]), None);
        assert_eq!(
            (text(&object["s"]), text(&object["a"]), text(&object["z"])),
            ("x".into(), "[1]".into(), "null".into())
        );
        assert!(same(object.get("n"), object.get("n")) && !same(object.get("n"), object.get("m")));
        assert!(same(object.get("missing"), None) && !same(object.get("s"), None));
    }
}
