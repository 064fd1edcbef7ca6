//! Flat records as form-encoded text (`a=1&b=x%20y`): the login transaction, the token set and
//! cached documents in Web Storage, and the tabs' messages. No JSON writer is shipped for them.

/// Form-encodes `pairs` (WHATWG URL `application/x-www-form-urlencoded`).
pub fn encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// A decoded record; a key that appears twice keeps its first value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record(Vec<(String, String)>);

impl Record {
    /// Decodes form-encoded text (anything decodes: malformed input only lacks the keys asked for).
    pub fn decode(text: &str) -> Record {
        Record(form_urlencoded::parse(text.as_bytes()).into_owned().collect())
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The value of `key`, owned.
    pub fn string(&self, key: &str) -> Option<String> {
        self.get(key).map(str::to_owned)
    }

    /// Every pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The value of `key` as a whole number.
    pub fn number(&self, key: &str) -> Option<u64> {
        self.get(key)?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let text = encode([("a", "x y&z=1"), ("n", "42"), ("e", ""), ("a", "second")]);
        let record = Record::decode(&text);
        assert_eq!(record.all("a").collect::<Vec<_>>(), ["x y&z=1", "second"]);
        assert_eq!((record.get("a"), record.number("n"), record.get("e")), (Some("x y&z=1"), Some(42), Some("")));
        assert_eq!((record.get("missing"), record.number("a")), (None, None));
        assert_eq!(Record::decode("<html>").get("a"), None);
    }
}
