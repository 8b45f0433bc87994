//! Code → interned id lookup, the first thing every decision does for each code it is given.
//!
//! A catalogue holds at most 64 codes of a kind, so the index is a small open-addressing table
//! of one byte per slot. A code is read as a [`Key`]: its length and up to four overlapping
//! 8-byte words, which for codes of up to 32 bytes (all the embedded catalogue's) *is* the
//! code, so comparing two keys compares the codes without a byte loop. The slot comes from
//! the key's words times a multiplier chosen when the catalogue is built, so that every code
//! lands in its own slot where possible: a lookup reads the input a few words at a time, reads
//! one slot and compares one key. Linear probing keeps it correct whatever the multiplier.

/// A slot holding no code.
const EMPTY: u8 = u8::MAX;

/// How many multipliers the build tries before settling for the one with the fewest
/// collisions (a collision costs a lookup one more slot, never correctness).
const SEEDS: u64 = 512;

/// Codes up to this length are compared by their key alone.
const KEY_COVERS: usize = 32;

/// A code's length and words covering it: bytes `[0, 8)`, `[len - 8, len)`, `[8, 16)` and
/// `[len - 16, len - 8)`, as far as the code reaches (shorter codes pack their bytes into the
/// first word). Two codes of at most `KEY_COVERS` bytes are equal exactly when their keys are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    len: usize,
    words: [u64; 4],
}

impl Key {
    /// Equality word by word: comparing the arrays whole made the compiler spill the key and
    /// reload it as one 16-byte vector, which stalls on store forwarding.
    #[inline]
    fn same(&self, other: &Key) -> bool {
        let [a0, a1, a2, a3] = self.words;
        let [b0, b1, b2, b3] = other.words;
        ((self.len ^ other.len) as u64 | (a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2) | (a3 ^ b3)) == 0
    }
}

fn word_at(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..)
        .and_then(|rest| rest.first_chunk::<8>())
        .map_or(0, |w| u64::from_le_bytes(*w))
}

impl Key {
    #[inline]
    fn of(bytes: &[u8]) -> Key {
        let len = bytes.len();
        let words = if len >= 8 {
            let last = bytes
                .last_chunk::<8>()
                .map_or(0, |w| u64::from_le_bytes(*w));
            if len > 16 {
                [
                    word_at(bytes, 0),
                    last,
                    word_at(bytes, 8),
                    word_at(bytes, len - 16),
                ]
            } else {
                [word_at(bytes, 0), last, 0, 0]
            }
        } else if len >= 4 {
            let first = bytes
                .first_chunk::<4>()
                .map_or(0, |w| u32::from_le_bytes(*w));
            let last = bytes
                .last_chunk::<4>()
                .map_or(0, |w| u32::from_le_bytes(*w));
            [u64::from(first) | u64::from(last) << 32, 0, 0, 0]
        } else {
            // Codes of 1 to 3 bytes: `len / 2` and `len - 1` are within the code, and the
            // zero for a missing byte is the padding every key of that length shares.
            let at = |i: usize| u64::from(bytes.get(i).copied().unwrap_or(0));
            [
                at(0) | at(len / 2) << 8 | at(len.saturating_sub(1)) << 16,
                0,
                0,
                0,
            ]
        };
        Key { len, words }
    }

    /// The words mixed into one (the multiplier does the spreading).
    fn mix(&self) -> u64 {
        let [a, b, c, d] = self.words;
        a ^ b.rotate_left(29) ^ c.rotate_left(47) ^ d.rotate_left(13) ^ self.len as u64
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CodeIndex {
    /// Slot → code id, or `EMPTY`. The length is a power of two, at least eight times the
    /// number of codes, so a probe always reaches an empty slot.
    slots: Box<[u8]>,
    /// The codes' keys by id.
    keys: Box<[Key]>,
    /// The codes by id (compared in full only beyond `KEY_COVERS` bytes).
    codes: Box<[Box<str>]>,
    /// Odd multiplier of the hash.
    seed: u64,
    /// `64 - log2(slots.len())`.
    shift: u32,
}

impl CodeIndex {
    /// An index of `codes`, whose position is their id. The caller has checked there are at
    /// most 64 and no duplicates; codes beyond 254 are not indexed.
    pub(crate) fn new<'a>(codes: impl Iterator<Item = &'a str>) -> CodeIndex {
        let codes: Box<[Box<str>]> = codes.take(usize::from(EMPTY)).map(Box::from).collect();
        let keys = codes.iter().map(|c| Key::of(c.as_bytes())).collect();
        let len = (codes.len() * 8).next_power_of_two().max(16);
        let shift = 64 - len.trailing_zeros();
        let mut best = CodeIndex {
            slots: vec![EMPTY; len].into_boxed_slice(),
            keys,
            codes,
            seed: 1,
            shift,
        };
        let mut best_probes = usize::MAX;
        for attempt in 0..SEEDS {
            // Odd multipliers spread over the word (the golden ratio's, stepped).
            let seed = 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(2 * attempt + 1) | 1;
            let (slots, probes) = best.place(seed);
            if probes < best_probes {
                best_probes = probes;
                best.slots = slots;
                best.seed = seed;
            }
            if probes == 0 {
                break;
            }
        }
        best
    }

    #[expect(
        clippy::cast_possible_truncation,
        reason = "`shift` is at least 53 (at most 2,048 slots), so the value fits any usize"
    )]
    fn home(&self, seed: u64, key: &Key) -> usize {
        (key.mix().wrapping_mul(seed) >> self.shift) as usize
    }

    /// The slots for one multiplier, and how many extra probes its collisions cost.
    fn place(&self, seed: u64) -> (Box<[u8]>, usize) {
        let mut slots = vec![EMPTY; self.slots.len()].into_boxed_slice();
        let mask = slots.len() - 1;
        let mut probes = 0;
        for (id, key) in self.keys.iter().enumerate() {
            let Ok(id) = u8::try_from(id) else { break };
            let mut at = self.home(seed, key);
            while let Some(slot) = slots.get_mut(at) {
                if *slot == EMPTY {
                    *slot = id;
                    break;
                }
                probes += 1;
                at = (at + 1) & mask;
            }
        }
        (slots, probes)
    }

    /// The id of `code`, if it is one of the indexed codes.
    #[inline]
    pub(crate) fn get(&self, code: &str) -> Option<u8> {
        let bytes = code.as_bytes();
        let key = Key::of(bytes);
        let mask = self.slots.len() - 1;
        let mut at = self.home(self.seed, &key);
        // At most every slot once; an empty slot ends the probe long before.
        for _ in 0..self.slots.len() {
            let id = *self.slots.get(at)?;
            if id == EMPTY {
                return None;
            }
            if self.keys.get(usize::from(id)).is_some_and(|k| k.same(&key))
                && (key.len <= KEY_COVERS
                    || self
                        .codes
                        .get(usize::from(id))
                        .is_some_and(|c| c.as_bytes() == bytes))
            {
                return Some(id);
            }
            at = (at + 1) & mask;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_code_and_nothing_else() {
        for n in [0usize, 1, 2, 7, 20, 64] {
            let codes: Vec<String> = (0..n).map(|i| format!("code_{i}")).collect();
            let index = CodeIndex::new(codes.iter().map(String::as_str));
            for (i, code) in codes.iter().enumerate() {
                assert_eq!(index.get(code), Some(u8::try_from(i).unwrap()), "{code}");
            }
            for other in ["", "code_", "code_64", "code_1x", "x", "code_00", "Code_1"] {
                assert_eq!(index.get(other), None, "{other}");
            }
        }
    }

    #[test]
    fn codes_that_sample_alike_still_resolve() {
        // Same length, same sampled bytes: they share a home slot under every multiplier.
        let codes = [
            "abxxxxxxxxyz",
            "abxxyxxxxxyz",
            "abxxxxxyxxyz",
            "abxxxxxxxxyz_",
        ];
        let index = CodeIndex::new(codes.iter().copied());
        for (i, code) in codes.iter().enumerate() {
            assert_eq!(index.get(code), Some(u8::try_from(i).unwrap()));
        }
        assert_eq!(index.get("abxxxyxxxxyz"), None);
    }

    #[test]
    fn keys_are_the_codes_up_to_32_bytes() {
        // Every length from 0 to 40, and codes differing in a single byte at every position.
        let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789_abcd";
        for len in 0..=40usize {
            let base = &alphabet[..len];
            let mut codes = vec![String::from_utf8(base.to_vec()).unwrap()];
            for i in 0..len {
                let mut changed = base.to_vec();
                changed[i] = b'z' - (changed[i] % 7);
                if changed != base {
                    codes.push(String::from_utf8(changed).unwrap());
                }
            }
            if len <= KEY_COVERS {
                for other in &codes[1..] {
                    assert_ne!(Key::of(base), Key::of(other.as_bytes()), "{other}");
                }
            }
            let index = CodeIndex::new(codes.iter().take(1).map(String::as_str));
            assert_eq!(index.get(&codes[0]), Some(0));
            for other in &codes[1..] {
                assert_eq!(index.get(other), None, "{other}");
            }
        }
    }
}
