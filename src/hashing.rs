//! Hash maps and sets for the compiler's hot paths.
//!
//! The standard library's SipHash was a twentieth of the instructions of a
//! build (hashing peers, selectors and port sets to number them). foldhash
//! is several times cheaper per key and still seeded at random per process,
//! so an input cannot be written to collide on purpose; npc never iterates a
//! hash map into output, so the seed changes no byte it writes.

/// A `HashMap` with foldhash's per-process random seed.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A `HashSet` with foldhash's per-process random seed.
pub type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
