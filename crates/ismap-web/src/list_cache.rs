//! A small in-memory cache of the public lists' answers (issue 7).
//!
//! An entry is the result of one list query (total and page of
//! registrations) and, once the JSON API has served it, its JSON body and
//! ETag. Entries belong to one version of the data: the date and the
//! `ListVersion` (latest registration and application events) read from the
//! database at every request. Every change to a registration or an
//! application records its event in the same transaction, whichever process
//! makes it, so a request that reads a newer version misses the cache and
//! rebuilds its answer; the cache only ever spares the list query and the
//! JSON building, never the version check. Bounded: at most `CAPACITY`
//! entries, all dropped when full or when the version moves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Bytes;
use chrono::NaiveDate;
use ismap_store::registrations::{ListVersion, Registration};

/// Entries kept at most (one per distinct query: list, search, filters,
/// sort, page).
pub const CAPACITY: usize = 256;

/// What an answer depends on besides the query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version {
    pub today: NaiveDate,
    pub data: ListVersion,
}

impl Version {
    fn at_least(&self, other: &Version) -> bool {
        self.today >= other.today && self.data.at_least(&other.data)
    }
}

/// One query's answer.
pub struct CachedList {
    pub total: i64,
    pub rows: Vec<Registration>,
    /// The JSON API's body and its ETag, built on first use.
    pub api: OnceLock<(Bytes, String)>,
}

#[derive(Default)]
pub struct ListCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    version: Option<Version>,
    entries: HashMap<String, Arc<CachedList>>,
}

impl ListCache {
    /// The answer to `key` at exactly `version`, if kept.
    pub fn get(&self, version: Version, key: &str) -> Option<Arc<CachedList>> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.version != Some(version) {
            return None;
        }
        inner.entries.get(key).cloned()
    }

    /// Keeps the answer to `key` built at `version`. A newer version drops
    /// every entry of the older one; an answer built at an older version
    /// than the cache's (a slow request) is not kept.
    pub fn put(&self, version: Version, key: String, value: Arc<CachedList>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match inner.version {
            Some(current) if current == version => {}
            Some(current) if !version.at_least(&current) => return,
            _ => {
                inner.entries.clear();
                inner.version = Some(version);
            }
        }
        if inner.entries.len() >= CAPACITY {
            inner.entries.clear();
        }
        inner.entries.insert(key, value);
    }

    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(day: u32, registration_event: i64, application_event: i64) -> Version {
        Version {
            today: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
            data: ListVersion {
                registration_event,
                application_event,
            },
        }
    }

    fn answer(total: i64) -> Arc<CachedList> {
        Arc::new(CachedList {
            total,
            rows: Vec::new(),
            api: OnceLock::new(),
        })
    }

    #[test]
    fn answers_only_at_the_same_version() {
        let cache = ListCache::default();
        let v1 = version(25, 10, 3);
        cache.put(v1, "a".into(), answer(1));
        assert_eq!(cache.get(v1, "a").map(|a| a.total), Some(1));
        assert!(cache.get(v1, "b").is_none());
        // A registration change, an application change, a new day: misses.
        assert!(cache.get(version(25, 11, 3), "a").is_none());
        assert!(cache.get(version(25, 10, 4), "a").is_none());
        assert!(cache.get(version(26, 10, 3), "a").is_none());
    }

    #[test]
    fn a_newer_version_replaces_an_older_one_never_the_reverse() {
        let cache = ListCache::default();
        let old = version(25, 10, 3);
        let new = version(25, 11, 3);
        cache.put(old, "a".into(), answer(1));
        cache.put(new, "a".into(), answer(2));
        assert!(cache.get(old, "a").is_none());
        assert_eq!(cache.get(new, "a").map(|a| a.total), Some(2));
        // A slow request that read the old version does not bring it back.
        cache.put(old, "b".into(), answer(3));
        assert!(cache.get(old, "b").is_none());
        assert_eq!(cache.get(new, "a").map(|a| a.total), Some(2));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn stays_bounded() {
        let cache = ListCache::default();
        let v = version(25, 1, 1);
        for i in 0..CAPACITY * 3 {
            cache.put(v, i.to_string(), answer(i as i64));
            assert!(cache.len() <= CAPACITY);
        }
        assert!(!cache.is_empty());
    }
}
