//! Writing an API object value by value, straight into text: the calls a
//! caller makes to write one document, implemented by the YAML writer
//! (`yaml::BlockWriter`) and the JSON writer (`json::JsonWriter`). A caller
//! that knows its object's shape (the emitter's NetworkPolicy writer) walks
//! it once and builds no tree of values on the way.

/// One document, written value by value. A mapping is `map(n)`, then `n`
/// times a `key` followed by one value, then `end`; a sequence is `seq(n)`,
/// `n` values, then `end`. The number of entries is given up front, so that
/// an empty collection is written as `{}` or `[]` and a non-empty one in
/// block or pretty form.
pub trait ObjectWriter {
    fn map(&mut self, len: usize);
    fn seq(&mut self, len: usize);
    /// Ends the innermost mapping or sequence.
    fn end(&mut self);
    /// The key of the next mapping entry.
    fn key(&mut self, key: &str);
    fn str(&mut self, s: &str);
    fn int(&mut self, n: i64);
    fn bool(&mut self, b: bool);
    fn null(&mut self);

    /// `key: s`
    fn entry_str(&mut self, key: &str, s: &str) {
        self.key(key);
        self.str(s);
    }

    /// The key of the next mapping entry when it is a field name of an API
    /// type (`apiVersion`, `podSelector`): a constant that every writer
    /// writes as it is, which a writer may take without looking at it.
    fn field(&mut self, name: &'static str) {
        self.key(name);
    }

    /// `field: s`
    fn field_str(&mut self, name: &'static str, s: &str) {
        self.field(name);
        self.str(s);
    }
}

/// A table of the bytes in the inclusive `ranges`, less those in `except`:
/// one lookup per byte where every string written is tested.
pub(crate) const fn byte_set(ranges: &[(u8, u8)], except: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut r = 0;
    while r < ranges.len() {
        let (first, last) = ranges[r];
        let mut b = first as usize;
        while b <= last as usize {
            table[b] = true;
            b += 1;
        }
        r += 1;
    }
    let mut e = 0;
    while e < except.len() {
        table[except[e] as usize] = false;
        e += 1;
    }
    table
}

/// Appends the decimal digits of `n` (the writers' integers: ports, counts).
pub(crate) fn push_int(out: &mut String, n: i128) {
    if n < 0 {
        out.push('-');
    }
    let mut m = n.unsigned_abs();
    let mut digits = [0u8; 40];
    let mut i = digits.len();
    // 128-bit division is a library call: used only until the rest fits
    // 64 bits, which is at once for every number npc writes.
    while m > u128::from(u64::MAX) {
        i -= 1;
        // `m % 10` is below 10.
        digits[i] = b'0' + (m % 10) as u8;
        m /= 10;
    }
    let mut m = u64::try_from(m).unwrap_or_default();
    loop {
        i -= 1;
        digits[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    // Digits only: always text.
    out.push_str(std::str::from_utf8(&digits[i..]).unwrap_or_default());
}

/// Appends `n` spaces.
pub(crate) fn push_spaces(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                                                ";
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        for n in [
            0i128,
            7,
            -7,
            10,
            65535,
            i128::from(i64::MIN),
            // Either side of the switch to 64-bit division.
            i128::from(u64::MAX),
            i128::from(u64::MAX) + 1,
            -i128::from(u64::MAX) - 1,
            10_000_000_000_000_000_000,
            100_000_000_000_000_000_000,
            i128::MAX,
            i128::MIN,
        ] {
            let mut out = String::new();
            push_int(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }

    #[test]
    fn byte_sets() {
        let set = byte_set(&[(b'a', b'c'), (b'x', b'x'), (0xfe, 0xff)], b"b");
        let members: Vec<u8> = (0..=u8::MAX).filter(|b| set[usize::from(*b)]).collect();
        assert_eq!(members, [b'a', b'c', b'x', 0xfe, 0xff]);
    }

    #[test]
    fn spaces() {
        for n in [0, 1, 63, 64, 65, 200] {
            let mut out = String::new();
            push_spaces(&mut out, n);
            assert_eq!(out, " ".repeat(n));
        }
    }
}
