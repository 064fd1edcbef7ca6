//! The messages `/api/messages` keeps, in memory: listed by anyone who may read them, added and
//! deleted by their author.

use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

/// The longest message accepted, in characters.
pub const MAX_TEXT: usize = 280;
/// The largest request body accepted, in bytes.
pub const MAX_BODY: usize = 4 * 1024;
/// How many messages are kept (the oldest go first), so memory stays bounded.
const MAX_KEPT: usize = 100;

/// A message as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Message {
    pub id: u64,
    pub text: String,
    /// The `sub` of the token that posted it.
    pub author: String,
    /// Seconds since the epoch.
    pub created_at: u64,
}

/// The body of `POST /api/messages`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub text: String,
}

/// Why a message cannot be deleted.
#[derive(Debug, PartialEq, Eq)]
pub enum Deletion {
    NotFound,
    NotYours,
}

/// The messages, oldest first, and the next id.
#[derive(Default)]
pub struct Messages(Mutex<(u64, Vec<Message>)>);

impl Messages {
    fn with<T>(&self, f: impl FnOnce(&mut (u64, Vec<Message>)) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Every message, oldest first.
    pub fn list(&self) -> Vec<Message> {
        self.with(|(_, list)| list.clone())
    }

    /// Adds a message by `author`; the text must be 1 to [`MAX_TEXT`] characters once trimmed.
    pub fn add(&self, text: &str, author: &str, now: u64) -> Result<Message, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("`text` is empty".into());
        }
        if text.chars().count() > MAX_TEXT {
            return Err(format!("`text` is longer than {MAX_TEXT} characters"));
        }
        self.with(|(next, list)| {
            *next += 1;
            let message = Message { id: *next, text: text.to_owned(), author: author.to_owned(), created_at: now };
            if list.len() == MAX_KEPT {
                list.remove(0);
            }
            list.push(message.clone());
            Ok(message)
        })
    }

    /// Deletes message `id` if `author` wrote it.
    pub fn delete(&self, id: u64, author: &str) -> Result<(), Deletion> {
        self.with(|(_, list)| {
            let at = list.iter().position(|m| m.id == id).ok_or(Deletion::NotFound)?;
            if list[at].author != author {
                return Err(Deletion::NotYours);
            }
            list.remove(at);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_list_delete() {
        let messages = Messages::default();
        let first = messages.add("  hello  ", "ada", 10).unwrap();
        assert_eq!((first.id, first.text.as_str(), first.author.as_str()), (1, "hello", "ada"));
        messages.add("again", "ada", 11).unwrap();
        assert_eq!(messages.list().len(), 2);
        assert_eq!(messages.delete(first.id, "grace"), Err(Deletion::NotYours));
        assert_eq!(messages.delete(first.id, "ada"), Ok(()));
        assert_eq!(messages.delete(first.id, "ada"), Err(Deletion::NotFound));
        assert_eq!(messages.list().iter().map(|m| m.id).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn texts_are_checked_and_memory_is_bounded() {
        let messages = Messages::default();
        assert!(messages.add("   ", "ada", 0).is_err());
        assert!(messages.add(&"é".repeat(MAX_TEXT + 1), "ada", 0).is_err());
        assert!(messages.add(&"é".repeat(MAX_TEXT), "ada", 0).is_ok());
        for n in 0..MAX_KEPT + 5 {
            messages.add(&n.to_string(), "ada", 0).unwrap();
        }
        let list = messages.list();
        assert_eq!(list.len(), MAX_KEPT);
        assert_eq!(list.last().map(|m| m.text.as_str()), Some("104"), "the newest are kept");
    }
}
