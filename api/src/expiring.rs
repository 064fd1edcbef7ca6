//! A bounded map from the SHA-256 of a string (a fixed size, however long the string) to a value
//! with a lifetime: expired entries are dropped on each use, and a full map takes no more.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};

use sha2::{Digest, Sha256};

/// The SHA-256 of what an entry is about.
pub type Key = [u8; 32];

/// The key of `text`.
pub fn key_of(text: &str) -> Key {
    Sha256::digest(text.as_bytes()).into()
}

/// What [`Expiring::insert_new`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Inserted {
    Yes,
    /// An entry with that key lives still; it is kept as it was.
    AlreadyThere,
    /// The map holds `capacity` live entries.
    Full,
}

struct Entries<V> {
    values: HashMap<Key, (V, u64)>,
    /// The same entries ordered by the last second they live.
    by_expiry: BTreeSet<(u64, Key)>,
}

/// At most `capacity` entries, each living through a given second.
pub struct Expiring<V> {
    capacity: usize,
    entries: Mutex<Entries<V>>,
}

impl<V: Clone> Expiring<V> {
    pub fn new(capacity: usize) -> Expiring<V> {
        Expiring { capacity, entries: Mutex::new(Entries { values: HashMap::new(), by_expiry: BTreeSet::new() }) }
    }

    /// The entries that live at `now` (the expired ones dropped).
    fn live(&self, now: u64) -> std::sync::MutexGuard<'_, Entries<V>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(&(last, key)) = entries.by_expiry.first()
            && last < now
        {
            entries.by_expiry.pop_first();
            entries.values.remove(&key);
        }
        entries
    }

    /// The value under `key`, if it lives at `now`.
    pub fn get(&self, key: &Key, now: u64) -> Option<V> {
        self.live(now).values.get(key).map(|(value, _)| value.clone())
    }

    /// Adds `value` under `key`, to live through second `last`, unless one lives there already or
    /// the map is full.
    pub fn insert_new(&self, key: Key, value: V, last: u64, now: u64) -> Inserted {
        let mut entries = self.live(now);
        if entries.values.contains_key(&key) {
            return Inserted::AlreadyThere;
        }
        if entries.values.len() >= self.capacity {
            return Inserted::Full;
        }
        entries.values.insert(key, (value, last));
        entries.by_expiry.insert((last, key));
        Inserted::Yes
    }

    /// How many entries live at `now`.
    pub fn len(&self, now: u64) -> usize {
        self.live(now).values.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_live_through_their_last_second_and_no_more_fit_than_the_capacity() {
        let map = Expiring::new(2);
        assert_eq!(map.insert_new(key_of("a"), 1, 10, 0), Inserted::Yes);
        assert_eq!(map.insert_new(key_of("a"), 2, 20, 10), Inserted::AlreadyThere, "alive at its last second");
        assert_eq!(map.get(&key_of("a"), 10), Some(1));
        assert_eq!(map.insert_new(key_of("b"), 3, 30, 10), Inserted::Yes);
        assert_eq!(map.insert_new(key_of("c"), 4, 30, 10), Inserted::Full);
        assert_eq!(map.get(&key_of("a"), 11), None, "gone the second after");
        assert_eq!(map.insert_new(key_of("c"), 4, 30, 11), Inserted::Yes, "the expired entry made room");
        assert_eq!(map.len(31), 0);
    }
}
