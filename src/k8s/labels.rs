//! The `matchLabels` of a [`super::Selector`]: a map from label key to value,
//! kept as a sorted vector, shared between its clones.
//!
//! Almost every selector npc builds has one or two labels (`app=web`, a
//! namespace's name). A `BTreeMap` allocates a node for eleven entries
//! even for one, so the IR's selectors were a quarter of a large build's
//! heap; a sorted vector allocates what it holds. Every rule that names a
//! workload holds its selector, so the vector is behind a reference count:
//! a clone shares it, a change to a shared one copies it first. It
//! compares, orders and prints (`Debug`) as the map did: entries in key
//! order.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Label key → value, in key order; each key once. No labels is `None`
/// (an empty selector allocates nothing), never an empty vector, so that
/// equal maps are equal values.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Labels(Option<Arc<Vec<(String, String)>>>);

impl Labels {
    pub const fn new() -> Self {
        Labels(None)
    }

    fn entries(&self) -> &[(String, String)] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries()
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&String> {
        self.find(key).ok().map(|i| &self.entries()[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`; the value it had, if any.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        let found = self.find(&key);
        let entries = Arc::make_mut(self.0.get_or_insert_with(Arc::default));
        match found {
            Ok(i) => Some(std::mem::replace(&mut entries[i].1, value)),
            Err(i) => {
                entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.find(key).ok()?;
        let (value, rest) = match Arc::try_unwrap(self.0.take()?) {
            Ok(mut entries) => (entries.remove(i).1, entries),
            // Shared: the others copied, not the whole vector and then one
            // taken out (`{app: NAME}` less `app` allocates nothing).
            Err(shared) => (
                shared[i].1.clone(),
                (shared.iter().enumerate())
                    .filter(|(j, _)| *j != i)
                    .map(|(_, entry)| entry.clone())
                    .collect(),
            ),
        };
        self.0 = (!rest.is_empty()).then(|| Arc::new(rest));
        Some(value)
    }

    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries().iter())
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator + '_ {
        self.entries().iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator + '_ {
        self.entries().iter().map(|(_, v)| v)
    }

    /// The labels as the API's map.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.entries().iter().cloned().collect()
    }

    /// The labels as the API's map.
    pub fn into_map(self) -> BTreeMap<String, String> {
        self.into_iter().collect()
    }
}

/// The entries of [`Labels`] in key order, as a map's `iter` gives them.
#[derive(Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (String, String)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a String, &'a String);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a String, &'a String);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for Labels {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0
            .map(Arc::unwrap_or_clone)
            .unwrap_or_default()
            .into_iter()
    }
}

/// Later entries win, as inserting them into a map one by one.
impl FromIterator<(String, String)> for Labels {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut out = Labels::new();
        out.extend(iter);
        out
    }
}

impl Extend<(String, String)> for Labels {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl From<BTreeMap<String, String>> for Labels {
    fn from(map: BTreeMap<String, String>) -> Self {
        // A map's entries are in key order, each key once.
        Labels((!map.is_empty()).then(|| Arc::new(map.into_iter().collect())))
    }
}

impl<const N: usize> From<[(String, String); N]> for Labels {
    fn from(entries: [(String, String); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built, changed, ordered and printed as a `BTreeMap` with the same
    /// operations, on every sequence of a few inserts and removals.
    #[test]
    fn behaves_as_a_btree_map() {
        let keys = ["b", "a", "c", "a.b/c", ""];
        let mut seen: Vec<(Labels, BTreeMap<String, String>)> = Vec::new();
        for seed in 0u32..400 {
            let mut labels = Labels::new();
            let mut map = BTreeMap::new();
            let mut x = seed;
            for step in 0..6 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let key = keys[(x >> 8) as usize % keys.len()].to_string();
                let value = format!("v{}", (x >> 16) % 3);
                // Every other step changes a shared copy, which must
                // leave the copy it shares with as it was.
                let before = (step % 2 == 0).then(|| (labels.clone(), map.clone()));
                if (x >> 4) % 4 == 0 {
                    assert_eq!(labels.remove(&key), map.remove(&key));
                } else {
                    assert_eq!(
                        labels.insert(key.clone(), value.clone()),
                        map.insert(key, value)
                    );
                }
                if let Some((shared, then)) = before {
                    assert!(shared.iter().eq(then.iter()), "{seed} {step}");
                }
                assert_eq!(labels.len(), map.len(), "{seed} {step}");
                assert!(labels.iter().eq(map.iter()));
                assert!(labels.keys().eq(map.keys()));
                assert!(labels.values().eq(map.values()));
                for k in keys {
                    assert_eq!(labels.get(k), map.get(k));
                    assert_eq!(labels.contains_key(k), map.contains_key(k));
                }
                assert_eq!(format!("{labels:?}"), format!("{map:?}"));
                assert_eq!(labels.to_map(), map);
                assert_eq!(Labels::from(map.clone()), labels);
            }
            seen.push((labels, map));
        }
        for (a, am) in &seen {
            for (b, bm) in seen.iter().take(60) {
                assert_eq!(a.cmp(b), am.cmp(bm));
                assert_eq!(a == b, am == bm);
            }
        }
    }
}
